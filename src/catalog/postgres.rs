//! The PostgreSQL catalog reader: a live server into a [`Snapshot`].
//!
//! Why it reads the way it does:
//! - **A fixed number of queries**, whatever the catalog holds: the bulk queries in
//!   [`QUERIES`], run once each, inside one transaction. Nothing is ever asked per schema,
//!   role or function, so a catalog of ten thousand objects costs the same round trips
//!   as an empty one.
//! - **One row per object, its ACL as text**, parsed here ([`super::acl`]). Exploding
//!   ACLs server-side (`aclexplode` joined to `pg_roles`) sends one row per privilege
//!   held, each repeating the object's schema, name, arguments and owner: many times the
//!   rows, and more server CPU, than the ACL as text (`aclitemout` names each grantee
//!   itself; figures in docs/benchmarks.md). The grantee's login flag, which the join
//!   gave, comes from the roles query instead.
//! - **Rows are decoded as they arrive** ([`super::wire::each_row`]), never all held at
//!   once, and progress is reported to the caller's callback ([`read_with`]).
//! - **The simple query protocol**, with text results: `aclitem` has no binary output
//!   function, so the extended protocol cannot even fetch an ACL; text results also avoid
//!   tokio-postgres's type-introspection queries, and the simple protocol is what the
//!   Redshift reader needs too. Only text columns are decoded (booleans arrive as `t` /
//!   `f`).
//! - **`acldefault` for NULL ACLs**: a NULL `nspacl` / `proacl` does not mean "no
//!   grants" but "the built-in default" (the owner holds everything; on functions PUBLIC
//!   also holds EXECUTE). `coalesce(acl, acldefault(kind, owner))` makes those implicit
//!   grants explicit, so the planner sees PUBLIC's EXECUTE and can revoke
//!   it like any other grant.
//! - **One REPEATABLE READ, READ ONLY transaction** ([`read`]) with `search_path =
//!   pg_catalog`: all queries see the same state, the reader cannot change anything, and
//!   argument types that are not built in are always schema-qualified (`public.money_t`),
//!   so they render the same whatever the session's search_path. `grantplan apply` reads
//!   with [`read_in_transaction_with`] instead, inside its own read-write transaction, so the
//!   catalog it plans from is the one it changes (see [`crate::executor`] for why that
//!   transaction is READ COMMITTED and how it stays consistent).
//!
//! Principal kinds are informational on PostgreSQL (a login role is reported as a user,
//! any other as a role); the planner erases them.

use super::acl::{for_each_entry, AclError};
use super::wire::{each_row, in_own_transaction, no_progress, rows, run, Cols, Progress};
use super::{Acl, DefaultInfo, Membership, ObjectInfo, PrincipalInfo, ServerInfo, Snapshot};
use crate::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Target};
use std::collections::HashMap;

/// Whether each role may log in, by name.
type Logins<'a> = HashMap<&'a str, bool, foldhash::fast::RandomState>;
use tokio_postgres::{Client, SimpleQueryRow};

/// Opens the reader's own transaction ([`read`]).
pub const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// The first statement of [`read_in_transaction_with`]: argument types are then written
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

/// One row per schema. Every object query returns the same columns, read by
/// `object_row`: the schema (or the one-part name), the name within it, the identity
/// argument types, the owner, the ACL as text (items joined by `,`; see [`super::acl`]),
/// the built-in default when the ACL is NULL; NULL where the kind has no such part.
pub const SCHEMAS_QUERY: &str = concat!(
    "SELECT n.nspname, NULL, NULL, pg_get_userbyid(n.nspowner), \
     array_to_string(coalesce(n.nspacl, acldefault('n', n.nspowner)), ',') \
     FROM pg_namespace n \
     WHERE ",
    user_schemas!()
);

/// One row per plain function and procedure, as in [`SCHEMAS_QUERY`] (the default ACL
/// gives PUBLIC EXECUTE on both), then `prokind` (`f` or `p`). Aggregates and window functions are left out, and so are
/// functions that belong to an extension (not the user's to manage; the extension's
/// scripts reset their grants).
pub const FUNCTIONS_QUERY: &str = concat!(
    "SELECT n.nspname, p.proname, oidvectortypes(p.proargtypes), \
     pg_get_userbyid(p.proowner), \
     array_to_string(coalesce(p.proacl, acldefault('f', p.proowner)), ','), p.prokind \
     FROM pg_proc p \
     JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE p.prokind IN ('f', 'p') \
     AND ",
    user_schemas!(),
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d \
     WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
);

/// One row per table, partitioned table, view, materialized view, foreign table and
/// sequence, as in [`SCHEMAS_QUERY`] (the built-in default gives the owner everything and
/// PUBLIC nothing), then `relkind` (`S` for a sequence). Relations that belong to an
/// extension are left out, as for functions.
pub const RELATIONS_QUERY: &str = concat!(
    "SELECT n.nspname, c.relname, NULL, pg_get_userbyid(c.relowner), \
     array_to_string(coalesce(c.relacl, \
     acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)), ','), \
     c.relkind \
     FROM pg_class c \
     JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') \
     AND ",
    user_schemas!(),
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d \
     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
);

/// The database connected to, as in [`SCHEMAS_QUERY`] (the built-in default gives the
/// owner everything and PUBLIC TEMP and CONNECT).
pub const DATABASE_QUERY: &str = "SELECT d.datname, NULL, NULL, pg_get_userbyid(d.datdba), \
     array_to_string(coalesce(d.datacl, acldefault('d', d.datdba)), ',') \
     FROM pg_database d WHERE d.datname = current_database()";

/// Default privileges (`pg_default_acl`), one row per entry: the role whose new objects
/// they are (unquoted: `pg_get_userbyid`, not `::regrole`), the schema (NULL for a
/// global entry, whose `defaclnamespace` is 0), `defaclobjtype` (`r` tables, `S`
/// sequences, `f` functions and procedures: PostgreSQL keeps one entry for both), the ACL
/// as text. Types (`T`) and schemas (`n`) are not managed and not read. The ACL is never
/// NULL (a global entry starts from `acldefault` and includes the role's own privileges;
/// docs/research/postgres-default-privileges.md).
pub const DEFAULTS_QUERY: &str = "SELECT pg_get_userbyid(d.defaclrole), n.nspname, \
     d.defaclobjtype, array_to_string(d.defaclacl, ',') \
     FROM pg_default_acl d \
     LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace \
     WHERE d.defaclobjtype IN ('r', 'S', 'f')";

/// Every query a read runs, in order, each exactly once (after [`SEARCH_PATH`]; in
/// [`read`], between [`BEGIN`] and [`COMMIT`]).
pub const QUERIES: [&str; 8] = [
    SERVER_QUERY,
    ROLES_QUERY,
    MEMBERSHIPS_QUERY,
    SCHEMAS_QUERY,
    FUNCTIONS_QUERY,
    RELATIONS_QUERY,
    DATABASE_QUERY,
    DEFAULTS_QUERY,
];

pub use super::wire::ReadError;
pub use crate::db::describe_error;

/// Reads principals, memberships, schemas, functions, procedures, tables, sequences and
/// the database with their grants, and the default privileges of tables, sequences and
/// functions.
///
/// Runs [`BEGIN`], [`SEARCH_PATH`], each of [`QUERIES`] once, then [`COMMIT`]: the
/// number of statements does not depend on the catalog's size. Must be called outside a
/// transaction; on error the reader's transaction is rolled back. The result is
/// normalized.
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
        Target::Postgres,
        BEGIN,
        COMMIT,
        read_in_transaction_with(client, progress),
    )
    .await
}

/// Reads the catalog inside the caller's open transaction: [`SEARCH_PATH`], then each of
/// [`QUERIES`] once. It neither begins nor ends a transaction, and leaves search_path at
/// `pg_catalog` until the caller's transaction ends. What the queries see depends on the
/// caller's isolation level: under REPEATABLE READ one snapshot, under READ COMMITTED
/// each query its own. On error the caller's transaction is aborted and is the caller's
/// to roll back. Reports each query and its rows so far to `progress`.
pub async fn read_in_transaction_with(
    client: &Client,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Snapshot, ReadError> {
    const T: Target = Target::Postgres;
    run(client, T, "search_path", SEARCH_PATH).await?;
    let mut snap = Snapshot::empty(T);
    snap.server = read_server(&rows(client, T, "server", SERVER_QUERY, progress).await?)?;

    each_row(client, T, "roles", ROLES_QUERY, progress, |c| {
        let login = c.flag(1)?;
        snap.principals.push(PrincipalInfo {
            kind: kind_of(login),
            name: c.text(0)?.to_string(),
            login,
            superuser: c.flag(2)?,
        });
        Ok(())
    })
    .await?;

    each_row(client, T, "memberships", MEMBERSHIPS_QUERY, progress, |c| {
        snap.memberships.push(Membership {
            parent: Principal::new(kind_of(c.flag(1)?), c.text(0)?),
            member: Principal::new(kind_of(c.flag(3)?), c.text(2)?),
        });
        Ok(())
    })
    .await?;

    // ACL items name their grantees; whether one may log in (its informational kind)
    // comes from the roles read above.
    // Looked up once per ACL item (hundreds of thousands on a large catalog): foldhash,
    // not SipHash, which showed in profiles.
    let logins: Logins = snap
        .principals
        .iter()
        .map(|p| (p.name.as_str(), p.login))
        .collect();

    let mut objects = Vec::new();
    let kinds: [(&str, &str, ObjectKind); 4] = [
        ("schemas", SCHEMAS_QUERY, ObjectKind::Schema),
        ("functions", FUNCTIONS_QUERY, ObjectKind::Function),
        ("relations", RELATIONS_QUERY, ObjectKind::Table),
        ("database", DATABASE_QUERY, ObjectKind::Database),
    ];
    for (step, query, kind) in kinds {
        each_row(client, T, step, query, progress, |c| {
            // The functions query lists procedures too, told apart by `prokind`; the
            // relations query sequences, by `relkind`.
            let kind = match kind {
                ObjectKind::Function if c.text(5)? == "p" => ObjectKind::Procedure,
                ObjectKind::Table if c.text(5)? == "S" => ObjectKind::Sequence,
                _ => kind,
            };
            objects.push(object_row(&c, kind, &logins)?);
            Ok(())
        })
        .await?;
    }
    snap.objects = objects;

    each_row(
        client,
        T,
        "default privileges",
        DEFAULTS_QUERY,
        progress,
        |c| {
            let of = match c.text(2)? {
                "r" => ObjectKind::Table,
                "S" => ObjectKind::Sequence,
                "f" => ObjectKind::Function,
                other => return Err(c.unexpected(format!("defaclobjtype `{other}`"))),
            };
            snap.default_privileges.push(DefaultInfo {
                role: c.text(0)?.to_string(),
                schema: c.opt(1)?.map(str::to_string),
                of,
                grants: grants(&c, 3, &logins, |letter| {
                    privilege_of(letter).filter(|&p| of.allows(p))
                })?,
            });
            Ok(())
        },
    )
    .await?;
    drop(logins);

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

/// One row of an object query (see [`SCHEMAS_QUERY`]) as an object of `kind`.
fn object_row(c: &Cols, kind: ObjectKind, logins: &Logins) -> Result<ObjectInfo, ReadError> {
    let first = c.text(0)?.to_string();
    let second = c.opt(1)?.unwrap_or_default().to_string();
    let args = c.opt(2)?.map(str::to_string);
    let grants = grants(c, 4, logins, |letter| {
        privilege_of(letter).filter(|&p| kind.allows(p))
    })?;
    Ok(ObjectInfo::new(
        kind.object(first, second, args),
        c.text(3)?,
        grants,
    ))
}

/// What an ACL letter grants (ddl-priv, Table 5.1): one meaning whatever the object.
fn privilege_of(letter: char) -> Option<Privilege> {
    Some(match letter {
        'r' => Privilege::Select,
        'a' => Privilege::Insert,
        'w' => Privilege::Update,
        'd' => Privilege::Delete,
        'D' => Privilege::Truncate,
        'x' => Privilege::References,
        't' => Privilege::Trigger,
        'X' => Privilege::Execute,
        'U' => Privilege::Usage,
        'C' => Privilege::Create,
        'c' => Privilege::Connect,
        'T' => Privilege::Temp,
        _ => return None,
    })
}

/// The managed grants in the ACL text of column `i`: each item's privilege letters that
/// `privilege` maps, with their grant options. A grantee the roles query did not list
/// (created by another session between the two queries of a READ COMMITTED read) reads as
/// a role that cannot log in; the kind is informational and the planner erases it.
fn grants(
    c: &Cols,
    i: usize,
    logins: &Logins,
    privilege: impl Fn(char) -> Option<Privilege>,
) -> Result<Vec<Acl>, ReadError> {
    let text = c.text(i)?;
    // At most one managed privilege per item on functions, two on schemas: the count of
    // separators is close enough to spare most reallocations.
    let mut grants = Vec::with_capacity(text.bytes().filter(|&b| b == b',').count() + 1);
    for_each_entry(text, |entry| {
        for (letter, grant_option) in entry.privileges() {
            if let Some(privilege) = privilege(letter) {
                let grantee = if entry.grantee.is_empty() {
                    Grantee::Public
                } else {
                    let login = logins.get(&*entry.grantee).copied().unwrap_or(false);
                    Grantee::principal(kind_of(login), entry.grantee.as_ref())
                };
                grants.push(Acl {
                    grantee,
                    privilege,
                    grant_option,
                });
            }
        }
        Ok::<(), AclError>(())
    })
    .map_err(|e| c.unexpected(format!("column {i}: {e}")))?;
    Ok(grants)
}

/// The login's own powers, for `grantplan doctor` (one query).
pub const SETUP_QUERY: &str = "SELECT r.rolname, r.rolsuper, r.rolcreaterole FROM pg_roles r \
     WHERE r.rolname = current_user";

/// Reads the login's powers. PostgreSQL has no IAM roles.
pub async fn read_setup(client: &Client) -> Result<super::Setup, ReadError> {
    let rows = rows(client, Target::Postgres, "login", SETUP_QUERY, &no_progress).await?;
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
        sees_all_grants: true,
        ..super::Setup::default()
    })
}
