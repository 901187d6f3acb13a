ALTER GROUP retention_analyst_grp ADD USER alice;
ALTER GROUP retention_analyst_grp ADD USER bob;
GRANT ROLE ml_admin TO carol;
GRANT CREATE MODEL TO GROUP retention_analyst_grp;
GRANT CREATE MODEL TO ROLE ml_admin;
GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;
GRANT USAGE ON SCHEMA demo_ml TO GROUP marketing_analyst_grp;
GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;
