-- What a cluster holds beyond the connected database's own schemas and models
-- (issue 14, points 3 and 4), after seed_fresh.sql.
--
-- - A model of ANOTHER database, with the same schema name as this one's: svv_ml_model_info
--   has `database_name`, "The database of the model" (r_SVV_ML_MODEL_INFO), and
--   svv_ml_model_privileges covers "users, roles, and groups in the cluster" with no
--   database column (r_SVV_ML_MODEL_PRIVILEGES), so its grant shows here too.
-- - An external (Spectrum) schema: a pg_namespace row with a pg_external_schema row
--   joined on esoid (r_PG_EXTERNAL_SCHEMA's own example), with a USAGE grant (r_GRANT:
--   USAGE is what external schemas take; CREATE is not supported on them).
-- - A datashare schema of this database: svv_redshift_schemas lists it with schema_type
--   'shared' (r_SVV_REDSHIFT_SCHEMAS: "Possible values are shared and local schemas"; its
--   sample row `tickit_db | public | 1 | shared`), and a local one with 'local'. Whether a
--   consumer database's schemas are pg_namespace rows is not documented (a database
--   created from a datashare "has no local catalog": database-direct-connect), so the
--   shared schema is in pg_namespace here, the harder case for the reader.
-- - A datashare schema of ANOTHER database, which must not be taken for this one's.
INSERT INTO redshift_catalog.svv_ml_model_info VALUES
    ('analytics_db', 'demo_ml', 'carol', 'other_db_model', 'PERSISTED', 0, 'READY');
INSERT INTO redshift_catalog.svv_ml_model_privileges VALUES
    ('demo_ml', 'other_db_model', 1, 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false);

INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
    (200100, 'spectrum', 100, NULL),
    (200101, 'sales_share', 100, NULL),
    (200102, 'sales_local', 100, NULL);
INSERT INTO redshift_catalog.pg_external_schema VALUES
    (200100, 1, 'spectrum_db',
     '{"IAM_ROLE":"arn:aws:iam::123456789012:role/mySpectrumRole"}');
INSERT INTO redshift_catalog.svv_redshift_schemas VALUES
    (current_database(), 'sales_share', 100, 'shared', NULL, NULL),
    (current_database(), 'sales_local', 100, 'local', NULL, NULL),
    ('analytics_db', 'sales_local', 100, 'shared', NULL, NULL);
INSERT INTO redshift_catalog.svv_schema_privileges VALUES
    ('spectrum', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA'),
    ('sales_share', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA');
