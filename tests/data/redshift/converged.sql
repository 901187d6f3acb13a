-- After the seed's four statements ran: CREATE MODEL to the group (stored in mlfunc's
-- ACL as a `group` item, the form AWS's own sample reads; svv_language_privileges is
-- left without the row so that the ACL fallback alone must find it), CREATE and USAGE
-- on demo_ml, EXECUTE on the model (one row per model version).
UPDATE redshift_catalog.pg_language
   SET lanacl = '{rdsdb=U/rdsdb,"group retention_analyst_grp=U/rdsdb"}'
 WHERE lanname = 'mlfunc';

INSERT INTO redshift_catalog.svv_schema_privileges VALUES
    ('demo_ml', 'CREATE', 200, 'retention_analyst_grp', 'group', false, 'SCHEMA'),
    ('demo_ml', 'USAGE', 200, 'retention_analyst_grp', 'group', false, 'SCHEMA'),
    ('demo_ml', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA');

INSERT INTO redshift_catalog.svv_ml_model_privileges VALUES
    ('demo_ml', 'customer_churn_auto_model', 1, 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false),
    ('demo_ml', 'customer_churn_auto_model', 2, 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false);
