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
--   column), to a group, a user (one with admin_option), a role and public; a DROP and an
--   ALTER grant; a RULE row (a legacy privilege grantplan does not manage: ignored); the
--   owner of the materialized view listed like any grantee (never revoked).
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
    ('sales', 'orders', 'ALTER', 200, 'retention_analyst_grp', 'group', false),
    ('sales', 'orders', 'RULE', 101, 'alice', 'user', false),
    ('sales', 'orders_by_day', 'SELECT', 0, 'public', 'public', false),
    ('sales', 'orders_mv', 'SELECT', 200, 'retention_analyst_grp', 'group', false),
    ('sales', 'orders_mv', 'SELECT', 102, 'bob', 'user', false),
    ('sales_share', 'shared_orders', 'SELECT', 201, 'marketing_analyst_grp', 'group', false);
