-- The contract's full example (contract.yaml beside this file) on a cluster that has
-- more than the file names: role ml_admin held by dave instead of carol, three sales
-- schemas for the `sales_*` glob (one already granted, one matched by nothing else),
-- a second model for the `demo_ml.*` glob with a blank-padded name, and two overloads
-- of demo_ml.score_customer, one of which PUBLIC may execute.
INSERT INTO redshift_catalog.svv_roles VALUES (300, 'ml_admin', current_user, NULL);
INSERT INTO redshift_catalog.svv_user_grants VALUES (104, 'dave', 300, 'ml_admin', false);
INSERT INTO redshift_catalog.svv_language_privileges VALUES
    ('mlfunc', 'USAGE', 300, 'ml_admin', 'role', false);

INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
    (200001, 'sales_eu', 100, NULL),
    (200002, 'sales_us', 100, NULL),
    (200003, 'marketing', 100, NULL);
INSERT INTO redshift_catalog.svv_schema_privileges VALUES
    ('sales_eu', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA'),
    ('marketing', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA');

INSERT INTO redshift_catalog.svv_ml_model_info VALUES
    (current_database(), 'demo_ml', current_user, 'ltv_model', 'PERSISTED', 0, 'READY');

INSERT INTO redshift_catalog.pg_proc_info VALUES
    (300001, 'score_customer', 200000, 100, 14, '23', 'f'),
    (300002, 'score_customer', 200000, 100, 14, '1043 23', 'f'),
    (300003, 'refresh_scores', 200000, 100, 100003, '', 'p');
INSERT INTO redshift_catalog.svv_function_privileges VALUES
    ('demo_ml', 'score_customer', 'character varying, integer', 'EXECUTE', 0, 'public', 'public', false),
    ('demo_ml', 'ml_fn_customer_churn_auto', 'character varying, integer, character varying, character varying, numeric, integer', 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false);
