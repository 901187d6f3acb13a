//! The vocabulary every other module speaks: targets, principals, grantees,
//! securable objects and privileges.
//!
//! These types are deliberately plain data with a total order. The planner computes a
//! plan as set differences of `(Securable, Privilege, Grantee)` tuples, and the derived
//! `Ord` is what makes every plan deterministic: the variant order of [`Securable`] is the
//! order in which statements appear (CREATE MODEL, then schemas, then models, then
//! functions), which is also the order of the seed document.
//!
//! The kinds of object, and everything grantplan knows about each, are described once,
//! in `model/kind.rs` ([`ObjectKind`], [`KINDS`]), next to [`Securable`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

mod kind;
pub use kind::{list_key, KindInfo, NameParts, ObjectKind, Securable, KINDS};

/// The kind of server a grants.yaml is written for.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Amazon Redshift: groups, roles and users are separate namespaces; ML models exist.
    #[default]
    Redshift,
    /// PostgreSQL: everything is a role; no models, no CREATE MODEL.
    Postgres,
}

impl Target {
    /// Longest identifier the server keeps, in bytes. PostgreSQL silently truncates
    /// longer names (so a longer name could never converge); Redshift rejects them.
    pub fn max_identifier_bytes(self) -> usize {
        match self {
            Target::Redshift => 127,
            Target::Postgres => 63,
        }
    }

    /// What a server of this target is called in advice (`a Redshift cluster`).
    pub fn server_noun(self) -> &'static str {
        match self {
            Target::Redshift => "a Redshift cluster",
            Target::Postgres => "a PostgreSQL server",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Redshift => "redshift",
            Target::Postgres => "postgres",
        }
    }

    /// The identity of a grantee as the server sees it.
    ///
    /// On PostgreSQL groups, roles and users are all roles in one namespace, so the kind a
    /// grants.yaml gives a name is only documentation: two grantees with the same name
    /// are the same role. Comparing canonical grantees keeps the planner target-neutral.
    pub fn canonical(self, grantee: &Grantee) -> Grantee {
        match (self, grantee) {
            (Target::Postgres, Grantee::Principal(p)) => {
                Grantee::Principal(Principal::new(PrincipalKind::Role, p.name.clone()))
            }
            _ => grantee.clone(),
        }
    }

    /// The server's reserved principals, never granted to nor revoked from: `pg_*`
    /// roles on PostgreSQL; on Redshift `rdsdb` (AWS's own superuser) and the built-in,
    /// unchangeable `sys:*` roles.
    pub fn is_reserved(self, name: &str) -> bool {
        match self {
            Target::Postgres => name.starts_with("pg_"),
            Target::Redshift => name == "rdsdb" || name.starts_with("sys:"),
        }
    }

    /// [`Target::canonical`] for a principal.
    pub fn canonical_principal(self, principal: &Principal) -> Principal {
        match self {
            Target::Postgres => Principal::new(PrincipalKind::Role, principal.name.clone()),
            Target::Redshift => principal.clone(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `authoritative` revokes managed privileges the file does not list; `additive` never
/// revokes and reports what it would have revoked as warnings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Authoritative,
    Additive,
}

/// What kind of principal a name refers to. The order (group, role, user) is the order
/// of the sections in grants.yaml and of statements in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    Group,
    Role,
    User,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Group => "group",
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        }
    }

    /// The grants.yaml section that declares this kind.
    pub fn section(self) -> &'static str {
        match self {
            PrincipalKind::Group => "groups",
            PrincipalKind::Role => "roles",
            PrincipalKind::User => "users",
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named group, role or user. `name` is exactly as the server stores it (already folded
/// where the target folds names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub name: String,
}

impl Principal {
    pub fn new(kind: PrincipalKind, name: impl Into<String>) -> Self {
        Principal {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

impl FromStr for Principal {
    type Err = String;
    /// Parses the `kind:name` form used in snapshots and plans.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) = s.split_once(':').ok_or_else(|| {
            format!("`{s}` is not of the form group:NAME, role:NAME or user:NAME")
        })?;
        let kind = match kind {
            "group" => PrincipalKind::Group,
            "role" => PrincipalKind::Role,
            "user" => PrincipalKind::User,
            other => return Err(format!("unknown principal kind `{other}` in `{s}`")),
        };
        if name.is_empty() {
            return Err(format!("empty name in `{s}`"));
        }
        Ok(Principal::new(kind, name))
    }
}

impl Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// In JSON a principal is one string, `kind:name`.
impl schemars::JsonSchema for Principal {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Principal".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(group|role|user):",
            "description": "`kind:name`: `group:analysts`, `role:ml_admin`, `user:alice`"
        })
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Who receives a privilege: a principal or everyone (`PUBLIC`).
///
/// Serialized as `public` or `kind:name` (`group:analysts`), which reads well in JSON and
/// cannot be confused: PUBLIC is not a valid principal name on either target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grantee {
    Principal(Principal),
    Public,
}

impl Grantee {
    pub fn principal(kind: PrincipalKind, name: impl Into<String>) -> Self {
        Grantee::Principal(Principal::new(kind, name))
    }

    pub fn as_principal(&self) -> Option<&Principal> {
        match self {
            Grantee::Principal(p) => Some(p),
            Grantee::Public => None,
        }
    }
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::Public => f.write_str("public"),
            Grantee::Principal(p) => p.fmt(f),
        }
    }
}

impl FromStr for Grantee {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "public" {
            Ok(Grantee::Public)
        } else {
            s.parse().map(Grantee::Principal)
        }
    }
}

impl Serialize for Grantee {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// In JSON a grantee is one string, `public` or `kind:name`.
impl schemars::JsonSchema for Grantee {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Grantee".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(public$|(group|role|user):)",
            "description": "`public`, or `kind:name` (`group:analysts`)"
        })
    }
}

impl<'de> Deserialize<'de> for Grantee {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A privilege grantplan manages. The order is the order privileges are listed in one
/// merged statement (`GRANT CREATE, USAGE ON SCHEMA ...`, as in the seed).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privilege {
    /// Redshift's cluster-wide right to run CREATE MODEL (stored as USAGE on the
    /// pseudo-language `mlfunc`). Only on [`Securable::CreateModel`].
    CreateModel,
    /// CREATE on a schema.
    Create,
    /// USAGE on a schema.
    Usage,
    /// EXECUTE on a model or function.
    Execute,
    /// SELECT on a table or view.
    Select,
    /// INSERT on a table.
    Insert,
    /// UPDATE on a table.
    Update,
    /// DELETE on a table.
    Delete,
    /// TRUNCATE on a table.
    Truncate,
    /// REFERENCES on a table (foreign keys to it).
    References,
    /// TRIGGER on a table (PostgreSQL only).
    Trigger,
    /// ALTER on a table (Redshift only: r_GRANT).
    Alter,
    /// DROP on a table (Redshift only: r_GRANT).
    Drop,
    /// TEMP (TEMPORARY) on a database: create temporary tables in it.
    Temp,
    /// CONNECT on a database (PostgreSQL only: Redshift has none).
    Connect,
    /// Use of an IAM role in COPY (Redshift's ASSUMEROLE `FOR COPY`). Like the other
    /// purposes below, and CREATE MODEL as a purpose, only on [`Securable::IamRole`].
    Copy,
    /// Use of an IAM role in UNLOAD (ASSUMEROLE `FOR UNLOAD`).
    Unload,
    /// Use of an IAM role in CREATE EXTERNAL FUNCTION (ASSUMEROLE `FOR EXTERNAL FUNCTION`).
    ExternalFunction,
    // Redshift's system permissions (RBAC), granted to roles on no object
    // ([`Securable::System`]), in r_GRANT's order; CREATE MODEL is [`Privilege::CreateModel`].
    CreateUser,
    DropUser,
    AlterUser,
    CreateSchema,
    DropSchema,
    AlterDefaultPrivileges,
    AccessCatalog,
    AccessSystemTable,
    CreateTable,
    DropTable,
    AlterTable,
    CreateOrReplaceFunction,
    CreateOrReplaceExternalFunction,
    DropFunction,
    CreateOrReplaceProcedure,
    DropProcedure,
    CreateOrReplaceView,
    DropView,
    DropModel,
    CreateDatashare,
    AlterDatashare,
    DropDatashare,
    CreateLibrary,
    DropLibrary,
    CreateRole,
    DropRole,
    TruncateTable,
    Vacuum,
    Analyze,
    Cancel,
    IgnoreRls,
    ExplainRls,
    ExplainMasking,
}

/// Words as a sentence lists them: `a, b or c` (`last` is `or` or `and`).
pub(crate) fn joined(words: &[&str], last: &str) -> String {
    match words.split_last() {
        Some((only, [])) => only.to_string(),
        Some((final_word, rest)) => format!("{} {last} {final_word}", rest.join(", ")),
        None => String::new(),
    }
}

impl Privilege {
    /// Every privilege, in statement order.
    pub const ALL: [Privilege; 15] = [
        Privilege::CreateModel,
        Privilege::Create,
        Privilege::Usage,
        Privilege::Execute,
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Alter,
        Privilege::Drop,
        Privilege::Temp,
        Privilege::Connect,
    ];

    /// The purposes an IAM role is granted for (`GRANT ASSUMEROLE ... FOR ...`), in
    /// statement order; CREATE MODEL is both this and the system right.
    pub const PURPOSES: [Privilege; 4] = [
        Privilege::CreateModel,
        Privilege::Copy,
        Privilege::Unload,
        Privilege::ExternalFunction,
    ];

    /// Redshift's system permissions other than CREATE MODEL, in r_GRANT's order
    /// (docs/research/redshift-catalog.md §13.6: the union of r_GRANT's grammar and
    /// r_roles-system-privileges).
    pub const SYSTEM: [Privilege; 33] = [
        Privilege::CreateUser,
        Privilege::DropUser,
        Privilege::AlterUser,
        Privilege::CreateSchema,
        Privilege::DropSchema,
        Privilege::AlterDefaultPrivileges,
        Privilege::AccessCatalog,
        Privilege::AccessSystemTable,
        Privilege::CreateTable,
        Privilege::DropTable,
        Privilege::AlterTable,
        Privilege::CreateOrReplaceFunction,
        Privilege::CreateOrReplaceExternalFunction,
        Privilege::DropFunction,
        Privilege::CreateOrReplaceProcedure,
        Privilege::DropProcedure,
        Privilege::CreateOrReplaceView,
        Privilege::DropView,
        Privilege::DropModel,
        Privilege::CreateDatashare,
        Privilege::AlterDatashare,
        Privilege::DropDatashare,
        Privilege::CreateLibrary,
        Privilege::DropLibrary,
        Privilege::CreateRole,
        Privilege::DropRole,
        Privilege::TruncateTable,
        Privilege::Vacuum,
        Privilege::Analyze,
        Privilege::Cancel,
        Privilege::IgnoreRls,
        Privilege::ExplainRls,
        Privilege::ExplainMasking,
    ];

    /// True for a system permission (CREATE MODEL included).
    pub fn is_system(self) -> bool {
        self == Privilege::CreateModel || Privilege::SYSTEM.contains(&self)
    }

    /// The targets whose GRANT has this privilege at all. TRIGGER and CONNECT are
    /// PostgreSQL's (Redshift's r_GRANT has neither); ALTER and DROP on a table are
    /// Redshift's (PostgreSQL has neither as a privilege: only the owner alters or drops).
    pub fn targets(self) -> &'static [Target] {
        match self {
            Privilege::CreateModel
            | Privilege::Alter
            | Privilege::Drop
            | Privilege::Copy
            | Privilege::Unload
            | Privilege::ExternalFunction => &[Target::Redshift],
            p if Privilege::SYSTEM.contains(&p) => &[Target::Redshift],
            Privilege::Trigger | Privilege::Connect => &[Target::Postgres],
            _ => &[Target::Redshift, Target::Postgres],
        }
    }

    /// True when the privilege can be granted on `target`: the target has it, on a kind
    /// of object that exists there (or it is CREATE MODEL, granted on no object, or a
    /// purpose an IAM role is granted for).
    pub fn exists_on(self, target: Target) -> bool {
        self.targets().contains(&target)
            && (Privilege::PURPOSES.contains(&self)
                || self.is_system()
                || KINDS
                    .iter()
                    .any(|k| k.targets.contains(&target) && k.privileges.contains(&self)))
    }

    /// The SQL words of the privileges of `target`, for messages (`CREATE, USAGE or
    /// EXECUTE`).
    pub fn words(target: Target) -> String {
        let words: Vec<&str> = Privilege::ALL
            .into_iter()
            .filter(|p| p.exists_on(target))
            .map(Privilege::sql)
            .collect();
        joined(&words, "or")
    }

    pub fn sql(self) -> &'static str {
        match self {
            Privilege::CreateModel => "CREATE MODEL",
            Privilege::Create => "CREATE",
            Privilege::Usage => "USAGE",
            Privilege::Execute => "EXECUTE",
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Alter => "ALTER",
            Privilege::Drop => "DROP",
            Privilege::Temp => "TEMP",
            Privilege::Connect => "CONNECT",
            Privilege::Copy => "COPY",
            Privilege::Unload => "UNLOAD",
            Privilege::ExternalFunction => "EXTERNAL FUNCTION",
            Privilege::CreateUser => "CREATE USER",
            Privilege::DropUser => "DROP USER",
            Privilege::AlterUser => "ALTER USER",
            Privilege::CreateSchema => "CREATE SCHEMA",
            Privilege::DropSchema => "DROP SCHEMA",
            Privilege::AlterDefaultPrivileges => "ALTER DEFAULT PRIVILEGES",
            Privilege::AccessCatalog => "ACCESS CATALOG",
            Privilege::AccessSystemTable => "ACCESS SYSTEM TABLE",
            Privilege::CreateTable => "CREATE TABLE",
            Privilege::DropTable => "DROP TABLE",
            Privilege::AlterTable => "ALTER TABLE",
            Privilege::CreateOrReplaceFunction => "CREATE OR REPLACE FUNCTION",
            Privilege::CreateOrReplaceExternalFunction => "CREATE OR REPLACE EXTERNAL FUNCTION",
            Privilege::DropFunction => "DROP FUNCTION",
            Privilege::CreateOrReplaceProcedure => "CREATE OR REPLACE PROCEDURE",
            Privilege::DropProcedure => "DROP PROCEDURE",
            Privilege::CreateOrReplaceView => "CREATE OR REPLACE VIEW",
            Privilege::DropView => "DROP VIEW",
            Privilege::DropModel => "DROP MODEL",
            Privilege::CreateDatashare => "CREATE DATASHARE",
            Privilege::AlterDatashare => "ALTER DATASHARE",
            Privilege::DropDatashare => "DROP DATASHARE",
            Privilege::CreateLibrary => "CREATE LIBRARY",
            Privilege::DropLibrary => "DROP LIBRARY",
            Privilege::CreateRole => "CREATE ROLE",
            Privilege::DropRole => "DROP ROLE",
            Privilege::TruncateTable => "TRUNCATE TABLE",
            Privilege::Vacuum => "VACUUM",
            Privilege::Analyze => "ANALYZE",
            Privilege::Cancel => "CANCEL",
            Privilege::IgnoreRls => "IGNORE RLS",
            Privilege::ExplainRls => "EXPLAIN RLS",
            Privilege::ExplainMasking => "EXPLAIN MASKING",
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grantee_round_trips_through_its_string_form() {
        for g in [
            Grantee::Public,
            Grantee::principal(PrincipalKind::Group, "analysts"),
            Grantee::principal(PrincipalKind::Role, "ds:share"),
            Grantee::principal(PrincipalKind::User, "Sales ML"),
        ] {
            let s = g.to_string();
            assert_eq!(s.parse::<Grantee>().unwrap(), g, "{s}");
        }
        assert!("analysts".parse::<Grantee>().is_err());
        assert!("team:x".parse::<Grantee>().is_err());
        assert!("user:".parse::<Grantee>().is_err());
    }

    #[test]
    fn postgres_erases_principal_kinds_redshift_keeps_them() {
        let g = Grantee::principal(PrincipalKind::Group, "a");
        let u = Grantee::principal(PrincipalKind::User, "a");
        assert_eq!(
            Target::Postgres.canonical(&g),
            Target::Postgres.canonical(&u)
        );
        assert_ne!(
            Target::Redshift.canonical(&g),
            Target::Redshift.canonical(&u)
        );
    }

    #[test]
    fn securables_order_like_the_seed() {
        let mut v = [
            Securable::Model {
                schema: "a".into(),
                name: "m".into(),
            },
            Securable::Schema { name: "z".into() },
            Securable::CreateModel,
        ];
        v.sort();
        assert_eq!(v[0], Securable::CreateModel);
        assert_eq!(v[1], Securable::Schema { name: "z".into() });
    }
}
