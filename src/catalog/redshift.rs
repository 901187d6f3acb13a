//! The Redshift catalog reader: a live cluster into a [`Snapshot`].
//!
//! Why it reads the way it does (sources: `redshift-reference.md` §4 and the research
//! notes it cites):
//! - **Documented views first.** Grants come from the `svv_*_privileges` views, which
//!   present users, groups, roles and PUBLIC uniformly (`identity_type`). Groups and
//!   their members come from `pg_group`/`pg_user`, roles from `svv_roles`,
//!   `svv_user_grants` and `svv_role_grants` (`role_name` holds `granted_role_name`).
//! - **CREATE MODEL from three places.** It is stored as USAGE on the pseudo-language
//!   `mlfunc`. `svv_language_privileges` is the documented view, but AWS's own sample
//!   (`aws-samples/redshift-roles`) reads *group* grants from `pg_language.lanacl` items
//!   `group NAME=U/grantor`; and `GRANT CREATE MODEL TO ROLE r` is word for word also
//!   the RBAC system permission's grammar (r_GRANT), which `svv_system_privileges` lists.
//!   The reader takes the union of the three, so a grant is seen whichever shows it. The ACL is read with `array_to_string(lanacl, ',')`, as AWS's
//!   sample does (an `aclitem` cannot be fetched, and casting arrays to text is not
//!   something Redshift's 8.0-era parser is documented to do).
//! - **Schemas** are `pg_namespace` rows, less the system ones, the external ones (those
//!   with a `pg_external_schema` row) and those `svv_redshift_schemas` calls `shared` in
//!   this database: those two kinds are kept apart ([`NonLocalSchema`]), never managed.
//! - **Models** are the rows of `svv_ml_model_info` whose `database_name` is the current
//!   database (its names are `char(128)`, blank-padded: trailing blanks are trimmed).
//!   Only a superuser sees every row there; `svv_ml_model_privileges` covers the whole
//!   cluster with no database column, so for a superuser a grant on a model the first
//!   view does not list is another database's and is left out, while for anyone else it
//!   is kept as a model with an unknown owner (and the planner refuses to plan models
//!   from such a login at all: [`Snapshot::sees_every`]). Grants are per model;
//!   `model_version` rows are merged. Tables (`svv_redshift_tables`, `svv_mv_info`) and
//!   the database (`svv_redshift_databases`) are listed the same way.
//! - **Functions and procedures** are listed from `pg_proc_info` (`prokind` `f` or `p`), with
//!   `oidvectortypes(proargtypes)` as the argument list, the same text
//!   `svv_function_privileges.argument_types` holds (AWS's sample joins the two on it).
//!   Model prediction functions (language `mlfunc`) are left out: their privileges cannot
//!   be granted directly; EXECUTE ON MODEL governs them.
//! - **Visibility.** The `svv_*` views show every row only to superusers and to holders of
//!   ACCESS SYSTEM TABLE; anyone else sees the identities it owns or can access. A plan
//!   from such a partial view would revoke grants the login cannot see, so the reader
//!   refuses ([`check_visibility`]) before reading any grant.
//! - **A fixed number of queries**: [`QUERIES`], each once, in one read-only transaction,
//!   over the simple query protocol, returning only text, integer and boolean columns.
//!
//! Nothing here was run against a live Redshift cluster: the queries use the documented
//! view and column names, and the tests run them over the wire against PostgreSQL
//! relations recreating those views (`tests/data/redshift/catalog.sql`).

use super::acl::parse_acl;
use super::wire::{in_own_transaction, no_progress, rows, Cols, Progress, ReadError};
use super::{
    Acl, DefaultInfo, IamRoleInfo, Membership, NonLocalKind, NonLocalSchema, ObjectInfo,
    PrincipalInfo, Snapshot,
};
use crate::ident::quote;
use crate::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target};
use std::collections::{BTreeMap, BTreeSet};
use tokio_postgres::Client;

const T: Target = Target::Redshift;

/// Opens the reader's transaction.
pub const BEGIN: &str = "BEGIN READ ONLY";
/// Ends it; the transaction is read-only, COMMIT just releases it.
pub const COMMIT: &str = "COMMIT";

/// The schemas a read covers, as a condition on `pg_namespace n`: all but the system ones
/// (every `pg_*` schema, such as pg_catalog, pg_internal, pg_toast, pg_automv, pg_temp_N,
/// and information_schema, catalog_history). `left()` avoids LIKE's escape rules.
macro_rules! user_schemas {
    () => {
        "left(n.nspname, 3) <> 'pg_' AND n.nspname NOT IN ('information_schema', 'catalog_history')"
    };
}

/// Database, login, version() and whether the login is a superuser.
pub const SERVER_QUERY: &str = "SELECT current_database(), current_user, version(), \
     coalesce((SELECT u.usesuper FROM pg_user u WHERE u.usename = current_user), false)";

/// Users who hold roles (user, role).
pub const USER_GRANTS_QUERY: &str = "SELECT user_name, role_name FROM svv_user_grants";

/// Roles granted to roles: `role_name` holds `granted_role_name`.
pub const ROLE_GRANTS_QUERY: &str = "SELECT role_name, granted_role_name FROM svv_role_grants";

/// Every system permission and who holds it (identity_type `user` or `role`,
/// r_SVV_SYSTEM_PRIVILEGES): ACCESS SYSTEM TABLE decides what the login sees, CREATE
/// MODEL counts as the ML right, and every one is a role's `system:`.
pub const SYSTEM_PRIVILEGES_QUERY: &str = "SELECT system_privilege, identity_type, \
     identity_name FROM svv_system_privileges";

/// Every user: name, superuser.
pub const USERS_QUERY: &str = "SELECT usename, usesuper FROM pg_user";

/// Every group with each member (NULL member for an empty group).
pub const GROUPS_QUERY: &str = "SELECT g.groname, u.usename FROM pg_group g \
     LEFT JOIN pg_user u ON u.usesysid = ANY(g.grolist)";

/// Every role.
pub const ROLES_QUERY: &str = "SELECT role_name FROM svv_roles";

/// Every user schema with its owner, and whether it is an external schema (it has a
/// `pg_external_schema` row: r_PG_EXTERNAL_SCHEMA joins the two on `esoid`).
pub const SCHEMAS_QUERY: &str = concat!(
    "SELECT n.nspname, u.usename, e.esoid IS NOT NULL FROM pg_namespace n \
     LEFT JOIN pg_user u ON u.usesysid = n.nspowner \
     LEFT JOIN pg_external_schema e ON e.esoid = n.oid WHERE ",
    user_schemas!()
);

/// Datashare schemas (with their database: the reader keeps the current one's).
pub const SHARED_SCHEMAS_QUERY: &str = "SELECT database_name, schema_name \
     FROM svv_redshift_schemas WHERE schema_type = 'shared'";

/// CREATE and USAGE on schemas (scope SCHEMA: not default privileges for tables or
/// functions in it).
pub const SCHEMA_PRIVILEGES_QUERY: &str = "SELECT namespace_name, privilege_type, \
     identity_type, identity_name, admin_option FROM svv_schema_privileges \
     WHERE privilege_scope = 'SCHEMA' AND privilege_type IN ('CREATE', 'USAGE')";

/// Every model with its owner and database (blank-padded `char(128)` columns; the reader
/// keeps the current database's).
pub const MODELS_QUERY: &str =
    "SELECT schema_name, model_name, user_name, database_name FROM svv_ml_model_info";

/// EXECUTE on models.
pub const MODEL_PRIVILEGES_QUERY: &str = "SELECT namespace_name, model_name, \
     identity_type, identity_name, admin_option FROM svv_ml_model_privileges \
     WHERE privilege_type = 'EXECUTE'";

/// CREATE MODEL, as USAGE on the language `mlfunc`.
pub const CREATE_MODEL_QUERY: &str = "SELECT identity_type, identity_name, admin_option \
     FROM svv_language_privileges WHERE language_name = 'mlfunc' AND privilege_type = 'USAGE'";

/// The `mlfunc` language ACL, for group grants of CREATE MODEL.
pub const LANGUAGE_ACL_QUERY: &str =
    "SELECT array_to_string(lanacl, ',') FROM pg_language WHERE lanname = 'mlfunc'";

/// Every user-defined function and stored procedure (r_PG_PROC_INFO `prokind`: `f` a
/// function, `p` a procedure), not model prediction functions; `prokind` last.
pub const FUNCTIONS_QUERY: &str = concat!(
    "SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), u.usename, p.prokind \
     FROM pg_proc_info p \
     JOIN pg_namespace n ON n.oid = p.pronamespace \
     JOIN pg_language l ON l.oid = p.prolang \
     LEFT JOIN pg_user u ON u.usesysid = p.proowner \
     WHERE p.prokind IN ('f', 'p') AND l.lanname <> 'mlfunc' AND ",
    user_schemas!()
);

/// EXECUTE on functions.
pub const FUNCTION_PRIVILEGES_QUERY: &str = "SELECT namespace_name, function_name, \
     argument_types, identity_type, identity_name, admin_option \
     FROM svv_function_privileges WHERE privilege_type = 'EXECUTE'";

/// Every table and view of the current database with its owner (varchar columns;
/// r_SVV_REDSHIFT_TABLES, which also lists datashare tables, set apart by schema below).
pub const TABLES_QUERY: &str = "SELECT schema_name, table_name, table_owner \
     FROM svv_redshift_tables WHERE database_name = current_database()";

/// Every materialized view with its owner and database (blank-padded `char(128)`
/// columns, r_SVV_MV_INFO): SVV_REDSHIFT_TABLES documents only tables and views.
pub const MATERIALIZED_VIEWS_QUERY: &str =
    "SELECT schema_name, name, user_name, database_name FROM svv_mv_info";

/// The privileges on tables and views (r_SVV_RELATION_PRIVILEGES: the current database's
/// relations only, no database column).
pub const TABLE_PRIVILEGES_QUERY: &str = "SELECT namespace_name, relation_name, \
     privilege_type, identity_type, identity_name, admin_option \
     FROM svv_relation_privileges";

/// The ACLs of tables and views, for the two table privileges r_SVV_RELATION_PRIVILEGES
/// does not list (its privilege_type is "INSERT, SELECT, UPDATE, DELETE, REFERENCES, or
/// DROP") but r_GRANT grants: ALTER and TRUNCATE, letters `A` and `P` (r_PG_DEFAULT_ACL:
/// "D: DROP, P: TRUNCATE, A: ALTER"). Without them a file's `alter:` or `truncate:` would
/// be granted again by every plan. Items as text, group items `group name=...`.
pub const TABLE_ACLS_QUERY: &str = concat!(
    "SELECT n.nspname, c.relname, array_to_string(c.relacl, ',') FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'v') AND c.relacl IS NOT NULL AND ",
    user_schemas!()
);

/// The database connected to and its owner (r_SVV_REDSHIFT_DATABASES: `database_owner`
/// is a user id; `database_type` local or shared).
pub const DATABASE_QUERY: &str = "SELECT d.database_name, u.usename \
     FROM svv_redshift_databases d LEFT JOIN pg_user u ON u.usesysid = d.database_owner \
     WHERE d.database_name = current_database() AND d.database_type = 'local'";

/// CREATE and TEMP on the database connected to (r_SVV_DATABASE_PRIVILEGES, scope
/// DATABASE: not the default privileges it also lists).
pub const DATABASE_PRIVILEGES_QUERY: &str = "SELECT privilege_type, identity_type, \
     identity_name, admin_option FROM svv_database_privileges \
     WHERE database_name = current_database() AND privilege_scope = 'DATABASE'";

/// Default privileges, one row per privilege of an entry (r_SVV_DEFAULT_PRIVILEGES):
/// `schema_name` (NULL for an entry without IN SCHEMA: not documented on the page, implied
/// by AWS's sample that filters `schema_name IS NOT NULL`), `object_type` (RELATION,
/// FUNCTION or PROCEDURE), `owner_name` (the user whose new objects they are),
/// `privilege_type`, `grantee_type` (user, role or public on the page; group too, as
/// `grantee_id` may be a group's), `grantee_name` (in the page's sample output, not its
/// column table), `admin_option`. All `text` (and a boolean): nothing to trim.
pub const DEFAULTS_QUERY: &str = "SELECT schema_name, object_type, owner_name, \
     privilege_type, grantee_type, grantee_name, admin_option \
     FROM svv_default_privileges";

/// The users with a global default on new functions, and its items
/// (r_PG_DEFAULT_ACL: `defacluser`, `defaclnamespace` 0 "if no schema is specified",
/// `defaclobjtype` f, `defaclacl` with PUBLIC's item written `=X/grantor`). Whether such
/// an entry exists decides whether PUBLIC still holds its built-in EXECUTE: where
/// svv_default_privileges lists no row for an entry (does it list the owner's own
/// privileges? Not documented), the entry's existence here says the built-in no longer
/// applies, so a `keep_public: false` REVOKE is not planned again forever. Superusers
/// see every row ("regular users can see only their own data").
pub const DEFAULT_ACLS_QUERY: &str = "SELECT u.usename, array_to_string(d.defaclacl, ',') \
     FROM pg_default_acl d JOIN pg_user u ON u.usesysid = d.defacluser \
     WHERE d.defaclnamespace = 0 AND d.defaclobjtype = 'f'";

/// Every query a read runs, in order, each exactly once (between [`BEGIN`] and
/// [`COMMIT`]); a read refused for visibility stops after the first four.
pub const QUERIES: [&str; 25] = [
    SERVER_QUERY,
    USER_GRANTS_QUERY,
    ROLE_GRANTS_QUERY,
    SYSTEM_PRIVILEGES_QUERY,
    USERS_QUERY,
    GROUPS_QUERY,
    ROLES_QUERY,
    SCHEMAS_QUERY,
    SHARED_SCHEMAS_QUERY,
    SCHEMA_PRIVILEGES_QUERY,
    MODELS_QUERY,
    MODEL_PRIVILEGES_QUERY,
    CREATE_MODEL_QUERY,
    LANGUAGE_ACL_QUERY,
    FUNCTIONS_QUERY,
    FUNCTION_PRIVILEGES_QUERY,
    TABLES_QUERY,
    MATERIALIZED_VIEWS_QUERY,
    TABLE_PRIVILEGES_QUERY,
    TABLE_ACLS_QUERY,
    DATABASE_QUERY,
    DATABASE_PRIVILEGES_QUERY,
    DEFAULTS_QUERY,
    DEFAULT_ACLS_QUERY,
    ASSUME_ROLE_QUERY,
];

/// The login and the cluster's default IAM role, for `grantplan doctor`.
/// `default_iam_role()` is a leader-node function (redshift-reference.md §6).
pub const SETUP_QUERY: &str = "SELECT current_user, \
     coalesce((SELECT u.usesuper FROM pg_user u WHERE u.usename = current_user), false), \
     default_iam_role()";

/// Who may use which IAM role for which command (`GRANT ASSUMEROLE`).
pub const ASSUME_ROLE_QUERY: &str = "SELECT iam_arn, command_type, identity_type, identity_name \
     FROM svv_iam_privileges";

/// Reads the login's powers, whether it sees every grant, the default IAM role and the
/// ASSUMEROLE grants (five queries). Only superusers create groups and roles and grant
/// CREATE MODEL on Redshift.
pub async fn read_setup(client: &Client) -> Result<super::Setup, ReadError> {
    let rows_ = rows(client, T, "login", SETUP_QUERY, &no_progress).await?;
    let [row] = rows_.as_slice() else {
        return Err(ReadError::Unexpected {
            target: T,
            what: "login",
            detail: format!("expected one row, got {}", rows_.len()),
        });
    };
    let c = Cols::new(row, T, "login");
    let superuser = c.flag(1)?;
    let mut setup = super::Setup {
        login: c.text(0)?.to_string(),
        superuser,
        create_role: superuser,
        default_iam_role: c
            .opt(2)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        assume_role: Vec::new(),
        sees_all_grants: false,
    };
    setup.sees_all_grants = read_access(client, &setup.login, superuser, &no_progress)
        .await?
        .is_ok();
    for r in rows(
        client,
        T,
        "ASSUMEROLE grants",
        ASSUME_ROLE_QUERY,
        &no_progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "ASSUMEROLE grants");
        setup.assume_role.push(super::AssumeRole {
            iam_arn: c.text(0)?.to_string(),
            command: c.text(1)?.to_string(),
            grantee: identity(&c, 2)?,
        });
    }
    Ok(setup)
}

/// Built-in roles whose holders may read every system table and catalog view
/// (`r_roles-default`: sys:monitor, sys:operator; sys:dba inherits sys:operator;
/// sys:superuser holds every system permission).
pub const SYSTEM_TABLE_ROLES: [&str; 4] =
    ["sys:monitor", "sys:operator", "sys:dba", "sys:superuser"];

/// Reads principals, memberships, schemas, models, functions, their grants, CREATE
/// MODEL and default privileges in a transaction of its own ([`BEGIN`], [`QUERIES`], [`COMMIT`]). Must be called
/// outside a transaction; on error the transaction is rolled back.
pub async fn read(client: &Client) -> Result<Snapshot, ReadError> {
    read_with(client, &no_progress).await
}

/// [`read`], reporting each query and its rows so far to `progress`.
pub async fn read_with(
    client: &Client,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Snapshot, ReadError> {
    in_own_transaction(
        client,
        T,
        BEGIN,
        COMMIT,
        read_in_transaction_with(client, progress),
    )
    .await
}

/// Reads the catalog inside the caller's open transaction: each of [`QUERIES`] once
/// (the first four only when the visibility check refuses). It neither begins nor ends a
/// transaction; on error the caller's transaction is aborted and is the caller's to roll
/// back. AWS documents that Redshift's system catalog tables are not locked in a
/// transaction and that DDL changes to them are visible to concurrent transactions once
/// committed ("Isolation levels in Amazon Redshift"), so each query may see a later
/// state than the one before it. Reports each query and its rows so far to `progress`.
pub async fn read_in_transaction_with(
    client: &Client,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Snapshot, ReadError> {
    let mut snap = Snapshot::empty(T);

    let server = rows(client, T, "server", SERVER_QUERY, progress).await?;
    let [row] = server.as_slice() else {
        return Err(ReadError::Unexpected {
            target: T,
            what: "server",
            detail: format!("expected one row, got {}", server.len()),
        });
    };
    let c = Cols::new(row, T, "server");
    snap.server.database = c.text(0)?.to_string();
    snap.server.login = c.text(1)?.to_string();
    snap.server.version = c.text(2)?.to_string();
    snap.server.login_superuser = c.flag(3)?;

    let Access {
        user_roles,
        role_roles,
        create_model,
        system,
    } = read_access(
        client,
        &snap.server.login,
        snap.server.login_superuser,
        progress,
    )
    .await?
    .map_err(ReadError::PartialVisibility)?;
    snap.create_model = create_model;
    snap.system_permissions = system;

    // Principals and memberships.
    for r in rows(client, T, "users", USERS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "users");
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::User,
            name: c.text(0)?.to_string(),
            login: true,
            superuser: c.flag(1)?,
        });
    }
    for r in rows(client, T, "groups", GROUPS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "groups");
        let group = c.text(0)?;
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Group,
            name: group.to_string(),
            login: false,
            superuser: false,
        });
        if let Some(user) = c.opt(1)? {
            snap.memberships.push(Membership {
                parent: Principal::new(PrincipalKind::Group, group),
                member: Principal::new(PrincipalKind::User, user),
            });
        }
    }
    for r in rows(client, T, "roles", ROLES_QUERY, progress).await? {
        let c = Cols::new(&r, T, "roles");
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Role,
            name: c.text(0)?.to_string(),
            login: false,
            superuser: false,
        });
    }
    for (user, role) in user_roles {
        snap.memberships.push(Membership {
            parent: Principal::new(PrincipalKind::Role, role),
            member: Principal::new(PrincipalKind::User, user),
        });
    }
    for (holder, granted) in role_roles {
        snap.memberships.push(Membership {
            parent: Principal::new(PrincipalKind::Role, granted),
            member: Principal::new(PrincipalKind::Role, holder),
        });
    }

    // Schemas and their grants; external and datashare schemas are set apart.
    let mut schemas: BTreeMap<String, ObjectInfo> = BTreeMap::new();
    let mut non_local: BTreeMap<String, NonLocalKind> = BTreeMap::new();
    for r in rows(client, T, "schemas", SCHEMAS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "schemas");
        let name = c.text(0)?.to_string();
        if c.flag(2)? {
            non_local.insert(name, NonLocalKind::External);
            continue;
        }
        let owner = c.opt(1)?.ok_or_else(|| {
            c.unexpected(format!(
                "schema `{name}` has an owner that pg_user does not list"
            ))
        })?;
        let object = Securable::Schema { name: name.clone() };
        schemas.insert(name, ObjectInfo::new(object, owner, Vec::new()));
    }
    for r in rows(client, T, "shared schemas", SHARED_SCHEMAS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "shared schemas");
        // svv_redshift_schemas lists the schemas of every database (varchar: no padding,
        // trimmed anyway).
        if unpad(c.text(0)?) != snap.server.database {
            continue;
        }
        let name = unpad(c.text(1)?);
        schemas.remove(&name);
        non_local.entry(name).or_insert(NonLocalKind::Datashare);
    }
    for r in rows(
        client,
        T,
        "schema privileges",
        SCHEMA_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "schema privileges");
        let privilege = match c.text(1)? {
            "CREATE" => Privilege::Create,
            "USAGE" => Privilege::Usage,
            other => return Err(c.unexpected(format!("unexpected privilege `{other}`"))),
        };
        let acl = Acl {
            grantee: identity(&c, 2)?,
            privilege,
            grant_option: c.flag(4)?,
        };
        // A grant on a schema the listing left out (a system schema) is not managed.
        if let Some(s) = schemas.get_mut(c.text(0)?) {
            s.grants.push(acl);
        }
    }
    snap.objects.extend(schemas.into_values());
    snap.non_local_schemas = non_local
        .into_iter()
        .map(|(name, kind)| NonLocalSchema { name, kind })
        .collect();

    // Models and their grants.
    let mut models: BTreeMap<(String, String), ObjectInfo> = BTreeMap::new();
    for r in rows(client, T, "models", MODELS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "models");
        // "The database of the model" (r_SVV_ML_MODEL_INFO): another database's model
        // is not this one's, whatever its schema and name.
        if unpad(c.text(3)?) != snap.server.database {
            continue;
        }
        let (schema, name) = (unpad(c.text(0)?), unpad(c.text(1)?));
        let object = Securable::Model {
            schema: schema.clone(),
            name: name.clone(),
        };
        let model = ObjectInfo::new(object, unpad(c.text(2)?), Vec::new());
        models.insert((schema, name), model);
    }
    for r in rows(
        client,
        T,
        "model privileges",
        MODEL_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "model privileges");
        let (schema, name) = (unpad(c.text(0)?), unpad(c.text(1)?));
        let acl = Acl {
            grantee: identity(&c, 2)?,
            privilege: Privilege::Execute,
            grant_option: c.flag(4)?,
        };
        let key = (schema, name);
        if let Some(m) = models.get_mut(&key) {
            m.grants.push(acl);
        } else if !snap.server.login_superuser {
            // A non-superuser sees only its own models in svv_ml_model_info but every
            // grant here: a model of this database it does not own, or one of another
            // database (the view covers the cluster and has no database column). Its
            // owner is not known (empty), which the planner refuses to revoke on.
            models
                .entry(key.clone())
                .or_insert_with(|| {
                    let object = Securable::Model {
                        schema: key.0,
                        name: key.1,
                    };
                    ObjectInfo::new(object, String::new(), Vec::new())
                })
                .grants
                .push(acl);
        }
        // A superuser's svv_ml_model_info lists every model of this database: a grant on
        // a model it does not list is on another database's model.
    }
    snap.objects.extend(models.into_values());

    // CREATE MODEL: the view, then the language ACL.
    for r in rows(client, T, "create model", CREATE_MODEL_QUERY, progress).await? {
        let c = Cols::new(&r, T, "create model");
        snap.create_model.push(identity(&c, 0)?);
    }
    for r in rows(
        client,
        T,
        "mlfunc language ACL",
        LANGUAGE_ACL_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "mlfunc language ACL");
        let Some(text) = c.opt(0)? else { continue };
        let items = parse_acl(text).map_err(|e| c.unexpected(e.to_string()))?;
        snap.create_model.extend(
            items
                .into_iter()
                .filter(|i| i.holds('U'))
                .map(|i| i.grantee),
        );
    }

    // Functions and their grants.
    let mut functions: BTreeMap<(String, String, String), ObjectInfo> = BTreeMap::new();
    for r in rows(client, T, "functions", FUNCTIONS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "functions");
        let key = (
            c.text(0)?.to_string(),
            c.text(1)?.to_string(),
            c.text(2)?.to_string(),
        );
        if snap.is_non_local(&key.0) {
            continue; // a datashare's function: not this database's to grant on
        }
        let (schema, name, args) = (key.0.clone(), key.1.clone(), Some(key.2.clone()));
        // svv_function_privileges lists procedures' grants too, with nothing that tells
        // them apart (§12.3 of docs/research/redshift-catalog.md): the listing says which
        // is which, and the grants below are matched to it.
        let object = match c.text(4)? {
            "p" => Securable::Procedure { schema, name, args },
            _ => Securable::Function { schema, name, args },
        };
        let owner = c.opt(3)?.unwrap_or_default();
        functions.insert(key, ObjectInfo::new(object, owner, Vec::new()));
    }
    for r in rows(
        client,
        T,
        "function privileges",
        FUNCTION_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "function privileges");
        let key = (
            c.text(0)?.to_string(),
            c.text(1)?.to_string(),
            c.text(2)?.to_string(),
        );
        // Grants on functions the listing leaves out (model prediction functions,
        // system schemas) are not managed.
        if let Some(f) = functions.get_mut(&key) {
            f.grants.push(Acl {
                grantee: identity(&c, 3)?,
                privilege: Privilege::Execute,
                grant_option: c.flag(5)?,
            });
        }
    }
    snap.objects.extend(functions.into_values());

    // Tables, views and materialized views, and their grants.
    let mut tables: BTreeMap<(String, String), ObjectInfo> = BTreeMap::new();
    for r in rows(client, T, "tables", TABLES_QUERY, progress).await? {
        let c = Cols::new(&r, T, "tables");
        // varchar columns: no blank padding to take off.
        let (schema, name) = (c.text(0)?.to_string(), c.text(1)?.to_string());
        if snap.is_non_local(&schema) {
            continue; // a datashare's table: not this database's to grant on
        }
        let object = Securable::Table {
            schema: schema.clone(),
            name: name.clone(),
        };
        let owner = c.opt(2)?.unwrap_or_default();
        tables.insert((schema, name), ObjectInfo::new(object, owner, Vec::new()));
    }
    for r in rows(
        client,
        T,
        "materialized views",
        MATERIALIZED_VIEWS_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "materialized views");
        if unpad(c.text(3)?) != snap.server.database {
            continue;
        }
        let (schema, name) = (unpad(c.text(0)?), unpad(c.text(1)?));
        if snap.is_non_local(&schema) {
            continue;
        }
        let owner = unpad(c.text(2)?);
        tables
            .entry((schema, name))
            .or_insert_with_key(|(schema, name)| {
                let object = Securable::Table {
                    schema: schema.clone(),
                    name: name.clone(),
                };
                ObjectInfo::new(object, owner, Vec::new())
            });
    }
    for r in rows(
        client,
        T,
        "table privileges",
        TABLE_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "table privileges");
        // r_SVV_RELATION_PRIVILEGES documents INSERT, SELECT, UPDATE, DELETE, REFERENCES
        // and DROP; ALTER and TRUNCATE are r_GRANT's. Anything else (a legacy RULE or
        // TRIGGER) is not a privilege grantplan manages on Redshift, and is left alone.
        let Some(privilege) = privilege_named(c.text(2)?, ObjectKind::Table) else {
            continue;
        };
        let key = (c.text(0)?.to_string(), c.text(1)?.to_string());
        // A grant on a relation the listing left out (a system or datashare schema's, or
        // one a non-superuser cannot list) is not managed.
        if let Some(t) = tables.get_mut(&key) {
            t.grants.push(Acl {
                grantee: identity(&c, 3)?,
                privilege,
                grant_option: c.flag(5)?,
            });
        }
    }
    for r in rows(client, T, "table ACLs", TABLE_ACLS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "table ACLs");
        let key = (c.text(0)?.to_string(), c.text(1)?.to_string());
        let Some(t) = tables.get_mut(&key) else {
            continue;
        };
        let Some(text) = c.opt(2)? else { continue };
        let items = parse_acl(text).map_err(|e| c.unexpected(e.to_string()))?;
        for item in items {
            for (letter, grant_option) in item.privileges {
                let privilege = match letter {
                    'A' => Privilege::Alter,
                    'P' => Privilege::Truncate,
                    _ => continue,
                };
                t.grants.push(Acl {
                    grantee: item.grantee.clone(),
                    privilege,
                    grant_option,
                });
            }
        }
    }
    snap.objects.extend(tables.into_values());

    // The database connected to, and CREATE and TEMP on it.
    let mut database: Option<ObjectInfo> = None;
    for r in rows(client, T, "database", DATABASE_QUERY, progress).await? {
        let c = Cols::new(&r, T, "database");
        let object = Securable::Database {
            name: c.text(0)?.to_string(),
        };
        database = Some(ObjectInfo::new(
            object,
            c.opt(1)?.unwrap_or_default(),
            Vec::new(),
        ));
    }
    for r in rows(
        client,
        T,
        "database privileges",
        DATABASE_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "database privileges");
        // r_SVV_DATABASE_PRIVILEGES: USAGE, CREATE, TEMPORARY, TEMP, ALTER; the page's
        // sample shows PUBLIC's default as TEMP. USAGE and ALTER are not managed.
        let Some(privilege) = privilege_named(c.text(0)?, ObjectKind::Database) else {
            continue;
        };
        if let Some(d) = database.as_mut() {
            d.grants.push(Acl {
                grantee: identity(&c, 1)?,
                privilege,
                grant_option: c.flag(3)?,
            });
        }
    }
    snap.objects.extend(database);

    // Default privileges: one row per privilege, gathered into one entry per (owner,
    // schema, kind). An entry exists as soon as a row names it, even when none of its
    // privileges is one grantplan manages there.
    let mut defaults: BTreeMap<(String, Option<String>, ObjectKind), Vec<Acl>> = BTreeMap::new();
    for r in rows(client, T, "default privileges", DEFAULTS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "default privileges");
        // r_SVV_DEFAULT_PRIVILEGES: "Possible values are RELATION, FUNCTION, or
        // PROCEDURE". Anything else is not a kind grantplan keeps defaults for.
        let of = match c.text(1)? {
            "RELATION" => ObjectKind::Table,
            "FUNCTION" => ObjectKind::Function,
            "PROCEDURE" => ObjectKind::Procedure,
            _ => continue,
        };
        let key = (c.text(2)?.to_string(), c.opt(0)?.map(str::to_string), of);
        let grants = defaults.entry(key).or_default();
        // The page lists INSERT, SELECT, UPDATE, DELETE, RULE, REFERENCES, TRIGGER, DROP
        // and EXECUTE; RULE and TRIGGER are not managed on Redshift.
        if let Some(privilege) = privilege_named(c.text(3)?, of) {
            grants.push(Acl {
                grantee: identity(&c, 4)?,
                privilege,
                grant_option: c.flag(6)?,
            });
        }
    }
    // Global defaults on new functions as pg_default_acl keeps them: the entry exists
    // (PUBLIC's built-in no longer applies), and PUBLIC's EXECUTE if its item has `X`.
    for r in rows(
        client,
        T,
        "default privilege ACLs",
        DEFAULT_ACLS_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "default privilege ACLs");
        let key = (c.text(0)?.to_string(), None, ObjectKind::Function);
        let grants = defaults.entry(key).or_default();
        let Some(text) = c.opt(1)? else { continue };
        let items = parse_acl(text).map_err(|e| c.unexpected(e.to_string()))?;
        for item in items.into_iter().filter(|i| i.grantee == Grantee::Public) {
            for (letter, grant_option) in item.privileges {
                if letter == 'X' {
                    grants.push(Acl {
                        grantee: Grantee::Public,
                        privilege: Privilege::Execute,
                        grant_option,
                    });
                }
            }
        }
    }
    // Who may use which IAM role for what (r_SVV_IAM_PRIVILEGES).
    let mut iam: BTreeMap<Option<String>, Vec<Acl>> = BTreeMap::new();
    for r in rows(client, T, "ASSUMEROLE grants", ASSUME_ROLE_QUERY, progress).await? {
        let c = Cols::new(&r, T, "ASSUMEROLE grants");
        let Some(arn) = iam_role(c.text(0)?) else {
            continue;
        };
        let grantee = identity(&c, 2)?;
        let grants = iam.entry(arn).or_default();
        for &privilege in purposes(c.text(1)?) {
            grants.push(Acl {
                grantee: grantee.clone(),
                privilege,
                grant_option: false,
            });
        }
    }
    snap.iam_roles = iam
        .into_iter()
        .map(|(arn, grants)| IamRoleInfo { arn, grants })
        .collect();

    snap.default_privileges = defaults
        .into_iter()
        .map(|((role, schema, of), grants)| DefaultInfo {
            role,
            schema,
            of,
            grants,
        })
        .collect();

    snap.normalize();
    Ok(snap)
}

/// What the login's roles and system permissions are, read by [`read_access`].
struct Access {
    /// `(user, role)`: users who hold roles.
    user_roles: Vec<(String, String)>,
    /// `(holder, granted)`: roles granted to roles.
    role_roles: Vec<(String, String)>,
    /// Roles (and users) holding CREATE MODEL as a system permission.
    create_model: Vec<Grantee>,
    /// Every other system permission grantplan knows ([`Privilege::SYSTEM`]) and its
    /// holder.
    system: Vec<Acl>,
}

/// Reads role grants and system permissions (three queries: [`USER_GRANTS_QUERY`],
/// [`ROLE_GRANTS_QUERY`], [`SYSTEM_PRIVILEGES_QUERY`]) and checks that `login` sees every
/// grant ([`check_visibility`]); the inner `Err` is the refusal.
async fn read_access(
    client: &Client,
    login: &str,
    superuser: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Result<Access, PartialVisibility>, ReadError> {
    let mut access = Access {
        user_roles: Vec::new(),
        role_roles: Vec::new(),
        create_model: Vec::new(),
        system: Vec::new(),
    };
    for r in rows(client, T, "user grants", USER_GRANTS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "user grants");
        access
            .user_roles
            .push((c.text(0)?.to_string(), c.text(1)?.to_string()));
    }
    for r in rows(client, T, "role grants", ROLE_GRANTS_QUERY, progress).await? {
        let c = Cols::new(&r, T, "role grants");
        access
            .role_roles
            .push((c.text(0)?.to_string(), c.text(1)?.to_string()));
    }
    let mut holders = Vec::new();
    for r in rows(
        client,
        T,
        "system privileges",
        SYSTEM_PRIVILEGES_QUERY,
        progress,
    )
    .await?
    {
        let c = Cols::new(&r, T, "system privileges");
        let permission = c.text(0)?;
        if permission == "CREATE MODEL" {
            // `GRANT CREATE MODEL TO ROLE r` is also the RBAC system permission's
            // grammar (r_GRANT): wherever the cluster records it, it counts.
            access.create_model.push(identity(&c, 1)?);
            continue;
        }
        if permission == "ACCESS SYSTEM TABLE" {
            holders.push((c.text(1)?.to_string(), c.text(2)?.to_string()));
        }
        // No page lists the stored strings (research §13.6, fact 27): the grammar's
        // words are taken, any spacing and case; others are not managed.
        let words: Vec<String> = permission
            .split_whitespace()
            .map(str::to_ascii_uppercase)
            .collect();
        let phrase = words.join(" ");
        if let Some(&privilege) = Privilege::SYSTEM.iter().find(|p| p.sql() == phrase) {
            access.system.push(Acl {
                grantee: identity(&c, 1)?,
                privilege,
                grant_option: false,
            });
        }
    }
    Ok(check_visibility(
        login,
        superuser,
        &access.user_roles,
        &access.role_roles,
        &holders,
    )
    .map(|()| access))
}

/// The grantee in columns `i` (identity_type) and `i + 1` (identity_name).
fn identity(c: &Cols, i: usize) -> Result<Grantee, ReadError> {
    let name = || c.text(i + 1).map(str::to_string);
    Ok(match c.text(i)? {
        "user" => Grantee::principal(PrincipalKind::User, name()?),
        "group" => Grantee::principal(PrincipalKind::Group, name()?),
        "role" => Grantee::principal(PrincipalKind::Role, name()?),
        "public" => Grantee::Public,
        other => {
            return Err(c.unexpected(format!(
                "identity_type `{other}` is none of user, group, role, public"
            )))
        }
    })
}

/// The IAM role an `svv_iam_privileges.iam_arn` names: `Some(None)` for the cluster's
/// default role (the page's sample writes it `default-aws-iam-role`), `Some(arn)` for an
/// ARN, `None` for anything else (a grant `ON ALL`, not managed).
fn iam_role(text: &str) -> Option<Option<String>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("default-aws-iam-role") || text.eq_ignore_ascii_case("default") {
        Some(None)
    } else if text.starts_with("arn:") {
        Some(Some(text.to_string()))
    } else {
        None
    }
}

/// The purposes an `svv_iam_privileges.command_type` names: the page lists COPY, UNLOAD,
/// CREATE MODEL and EXTERNAL FUNCTION, and its sample shows `EXFUNC`; `ALL` (as `FOR
/// ALL` might be kept) is every purpose. Anything else: none.
fn purposes(text: &str) -> &'static [Privilege] {
    match text.trim().to_ascii_uppercase().as_str() {
        "CREATE MODEL" => &[Privilege::CreateModel],
        "COPY" => &[Privilege::Copy],
        "UNLOAD" => &[Privilege::Unload],
        "EXTERNAL FUNCTION" | "EXFUNC" => &[Privilege::ExternalFunction],
        "ALL" => &Privilege::PURPOSES,
        _ => &[],
    }
}

/// The privilege an `svv_*_privileges` view's `privilege_type` names, when `kind` takes
/// it on Redshift (TEMPORARY is TEMP's other spelling); `None` for one grantplan does not
/// manage there.
fn privilege_named(text: &str, kind: ObjectKind) -> Option<Privilege> {
    let text = if text == "TEMPORARY" { "TEMP" } else { text };
    Privilege::ALL
        .into_iter()
        .find(|p| p.sql() == text)
        .filter(|&p| kind.allows_on(p, T))
}

/// A `char(n)` value without its blank padding.
fn unpad(s: &str) -> String {
    s.trim_end_matches(' ').to_string()
}

/// The refusal of a login that sees only part of the catalog ([`check_visibility`]): the
/// login is what the message is made of (named in it, and quoted in the GRANT that fixes
/// it), so it is what is kept; `grantplan doctor` shows the message as the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the login `{login}` is not a superuser and does not hold the ACCESS SYSTEM TABLE \
     permission, so Redshift shows it only the grants of identities it owns or can \
     access; a plan from that partial catalog would revoke grants it cannot see, so \
     nothing was read or planned. Connect as a superuser: a grants.yaml with models: \
     needs one, since Redshift shows every model only to superusers. For a grants.yaml \
     without models:, a login holding ACCESS SYSTEM TABLE also sees enough: have a \
     superuser run CREATE ROLE grantplan_reader; GRANT ACCESS SYSTEM TABLE TO ROLE \
     grantplan_reader; GRANT ROLE grantplan_reader TO {}; (holding sys:monitor, \
     sys:operator or sys:dba also works)",
    quote(.login)
)]
pub struct PartialVisibility {
    pub login: String,
}

/// Refuses a login that sees only part of the catalog.
///
/// It sees everything when it is a superuser, holds ACCESS SYSTEM TABLE itself, or holds
/// (directly or through roles granted to roles) a role that holds it or one of the
/// built-in [`SYSTEM_TABLE_ROLES`]. `user_roles` are `(user, role)` pairs,
/// `role_roles` `(holder, granted)` pairs, `holders` `(identity_type, name)` of ACCESS
/// SYSTEM TABLE.
pub fn check_visibility(
    login: &str,
    superuser: bool,
    user_roles: &[(String, String)],
    role_roles: &[(String, String)],
    holders: &[(String, String)],
) -> Result<(), PartialVisibility> {
    if superuser
        || holders
            .iter()
            .any(|(kind, name)| kind == "user" && name == login)
    {
        return Ok(());
    }
    let mut held: BTreeSet<&str> = user_roles
        .iter()
        .filter(|(user, _)| user == login)
        .map(|(_, role)| role.as_str())
        .collect();
    loop {
        let more: Vec<&str> = role_roles
            .iter()
            .filter(|(holder, granted)| {
                held.contains(holder.as_str()) && !held.contains(granted.as_str())
            })
            .map(|(_, granted)| granted.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        held.extend(more);
    }
    let via_role = held.iter().any(|r| {
        SYSTEM_TABLE_ROLES.contains(r)
            || holders
                .iter()
                .any(|(kind, name)| kind == "role" && name == r)
    });
    if via_role {
        return Ok(());
    }
    Err(PartialVisibility {
        login: login.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn superusers_and_direct_holders_see_everything() {
        assert!(check_visibility("admin", true, &[], &[], &[]).is_ok());
        let holders = pairs(&[("user", "auditor")]);
        assert!(check_visibility("auditor", false, &[], &[], &holders).is_ok());
        // The same name as a role is not the user.
        let holders = pairs(&[("role", "auditor")]);
        assert!(check_visibility("auditor", false, &[], &[], &holders).is_err());
    }

    #[test]
    fn the_permission_may_come_through_nested_roles() {
        let user_roles = pairs(&[("ci", "deployer"), ("other", "readers")]);
        // deployer holds ops, ops holds readers; readers holds the permission.
        let role_roles = pairs(&[("deployer", "ops"), ("ops", "readers")]);
        let holders = pairs(&[("role", "readers")]);
        assert!(check_visibility("ci", false, &user_roles, &role_roles, &holders).is_ok());
        // Without the middle edge the chain is broken.
        let broken = pairs(&[("deployer", "ops")]);
        assert!(check_visibility("ci", false, &user_roles, &broken, &holders).is_err());
    }

    #[test]
    fn built_in_monitoring_roles_count() {
        for role in SYSTEM_TABLE_ROLES {
            let user_roles = pairs(&[("ci", role)]);
            assert!(
                check_visibility("ci", false, &user_roles, &[], &[]).is_ok(),
                "{role}"
            );
        }
        let user_roles = pairs(&[("ci", "sys:secadmin")]);
        assert!(check_visibility("ci", false, &user_roles, &[], &[]).is_err());
    }

    #[test]
    fn the_refusal_names_the_permission_and_the_fix_with_the_login_quoted() {
        let e = check_visibility("Data Team", false, &[], &[], &[]).unwrap_err();
        assert_eq!(e.login, "Data Team");
        let e = e.to_string();
        assert!(e.contains("ACCESS SYSTEM TABLE"), "{e}");
        assert!(
            e.contains("GRANT ROLE grantplan_reader TO \"Data Team\";"),
            "{e}"
        );
        assert!(e.contains("would revoke grants it cannot see"), "{e}");
        assert!(
            e.contains("a grants.yaml with models: needs one, since Redshift shows every model only to superusers"),
            "{e}"
        );
    }

    #[test]
    fn role_cycles_terminate() {
        let user_roles = pairs(&[("ci", "a")]);
        let role_roles = pairs(&[("a", "b"), ("b", "a")]);
        assert!(check_visibility("ci", false, &user_roles, &role_roles, &[]).is_err());
    }

    #[test]
    fn padding_is_trimmed_only_at_the_end() {
        assert_eq!(unpad("demo_ml     "), "demo_ml");
        assert_eq!(unpad(" x y  "), " x y");
    }
}
