//! The typed shape of grants.yaml as written, before names are checked and resolved.
//!
//! Maps are `IndexMap`s so that file order survives: declaration order is the order of
//! grantees in a plan. `deny_unknown_fields` is a backstop: the marks pass reports
//! unknown keys first, with a suggestion, and the typed read (`typed.rs`) passes over them.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::marks::{Marks, Node, NodeKind, Seg};
use super::typed::Failure;
use crate::diag::{Diagnostic, Location};
use crate::model::{Mode, ObjectKind, Target};

/// grants.yaml: the groups, roles and users grantplan manages, and the CREATE MODEL,
/// CREATE/USAGE, EXECUTE and table grants they hold on schemas, models, functions and
/// tables.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of grants.yaml keys (target, mode, ignore, groups, roles, users, schemas, models, functions, tables, sequences, procedures, database, default_privileges, assume_role, cluster)"
)]
#[schemars(title = "grantplan grants.yaml")]
pub(crate) struct RawConfig {
    /// The kind of server: `redshift` (default) or `postgres`.
    pub target: Option<Target>,
    /// `authoritative` (default): privileges the file does not list on what it names are
    /// revoked. `additive`: never revoke; what would be revoked is reported as warnings.
    pub mode: Option<Mode>,
    /// Principals never granted to nor revoked from: names or globs (`*`, `?`, `[...]`).
    pub ignore: Option<Vec<String>>,
    /// Redshift's `enable_case_sensitive_identifier`: when true, names are not folded to
    /// lower case. Default false.
    pub case_sensitive_identifiers: Option<bool>,
    /// Groups (NOLOGIN roles on PostgreSQL); missing ones are created.
    pub groups: Option<IndexMap<String, Option<RawGroup>>>,
    /// Roles; missing ones are created.
    pub roles: Option<IndexMap<String, Option<RawGroup>>>,
    /// Existing users, declared so they can be grantees. Users are never created.
    pub users: Option<IndexMap<String, Option<RawUser>>>,
    /// Schemas by name, or globs over existing schemas (`sales_*`).
    pub schemas: Option<IndexMap<String, Option<RawSchema>>>,
    /// Redshift ML models, `schema.model` (globs allowed in either part). Redshift only.
    pub models: Option<IndexMap<String, Option<RawExecute>>>,
    /// Functions, `schema.function`: EXECUTE on every overload (globs allowed).
    pub functions: Option<IndexMap<String, Option<RawExecute>>>,
    /// Tables, views and materialized views, `schema.table` (globs allowed in either
    /// part).
    pub tables: Option<IndexMap<String, Option<RawTable>>>,
    /// Sequences, `schema.sequence` (globs allowed in either part). PostgreSQL only.
    pub sequences: Option<IndexMap<String, Option<RawSequence>>>,
    /// Stored procedures, `schema.procedure`: EXECUTE on every overload (globs allowed).
    pub procedures: Option<IndexMap<String, Option<RawExecute>>>,
    /// The database connected to: who may create schemas in it, create temporary
    /// tables, and (PostgreSQL) connect.
    pub database: Option<RawDatabase>,
    /// What objects created later get as they are created (ALTER DEFAULT PRIVILEGES):
    /// one entry per creating principal (and schema).
    pub default_privileges: Option<Vec<RawDefault>>,
    /// Who may use which IAM role for what (Redshift's GRANT ASSUMEROLE), by the role's
    /// ARN, `default` (the cluster's default IAM role), or the name of the role
    /// `cluster:` sets up. Redshift only.
    pub assume_role: Option<IndexMap<String, Option<RawAssumeRole>>>,
    /// The Redshift cluster's ML setup outside SQL: the IAM role Redshift and SageMaker
    /// assume, for `grantplan iam`. Redshift only.
    pub cluster: Option<RawCluster>,
    /// Object sections the fast path read from the marks (`fast.rs`), each rule's lists
    /// already in its kind's privilege order; [`RawConfig::take_rules`] takes them first.
    #[serde(skip)]
    #[schemars(skip)]
    pub fast_rules: Vec<(ObjectKind, Vec<RawRule>)>,
}

/// The IAM side of Redshift ML: what `grantplan iam` needs to write the role's trust
/// policy, its permission policy and the AWS CLI commands that create it.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `account_id`, `region`, `role_name`, `bucket` and optional \
                 `partition`, `workgroup` and `namespace`, `kms_key_id`, \
                 `enhanced_vpc_routing`, `forecast`, `policy`, `redshift_downloads`"
)]
#[schemars(
    rename = "Cluster",
    extend("dependentRequired" = {"workgroup": ["namespace"], "namespace": ["workgroup"]})
)]
pub(crate) struct RawCluster {
    /// The 12-digit id of the AWS account that owns the cluster, in quotes
    /// (`"012345678901"`: unquoted, YAML drops leading zeros).
    #[schemars(required)]
    pub account_id: Option<RawAccountId>,
    /// The cluster's region code (`us-east-1`, `cn-north-1`, `us-gov-west-1`).
    #[schemars(required, pattern(r"^[a-z]{2,4}(-[a-z0-9]+){1,2}-[0-9]+$"))]
    pub region: Option<String>,
    /// `aws`, `aws-cn` or `aws-us-gov`; default: the partition of `region`. Must agree
    /// with it.
    pub partition: Option<super::cluster::Partition>,
    /// Redshift Serverless: the workgroup's name (3 to 64 characters of lower-case
    /// letters, digits and `-`). Written together with `namespace`; without both, the
    /// section describes a provisioned cluster.
    #[schemars(length(min = 3, max = 64), pattern(r"^[a-z0-9-]+$"))]
    pub workgroup: Option<String>,
    /// Redshift Serverless: the name of the workgroup's namespace, which `grantplan iam`
    /// associates the role with (3 to 64 characters of lower-case letters, digits and
    /// `-`). Written together with `workgroup`.
    #[schemars(length(min = 3, max = 64), pattern(r"^[a-z0-9-]+$"))]
    pub namespace: Option<String>,
    /// The IAM role Redshift and SageMaker assume: 1 to 64 characters of letters, digits
    /// and `_+=,.@-`.
    #[schemars(required, length(min = 1, max = 64), pattern(r"^[A-Za-z0-9_+=,.@-]+$"))]
    pub role_name: Option<String>,
    /// The S3 bucket CREATE MODEL uses (`S3_BUCKET`): its name, not a URL.
    #[schemars(
        required,
        length(min = 3, max = 63),
        pattern(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
    )]
    pub bucket: Option<String>,
    /// The KMS key CREATE MODEL uses (`KMS_KEY_ID`): a key id or a key ARN (not an alias:
    /// IAM policies name keys by ARN). Adds the KMS statement to the policy.
    pub kms_key_id: Option<String>,
    /// The cluster has enhanced VPC routing on: adds the network-interface permissions.
    /// Default false.
    pub enhanced_vpc_routing: Option<bool>,
    /// Forecast models are used: forecast.amazonaws.com may assume the role and
    /// AmazonForecastFullAccess is attached. Default false.
    pub forecast: Option<bool>,
    /// `restrictive` (default): the seed's least-privilege inline policy. `managed`:
    /// attach AmazonS3FullAccess and AmazonSageMakerFullAccess.
    pub policy: Option<super::cluster::PolicyStyle>,
    /// Keep AWS's sample-data bucket `redshift-downloads` in the restrictive policy's S3
    /// statements, as the seed does. Default true.
    pub redshift_downloads: Option<bool>,
}

/// An account id: a string of 12 digits, or (unquoted) an integer. Deserialized by hand
/// rather than as an untagged enum, whose errors lose the YAML path.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub(crate) enum RawAccountId {
    Number(u64),
    Text(#[schemars(pattern(r"^[0-9]{12}$"))] String),
}

impl<'de> Deserialize<'de> for RawAccountId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawAccountId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the 12-digit AWS account id, in quotes")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawAccountId::Number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(RawAccountId::Number)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawAccountId::Text(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A group or a role.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create_model`, `members` and (a role) `system`, or nothing"
)]
#[schemars(rename = "GroupOrRole")]
pub(crate) struct RawGroup {
    /// Holds CREATE MODEL (Redshift only).
    pub create_model: Option<bool>,
    /// When present, membership is exactly this list: users, or `role:NAME` for a role
    /// member of a role.
    pub members: Option<Vec<String>>,
    /// Redshift, roles only: when present, the role's system permissions are exactly this
    /// list (`create model`, `drop model`, `access system table`, ...).
    pub system: Option<Vec<String>>,
}

/// An existing user.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create_model`, or nothing"
)]
#[schemars(rename = "User")]
pub(crate) struct RawUser {
    /// Holds CREATE MODEL (Redshift only).
    pub create_model: Option<bool>,
}

/// Who may create in a schema and who may use it. A grantee is a declared name,
/// `group:NAME` / `role:NAME` / `user:NAME`, or `public`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create` and `usage`, or nothing"
)]
#[schemars(rename = "Schema")]
pub(crate) struct RawSchema {
    /// Grantees of CREATE ON SCHEMA.
    pub create: Option<Vec<String>>,
    /// Grantees of USAGE ON SCHEMA.
    pub usage: Option<Vec<String>>,
}

/// Who may execute a model, function or procedure.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `execute`, or nothing"
)]
#[schemars(rename = "Execute")]
pub(crate) struct RawExecute {
    /// Grantees of EXECUTE: declared names, `group:`/`role:`/`user:` NAME, or `public`.
    pub execute: Option<Vec<String>>,
}

/// Who may read and change a table, view or materialized view.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `select`, `insert`, `update`, `delete`, `truncate`, \
                 `references`, `trigger` (PostgreSQL), `alter` and `drop` (Redshift), or nothing"
)]
#[schemars(rename = "Table")]
pub(crate) struct RawTable {
    /// Grantees of SELECT.
    pub select: Option<Vec<String>>,
    /// Grantees of INSERT.
    pub insert: Option<Vec<String>>,
    /// Grantees of UPDATE.
    pub update: Option<Vec<String>>,
    /// Grantees of DELETE.
    pub delete: Option<Vec<String>>,
    /// Grantees of TRUNCATE.
    pub truncate: Option<Vec<String>>,
    /// Grantees of REFERENCES.
    pub references: Option<Vec<String>>,
    /// Grantees of TRIGGER (PostgreSQL only).
    pub trigger: Option<Vec<String>>,
    /// Grantees of ALTER (Redshift only).
    pub alter: Option<Vec<String>>,
    /// Grantees of DROP (Redshift only).
    pub drop: Option<Vec<String>>,
}

/// Who may use, read and set a sequence (PostgreSQL).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `usage`, `select` and `update`, or nothing"
)]
#[schemars(rename = "Sequence")]
pub(crate) struct RawSequence {
    /// Grantees of USAGE (currval and nextval).
    pub usage: Option<Vec<String>>,
    /// Grantees of SELECT (currval).
    pub select: Option<Vec<String>>,
    /// Grantees of UPDATE (nextval and setval).
    pub update: Option<Vec<String>>,
}

/// Who may create schemas in the database, create temporary tables in it, and connect
/// to it (PostgreSQL).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create`, `temp` and `connect` (PostgreSQL)"
)]
#[schemars(rename = "Database")]
pub(crate) struct RawDatabase {
    /// Grantees of CREATE (schemas).
    pub create: Option<Vec<String>>,
    /// Grantees of TEMP (temporary tables).
    pub temp: Option<Vec<String>>,
    /// Grantees of CONNECT (PostgreSQL only).
    pub connect: Option<Vec<String>>,
}

/// What one principal's objects created later get as they are created: ALTER DEFAULT
/// PRIVILEGES FOR ROLE (FOR USER on Redshift). Authoritative for the (`for`, `schema`)
/// pair alone: other principals' and schemas' defaults are left as they are.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `for`, and `schema`, `keep_public`, `tables`, `functions`, \
                 `sequences` (PostgreSQL) or `procedures` (Redshift)"
)]
#[schemars(rename = "DefaultPrivileges")]
pub(crate) struct RawDefault {
    /// Whose new objects: a declared name or `kind:NAME` (a user on Redshift, whose
    /// grammar has FOR USER only).
    #[serde(rename = "for")]
    #[schemars(required)]
    pub for_: Option<String>,
    /// Only objects created in this schema (IN SCHEMA): a name, or a glob over existing
    /// schemas. Without it, the principal's global default, in every schema. A
    /// per-schema default only adds to the global one.
    pub schema: Option<String>,
    /// `false`: PUBLIC's built-in EXECUTE on new functions (global entries) is managed
    /// like any grant, so it is revoked when `execute:` does not list `public`. Default
    /// `true`: left as it is unless listed.
    pub keep_public: Option<bool>,
    /// New tables, views and materialized views: as under `tables:`, but no `alter` on
    /// Redshift.
    pub tables: Option<RawTable>,
    /// New functions (and procedures, on PostgreSQL): `execute`.
    pub functions: Option<RawExecute>,
    /// New sequences (PostgreSQL): `usage`, `select`, `update`.
    pub sequences: Option<RawSequence>,
    /// New stored procedures (Redshift; PostgreSQL's `functions:` covers them): `execute`.
    pub procedures: Option<RawExecute>,
    /// Kinds the fast path read from the marks (`fast.rs`), each with its lists in its
    /// kind's privilege order; [`RawDefault::take_lists`] takes them with the others.
    #[serde(skip)]
    #[schemars(skip)]
    pub fast_lists: Vec<(ObjectKind, Vec<Option<Vec<String>>>)>,
}

impl RawDefault {
    /// The entry's kinds that are written, each with its lists in the order of the
    /// kind's privileges, in kind order.
    pub(crate) fn take_lists(&mut self) -> Vec<(ObjectKind, Vec<Option<Vec<String>>>)> {
        let mut out = std::mem::take(&mut self.fast_lists);
        if let Some(t) = self.tables.take() {
            out.push((ObjectKind::Table, t.lists()));
        }
        if let Some(f) = self.functions.take() {
            out.push((ObjectKind::Function, f.lists()));
        }
        if let Some(s) = self.sequences.take() {
            out.push((ObjectKind::Sequence, s.lists()));
        }
        if let Some(p) = self.procedures.take() {
            out.push((ObjectKind::Procedure, p.lists()));
        }
        out.sort_by_key(|(k, _)| *k);
        out
    }
}

/// A rule's lists of grantees in the order of its kind's privileges
/// ([`crate::model::KindInfo::privileges`]).
trait Lists {
    fn lists(self) -> Vec<Option<Vec<String>>>;
}

impl Lists for RawSchema {
    fn lists(self) -> Vec<Option<Vec<String>>> {
        vec![self.create, self.usage]
    }
}

impl Lists for RawExecute {
    fn lists(self) -> Vec<Option<Vec<String>>> {
        vec![self.execute]
    }
}

impl Lists for RawTable {
    fn lists(self) -> Vec<Option<Vec<String>>> {
        vec![
            self.select,
            self.insert,
            self.update,
            self.delete,
            self.truncate,
            self.references,
            self.trigger,
            self.alter,
            self.drop,
        ]
    }
}

impl Lists for RawSequence {
    fn lists(self) -> Vec<Option<Vec<String>>> {
        vec![self.usage, self.select, self.update]
    }
}

/// Who may use one IAM role, and for what: each list a purpose of `GRANT ASSUMEROLE ...
/// FOR`. Authoritative only for the purposes written.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create_model`, `copy`, `unload`, `external_function` and `all`"
)]
#[schemars(rename = "AssumeRole")]
pub(crate) struct RawAssumeRole {
    /// Grantees that may use the role in CREATE MODEL.
    pub create_model: Option<Vec<String>>,
    /// Grantees that may use the role in COPY.
    pub copy: Option<Vec<String>>,
    /// Grantees that may use the role in UNLOAD.
    pub unload: Option<Vec<String>>,
    /// Grantees that may use the role in CREATE EXTERNAL FUNCTION.
    pub external_function: Option<Vec<String>>,
    /// Grantees that may use the role for all four.
    pub all: Option<Vec<String>>,
}

/// The list keys of an `assume_role:` entry, in the order of
/// [`crate::model::Privilege::PURPOSES`], then `all`.
pub(crate) const ASSUME_ROLE_KEYS: &[&str] =
    &["create_model", "copy", "unload", "external_function", "all"];

impl RawAssumeRole {
    /// The lists in [`ASSUME_ROLE_KEYS`] order.
    pub(crate) fn lists(self) -> Vec<Option<Vec<String>>> {
        vec![
            self.create_model,
            self.copy,
            self.unload,
            self.external_function,
            self.all,
        ]
    }
}

/// The key of the one rule of a single section (`database:`), in messages and paths.
pub(crate) const SINGLE_KEY: &str = "(the database connected to)";

/// One rule of an object section as written: its key, then its lists of grantees in the
/// order of its kind's privileges ([`crate::model::KindInfo::privileges`]).
pub(crate) type RawRule = (String, Vec<Option<Vec<String>>>);

impl RawConfig {
    /// Takes the section of `kind` out of the file, each rule's lists in the order of
    /// the kind's privileges. The typed sections are what serde reads and what the JSON
    /// Schema describes; everything after this takes kinds from the kind table.
    pub(crate) fn take_rules(&mut self, kind: ObjectKind) -> Vec<RawRule> {
        if let Some(i) = self.fast_rules.iter().position(|(k, _)| *k == kind) {
            return self.fast_rules.swap_remove(i).1;
        }
        fn each<T: Default + Lists>(section: Option<IndexMap<String, Option<T>>>) -> Vec<RawRule> {
            section
                .unwrap_or_default()
                .into_iter()
                .map(|(k, e)| (k, e.unwrap_or_default().lists()))
                .collect()
        }
        match kind {
            ObjectKind::Schema => each(self.schemas.take()),
            ObjectKind::Model => each(self.models.take()),
            ObjectKind::Function => each(self.functions.take()),
            ObjectKind::Table => each(self.tables.take()),
            ObjectKind::Sequence => each(self.sequences.take()),
            ObjectKind::Procedure => each(self.procedures.take()),
            ObjectKind::Database => self
                .database
                .take()
                .map(|d| vec![(SINGLE_KEY.to_string(), vec![d.create, d.temp, d.connect])])
                .unwrap_or_default(),
        }
    }
}

impl RawConfig {
    /// True when serde read the section of `kind` (the fast path checks that a section
    /// it cut out came out absent).
    pub(crate) fn has_section(&self, kind: ObjectKind) -> bool {
        match kind {
            ObjectKind::Schema => self.schemas.is_some(),
            ObjectKind::Model => self.models.is_some(),
            ObjectKind::Function => self.functions.is_some(),
            ObjectKind::Table => self.tables.is_some(),
            ObjectKind::Sequence => self.sequences.is_some(),
            ObjectKind::Procedure => self.procedures.is_some(),
            ObjectKind::Database => self.database.is_some(),
        }
    }

    /// The file as read, whichever path read its object sections: every section's rules
    /// taken, then the rest. Tests compare the fast path with serde_yaml alone by it.
    #[cfg(test)]
    pub(crate) fn normalized(mut self) -> String {
        let rules = ObjectKind::ALL.map(|k| (k, self.take_rules(k)));
        let defaults: Option<Vec<_>> = self.default_privileges.take().map(|entries| {
            entries
                .into_iter()
                .map(|mut d| {
                    let lists = d.take_lists();
                    (d.for_, d.schema, d.keep_public, lists)
                })
                .collect()
        });
        format!("{self:?} {rules:?} {defaults:?}")
    }
}

/// The JSON Schema of grants.yaml, pretty-printed with a trailing newline; editors that
/// speak the YAML language server protocol validate and complete grants.yaml with it.
pub(crate) fn json_schema() -> String {
    let schema = schemars::schema_for!(RawConfig);
    let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
    s.push('\n');
    s
}

/// Turns a failure of the typed read into a located diagnostic.
///
/// The read knows the node it failed at (`typed.rs`): the diagnostic takes its path and
/// says what belongs there. serde_yaml's message starts with that node's path as serde_yaml
/// writes it (keys unquoted, `a.b[1]`; nothing for the document) and ends with ` at line L
/// column C`; both are taken off, since the location says them. Line and column are
/// serde_yaml's (1-based, the column in characters), and the length is the node's token's
/// when it starts there. Inside the copy an alias makes, whose nodes the marks do not
/// hold, the message is kept whole and placed at the document.
pub(crate) fn serde_error(
    file: &str,
    err: &serde_yaml::Error,
    failure: Failure,
    marks: &Marks,
) -> Diagnostic {
    let full = err.to_string();
    let place = err.location().map(|l| (l.line(), l.column()));
    let mut msg = full.as_str();
    if let Some((line, column)) = place {
        if let Some(s) = msg.strip_suffix(&format!(" at line {line} column {column}")) {
            msg = s;
        }
    }
    let mut id = failure.node.filter(|_| failure.exact).or(marks.root());
    if let Some(node) = id.filter(|&n| Some(n) != marks.root()) {
        let prefix = format!("{}: ", marks.plain_path(node));
        match msg.strip_prefix(&prefix) {
            Some(rest) => msg = rest,
            None => id = marks.root(),
        }
    }
    let path = id.map(|id| marks.path_of(id)).unwrap_or_default();
    let node = id.map(|id| marks.node(id));
    let location = match place {
        Some((line, column)) => {
            let len = node
                .map(Node::value)
                .filter(|v| v.line == line && v.column == column)
                .map_or(1, |v| v.len);
            Location {
                file: file.to_string(),
                line,
                column,
                path: path.clone(),
                len,
            }
        }
        None => marks.value_loc(file, &path),
    };
    let segs = id.map(|id| marks.segs(id)).unwrap_or_default();
    let segs = segs.as_slice();
    let what = match segs {
        [] => "invalid grants.yaml".to_string(),
        [.., Seg::Key(k), Seg::Index(i)] => format!("invalid entry `{k}[{i}]`"),
        [.., Seg::Key(k)] => format!("invalid value for `{k}`"),
        [.., Seg::Index(i)] => format!("invalid entry [{i}]"),
    };
    Diagnostic::error(format!("{what}: {msg}"))
        .at(Some(location))
        .help(expectation(
            segs,
            node.filter(|n| n.kind == NodeKind::Scalar)
                .and_then(|n| marks.scalar(n)),
        ))
}

/// What a `cluster:` key takes.
pub(crate) fn cluster_expectation(field: &str) -> String {
    match field {
        "account_id" => "`account_id` is the 12-digit AWS account id, in quotes: \
                         `account_id: \"123456789012\"`"
            .to_string(),
        "partition" => "`partition` is `aws` (the default), `aws-cn` or `aws-us-gov`".to_string(),
        "policy" => "`policy` is `restrictive` (the default) or `managed`".to_string(),
        "enhanced_vpc_routing" | "forecast" | "redshift_downloads" => {
            format!("`{field}` is `true` or `false`")
        }
        "region" => "`region` is a region code such as `us-east-1`".to_string(),
        "role_name" => "`role_name` is the IAM role's name, e.g. `RedshiftML`".to_string(),
        "bucket" => "`bucket` is the S3 bucket's name, e.g. `my-ml-bucket`".to_string(),
        "kms_key_id" => "`kms_key_id` is a KMS key id or key ARN (a string)".to_string(),
        "workgroup" | "namespace" => format!(
            "`{field}` is the name of the Redshift Serverless {field}, e.g. `{field}: ml-{field}`"
        ),
        _ => "see the `cluster:` reference in the README".to_string(),
    }
}

/// What belongs at the place `segs` names, as advice.
/// `scalar`: the text of the node there, when it is a scalar.
fn expectation(segs: &[Seg], scalar: Option<&str>) -> String {
    let key = |i: usize| match segs.get(i) {
        Some(Seg::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let section = key(0).unwrap_or("");
    match segs.len() {
        0 => format!(
            "grants.yaml is a mapping of keys: {}",
            super::marks::TOP_KEYS.join(", ")
        ),
        1 => match section {
            "target" => "`target` is `redshift` (the default) or `postgres`".to_string(),
            "mode" => "`mode` is `authoritative` (the default) or `additive`".to_string(),
            "case_sensitive_identifiers" => {
                "`case_sensitive_identifiers` is `true` or `false`".to_string()
            }
            "ignore" => match scalar {
                Some(v) => format!("`ignore` is a list: write `ignore: [{v}]`"),
                None => "`ignore` is a list of principal names or globs, e.g. \
                         `ignore: [rdsdb, \"ds:*\"]`"
                    .to_string(),
            },
            "groups" | "roles" | "users" => format!(
                "`{section}` maps each {} name to its settings, e.g. `{section}: {{analysts: {{}}}}`",
                &section[..section.len() - 1]
            ),
            _ if ObjectKind::from_section(section).is_some() => {
                let kind = ObjectKind::from_section(section).expect("a kind's section");
                let (what, example) = if kind.qualified() {
                    ("schema.name".to_string(), "demo_ml.score")
                } else {
                    (format!("{} name", kind.noun()), "demo_ml")
                };
                let list = kind.info().example_list;
                format!(
                    "`{section}` maps each {what} (or glob) to its grants, e.g. \
                     `{section}: {{{example}: {{{list}: [analysts]}}}}`"
                )
            }
            "cluster" => "`cluster` is a mapping: `cluster: {account_id: \"123456789012\", \
                          region: us-east-1, role_name: RedshiftML, bucket: my-ml-bucket}`"
                .to_string(),
            _ => "see the grants.yaml reference for this key".to_string(),
        },
        2 if section == "cluster" => cluster_expectation(key(1).unwrap_or("")),
        2 if matches!(segs[1], Seg::Index(_)) => {
            "each `ignore` entry is a principal name or glob (a string)".to_string()
        }
        2 => match section {
            "groups" | "roles" => "a group or role takes `create_model: true` and \
                                   `members: [user, ...]`, or nothing (`analysts: {}`)"
                .to_string(),
            "users" => "a user takes `create_model: true`, or nothing (`dave: {}`)".to_string(),
            "schemas" => "a schema takes `create: [...]` and `usage: [...]` lists of grantees, \
                          or nothing"
                .to_string(),
            _ => "a model or function takes `execute: [...]`, a list of grantees, or nothing"
                .to_string(),
        },
        _ => {
            let field = key(2).unwrap_or("");
            let item = segs.len() > 3;
            match (field, item) {
                ("create_model", _) => "`create_model` is `true` or `false`".to_string(),
                ("members", false) => match scalar {
                    Some(v) => format!("`members` is a list: write `members: [{v}]`"),
                    None => "`members` is a list of user names (and `role:NAME` in a role), \
                             e.g. `members: [alice, bob]`"
                        .to_string(),
                },
                ("members", true) => "each member is a user name, or `role:NAME` in a role"
                    .to_string(),
                (f, false) => match scalar {
                    Some(v) => format!("`{f}` is a list of grantees: write `{f}: [{v}]`"),
                    None => format!(
                        "`{f}` is a list of grantees, e.g. `{f}: [analysts, public]`"
                    ),
                },
                (_, true) => "each grantee is a name: a declared group, role or user, \
                              `group:NAME`, `role:NAME`, `user:NAME`, or `public`"
                    .to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The advice for a section of the wrong shape, made from the kind table, reads as it
    /// did when each section's was written out.
    #[test]
    fn section_advice_is_made_from_the_kind_table() {
        let at = |key: &str| expectation(&[Seg::Key(key.to_string())], None);
        assert_eq!(
            at("schemas"),
            "`schemas` maps each schema name (or glob) to its grants, e.g. \
             `schemas: {demo_ml: {usage: [analysts]}}`"
        );
        for section in ["models", "functions"] {
            assert_eq!(
                at(section),
                format!(
                    "`{section}` maps each schema.name (or glob) to its grants, e.g. \
                     `{section}: {{demo_ml.score: {{execute: [analysts]}}}}`"
                )
            );
        }
        assert_eq!(
            expectation(&[], None),
            "grants.yaml is a mapping of keys: target, mode, ignore, case_sensitive_identifiers, \
             groups, roles, users, schemas, models, functions, tables, sequences, procedures, \
             database, default_privileges, assume_role, cluster"
        );
        assert_eq!(
            at("tables"),
            "`tables` maps each schema.name (or glob) to its grants, e.g. \
             `tables: {demo_ml.score: {select: [analysts]}}`"
        );
    }
}
