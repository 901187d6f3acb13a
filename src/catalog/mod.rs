//! What a server holds: the catalog snapshot, and one reader module per target.
//!
//! A [`Snapshot`] is the planner's only view of a database. Readers fill it with a fixed
//! number of bulk queries; `grantplan snapshot` writes it as JSON and `plan --catalog`
//! reads it back, so a plan can be reproduced without a connection. The JSON format is
//! documented in `docs/snapshot.md`; [`SNAPSHOT_VERSION`] changes whenever a field's
//! meaning does.

mod acl;
pub mod postgres;
pub mod redshift;
mod wire;

pub use wire::{no_progress, Progress, ReadError};

use crate::model::{
    Grantee, NameParts, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target,
};
use serde::{Deserialize, Serialize};

/// What the login may do and how the server is set up beyond its grants: what
/// `grantplan doctor` checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Setup {
    pub login: String,
    pub superuser: bool,
    /// May create roles (PostgreSQL `CREATEROLE`; on Redshift only superusers create
    /// groups).
    pub create_role: bool,
    /// Redshift: the cluster's default IAM role (`default_iam_role()`), if one is set.
    pub default_iam_role: Option<String>,
    /// Redshift: ASSUMEROLE grants (`svv_iam_privileges`). Empty means nobody restricted
    /// them: every user may use every role the cluster has (when `sees_all_grants`).
    pub assume_role: Vec<AssumeRole>,
    /// Redshift: the login is a superuser or holds ACCESS SYSTEM TABLE, so the `svv_*`
    /// views show it every row; anyone else sees "only entries they have access to"
    /// (r_SVV_IAM_PRIVILEGES). Always true on PostgreSQL, where doctor does not use it.
    pub sees_all_grants: bool,
}

/// One row of `svv_iam_privileges`: `grantee` may use `iam_arn` for `command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub iam_arn: String,
    /// `CREATE MODEL`, `COPY`, `UNLOAD`, `EXTERNAL FUNCTION`, or `ALL`.
    pub command: String,
    pub grantee: Grantee,
}

/// Reads what [`Setup`] holds, with the target's reader.
pub async fn read_setup(
    client: &tokio_postgres::Client,
    target: Target,
) -> Result<Setup, ReadError> {
    match target {
        Target::Postgres => postgres::read_setup(client).await,
        Target::Redshift => redshift::read_setup(client).await,
    }
}

/// Reads the catalog of a `target` server with that target's reader.
pub async fn read(client: &tokio_postgres::Client, target: Target) -> Result<Snapshot, ReadError> {
    read_with(client, target, &no_progress).await
}

/// [`read`], reporting each query and its rows so far to `progress` as they arrive (the
/// CLI shows them on a terminal; the library never prints).
pub async fn read_with(
    client: &tokio_postgres::Client,
    target: Target,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Snapshot, ReadError> {
    match target {
        Target::Postgres => postgres::read_with(client, progress).await,
        Target::Redshift => redshift::read_with(client, progress).await,
    }
}

/// Reads the catalog inside the caller's open transaction (for `grantplan apply`, which
/// plans from and changes the same transaction's view); see each reader's
/// `read_in_transaction_with`. The query count is the same as [`read`]'s. Reports
/// progress as [`read_with`] does.
pub async fn read_in_transaction_with(
    client: &tokio_postgres::Client,
    target: Target,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Snapshot, ReadError> {
    match target {
        Target::Postgres => postgres::read_in_transaction_with(client, progress).await,
        Target::Redshift => redshift::read_in_transaction_with(client, progress).await,
    }
}

/// The `format` field every snapshot carries, so a wrong file is named as such.
pub const SNAPSHOT_FORMAT: &str = "grantplan-snapshot";
/// The snapshot layout version this build writes: one `objects` list (format 2).
pub const SNAPSHOT_VERSION: u32 = 2;
/// Every layout version this build reads: format 1 (one list per kind: `schemas`,
/// `models`, `functions`) and format 2 (one `objects` list), both into the same
/// [`Snapshot`].
pub const SNAPSHOT_VERSIONS_READ: [u32; 2] = [1, 2];

/// Everything the planner needs to know about a server's principals and grants.
///
/// Lists are sorted by the reader (see [`Snapshot::normalize`]), so two snapshots of the
/// same state serialize byte-identically.
///
/// Objects of every kind are one list, sorted by object (kind first, in statement
/// order, then name), so [`Snapshot::object`] finds one and [`Snapshot::objects_of`] a
/// kind's by binary search. On disk (format 2) they are the same one `objects` list;
/// [`Snapshot::from_json`] also reads format 1, which kept one list per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// Always [`SNAPSHOT_VERSION`] for this build (a format-1 file read is upgraded).
    pub version: u32,
    pub target: Target,
    pub server: ServerInfo,
    /// Every group, role and user.
    pub principals: Vec<PrincipalInfo>,
    /// Direct memberships: `member` belongs to `parent`.
    pub memberships: Vec<Membership>,
    /// Every object of the database grantplan manages, of every kind (models only on
    /// Redshift).
    pub objects: Vec<ObjectInfo>,
    /// Who holds CREATE MODEL (Redshift); always empty on PostgreSQL.
    pub create_model: Vec<Grantee>,
    /// Schemas of the database that are not its own (Redshift external and datashare
    /// schemas): never managed, and not in `objects`. Listed so that a glob can say what
    /// it left out and a name can be refused with the reason. Absent from the JSON when
    /// empty (always on PostgreSQL).
    pub non_local_schemas: Vec<NonLocalSchema>,
    /// Default privileges as the server stores them (PostgreSQL `pg_default_acl`,
    /// Redshift `svv_default_privileges`), sorted by (role, schema, kind). A role without
    /// a global entry (no schema) for a kind has the built-in default, which is not
    /// listed: the server deletes an entry equal to it, so absent and built-in are one
    /// state ([`DefaultInfo::built_in`]). Absent from the JSON when empty.
    pub default_privileges: Vec<DefaultInfo>,
    /// Redshift: who may use each IAM role for what (`svv_iam_privileges`), one entry per
    /// role a grant names, sorted by role; the privileges are [`Privilege::PURPOSES`].
    /// Absent from the JSON when empty (always on PostgreSQL).
    pub iam_roles: Vec<IamRoleInfo>,
    /// Redshift: who holds each system permission (RBAC, `svv_system_privileges`) other
    /// than CREATE MODEL (which is in `create_model`), sorted. Absent from the JSON when
    /// empty.
    pub system_permissions: Vec<Acl>,
}

/// The ASSUMEROLE grants on one IAM role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamRoleInfo {
    /// The role's ARN; absent for the cluster's default role (`ON default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Each a purpose (`CREATE_MODEL`, `COPY`, `UNLOAD`, `EXTERNAL_FUNCTION`) held by a
    /// grantee.
    pub grants: Vec<Acl>,
}

impl IamRoleInfo {
    /// The object the planner manages for this role.
    pub fn securable(&self) -> Securable {
        Securable::IamRole {
            arn: self.arn.clone(),
        }
    }
}

/// What objects of one kind that one role creates later, in one schema or anywhere, are
/// granted as they are created: one ALTER DEFAULT PRIVILEGES entry of the server.
///
/// The field order is the sort order, the order of [`Securable::Default`]'s fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultInfo {
    /// The role (PostgreSQL) or user (Redshift) whose new objects these are: `FOR ROLE`
    /// / `FOR USER`.
    pub role: String,
    /// `IN SCHEMA`; `None` for the global entry, which applies in every schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The kind of the new objects: `table`, `sequence`, `function` or `procedure`
    /// (PostgreSQL keeps one entry for functions and procedures: `function`).
    pub of: ObjectKind,
    /// As the server lists them; a PostgreSQL global entry includes the role's own.
    pub grants: Vec<Acl>,
}

impl DefaultInfo {
    /// The object the planner manages for this entry.
    pub fn securable(&self) -> Securable {
        Securable::Default {
            role: self.role.clone(),
            schema: self.schema.clone(),
            of: self.of,
        }
    }

    /// What a global entry (no schema) holds while the server has none for its role and
    /// kind, besides the role's own privileges: PUBLIC may EXECUTE new functions, on both
    /// targets (PostgreSQL's `acldefault`, measured in
    /// docs/research/postgres-default-privileges.md; Redshift's
    /// udf-security-and-privileges: "By default, the PUBLIC user group has execute
    /// permission for new UDFs"). New procedures on Redshift, and every other kind, give
    /// nobody else anything. A per-schema entry only adds to the global one: it is
    /// empty while absent.
    pub fn built_in(target: Target, schema: Option<&str>, of: ObjectKind) -> &'static [Acl] {
        static PUBLIC_EXECUTE: [Acl; 1] = [Acl {
            grantee: Grantee::Public,
            privilege: Privilege::Execute,
            grant_option: false,
        }];
        let _ = target; // the same on both targets, as far as the documentation says
        if schema.is_none() && of == ObjectKind::Function {
            &PUBLIC_EXECUTE
        } else {
            &[]
        }
    }
}

/// Identity of the server a snapshot was read from. Never holds a password.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerInfo {
    /// `server_version` as reported (`15.18 (Debian ...)`).
    pub version: String,
    /// The database the snapshot covers.
    pub database: String,
    /// The login that read it.
    pub login: String,
    /// Whether that login is a superuser (it sees every grant).
    pub login_superuser: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalInfo {
    pub kind: PrincipalKind,
    pub name: String,
    /// May log in (a user).
    pub login: bool,
    pub superuser: bool,
}

impl PrincipalInfo {
    pub fn principal(&self) -> Principal {
        Principal::new(self.kind, self.name.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub parent: Principal,
    pub member: Principal,
}

/// One privilege held by one grantee.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    pub grantee: Grantee,
    pub privilege: Privilege,
    /// Held WITH GRANT OPTION. Recorded, not managed.
    #[serde(default)]
    pub grant_option: bool,
}

/// A schema grantplan does not manage because it is not the database's own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonLocalSchema {
    pub name: String,
    pub kind: NonLocalKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NonLocalKind {
    /// An external schema (`CREATE EXTERNAL SCHEMA`: Spectrum, federated, another
    /// database's schema): a `pg_namespace` row with a `pg_external_schema` row. Redshift
    /// does not support CREATE on it (r_GRANT).
    External,
    /// A schema of a database created from a datashare (svv_redshift_schemas
    /// `schema_type = 'shared'`): its objects belong to the producer.
    Datashare,
}

impl NonLocalKind {
    /// What the schema is, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            NonLocalKind::External => "an external schema",
            NonLocalKind::Datashare => "a datashare schema",
        }
    }

    /// Why grantplan does not manage it, for messages.
    pub fn why(self) -> &'static str {
        match self {
            NonLocalKind::External => {
                "Redshift does not support CREATE on external schemas (r_GRANT), and the \
                 privileges on their tables come from the external catalog"
            }
            NonLocalKind::Datashare => {
                "its objects belong to the producer cluster's datashare, whose grants are \
                 managed there (consumers grant USAGE on the shared database)"
            }
        }
    }
}

/// One object of a snapshot, whatever its kind: what it is, who owns it, what is
/// granted on it.
///
/// The field order is the sort order: by object (kind, then name), so a kind's objects
/// are one run of [`Snapshot::objects`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectInfo {
    /// Never [`Securable::CreateModel`], which is no object; a function always has its
    /// argument types (`integer, text`, as the server formats them, used verbatim in
    /// `ON FUNCTION s.f(...)`).
    pub object: Securable,
    /// Owner's name: owners are never revoked from. Empty when not known (a Redshift
    /// model seen only through its grants).
    pub owner: String,
    pub grants: Vec<Acl>,
}

impl ObjectInfo {
    pub fn new(object: Securable, owner: impl Into<String>, grants: Vec<Acl>) -> Self {
        debug_assert!(object.object_kind().is_some(), "CREATE MODEL is no object");
        ObjectInfo {
            object,
            owner: owner.into(),
            grants,
        }
    }

    pub fn kind(&self) -> ObjectKind {
        self.object
            .object_kind()
            .expect("a snapshot object is never CREATE MODEL")
    }

    /// The parts of the object's name (schema, name, argument types).
    pub fn parts(&self) -> NameParts<'_> {
        self.object
            .name_parts()
            .expect("a snapshot object is never CREATE MODEL")
    }

    /// The owner, `None` when not known.
    pub fn known_owner(&self) -> Option<&str> {
        (!self.owner.is_empty()).then_some(self.owner.as_str())
    }
}

impl Snapshot {
    /// The objects of one kind, in name order: a run of the sorted `objects` (see
    /// [`Snapshot::normalize`]), found by binary search.
    pub fn objects_of(&self, kind: ObjectKind) -> &[ObjectInfo] {
        let start = self.objects.partition_point(|o| o.kind() < kind);
        let end = self.objects.partition_point(|o| o.kind() <= kind);
        &self.objects[start..end]
    }

    /// The owner and the grants of `on`, found by binary search (the list is sorted by
    /// [`Snapshot::normalize`]); `None` for CREATE MODEL, an object not in the
    /// snapshot, and a function without its argument types.
    pub fn object(&self, on: &Securable) -> Option<(&str, &[Acl])> {
        let o = self.object_info(on)?;
        Some((o.owner.as_str(), o.grants.as_slice()))
    }

    /// The object `on` itself, as [`Snapshot::object`] finds it.
    pub fn object_info(&self, on: &Securable) -> Option<&ObjectInfo> {
        let i = self.objects.binary_search_by(|o| o.object.cmp(on)).ok()?;
        Some(&self.objects[i])
    }

    /// Whether `schema` is one of the database's non-local schemas (external or
    /// datashare), whose objects are not managed ([`Snapshot::non_local_schemas`] is
    /// sorted by [`Snapshot::normalize`] and by the Redshift reader as it fills it).
    pub fn is_non_local(&self, schema: &str) -> bool {
        self.non_local_schemas
            .binary_search_by(|s| s.name.as_str().cmp(schema))
            .is_ok()
    }

    /// An empty snapshot of `target`, to be filled by a reader.
    pub fn empty(target: Target) -> Self {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            version: SNAPSHOT_VERSION,
            target,
            server: ServerInfo::default(),
            principals: Vec::new(),
            memberships: Vec::new(),
            objects: Vec::new(),
            create_model: Vec::new(),
            non_local_schemas: Vec::new(),
            default_privileges: Vec::new(),
            iam_roles: Vec::new(),
            system_permissions: Vec::new(),
        }
    }

    /// Whether `objects` lists every object of `kind` in the database. Redshift shows
    /// every row of the views models and tables are listed from to superusers only
    /// ([`crate::model::KindInfo::own_rows_only`]; r_SVV_ML_MODEL_INFO,
    /// r_SVV_REDSHIFT_TABLES: "regular users can see only their own data").
    pub fn sees_every(&self, kind: ObjectKind) -> bool {
        self.target != Target::Redshift
            || self.server.login_superuser
            || kind.info().own_rows_only.is_none()
    }

    /// Sorts every list and every ACL and drops exact duplicates, so equal states give
    /// equal snapshots whatever order the server returned rows in.
    ///
    /// Unstable sorts: equal elements are identical, so the order is the same as a stable
    /// sort's, without the stable sort's scratch buffer (half the list) or its time.
    pub fn normalize(&mut self) {
        self.principals.sort_unstable();
        self.principals.dedup();
        self.memberships.sort_unstable();
        self.memberships.dedup();
        for o in &mut self.objects {
            o.grants.sort_unstable();
            o.grants.dedup();
        }
        self.objects.sort_unstable();
        self.create_model.sort_unstable();
        self.create_model.dedup();
        self.non_local_schemas.sort_unstable();
        self.non_local_schemas.dedup_by(|a, b| a.name == b.name);
        for d in &mut self.default_privileges {
            d.grants.sort_unstable();
            d.grants.dedup();
        }
        self.default_privileges.sort_unstable();
        self.default_privileges.dedup();
        for r in &mut self.iam_roles {
            r.grants.sort_unstable();
            r.grants.dedup();
        }
        self.system_permissions.sort_unstable();
        self.system_permissions.dedup();
        self.iam_roles.sort_unstable();
        self.iam_roles.dedup_by(|later, earlier| {
            let same = later.arn == earlier.arn;
            if same {
                earlier.grants.append(&mut later.grants);
                earlier.grants.sort_unstable();
                earlier.grants.dedup();
            }
            same
        });
    }

    /// Reads a snapshot from JSON, refusing other formats and versions with a message
    /// that says what to do.
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        /// The fields that say what a file is, read first (the rest skipped unbuilt) so a
        /// file of another kind or version gets that message rather than a field error;
        /// then the snapshot is read once, typed, with no intermediate JSON tree (which
        /// cost as much again as the snapshot).
        #[derive(Deserialize)]
        struct Kind {
            format: Option<serde_json::Value>,
            version: Option<serde_json::Value>,
        }
        let kind: Option<Kind> = match serde_json::from_str(text) {
            Ok(kind) => Some(kind),
            // Valid JSON of another shape (an array, a string...).
            Err(e) if e.classify() == serde_json::error::Category::Data => None,
            Err(e) => return Err(SnapshotError::NotJson(e)),
        };
        let format = kind
            .as_ref()
            .and_then(|k| k.format.as_ref())
            .and_then(|v| v.as_str());
        if format != Some(SNAPSHOT_FORMAT) {
            return Err(SnapshotError::NotASnapshot);
        }
        let version = kind
            .as_ref()
            .and_then(|k| k.version.as_ref())
            .and_then(|v| v.as_u64());
        let invalid = SnapshotError::Invalid;
        let mut snap = match version {
            Some(1) => {
                let v1: SnapshotV1 = serde_json::from_str(text).map_err(invalid)?;
                v1.into_snapshot()
            }
            Some(2) => {
                let v2: SnapshotV2 = serde_json::from_str(text).map_err(invalid)?;
                v2.into_snapshot()?
            }
            _ => {
                let present = kind.as_ref().is_some_and(|k| k.version.is_some());
                return Err(unsupported_version(text, present));
            }
        };
        snap.normalize();
        Ok(snap)
    }

    /// [`Snapshot::to_json`] written to `out` as it is serialized (a large catalog's
    /// JSON is larger than the snapshot: no need to hold both), then flushed.
    pub fn write_json(&self, mut out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut out, self)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// Pretty JSON with a trailing newline; stable for equal snapshots.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("snapshot serializes");
        s.push('\n');
        s
    }
}

/// Why a snapshot file could not be read. The CLI prints it after the file's name; the
/// variants keep what the message is made of (serde_json's error with its line and
/// column, the version as written, the bad `objects` entry) for callers and tests.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Not JSON at all; serde_json's error says where.
    #[error("not valid JSON: {0}")]
    NotJson(serde_json::Error),
    /// JSON without `"format": "grantplan-snapshot"` (another file, or not an object).
    #[error(
        "not a grantplan snapshot (its `format` field is not \"{SNAPSHOT_FORMAT}\"); \
         write one with `grantplan snapshot --database-url URL > snapshot.json`"
    )]
    NotASnapshot,
    /// A `version` this build does not read: its JSON text and where it ends.
    #[error(
        "line {line}, column {column}: snapshot version {value} is not supported by this \
         grantplan (it reads versions {read}); take a new snapshot with this version",
        read = versions_read()
    )]
    UnsupportedVersion {
        value: String,
        line: usize,
        column: usize,
    },
    /// No `version` field.
    #[error(
        "the snapshot has no `version` field (this grantplan reads versions {read}); take \
         a new snapshot with this version",
        read = versions_read()
    )]
    NoVersion,
    /// A snapshot of a known version whose fields do not read; serde_json's error says
    /// where.
    #[error("invalid snapshot: {0}")]
    Invalid(serde_json::Error),
    /// A format-2 `objects[index]` entry whose fields do not fit its `type`.
    #[error(
        "invalid snapshot: objects[{index}] (`{name}`, type {kind:?}): {}",
        entry_shape(*kind)
    )]
    BadObject {
        index: usize,
        name: String,
        kind: ObjectKind,
    },
    /// A default-privileges entry for a kind the target keeps none for.
    #[error(
        "invalid snapshot: default_privileges[{index}] is for {}, and {target} keeps default \
         privileges only for {}",
        kind.section(),
        defaults_kinds(*target)
    )]
    BadDefault {
        index: usize,
        kind: ObjectKind,
        target: Target,
    },
    /// An IAM role's grant of something no ASSUMEROLE grants.
    #[error(
        "invalid snapshot: iam_roles[{index}] holds {privilege}, which is not what an IAM role \
         is granted for (CREATE MODEL, COPY, UNLOAD or EXTERNAL FUNCTION)"
    )]
    BadIamRole { index: usize, privilege: Privilege },
    /// A system permission entry of a privilege that is none.
    #[error(
        "invalid snapshot: system_permissions[{index}] is {privilege}, which is not one of \
         Redshift's system permissions"
    )]
    BadSystemPermission { index: usize, privilege: Privilege },
}

/// The sections of the kinds `target` keeps default privileges for (`tables, functions
/// and sequences`), for messages.
pub(crate) fn defaults_kinds(target: Target) -> String {
    let words: Vec<&str> = ObjectKind::ALL
        .into_iter()
        .filter(|k| k.defaults_sql(target).is_some())
        .map(ObjectKind::section)
        .collect();
    crate::model::joined(&words, "and")
}

/// `1 and 2`: the versions this build reads, for the messages.
fn versions_read() -> String {
    SNAPSHOT_VERSIONS_READ.map(|v| v.to_string()).join(" and ")
}

/// The error for a snapshot whose `version` this build does not read, located: a
/// second pass fails inside the `version` value, so serde_json knows its line and column.
fn unsupported_version(text: &str, present: bool) -> SnapshotError {
    /// Fails on any value, after reading it, so the error is placed just past it.
    struct Refused;
    impl<'de> Deserialize<'de> for Refused {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let v = serde_json::Value::deserialize(d)?;
            Err(serde::de::Error::custom(v))
        }
    }
    #[derive(Deserialize)]
    struct Version {
        #[allow(dead_code)]
        version: Refused,
    }
    match serde_json::from_str::<Version>(text) {
        Err(e) if present && e.classify() == serde_json::error::Category::Data => {
            let shown = e.to_string();
            let value = shown
                .rsplit_once(" at line ")
                .map_or(shown.as_str(), |(value, _)| value);
            SnapshotError::UnsupportedVersion {
                value: value.to_string(),
                line: e.line(),
                column: e.column(),
            }
        }
        _ => SnapshotError::NoVersion,
    }
}

/// Format 1 as read: one list per kind. Only the kinds format 1 had; a kind added since
/// exists only in format 2.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotV1 {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    version: u32,
    target: Target,
    server: ServerInfo,
    principals: Vec<PrincipalInfo>,
    memberships: Vec<Membership>,
    schemas: Vec<V1Schema>,
    #[serde(default)]
    models: Vec<V1Model>,
    functions: Vec<V1Function>,
    #[serde(default)]
    create_model: Vec<Grantee>,
    #[serde(default)]
    non_local_schemas: Vec<NonLocalSchema>,
}

/// A format-1 `schemas` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Schema {
    name: String,
    owner: String,
    grants: Vec<Acl>,
}

/// A format-1 `models` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Model {
    schema: String,
    name: String,
    owner: String,
    grants: Vec<Acl>,
}

/// A format-1 `functions` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Function {
    schema: String,
    name: String,
    args: String,
    owner: String,
    grants: Vec<Acl>,
}

impl SnapshotV1 {
    fn into_snapshot(self) -> Snapshot {
        let mut snap = Snapshot::empty(self.target);
        snap.server = self.server;
        snap.principals = self.principals;
        snap.memberships = self.memberships;
        snap.create_model = self.create_model;
        snap.non_local_schemas = self.non_local_schemas;
        let schemas = self
            .schemas
            .into_iter()
            .map(|s| ObjectInfo::new(Securable::Schema { name: s.name }, s.owner, s.grants));
        let models = self.models.into_iter().map(|m| {
            let object = Securable::Model {
                schema: m.schema,
                name: m.name,
            };
            ObjectInfo::new(object, m.owner, m.grants)
        });
        let functions = self.functions.into_iter().map(|f| {
            let object = Securable::Function {
                schema: f.schema,
                name: f.name,
                args: Some(f.args),
            };
            ObjectInfo::new(object, f.owner, f.grants)
        });
        snap.objects = schemas.chain(models).chain(functions).collect();
        snap
    }
}

/// Format 2 as read: one `objects` list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotV2 {
    #[allow(dead_code)]
    format: String,
    #[allow(dead_code)]
    version: u32,
    target: Target,
    server: ServerInfo,
    principals: Vec<PrincipalInfo>,
    memberships: Vec<Membership>,
    objects: Vec<ObjectEntry>,
    #[serde(default)]
    create_model: Vec<Grantee>,
    #[serde(default)]
    non_local_schemas: Vec<NonLocalSchema>,
    #[serde(default)]
    default_privileges: Vec<DefaultInfo>,
    #[serde(default)]
    iam_roles: Vec<IamRoleInfo>,
    #[serde(default)]
    system_permissions: Vec<Acl>,
}

/// One format-2 object as read; `type` is the kind's noun, its name in plan JSON. One
/// flat struct rather than a `type`-tagged enum: serde buffers each entry of a tagged
/// enum before reading it (a large catalog's functions would each be built twice), and
/// which fields a kind needs is checked here with a message that names the entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectEntry {
    #[serde(rename = "type")]
    kind: ObjectKind,
    #[serde(default)]
    schema: Option<String>,
    name: String,
    #[serde(default)]
    args: Option<String>,
    owner: String,
    grants: Vec<Acl>,
}

/// Which of `schema` and `args` an entry of `kind` has, for the error that names an
/// entry that does not.
fn entry_shape(kind: ObjectKind) -> String {
    let noun = kind.noun();
    match (kind.qualified(), kind.info().has_args) {
        (false, false) => format!("a {noun} has neither `schema` nor `args`"),
        (false, true) => format!("a {noun} has `args` and no `schema`"),
        (true, false) => format!("a {noun} has `schema` and no `args`"),
        (true, true) => format!("a {noun} has `schema` and `args`"),
    }
}

impl SnapshotV2 {
    fn into_snapshot(self) -> Result<Snapshot, SnapshotError> {
        let mut snap = Snapshot::empty(self.target);
        snap.server = self.server;
        snap.principals = self.principals;
        snap.memberships = self.memberships;
        snap.create_model = self.create_model;
        snap.non_local_schemas = self.non_local_schemas;
        if let Some((index, d)) = (self.default_privileges.iter().enumerate())
            .find(|(_, d)| d.of.defaults_sql(self.target).is_none())
        {
            return Err(SnapshotError::BadDefault {
                index,
                kind: d.of,
                target: self.target,
            });
        }
        snap.default_privileges = self.default_privileges;
        if let Some((index, a)) = self.iam_roles.iter().enumerate().find_map(|(i, r)| {
            r.grants
                .iter()
                .find(|a| !Privilege::PURPOSES.contains(&a.privilege))
                .map(|a| (i, a))
        }) {
            return Err(SnapshotError::BadIamRole {
                index,
                privilege: a.privilege,
            });
        }
        snap.iam_roles = self.iam_roles;
        if let Some((index, a)) = (self.system_permissions.iter().enumerate())
            .find(|(_, a)| !Privilege::SYSTEM.contains(&a.privilege))
        {
            return Err(SnapshotError::BadSystemPermission {
                index,
                privilege: a.privilege,
            });
        }
        snap.system_permissions = self.system_permissions;
        snap.objects.reserve_exact(self.objects.len());
        for (i, o) in self.objects.into_iter().enumerate() {
            let kind = o.kind;
            let fits =
                o.schema.is_some() == kind.qualified() && o.args.is_some() == kind.info().has_args;
            if !fits {
                return Err(SnapshotError::BadObject {
                    index: i,
                    name: o.name,
                    kind,
                });
            }
            let object = match o.schema {
                Some(schema) => kind.object(schema, o.name, o.args),
                None => kind.object(o.name, String::new(), o.args),
            };
            snap.objects
                .push(ObjectInfo::new(object, o.owner, o.grants));
        }
        Ok(snap)
    }
}

/// One format-2 object as written, borrowed from the snapshot.
#[derive(Serialize)]
struct ObjectOut<'a> {
    #[serde(rename = "type")]
    kind: ObjectKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<&'a str>,
    owner: &'a str,
    grants: &'a [Acl],
}

/// The `objects` list as written, in its sorted order (kind by kind); serialized as it
/// is walked, never collected.
struct ObjectsOut<'a>(&'a [ObjectInfo]);

impl Serialize for ObjectsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for o in self.0 {
            let parts = o.parts();
            let (schema, name) = match parts.second {
                Some(name) => (Some(parts.first), name),
                None => (None, parts.first),
            };
            seq.serialize_element(&ObjectOut {
                kind: o.kind(),
                schema,
                name,
                args: parts.args,
                owner: &o.owner,
                grants: &o.grants,
            })?;
        }
        seq.end()
    }
}

/// Writes format 2 ([`SNAPSHOT_VERSION`]), whatever version the snapshot was read from.
impl Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            format: &'a str,
            version: u32,
            target: Target,
            server: &'a ServerInfo,
            principals: &'a [PrincipalInfo],
            memberships: &'a [Membership],
            objects: ObjectsOut<'a>,
            create_model: &'a [Grantee],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            non_local_schemas: &'a [NonLocalSchema],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            default_privileges: &'a [DefaultInfo],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            iam_roles: &'a [IamRoleInfo],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            system_permissions: &'a [Acl],
        }
        Out {
            format: SNAPSHOT_FORMAT,
            version: SNAPSHOT_VERSION,
            target: self.target,
            server: &self.server,
            principals: &self.principals,
            memberships: &self.memberships,
            objects: ObjectsOut(&self.objects),
            create_model: &self.create_model,
            non_local_schemas: &self.non_local_schemas,
            default_privileges: &self.default_privileges,
            iam_roles: &self.iam_roles,
            system_permissions: &self.system_permissions,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_version_check() {
        let mut s = Snapshot::empty(Target::Postgres);
        let grants = vec![Acl {
            grantee: Grantee::Public,
            privilege: Privilege::Usage,
            grant_option: false,
        }];
        let object = Securable::Schema { name: "a".into() };
        s.objects.push(ObjectInfo::new(object, "postgres", grants));
        let json = s.to_json();
        assert_eq!(Snapshot::from_json(&json).unwrap(), s);
        let mut written = Vec::new();
        s.write_json(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), json);
        let wrong = json.replace("\"version\": 2", "\"version\": 99");
        let e = Snapshot::from_json(&wrong).unwrap_err();
        assert!(
            matches!(&e, SnapshotError::UnsupportedVersion { value, line: 3, column: 15 } if value == "99"),
            "{e:?}"
        );
        let err = e.to_string();
        assert!(
            err.starts_with("line 3, column 15: snapshot version 99 is not supported")
                && err.contains("reads versions 1 and 2"),
            "{err}"
        );
        let e = Snapshot::from_json("{\"format\": \"grantplan-snapshot\"}").unwrap_err();
        assert!(matches!(e, SnapshotError::NoVersion), "{e:?}");
        let err = e.to_string();
        assert!(err.contains("no `version` field"), "{err}");
        let wrong = json.replace("\"version\": 2", "\"version\": \"2\"");
        let err = Snapshot::from_json(&wrong).unwrap_err().to_string();
        assert!(err.contains("snapshot version \"2\" is not"), "{err}");
        let e = Snapshot::from_json("{\"schemas\": []}").unwrap_err();
        assert!(matches!(e, SnapshotError::NotASnapshot), "{e:?}");
        let err = e.to_string();
        assert!(err.contains("not a grantplan snapshot"), "{err}");
        for other in ["[1, 2]", "\"snapshot\"", "{\"format\": 7}", "null"] {
            let err = Snapshot::from_json(other).unwrap_err().to_string();
            assert!(err.contains("not a grantplan snapshot"), "{other}: {err}");
        }
        let e = Snapshot::from_json("{\"format\": ").unwrap_err();
        assert!(
            matches!(&e, SnapshotError::NotJson(j) if j.line() == 1),
            "{e:?}"
        );
        let err = e.to_string();
        assert!(err.starts_with("not valid JSON"), "{err}");
        for (bad, what) in [
            ("\"type\": \"schema\"", "\"type\": \"table\""),
            ("\"name\": \"a\"", "\"name\": \"a\", \"args\": \"\""),
        ] {
            let err = Snapshot::from_json(&json.replace(bad, what))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("invalid snapshot"), "{err}");
        }
        // A schema entry with `args`: the entry's index, name and type, and the message.
        let e = Snapshot::from_json(
            &json.replace("\"name\": \"a\"", "\"name\": \"a\", \"args\": \"\""),
        )
        .unwrap_err();
        assert!(
            matches!(&e, SnapshotError::BadObject { index: 0, name, kind: ObjectKind::Schema } if name == "a"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "invalid snapshot: objects[0] (`a`, type Schema): a schema has neither `schema` nor `args`"
        );
        let bad = json.replace("\"owner\": \"postgres\"", "\"owner\": 7");
        let e = Snapshot::from_json(&bad).unwrap_err();
        assert!(
            matches!(&e, SnapshotError::Invalid(j) if j.line() > 0),
            "{e:?}"
        );
        let err = e.to_string();
        assert!(
            err.starts_with("invalid snapshot") && err.contains("line"),
            "{err}"
        );
    }

    #[test]
    fn default_privileges_round_trip_and_a_kind_without_defaults_is_refused() {
        let mut s = Snapshot::empty(Target::Postgres);
        let acl = |grantee, privilege| Acl {
            grantee,
            privilege,
            grant_option: false,
        };
        s.default_privileges = vec![
            DefaultInfo {
                role: "etl".into(),
                schema: None,
                of: ObjectKind::Function,
                grants: vec![acl(
                    Grantee::principal(PrincipalKind::User, "etl"),
                    Privilege::Execute,
                )],
            },
            DefaultInfo {
                role: "etl".into(),
                schema: Some("s".into()),
                of: ObjectKind::Table,
                grants: vec![acl(Grantee::Public, Privilege::Select)],
            },
        ];
        s.normalize();
        let json = s.to_json();
        assert!(json.contains("\"of\": \"function\""), "{json}");
        assert_eq!(Snapshot::from_json(&json).unwrap(), s);
        // Absent when empty.
        let empty = Snapshot::empty(Target::Postgres).to_json();
        assert!(!empty.contains("default_privileges"), "{empty}");

        let bad = json.replace("\"of\": \"table\"", "\"of\": \"schema\"");
        let e = Snapshot::from_json(&bad).unwrap_err();
        assert!(
            matches!(
                e,
                SnapshotError::BadDefault {
                    index: 1,
                    kind: ObjectKind::Schema,
                    target: Target::Postgres
                }
            ),
            "{e:?}"
        );
        let err = e.to_string();
        assert!(err.contains("default_privileges[1]"), "{err}");
    }
}
