-- Hands on the converged cluster, outside grants.yaml:
-- - an undeclared group `interns` (member dave) got CREATE MODEL (seen through
--   svv_language_privileges this time), USAGE on demo_ml and EXECUTE on the model;
-- - role ml_admin got CREATE MODEL; sys:dba (built in) holds it too;
-- - PUBLIC got EXECUTE on the model; user dave got USAGE on demo_ml;
-- - CREATE on demo_ml was taken from retention_analyst_grp;
-- - default-privilege rows (scope TABLES) and a grant in a system schema, which
--   grantplan does not manage.
INSERT INTO redshift_catalog.pg_group (groname, grosysid, grolist) VALUES ('interns', 202, '{104}');
INSERT INTO redshift_catalog.svv_roles VALUES (300, 'ml_admin', current_user, NULL);

INSERT INTO redshift_catalog.svv_language_privileges VALUES
    ('mlfunc', 'USAGE', 202, 'interns', 'group', false),
    ('mlfunc', 'USAGE', 300, 'ml_admin', 'role', false),
    ('mlfunc', 'USAGE', 102, 'sys:dba', 'role', false),
    ('plpythonu', 'USAGE', 104, 'dave', 'user', false);

DELETE FROM redshift_catalog.svv_schema_privileges
 WHERE namespace_name = 'demo_ml' AND privilege_type = 'CREATE'
   AND identity_name = 'retention_analyst_grp';

INSERT INTO redshift_catalog.svv_schema_privileges VALUES
    ('demo_ml', 'USAGE', 202, 'interns', 'group', false, 'SCHEMA'),
    ('demo_ml', 'USAGE', 104, 'dave', 'user', false, 'SCHEMA'),
    ('demo_ml', 'SELECT', 202, 'interns', 'group', false, 'TABLES'),
    ('pg_catalog', 'USAGE', 202, 'interns', 'group', false, 'SCHEMA');

INSERT INTO redshift_catalog.svv_ml_model_privileges VALUES
    ('demo_ml', 'customer_churn_auto_model', 1, 'EXECUTE', 202, 'interns', 'group', false),
    ('demo_ml', 'customer_churn_auto_model', 1, 'EXECUTE', 0, 'public', 'public', false);
