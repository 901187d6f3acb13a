-- Tables, views and materialized views (issue 19), after seed_fresh.sql and
-- beyond_this_database.sql (which make `sales_share` a datashare schema and `spectrum` an
-- external one). Sources: docs/research/redshift-catalog.md §12.1 and §12.2.
--
-- - svv_redshift_tables: varchar(128) columns, so names are not padded; table_type as the
--   page's sample spells it (`TABLE`; `VIEW` for views, which the page does not show);
--   table_owner a user name. It lists "the tables from datashares" and the rows of every
--   database: a datashare schema's table and another database's table are here and must
--   not be managed; so is, defensively, a table of the external schema.
-- - svv_mv_info: char(128) columns, blank-padded by PostgreSQL as by Redshift; one
--   materialized view of this database, one of another.
-- - svv_relation_privileges: the current database's explicit grants (no database
--   column), to a group, a user (one with admin_option), a role and public; a DROP grant;
--   a RULE row (a legacy privilege grantplan does not manage: ignored); the owner of the
--   materialized view listed like any grantee (never revoked). Its page lists no ALTER or
--   TRUNCATE: those are in pg_class.relacl (letters A and P), with the owner's own item.
INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
    (200300, 'sales', 100, NULL);
INSERT INTO redshift_catalog.svv_redshift_schemas VALUES
    (current_database(), 'sales', 100, 'local', NULL, NULL);
INSERT INTO redshift_catalog.svv_roles (role_id, role_name, role_owner, external_id) VALUES
    (420, 'sales_reader', 'postgres', NULL);

INSERT INTO redshift_catalog.svv_redshift_tables
    (database_name, schema_name, table_name, table_type, table_acl, remarks, table_owner)
VALUES
    (current_database(), 'sales', 'orders', 'TABLE', NULL, NULL, current_user),
    (current_database(), 'sales', 'orders_by_day', 'VIEW', NULL, NULL, 'carol'),
    (current_database(), 'demo_ml', 'churn_training', 'TABLE', NULL, NULL, 'alice'),
    ('analytics_db', 'sales', 'orders_archive', 'TABLE', NULL, NULL, 'carol'),
    (current_database(), 'sales_share', 'shared_orders', 'TABLE', NULL, NULL, 'carol'),
    (current_database(), 'spectrum', 'clicks', 'TABLE', NULL, NULL, current_user);

INSERT INTO redshift_catalog.svv_mv_info VALUES
    (current_database(), 'sales', 'bob', 'orders_mv', 'f', 1, 't', 'f'),
    ('analytics_db', 'sales', 'carol', 'orders_other_mv', 'f', 1, 't', 'f');

INSERT INTO redshift_catalog.svv_relation_privileges
    (namespace_name, relation_name, privilege_type, identity_id, identity_name, identity_type,
     admin_option)
VALUES
    ('sales', 'orders', 'SELECT', 201, 'marketing_analyst_grp', 'group', false),
    ('sales', 'orders', 'SELECT', 420, 'sales_reader', 'role', false),
    ('sales', 'orders', 'INSERT', 101, 'alice', 'user', true),
    ('sales', 'orders', 'DROP', 102, 'bob', 'user', false),
    ('sales', 'orders', 'RULE', 101, 'alice', 'user', false),
    ('sales', 'orders_by_day', 'SELECT', 0, 'public', 'public', false),
    ('sales', 'orders_mv', 'SELECT', 200, 'retention_analyst_grp', 'group', false),
    ('sales', 'orders_mv', 'SELECT', 102, 'bob', 'user', false),
    ('sales_share', 'shared_orders', 'SELECT', 201, 'marketing_analyst_grp', 'group', false);

-- sales.orders' ACL as Redshift's pg_class keeps it: the owner's item, and ALTER to the
-- retention group and TRUNCATE to the sales_reader role, which only the ACL shows.
INSERT INTO redshift_catalog.pg_class (oid, relname, relnamespace, relowner, relkind, relacl)
VALUES
    (300100, 'orders', 200300, 100, 'r',
     ARRAY[current_user || '=arwdRxtDPA/' || current_user,
           'group retention_analyst_grp=A/' || current_user,
           'role sales_reader=rP/' || current_user,
           'group marketing_analyst_grp=r/' || current_user,
           'alice=a*/' || current_user,
           'bob=D/' || current_user]),
    (300101, 'orders_by_day', 200300, 103, 'v', NULL);
