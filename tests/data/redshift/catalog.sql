-- A Redshift catalog, recreated in PostgreSQL for tests.
--
-- Redshift cannot run here. These relations carry the names, columns and types the
-- Amazon Redshift Database Developer Guide documents for the views grantplan's Redshift
-- reader queries (see ../../../../shared/docs/redshift-reference.md §4 and the `r_SVV_*`
-- pages), in a schema that the test database puts BEFORE pg_catalog on its search_path:
--
--     ALTER DATABASE <db> SET search_path = redshift_catalog, pg_catalog;
--
-- so an unqualified `pg_user` or `version()` resolves here, exactly as the reader's SQL
-- is written for Redshift. The reader runs over the wire against them, unchanged.
--
-- Where PostgreSQL 15 cannot reproduce Redshift's type, the nearest one is used and
-- said so:
-- - pg_user.valuntil is `abstime` on Redshift (PostgreSQL 8.0); abstime no longer exists.
-- - pg_language.lanacl is `aclitem[]` on Redshift, whose items may read
--   `group NAME=U/grantor`; PostgreSQL's aclitem cannot hold a group entry, so the
--   fixture stores the items' text in a text[] (the reader only ever reads
--   array_to_string(lanacl, ',')).
-- - pg_namespace.nspowner / pg_proc_info.proowner are Redshift user ids (int4 usesysid).
-- Rows are filled by each test's scenario file.

CREATE SCHEMA redshift_catalog;

-- version(): the leader-node function, as r_VERSION documents its text.
CREATE FUNCTION redshift_catalog.version() RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT 'PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467'::text $$;

-- PostgreSQL 8.0 catalog views as Redshift keeps them.
CREATE TABLE redshift_catalog.pg_user (
    usename name NOT NULL,
    usesysid integer NOT NULL,
    usecreatedb boolean NOT NULL DEFAULT false,
    usesuper boolean NOT NULL DEFAULT false,
    usecatupd boolean NOT NULL DEFAULT false,
    passwd text DEFAULT '********',
    valuntil timestamp,
    useconfig text[]
);

CREATE TABLE redshift_catalog.pg_group (
    groname name NOT NULL,
    grosysid integer NOT NULL,
    grolist integer[]
);

CREATE TABLE redshift_catalog.pg_namespace (
    oid oid NOT NULL,
    nspname name NOT NULL,
    nspowner integer NOT NULL,
    nspacl text[]
);

CREATE TABLE redshift_catalog.pg_language (
    oid oid NOT NULL,
    lanname name NOT NULL,
    lanispl boolean NOT NULL DEFAULT false,
    lanpltrusted boolean NOT NULL DEFAULT false,
    lanacl text[]
);

-- r_PG_PROC_INFO: pg_proc's columns (those the reader uses) plus prooid and prokind.
CREATE TABLE redshift_catalog.pg_proc_info (
    prooid oid NOT NULL,
    proname name NOT NULL,
    pronamespace oid NOT NULL,
    proowner integer NOT NULL,
    prolang oid NOT NULL,
    proargtypes oidvector NOT NULL,
    prokind "char" NOT NULL
);

-- The SVV views (r_SVV_ROLES, r_SVV_USER_GRANTS, r_SVV_ROLE_GRANTS,
-- r_SVV_SYSTEM_PRIVILEGES, r_SVV_SCHEMA_PRIVILEGES, r_SVV_ML_MODEL_INFO,
-- r_SVV_ML_MODEL_PRIVILEGES, r_SVV_LANGUAGE_PRIVILEGES, r_SVV_FUNCTION_PRIVILEGES).
CREATE TABLE redshift_catalog.svv_roles (
    role_id integer,
    role_name text,
    role_owner text,
    external_id text
);

CREATE TABLE redshift_catalog.svv_user_grants (
    user_id integer,
    user_name text,
    role_id integer,
    role_name text,
    admin_option boolean
);

CREATE TABLE redshift_catalog.svv_role_grants (
    role_id integer,
    role_name text,
    granted_role_id integer,
    granted_role_name text
);

CREATE TABLE redshift_catalog.svv_system_privileges (
    system_privilege text,
    identity_id integer,
    identity_name text,
    identity_type text
);

CREATE TABLE redshift_catalog.svv_schema_privileges (
    namespace_name text,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean,
    privilege_scope text
);

CREATE TABLE redshift_catalog.svv_ml_model_info (
    database_name char(128),
    schema_name char(128),
    user_name char(128),
    model_name char(128),
    life_cycle char(20),
    is_refreshable integer,
    model_state char(128)
);

CREATE TABLE redshift_catalog.svv_ml_model_privileges (
    namespace_name text,
    model_name text,
    model_version integer,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean
);

CREATE TABLE redshift_catalog.svv_language_privileges (
    language_name text,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean
);

CREATE TABLE redshift_catalog.svv_function_privileges (
    namespace_name text,
    function_name text,
    argument_types text,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean
);

-- r_PG_EXTERNAL_SCHEMA: one row per external schema; `esoid` is the schema's pg_namespace
-- oid (the page's own example joins `pg_namespace a, pg_external_schema b where
-- a.oid=b.esoid`). Columns and types as the page lists them.
CREATE TABLE redshift_catalog.pg_external_schema (
    esoid oid,
    eskind integer,
    esdbname text,
    esoptions text
);

-- r_SVV_REDSHIFT_SCHEMAS: the schemas of every database a user has access to, those of
-- datashares included. schema_type: "Possible values are shared and local schemas"; the
-- page's sample row reads `tickit_db | public | 1 | shared`.
CREATE TABLE redshift_catalog.svv_redshift_schemas (
    database_name varchar(128),
    schema_name varchar(128),
    schema_owner integer,
    schema_type varchar(16),
    schema_acl varchar(128),
    schema_option varchar(128)
);

-- r_SVV_IAM_PRIVILEGES: who may use which IAM role for which command (GRANT ASSUMEROLE).
CREATE TABLE redshift_catalog.svv_iam_privileges (
    iam_arn text,
    command_type text,
    identity_id integer,
    identity_name text,
    identity_type text
);

-- default_iam_role(): the cluster's default IAM role; none until a scenario sets one
-- (by replacing this function).
CREATE FUNCTION redshift_catalog.default_iam_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT NULL::text $$;

-- Every login may read the catalog (Redshift filters rows by visibility; the fixture's
-- scenarios model that with what they insert).
GRANT USAGE ON SCHEMA redshift_catalog TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA redshift_catalog TO PUBLIC;

-- What every cluster has: rdsdb (AWS's superuser), the system schemas, the languages
-- (mlfunc's default ACL is rdsdb=U/rdsdb, per AWS's RSQL documentation).
INSERT INTO redshift_catalog.pg_user (usename, usesysid, usesuper, usecreatedb, usecatupd)
VALUES ('rdsdb', 1, true, true, true);

INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
    (11, 'pg_catalog', 1, '{rdsdb=UC/rdsdb,=U/rdsdb}'),
    (99, 'pg_toast', 1, NULL),
    (100, 'pg_internal', 1, NULL),
    (101, 'catalog_history', 1, NULL),
    (102, 'pg_automv', 1, NULL),
    (103, 'pg_temp_1', 1, NULL),
    (11000, 'information_schema', 1, '{rdsdb=UC/rdsdb,=U/rdsdb}');

INSERT INTO redshift_catalog.pg_language (oid, lanname, lanispl, lanpltrusted, lanacl) VALUES
    (12, 'internal', false, false, NULL),
    (13, 'c', false, false, NULL),
    (14, 'sql', false, true, '{=U/rdsdb}'),
    (100003, 'plpythonu', true, false, '{rdsdb=U/rdsdb}'),
    (100005, 'mlfunc', true, false, '{rdsdb=U/rdsdb}');

INSERT INTO redshift_catalog.svv_roles (role_id, role_name, role_owner, external_id) VALUES
    (100, 'sys:monitor', NULL, NULL),
    (101, 'sys:operator', NULL, NULL),
    (102, 'sys:dba', NULL, NULL),
    (103, 'sys:superuser', NULL, NULL),
    (104, 'sys:secadmin', NULL, NULL);

INSERT INTO redshift_catalog.svv_role_grants (role_id, role_name, granted_role_id, granted_role_name)
VALUES (102, 'sys:dba', 101, 'sys:operator');

-- ---------------------------------------------------------------------------------------
-- Issue 19: tables/views, procedures, the database and default privileges.
-- Sources and caveats: docs/research/redshift-catalog.md §12. Types as each page lists
-- them; where PostgreSQL 15 cannot hold Redshift's type, the nearest one is used and the
-- comment says so.

-- r_SVV_RELATION_PRIVILEGES: relation (tables and views) permissions explicitly granted to
-- users, roles and groups in the current database (no database column). privilege_type:
-- "INSERT, SELECT, UPDATE, DELETE, REFERENCES, or DROP"; identity_type: user, role, group,
-- public.
CREATE TABLE redshift_catalog.svv_relation_privileges (
    namespace_name text,
    relation_name text,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean
);

-- r_SVV_DATABASE_PRIVILEGES: database permissions in the whole cluster (filter on
-- database_name). privilege_type for privilege_scope DATABASE: USAGE, CREATE, TEMPORARY,
-- TEMP, ALTER; privilege_scope: DATABASE, SCHEMAS, TABLES, FUNCTIONS, LANGUAGES. The page's
-- sample shows PUBLIC's default as `test_db | TEMP | public | public | False`.
CREATE TABLE redshift_catalog.svv_database_privileges (
    database_name text,
    privilege_type text,
    identity_id integer,
    identity_name text,
    identity_type text,
    admin_option boolean,
    privilege_scope text
);

-- r_SVV_DEFAULT_PRIVILEGES: object_type RELATION | FUNCTION | PROCEDURE; owner_type user;
-- grantee_type user | role | public. The page's column table omits grantee_name, but its
-- sample output has it between grantee_id and grantee_type (and AWS's redshift-roles
-- sample selects it); its type is not documented, so text, like owner_name.
CREATE TABLE redshift_catalog.svv_default_privileges (
    schema_name text,
    object_type text,
    owner_id integer,
    owner_name text,
    owner_type text,
    privilege_type text,
    grantee_id integer,
    grantee_name text,
    grantee_type text,
    admin_option boolean
);

-- r_PG_DEFAULT_ACL: defaclnamespace is 0 when no schema was given; defaclobjtype is
-- r (relation), f (function) or p (stored procedure). Types:
-- - defaclobjtype is documented as `character`: character(1) here.
-- - defaclacl is `aclitem[]` on Redshift, whose items may read
--   `"group NAME=privs/grantor"` and use Redshift's letters (D = DROP, P = TRUNCATE,
--   A = ALTER, R = RULE). PostgreSQL's aclitem can hold neither, so the items' text is
--   stored in a text[], as for pg_language.lanacl above.
CREATE TABLE redshift_catalog.pg_default_acl (
    defacluser integer,
    defaclnamespace oid,
    defaclobjtype character(1),
    defaclacl text[]
);

-- r_SVV_REDSHIFT_TABLES: tables and views a user has access to, datashare tables included
-- (filter on database_name). table_type: "Possible values are views and tables" (the
-- sample row reads `TABLE`). table_owner: "The owner of the table."
CREATE TABLE redshift_catalog.svv_redshift_tables (
    database_name varchar(128),
    schema_name varchar(128),
    table_name varchar(128),
    table_type varchar(128),
    table_acl varchar(128),
    remarks varchar(128),
    table_owner varchar(128)
);

-- r_SVV_MV_INFO: one row per materialized view; user_name is its owner. Column table from
-- the ja_jp copy of the page (the awsdocs sample header confirms the names, `name`
-- included). char(n) as documented, so names are blank-padded: btrim them.
CREATE TABLE redshift_catalog.svv_mv_info (
    database_name char(128),
    schema_name char(128),
    user_name char(128),
    name char(128),
    is_stale char(1),
    state integer,
    autorewrite char(1),
    autorefresh char(1)
);

-- r_SVV_REDSHIFT_DATABASES: "all the databases that a user has access to", the cluster's
-- and those created from datashares. database_owner: "The database owner user ID";
-- database_type: "Possible types are local or shared databases" (the sample row reads
-- `dev | 1 | local | NULL | Serializable`); database_acl is "for internal use only".
CREATE TABLE redshift_catalog.svv_redshift_databases (
    database_name varchar(128),
    database_owner integer,
    database_type varchar(32),
    database_acl varchar(128),
    database_options varchar(128),
    database_isolation_level varchar(128)
);

-- PG_CLASS: Redshift keeps PostgreSQL 8.0's catalog table (r_PG_CLASS_INFO: "PG_CLASS_INFO
-- shows the following columns in addition to the columns in PG_CLASS"); its columns as
-- the PostgreSQL 8.0 documentation lists them (catalog-pg-class), the oid system column
-- written out as for pg_namespace above. relacl is `aclitem[]`, whose items may read
-- `group NAME=.../grantor` and use Redshift's letters (r_PG_DEFAULT_ACL: "D: DROP,
-- P: TRUNCATE, A: ALTER", R: RULE): stored as text[], as lanacl is. The reader takes
-- ALTER and TRUNCATE from it, which svv_relation_privileges does not list.
CREATE TABLE redshift_catalog.pg_class (
    oid oid NOT NULL,
    relname name NOT NULL,
    relnamespace oid NOT NULL,
    reltype oid NOT NULL DEFAULT 0,
    relowner integer NOT NULL,
    relam oid NOT NULL DEFAULT 0,
    relfilenode oid NOT NULL DEFAULT 0,
    reltablespace oid NOT NULL DEFAULT 0,
    relpages integer NOT NULL DEFAULT 0,
    reltuples real NOT NULL DEFAULT 0,
    reltoastrelid oid NOT NULL DEFAULT 0,
    reltoastidxid oid NOT NULL DEFAULT 0,
    relhasindex boolean NOT NULL DEFAULT false,
    relisshared boolean NOT NULL DEFAULT false,
    relkind "char" NOT NULL,
    relnatts smallint NOT NULL DEFAULT 0,
    relchecks smallint NOT NULL DEFAULT 0,
    reltriggers smallint NOT NULL DEFAULT 0,
    relukeys smallint NOT NULL DEFAULT 0,
    relfkeys smallint NOT NULL DEFAULT 0,
    relrefs smallint NOT NULL DEFAULT 0,
    relhasoids boolean NOT NULL DEFAULT false,
    relhaspkey boolean NOT NULL DEFAULT false,
    relhasrules boolean NOT NULL DEFAULT false,
    relhassubclass boolean NOT NULL DEFAULT false,
    relacl text[]
);

-- The new relations are readable by every login too (the GRANT above only covered the
-- relations that existed when it ran).
GRANT SELECT ON ALL TABLES IN SCHEMA redshift_catalog TO PUBLIC;
