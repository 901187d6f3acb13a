//! The PostgreSQL catalog reader: a live server into a [`Snapshot`].
//!
//! Why it reads the way it does:
//! - **A fixed number of queries**, whatever the catalog holds: the five bulk queries in
//!   [`QUERIES`], run once each, inside one transaction. Each query joins and explodes
//!   ACLs server-side and returns all its rows at once; nothing is ever asked per schema,
//!   role or function, so a catalog of ten thousand objects costs the same round trips
//!   as an empty one.
//! - **The simple query protocol** (`simple_query`), with text results: `aclitem` has no
//!   binary output function, so the extended protocol cannot even fetch an ACL; text
//!   results also avoid tokio-postgres's type-introspection queries, and the simple
//!   protocol is what the Redshift reader needs too. Only text columns are decoded
//!   (booleans arrive as `t` / `f`).
//! - **`acldefault` for NULL ACLs**: a NULL `nspacl` / `proacl` does not mean "no
//!   grants" but "the built-in default" (the owner holds everything; on functions PUBLIC
//!   also holds EXECUTE). `aclexplode(coalesce(acl, acldefault(kind, owner)))` makes
//!   those implicit grants explicit, so the planner sees PUBLIC's EXECUTE and can revoke
//!   it like any other grant.
//! - **One REPEATABLE READ, READ ONLY transaction** ([`read`]) with `search_path =
//!   pg_catalog`: all queries see the same state, the reader cannot change anything, and
//!   argument types that are not built in are always schema-qualified (`public.money_t`),
//!   so they render the same whatever the session's search_path. `grantplan apply` reads
//!   with [`read_in_transaction`] instead, inside its own read-write transaction, so the
//!   catalog it plans from is the one it changes (see [`crate::executor`] for why that
//!   transaction is READ COMMITTED and how it stays consistent).
//!
//! Principal kinds are informational on PostgreSQL (a login role is reported as a user,
//! any other as a role); the planner erases them.

use super::wire::{rows, run, Cols};
use super::{Acl, FunctionInfo, Membership, PrincipalInfo, SchemaInfo, ServerInfo, Snapshot};
use crate::model::{Grantee, Principal, PrincipalKind, Privilege, Target};
use std::collections::BTreeMap;
use tokio_postgres::{Client, SimpleQueryRow};

/// Opens the reader's own transaction ([`read`]).
pub const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// The first statement of [`read_in_transaction`]: argument types are then written
/// schema-qualified unless built in, whatever search_path the session had. `LOCAL`: it
/// ends with the transaction, so the session is left as it was.
pub const SEARCH_PATH: &str = "SET LOCAL search_path = pg_catalog";

/// Ends it. The transaction is read-only; COMMIT just releases its snapshot.
pub const COMMIT: &str = "COMMIT";

/// The schemas a read covers (as a `WHERE` condition on `pg_namespace n`): all but the
/// system catalog, the information schema, and the per-session TOAST / temporary ones.
/// A macro so both object queries share it as one literal.
macro_rules! user_schemas {
    () => {
        "n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    };
}

/// Server identity: database, login, version, whether the login is a superuser.
pub const SERVER_QUERY: &str = "SELECT current_database(), current_user, \
     current_setting('server_version'), \
     coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user), false)";

/// Every role: name, may log in, superuser.
pub const ROLES_QUERY: &str = "SELECT r.rolname, r.rolcanlogin, r.rolsuper FROM pg_roles r";

/// Every direct membership: parent role and its login flag, member and its login flag.
pub const MEMBERSHIPS_QUERY: &str = "SELECT DISTINCT p.rolname, p.rolcanlogin, \
     m.rolname, m.rolcanlogin \
     FROM pg_auth_members a \
     JOIN pg_roles p ON p.oid = a.roleid \
     JOIN pg_roles m ON m.oid = a.member";

/// One row per (schema, CREATE/USAGE ACL entry), or one row with NULL privilege for a
/// schema whose ACL holds neither: oid, name, owner, privilege, grantable, grantee oid,
/// grantee name, grantee login flag.
pub const SCHEMAS_QUERY: &str = concat!(
    "SELECT n.oid, n.nspname, pg_get_userbyid(n.nspowner), \
     a.privilege_type, a.is_grantable, a.grantee, g.rolname, g.rolcanlogin \
     FROM pg_namespace n \
     LEFT JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a \
     ON a.privilege_type IN ('CREATE', 'USAGE') \
     LEFT JOIN pg_roles g ON g.oid = a.grantee \
     WHERE ",
    user_schemas!()
);

/// One row per (plain function, EXECUTE ACL entry), or one with NULL privilege: oid,
/// schema, name, identity argument types, owner, privilege, grantable, grantee oid,
/// grantee name, grantee login flag. Aggregates, window functions and procedures are
/// left out, and so are functions that belong to an extension (not the user's to
/// manage; the extension's scripts reset their grants).
pub const FUNCTIONS_QUERY: &str = concat!(
    "SELECT p.oid, n.nspname, p.proname, oidvectortypes(p.proargtypes), \
     pg_get_userbyid(p.proowner), \
     a.privilege_type, a.is_grantable, a.grantee, g.rolname, g.rolcanlogin \
     FROM pg_proc p \
     JOIN pg_namespace n ON n.oid = p.pronamespace \
     LEFT JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a \
     ON a.privilege_type = 'EXECUTE' \
     LEFT JOIN pg_roles g ON g.oid = a.grantee \
     WHERE p.prokind = 'f' \
     AND ",
    user_schemas!(),
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d \
     WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
);

/// Every query a read runs, in order, each exactly once (after [`SEARCH_PATH`]; in
/// [`read`], between [`BEGIN`] and [`COMMIT`]).
pub const QUERIES: [&str; 5] = [
    SERVER_QUERY,
    ROLES_QUERY,
    MEMBERSHIPS_QUERY,
    SCHEMAS_QUERY,
    FUNCTIONS_QUERY,
];

pub use super::wire::ReadError;
pub use crate::db::describe_error;

/// Reads principals, memberships, schemas and functions with their grants.
///
/// Runs [`BEGIN`], [`SEARCH_PATH`], each of [`QUERIES`] once, then [`COMMIT`]: the
/// number of statements does not depend on the catalog's size. Must be called outside a
/// transaction; on error the reader's transaction is rolled back. The result is
/// normalized.
pub async fn read(client: &Client) -> Result<Snapshot, ReadError> {
    run(client, Target::Postgres, "begin", BEGIN).await?;
    match read_in_transaction(client).await {
        Ok(snap) => {
            run(client, Target::Postgres, "commit", COMMIT).await?;
            Ok(snap)
        }
        Err(e) => {
            // Leave the session usable; the original error is the one worth reporting.
            let _ = client.simple_query("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Reads the catalog inside the caller's open transaction: [`SEARCH_PATH`], then each of
/// [`QUERIES`] once. It neither begins nor ends a transaction, and leaves search_path at
/// `pg_catalog` until the caller's transaction ends. What the queries see depends on the
/// caller's isolation level: under REPEATABLE READ one snapshot, under READ COMMITTED
/// each query its own. On error the caller's transaction is aborted and is the caller's
/// to roll back.
pub async fn read_in_transaction(client: &Client) -> Result<Snapshot, ReadError> {
    run(client, Target::Postgres, "search_path", SEARCH_PATH).await?;
    let mut snap = Snapshot::empty(Target::Postgres);
    snap.server = read_server(&rows(client, Target::Postgres, "server", SERVER_QUERY).await?)?;

    for r in rows(client, Target::Postgres, "roles", ROLES_QUERY).await? {
        let c = Cols::new(&r, Target::Postgres, "roles");
        let login = c.flag(1)?;
        snap.principals.push(PrincipalInfo {
            kind: kind_of(login),
            name: c.text(0)?.to_string(),
            login,
            superuser: c.flag(2)?,
        });
    }

    for r in rows(client, Target::Postgres, "memberships", MEMBERSHIPS_QUERY).await? {
        let c = Cols::new(&r, Target::Postgres, "memberships");
        snap.memberships.push(Membership {
            parent: Principal::new(kind_of(c.flag(1)?), c.text(0)?),
            member: Principal::new(kind_of(c.flag(3)?), c.text(2)?),
        });
    }

    // Rows are grouped by object oid: one object, many ACL rows.
    let mut schemas: BTreeMap<&str, SchemaInfo> = BTreeMap::new();
    let schema_rows = rows(client, Target::Postgres, "schemas", SCHEMAS_QUERY).await?;
    for r in &schema_rows {
        let c = Cols::new(r, Target::Postgres, "schemas");
        let entry = match schemas.entry(c.text(0)?) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(SchemaInfo {
                name: c.text(1)?.to_string(),
                owner: c.text(2)?.to_string(),
                grants: Vec::new(),
            }),
        };
        if let Some(acl) = acl(&c, 3)? {
            entry.grants.push(acl);
        }
    }
    snap.schemas = schemas.into_values().collect();

    let mut functions: BTreeMap<&str, FunctionInfo> = BTreeMap::new();
    let function_rows = rows(client, Target::Postgres, "functions", FUNCTIONS_QUERY).await?;
    for r in &function_rows {
        let c = Cols::new(r, Target::Postgres, "functions");
        let entry = match functions.entry(c.text(0)?) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(FunctionInfo {
                schema: c.text(1)?.to_string(),
                name: c.text(2)?.to_string(),
                args: c.text(3)?.to_string(),
                owner: c.text(4)?.to_string(),
                grants: Vec::new(),
            }),
        };
        if let Some(acl) = acl(&c, 5)? {
            entry.grants.push(acl);
        }
    }
    snap.functions = functions.into_values().collect();

    snap.normalize();
    Ok(snap)
}

fn read_server(rows: &[SimpleQueryRow]) -> Result<ServerInfo, ReadError> {
    let [r] = rows else {
        return Err(ReadError::Unexpected {
            target: Target::Postgres,
            what: "server",
            detail: format!("expected one row, got {}", rows.len()),
        });
    };
    let c = Cols::new(r, Target::Postgres, "server");
    Ok(ServerInfo {
        database: c.text(0)?.to_string(),
        login: c.text(1)?.to_string(),
        version: c.text(2)?.to_string(),
        login_superuser: c.flag(3)?,
    })
}

/// A login role reads as a user, any other as a role (informational on PostgreSQL).
fn kind_of(login: bool) -> PrincipalKind {
    if login {
        PrincipalKind::User
    } else {
        PrincipalKind::Role
    }
}

/// The ACL entry in columns `i..i+5` (privilege, grantable, grantee oid, grantee
/// name, grantee login), or `None` when the object has no managed entry (NULL
/// privilege from the LEFT JOIN).
fn acl(c: &Cols, i: usize) -> Result<Option<Acl>, ReadError> {
    let Some(privilege) = c.opt(i)? else {
        return Ok(None);
    };
    let privilege = match privilege {
        "CREATE" => Privilege::Create,
        "USAGE" => Privilege::Usage,
        "EXECUTE" => Privilege::Execute,
        other => return Err(c.unexpected(format!("unexpected privilege `{other}`"))),
    };
    let grant_option = c.flag(i + 1)?;
    let grantee = if c.text(i + 2)? == "0" {
        Grantee::Public
    } else {
        let name = c.opt(i + 3)?.ok_or_else(|| {
            c.unexpected(format!(
                "ACL grantee oid {} is not a role",
                c.text(i + 2).unwrap_or("?")
            ))
        })?;
        Grantee::Principal(Principal::new(kind_of(c.flag(i + 4)?), name))
    };
    Ok(Some(Acl {
        grantee,
        privilege,
        grant_option,
    }))
}

/// The login's own powers, for `grantplan doctor` (one query).
pub const SETUP_QUERY: &str = "SELECT r.rolname, r.rolsuper, r.rolcreaterole FROM pg_roles r \
     WHERE r.rolname = current_user";

/// Reads the login's powers. PostgreSQL has no IAM roles.
pub async fn read_setup(client: &Client) -> Result<super::Setup, ReadError> {
    let rows = rows(client, Target::Postgres, "login", SETUP_QUERY).await?;
    let [row] = rows.as_slice() else {
        return Err(ReadError::Unexpected {
            target: Target::Postgres,
            what: "login",
            detail: format!("expected one row for the current user, got {}", rows.len()),
        });
    };
    let c = Cols::new(row, Target::Postgres, "login");
    let superuser = c.flag(1)?;
    Ok(super::Setup {
        login: c.text(0)?.to_string(),
        superuser,
        create_role: superuser || c.flag(2)?,
        ..super::Setup::default()
    })
}
