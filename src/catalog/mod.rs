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

use crate::model::{Grantee, Principal, PrincipalKind, Privilege, Securable, Target};
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
/// In memory the objects are kept kind by kind (`schemas`, `models`, `functions`, each
/// sorted, so [`Snapshot::object`] finds one by binary search); on disk (format 2) they
/// are one `objects` list, written by the `Serialize` impl below and read by
/// [`Snapshot::from_json`], which also reads format 1.
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
    pub schemas: Vec<SchemaInfo>,
    /// Redshift ML models; always empty on PostgreSQL.
    pub models: Vec<ModelInfo>,
    pub functions: Vec<FunctionInfo>,
    /// Who holds CREATE MODEL (Redshift); always empty on PostgreSQL.
    pub create_model: Vec<Grantee>,
    /// Schemas of the database that are not its own (Redshift external and datashare
    /// schemas): never managed, and not in `schemas`. Listed so that a glob can say what
    /// it left out and a name can be refused with the reason. Absent from the JSON when
    /// empty (always on PostgreSQL).
    pub non_local_schemas: Vec<NonLocalSchema>,
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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaInfo {
    pub name: String,
    /// Owner's name: owners are never revoked from.
    pub owner: String,
    pub grants: Vec<Acl>,
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

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub grants: Vec<Acl>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionInfo {
    pub schema: String,
    pub name: String,
    /// Identity argument types as the server formats them (`integer, text`), used
    /// verbatim in `ON FUNCTION s.f(...)`.
    pub args: String,
    pub owner: String,
    pub grants: Vec<Acl>,
}

/// One object of a snapshot as the planner and doctor see it, whatever its kind.
pub struct ObjectView<'a> {
    pub object: Securable,
    /// `None` when not known (a model seen only through its grants).
    pub owner: Option<&'a str>,
    pub grants: &'a [Acl],
}

impl Snapshot {
    /// Every object of the snapshot, kind by kind: the one place that knows which list
    /// holds which kind (format 1 keeps one list per kind).
    pub fn objects(&self) -> impl Iterator<Item = ObjectView<'_>> {
        let schemas = self.schemas.iter().map(|s| ObjectView {
            object: Securable::Schema {
                name: s.name.clone(),
            },
            owner: Some(&s.owner),
            grants: &s.grants,
        });
        let models = self.models.iter().map(|m| ObjectView {
            object: Securable::Model {
                schema: m.schema.clone(),
                name: m.name.clone(),
            },
            // Empty: not known (a model seen only through its grants).
            owner: (!m.owner.is_empty()).then_some(m.owner.as_str()),
            grants: &m.grants,
        });
        let functions = self.functions.iter().map(|f| ObjectView {
            object: Securable::Function {
                schema: f.schema.clone(),
                name: f.name.clone(),
                args: Some(f.args.clone()),
            },
            owner: Some(&f.owner),
            grants: &f.grants,
        });
        schemas.chain(models).chain(functions)
    }

    /// How many objects [`Snapshot::objects`] yields.
    pub fn object_count(&self) -> usize {
        self.schemas.len() + self.models.len() + self.functions.len()
    }

    /// The owner and the grants of `on`, found by binary search (the lists are sorted
    /// by [`Snapshot::normalize`]); `None` for CREATE MODEL, an object not in the
    /// snapshot, and a function without its argument types.
    pub fn object(&self, on: &Securable) -> Option<(&str, &[Acl])> {
        match on {
            Securable::Schema { name } => self
                .schemas
                .binary_search_by(|s| s.name.as_str().cmp(name))
                .ok()
                .map(|i| &self.schemas[i])
                .map(|s| (s.owner.as_str(), s.grants.as_slice())),
            Securable::Model { schema, name } => self
                .models
                .binary_search_by(|m| (m.schema.as_str(), m.name.as_str()).cmp(&(schema, name)))
                .ok()
                .map(|i| &self.models[i])
                .map(|m| (m.owner.as_str(), m.grants.as_slice())),
            Securable::Function { schema, name, args } => {
                let args = args.as_deref()?;
                self.functions
                    .binary_search_by(|f| {
                        (f.schema.as_str(), f.name.as_str(), f.args.as_str())
                            .cmp(&(schema, name, args))
                    })
                    .ok()
                    .map(|i| &self.functions[i])
                    .map(|f| (f.owner.as_str(), f.grants.as_slice()))
            }
            Securable::CreateModel => None,
        }
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
            schemas: Vec::new(),
            models: Vec::new(),
            functions: Vec::new(),
            create_model: Vec::new(),
            non_local_schemas: Vec::new(),
        }
    }

    /// Whether `models` lists every model of the database. Redshift shows every row of
    /// `svv_ml_model_info` to superusers only ("regular users can see only their own
    /// data", r_SVV_ML_MODEL_INFO; ACCESS SYSTEM TABLE is not documented to widen it).
    pub fn sees_every_model(&self) -> bool {
        self.target != Target::Redshift || self.server.login_superuser
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
        for s in &mut self.schemas {
            s.grants.sort_unstable();
            s.grants.dedup();
        }
        self.schemas.sort_unstable();
        for m in &mut self.models {
            m.grants.sort_unstable();
            m.grants.dedup();
        }
        self.models.sort_unstable();
        for f in &mut self.functions {
            f.grants.sort_unstable();
            f.grants.dedup();
        }
        self.functions.sort_unstable();
        self.create_model.sort_unstable();
        self.create_model.dedup();
        self.non_local_schemas.sort_unstable();
        self.non_local_schemas.dedup_by(|a, b| a.name == b.name);
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
        kind.shape()
    )]
    BadObject {
        index: usize,
        name: String,
        kind: EntryType,
    },
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

/// Format 1 as read: one list per kind.
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
    schemas: Vec<SchemaInfo>,
    #[serde(default)]
    models: Vec<ModelInfo>,
    functions: Vec<FunctionInfo>,
    #[serde(default)]
    create_model: Vec<Grantee>,
    #[serde(default)]
    non_local_schemas: Vec<NonLocalSchema>,
}

impl SnapshotV1 {
    fn into_snapshot(self) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            version: SNAPSHOT_VERSION,
            target: self.target,
            server: self.server,
            principals: self.principals,
            memberships: self.memberships,
            schemas: self.schemas,
            models: self.models,
            functions: self.functions,
            create_model: self.create_model,
            non_local_schemas: self.non_local_schemas,
        }
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
}

/// The kind of one format-2 object, its `type` field: the kind's name in plan JSON.
/// Public only as [`SnapshotError::BadObject`]'s data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    Schema,
    Model,
    Function,
}

impl EntryType {
    /// Which of `schema` and `args` an entry of this kind has, for the error that names
    /// an entry that does not.
    fn shape(self) -> &'static str {
        match self {
            EntryType::Schema => "a schema has neither `schema` nor `args`",
            EntryType::Model => "a model has `schema` and no `args`",
            EntryType::Function => "a function has `schema` and `args`",
        }
    }
}

/// One format-2 object as read. One flat struct rather than a `type`-tagged enum: serde
/// buffers each entry of a tagged enum before reading it (a large catalog's functions
/// would each be built twice), and which fields a kind needs is checked here with a
/// message that names the entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectEntry {
    #[serde(rename = "type")]
    kind: EntryType,
    #[serde(default)]
    schema: Option<String>,
    name: String,
    #[serde(default)]
    args: Option<String>,
    owner: String,
    grants: Vec<Acl>,
}

impl SnapshotV2 {
    fn into_snapshot(self) -> Result<Snapshot, SnapshotError> {
        let mut snap = Snapshot::empty(self.target);
        snap.server = self.server;
        snap.principals = self.principals;
        snap.memberships = self.memberships;
        snap.create_model = self.create_model;
        snap.non_local_schemas = self.non_local_schemas;
        for (i, o) in self.objects.into_iter().enumerate() {
            match (o.kind, o.schema.clone(), o.args.clone()) {
                (EntryType::Schema, None, None) => snap.schemas.push(SchemaInfo {
                    name: o.name,
                    owner: o.owner,
                    grants: o.grants,
                }),
                (EntryType::Model, Some(schema), None) => snap.models.push(ModelInfo {
                    schema,
                    name: o.name,
                    owner: o.owner,
                    grants: o.grants,
                }),
                (EntryType::Function, Some(schema), Some(args)) => {
                    snap.functions.push(FunctionInfo {
                        schema,
                        name: o.name,
                        args,
                        owner: o.owner,
                        grants: o.grants,
                    })
                }
                (kind, _, _) => {
                    return Err(SnapshotError::BadObject {
                        index: i,
                        name: o.name,
                        kind,
                    })
                }
            }
        }
        Ok(snap)
    }
}

/// One format-2 object as written, borrowed from the snapshot's lists.
#[derive(Serialize)]
struct ObjectOut<'a> {
    #[serde(rename = "type")]
    kind: EntryType,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<&'a str>,
    owner: &'a str,
    grants: &'a [Acl],
}

/// The `objects` list as written: schemas, then models, then functions (the kind order),
/// each in its sorted order; serialized as it is walked, never collected.
struct ObjectsOut<'a>(&'a Snapshot);

impl Serialize for ObjectsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let snap = self.0;
        let mut seq = s.serialize_seq(Some(snap.object_count()))?;
        for x in &snap.schemas {
            seq.serialize_element(&ObjectOut {
                kind: EntryType::Schema,
                schema: None,
                name: &x.name,
                args: None,
                owner: &x.owner,
                grants: &x.grants,
            })?;
        }
        for x in &snap.models {
            seq.serialize_element(&ObjectOut {
                kind: EntryType::Model,
                schema: Some(&x.schema),
                name: &x.name,
                args: None,
                owner: &x.owner,
                grants: &x.grants,
            })?;
        }
        for x in &snap.functions {
            seq.serialize_element(&ObjectOut {
                kind: EntryType::Function,
                schema: Some(&x.schema),
                name: &x.name,
                args: Some(&x.args),
                owner: &x.owner,
                grants: &x.grants,
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
        }
        Out {
            format: SNAPSHOT_FORMAT,
            version: SNAPSHOT_VERSION,
            target: self.target,
            server: &self.server,
            principals: &self.principals,
            memberships: &self.memberships,
            objects: ObjectsOut(self),
            create_model: &self.create_model,
            non_local_schemas: &self.non_local_schemas,
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
        s.schemas.push(SchemaInfo {
            name: "a".into(),
            owner: "postgres".into(),
            grants: vec![Acl {
                grantee: Grantee::Public,
                privilege: Privilege::Usage,
                grant_option: false,
            }],
        });
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
            matches!(&e, SnapshotError::BadObject { index: 0, name, kind: EntryType::Schema } if name == "a"),
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
}
