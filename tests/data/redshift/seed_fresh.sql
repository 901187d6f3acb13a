-- The seed document's cluster before any ML grant: the admin who connects (a
-- superuser), four users, the two groups, schema demo_ml with the churn model, and the
-- model's prediction function (language mlfunc, which no function listing includes).
-- Only the built-in grants exist: mlfunc's rdsdb=U/rdsdb and the owner's own rows.
INSERT INTO redshift_catalog.pg_user (usename, usesysid, usesuper, usecreatedb) VALUES
    (current_user, 100, true, true),
    ('alice', 101, false, false),
    ('bob', 102, false, false),
    ('carol', 103, false, false),
    ('dave', 104, false, false);

INSERT INTO redshift_catalog.pg_group (groname, grosysid, grolist) VALUES
    ('retention_analyst_grp', 200, '{101,102}'),
    ('marketing_analyst_grp', 201, '{103}');

INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
    (2200, 'public', 1, '{rdsdb=UC/rdsdb,=UC/rdsdb}'),
    (200000, 'demo_ml', 100, NULL);

-- Owners appear in svv_schema_privileges like any grantee; grantplan never revokes
-- from them.
INSERT INTO redshift_catalog.svv_schema_privileges VALUES
    ('demo_ml', 'CREATE', 100, current_user, 'user', false, 'SCHEMA'),
    ('demo_ml', 'USAGE', 100, current_user, 'user', false, 'SCHEMA'),
    ('public', 'CREATE', 0, 'public', 'public', false, 'SCHEMA'),
    ('public', 'USAGE', 0, 'public', 'public', false, 'SCHEMA');

-- char(128) columns: PostgreSQL pads them with blanks as Redshift does.
INSERT INTO redshift_catalog.svv_ml_model_info VALUES
    (current_database(), 'demo_ml', current_user, 'customer_churn_auto_model',
     'PERSISTED', 0, 'READY');

INSERT INTO redshift_catalog.pg_proc_info VALUES
    (300000, 'ml_fn_customer_churn_auto', 200000, 100, 100005,
     '1043 23 1043 1043 1700 23', 'f');

-- The database connected to, owned by the admin, and PUBLIC's built-in TEMP on it (as the
-- sample of r_SVV_DATABASE_PRIVILEGES shows it: `TEMP | public | public`). Another
-- database of the cluster, and a database made from a datashare, are not this one.
INSERT INTO redshift_catalog.svv_redshift_databases VALUES
    (current_database(), 100, 'local', NULL, NULL, 'Serializable'),
    ('other_db', 101, 'local', NULL, NULL, 'Serializable'),
    ('shared_db', 101, 'shared', NULL, NULL, 'Snapshot Isolation');
INSERT INTO redshift_catalog.svv_database_privileges VALUES
    (current_database(), 'TEMP', 0, 'public', 'public', false, 'DATABASE'),
    ('other_db', 'CREATE', 102, 'bob', 'user', false, 'DATABASE');
