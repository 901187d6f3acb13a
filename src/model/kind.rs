//! The kinds of object privileges are granted on, described once.
//!
//! Every module that has to know what a schema, a model or a function is (the
//! grants.yaml section and its list keys, the noun in messages, the SQL word, how the
//! name is written, which privileges apply, on which targets the kind exists) asks
//! [`ObjectKind`] instead of spelling it out. Adding a kind is a new variant here, a new
//! row in [`KINDS`], a new [`Securable`] variant (all three here) and the catalog
//! queries that read it (docs/architecture.md, "Adding an object kind").
//!
//! CREATE MODEL is not a kind: it is a grant on no object ([`Securable::CreateModel`]).

use serde::{Deserialize, Serialize};

use super::{Privilege, Target};

/// A kind of object privileges are granted on. The order is the statement order of a
/// plan (and of [`Securable`]'s variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Schema,
    Model,
    Function,
    Table,
    Sequence,
    Procedure,
    Database,
}

/// What grantplan knows about one [`ObjectKind`].
#[derive(Debug)]
pub struct KindInfo {
    pub kind: ObjectKind,
    /// The grants.yaml section that names objects of this kind (`schemas`).
    pub section: &'static str,
    /// The noun used in messages (`schema`).
    pub noun: &'static str,
    /// The word after `ON` in SQL (`SCHEMA`).
    pub sql: &'static str,
    /// How many dot-separated parts a name has: 1 (`demo_ml`) or 2 (`demo_ml.score`).
    pub parts: usize,
    /// Whether an object is one overload among several, told apart by an argument list
    /// (`demo_ml.score(integer)`).
    pub has_args: bool,
    /// The privileges that can be granted on this kind, in statement order.
    pub privileges: &'static [Privilege],
    /// The grants.yaml key of the list of grantees of each of `privileges`, in the same
    /// order: the valid keys of one rule of the kind's section.
    pub list_keys: &'static [&'static str],
    /// The targets on which this kind exists.
    pub targets: &'static [Target],
    /// A key of the kind's section, for advice (`demo_ml.score_customer`).
    pub example: &'static str,
    /// The list key used in advice (`usage`): the privilege most often granted.
    pub example_list: &'static str,
    /// What each part of a name is, in a message about a plan read back: the first
    /// part, then the second (`""` for a one-part kind).
    pub parts_read_as: (&'static str, &'static str),
    /// Why the kind's section cannot be used on a target outside `targets`; and the
    /// same, short, for a plan read back that names the kind there.
    pub absent: (&'static str, &'static str),
    /// On Redshift, the view the objects are listed from shows a non-superuser only the
    /// ones it owns: the view and the documentation's words, for messages. `None` when
    /// every login that reads the catalog lists them all.
    pub own_rows_only: Option<&'static str>,
    /// The section is one rule, for the one object of the kind a connection has (the
    /// database connected to): its lists, not a mapping of names to lists.
    pub single: bool,
    /// The server finds an object of this kind named in a GRANT by listing every object
    /// of its name, in every schema (functions, procedures and models: PostgreSQL's
    /// LookupFuncWithArgs), so where schemas repeat names the planner shapes statements
    /// by name (`plan.rs`, `group`). A table is found by schema and name at once.
    pub found_by_name_list: bool,
}

/// The kind table, in [`ObjectKind`] order.
pub static KINDS: [KindInfo; 7] = [
    KindInfo {
        kind: ObjectKind::Schema,
        section: "schemas",
        noun: "schema",
        sql: "SCHEMA",
        parts: 1,
        has_args: false,
        privileges: &[Privilege::Create, Privilege::Usage],
        list_keys: &["create", "usage"],
        targets: &[Target::Redshift, Target::Postgres],
        example: "demo_ml",
        example_list: "usage",
        parts_read_as: ("a schema name", ""),
        absent: ("", ""),
        own_rows_only: None,
        found_by_name_list: false,
        single: false,
    },
    KindInfo {
        kind: ObjectKind::Model,
        section: "models",
        noun: "model",
        sql: "MODEL",
        parts: 2,
        has_args: false,
        privileges: &[Privilege::Execute],
        list_keys: &["execute"],
        targets: &[Target::Redshift],
        example: "demo_ml.customer_churn_auto_model",
        example_list: "execute",
        parts_read_as: ("the model's schema name", "the model name"),
        absent: (
            "ML models exist only on Amazon Redshift (Redshift ML)",
            "PostgreSQL has no models",
        ),
        own_rows_only: Some("svv_ml_model_info: \"regular users can see only their own data\"; ACCESS SYSTEM TABLE does not widen it"),
        found_by_name_list: true,
        single: false,
    },
    KindInfo {
        kind: ObjectKind::Function,
        section: "functions",
        noun: "function",
        sql: "FUNCTION",
        parts: 2,
        has_args: true,
        privileges: &[Privilege::Execute],
        list_keys: &["execute"],
        targets: &[Target::Redshift, Target::Postgres],
        example: "demo_ml.score_customer",
        example_list: "execute",
        parts_read_as: ("the function's schema name", "the function name"),
        absent: ("", ""),
        own_rows_only: None,
        found_by_name_list: true,
        single: false,
    },
    // Tables, views, materialized views (and PostgreSQL's foreign and partitioned
    // tables): GRANT ... ON TABLE takes them all, on both targets.
    KindInfo {
        kind: ObjectKind::Table,
        section: "tables",
        noun: "table",
        sql: "TABLE",
        parts: 2,
        has_args: false,
        privileges: &[
            Privilege::Select,
            Privilege::Insert,
            Privilege::Update,
            Privilege::Delete,
            Privilege::Truncate,
            Privilege::References,
            Privilege::Trigger,
            Privilege::Alter,
            Privilege::Drop,
        ],
        list_keys: &[
            "select",
            "insert",
            "update",
            "delete",
            "truncate",
            "references",
            "trigger",
            "alter",
            "drop",
        ],
        targets: &[Target::Redshift, Target::Postgres],
        example: "demo_ml.churn_training",
        example_list: "select",
        parts_read_as: ("the table's schema name", "the table name"),
        absent: ("", ""),
        own_rows_only: Some("svv_redshift_tables and svv_mv_info: \"regular users can see only their own data\""),
        found_by_name_list: false,
        single: false,
    },
    // Sequences: PostgreSQL's (relkind S); Redshift has none (IDENTITY columns instead).
    KindInfo {
        kind: ObjectKind::Sequence,
        section: "sequences",
        noun: "sequence",
        sql: "SEQUENCE",
        parts: 2,
        has_args: false,
        privileges: &[Privilege::Usage, Privilege::Select, Privilege::Update],
        list_keys: &["usage", "select", "update"],
        targets: &[Target::Postgres],
        example: "app.orders_id_seq",
        example_list: "usage",
        parts_read_as: ("the sequence's schema name", "the sequence name"),
        absent: (
            "Redshift has no sequences (it numbers rows with IDENTITY columns)",
            "Redshift has no sequences",
        ),
        own_rows_only: None,
        found_by_name_list: false,
        single: false,
    },
    // Stored procedures: EXECUTE, every overload, both targets (r_GRANT: `ON PROCEDURE
    // name(argtypes)`; PostgreSQL 11 and later).
    KindInfo {
        kind: ObjectKind::Procedure,
        section: "procedures",
        noun: "procedure",
        sql: "PROCEDURE",
        parts: 2,
        has_args: true,
        privileges: &[Privilege::Execute],
        list_keys: &["execute"],
        targets: &[Target::Redshift, Target::Postgres],
        example: "demo_ml.refresh_features",
        example_list: "execute",
        parts_read_as: ("the procedure's schema name", "the procedure name"),
        absent: ("", ""),
        own_rows_only: None,
        found_by_name_list: true,
        single: false,
    },
    // The database connected to: CREATE (schemas), TEMP, and CONNECT on PostgreSQL.
    KindInfo {
        kind: ObjectKind::Database,
        section: "database",
        noun: "database",
        sql: "DATABASE",
        parts: 1,
        has_args: false,
        privileges: &[Privilege::Create, Privilege::Temp, Privilege::Connect],
        list_keys: &["create", "temp", "connect"],
        targets: &[Target::Redshift, Target::Postgres],
        example: "dev",
        example_list: "temp",
        parts_read_as: ("a database name", ""),
        absent: ("", ""),
        own_rows_only: Some(
            "svv_redshift_databases: \"regular users can see only their own data\"",
        ),
        found_by_name_list: false,
        single: true,
    },
];

impl ObjectKind {
    /// Every kind, in statement order.
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::Schema,
        ObjectKind::Model,
        ObjectKind::Function,
        ObjectKind::Table,
        ObjectKind::Sequence,
        ObjectKind::Procedure,
        ObjectKind::Database,
    ];

    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }

    pub fn section(self) -> &'static str {
        self.info().section
    }

    pub fn noun(self) -> &'static str {
        self.info().noun
    }

    pub fn sql(self) -> &'static str {
        self.info().sql
    }

    /// True when the name has a schema part and a name part (`schema.name`).
    pub fn qualified(self) -> bool {
        self.info().parts == 2
    }

    /// True when this kind exists on `target`.
    pub fn exists_on(self, target: Target) -> bool {
        self.info().targets.contains(&target)
    }

    /// The privileges that can be granted on this kind, in statement order.
    pub fn privileges(self) -> impl Iterator<Item = Privilege> {
        self.info().privileges.iter().copied()
    }

    /// True when `privilege` can be granted on this kind.
    pub fn allows(self, privilege: Privilege) -> bool {
        self.privileges().any(|p| p == privilege)
    }

    /// True when `privilege` can be granted on this kind on `target` (TRIGGER on a
    /// table is PostgreSQL's, ALTER and DROP Redshift's: [`Privilege::targets`]).
    pub fn allows_on(self, privilege: Privilege, target: Target) -> bool {
        self.allows(privilege) && privilege.targets().contains(&target)
    }

    /// The grants.yaml list keys of this kind (`create`, `usage`), in privilege order.
    pub fn list_keys(self) -> &'static [&'static str] {
        self.info().list_keys
    }

    /// The SQL word of this kind in ALTER DEFAULT PRIVILEGES (`TABLES`), for the kinds
    /// default privileges cover on `target`: tables and functions on both, sequences on
    /// PostgreSQL (where FUNCTIONS also covers procedures), procedures on Redshift.
    pub fn defaults_sql(self, target: Target) -> Option<&'static str> {
        match (self, target) {
            (ObjectKind::Table, _) => Some("TABLES"),
            (ObjectKind::Function, _) => Some("FUNCTIONS"),
            (ObjectKind::Sequence, Target::Postgres) => Some("SEQUENCES"),
            (ObjectKind::Procedure, Target::Redshift) => Some("PROCEDURES"),
            _ => None,
        }
    }

    /// True when ALTER DEFAULT PRIVILEGES can GRANT `privilege` on new objects of this
    /// kind on `target`: the kind has defaults there and takes the privilege, except
    /// ALTER on Redshift's TABLES, which its grammar leaves out (r_ALTER_DEFAULT_PRIVILEGES;
    /// docs/research/redshift-catalog.md §12.6).
    pub fn defaults_allow(self, privilege: Privilege, target: Target) -> bool {
        self.defaults_sql(target).is_some()
            && self.allows_on(privilege, target)
            && !(target == Target::Redshift && privilege == Privilege::Alter)
    }

    /// True when ALTER DEFAULT PRIVILEGES can REVOKE `privilege` by name: Redshift's
    /// REVOKE ... ON TABLES lists no DROP (only ALL takes it back, §12.6).
    pub fn defaults_revocable(self, privilege: Privilege, target: Target) -> bool {
        self.defaults_allow(privilege, target)
            && !(target == Target::Redshift && privilege == Privilege::Drop)
    }

    /// The privileges of this kind on `target` in words, for messages (`CREATE and
    /// USAGE`).
    pub fn privilege_words(self, target: Target) -> String {
        let words: Vec<&str> = self
            .privileges()
            .filter(|&p| self.allows_on(p, target))
            .map(Privilege::sql)
            .collect();
        super::joined(&words, "and")
    }

    /// The SQL words of the kinds that exist on `target`, for messages
    /// (`SCHEMA, MODEL or FUNCTION`).
    pub fn sql_words(target: Target) -> String {
        let words: Vec<&str> = ObjectKind::ALL
            .into_iter()
            .filter(|k| k.exists_on(target))
            .map(ObjectKind::sql)
            .collect();
        super::joined(&words, "or")
    }

    /// The kind whose grants.yaml section is `section`.
    pub fn from_section(section: &str) -> Option<ObjectKind> {
        KINDS.iter().find(|k| k.section == section).map(|k| k.kind)
    }

    /// The kind whose SQL word is `word` (upper case).
    pub fn from_sql(word: &str) -> Option<ObjectKind> {
        KINDS.iter().find(|k| k.sql == word).map(|k| k.kind)
    }

    /// The object of this kind named by `first` (the schema) and `second` (the name
    /// within it; ignored by a one-part kind), with `args` for a kind that has them.
    pub fn object(self, first: String, second: String, args: Option<String>) -> Securable {
        match self {
            ObjectKind::Schema => Securable::Schema { name: first },
            ObjectKind::Model => Securable::Model {
                schema: first,
                name: second,
            },
            ObjectKind::Function => Securable::Function {
                schema: first,
                name: second,
                args,
            },
            ObjectKind::Table => Securable::Table {
                schema: first,
                name: second,
            },
            ObjectKind::Sequence => Securable::Sequence {
                schema: first,
                name: second,
            },
            ObjectKind::Procedure => Securable::Procedure {
                schema: first,
                name: second,
                args,
            },
            ObjectKind::Database => Securable::Database { name: first },
        }
    }
}

/// A kind is written as its noun (`schema`, `model`, `function`): the `type` of a
/// snapshot's object, the same word as [`Securable`]'s tag in plan JSON.
impl Serialize for ObjectKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.noun())
    }
}

impl<'de> Deserialize<'de> for ObjectKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        KINDS
            .iter()
            .find(|k| k.noun == word)
            .map(|k| k.kind)
            .ok_or_else(|| {
                let nouns: Vec<String> = KINDS.iter().map(|k| format!("`{}`", k.noun)).collect();
                serde::de::Error::custom(format_args!(
                    "unknown variant `{word}`, expected one of {}",
                    nouns.join(", ")
                ))
            })
    }
}

/// Something privileges are granted on.
///
/// The variant order is the statement order of a plan; within a variant, objects sort by
/// name, which is what makes glob expansions deterministic.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Securable {
    /// The cluster-wide CREATE MODEL right (Redshift only).
    CreateModel,
    /// Redshift's other system permissions ([`Privilege::SYSTEM`]), granted to roles on
    /// no object (`GRANT DROP MODEL TO ROLE r`).
    System,
    Schema {
        name: String,
    },
    Model {
        schema: String,
        name: String,
    },
    /// One overload of a function. `args` are the identity argument types as the server
    /// formats them (`integer, text`); `None` only in an offline plan, where overloads
    /// cannot be known.
    Function {
        schema: String,
        name: String,
        args: Option<String>,
    },
    /// A table, view or materialized view.
    Table {
        schema: String,
        name: String,
    },
    /// A sequence (PostgreSQL).
    Sequence {
        schema: String,
        name: String,
    },
    /// One overload of a stored procedure; `args` as for [`Securable::Function`].
    Procedure {
        schema: String,
        name: String,
        args: Option<String>,
    },
    /// The database connected to.
    Database {
        name: String,
    },
    /// What objects of kind `of` that `role` creates later (in `schema`, or anywhere)
    /// will be granted: ALTER DEFAULT PRIVILEGES. No object of its own: `object_kind`
    /// is `None`, as for CREATE MODEL.
    Default {
        role: String,
        schema: Option<String>,
        #[schemars(with = "String")]
        of: ObjectKind,
    },
    /// An IAM role, by ARN (`None`: the cluster's default role, `ON default`), whose use
    /// in CREATE MODEL, COPY, UNLOAD and external functions is granted (Redshift's
    /// ASSUMEROLE; the privileges are [`Privilege::PURPOSES`]). No object of the
    /// database: `object_kind` is `None`.
    IamRole {
        arn: Option<String>,
    },
}

impl Securable {
    /// The kind word used in messages and counts (`schema`, `model`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Securable::Default { .. } => "default_privileges",
            Securable::IamRole { .. } => "assume_role",
            Securable::System => "system",
            _ => self.object_kind().map_or("create_model", ObjectKind::noun),
        }
    }

    /// A human-readable name, unquoted (`demo_ml.score(integer)`); for messages only,
    /// never for SQL.
    pub fn display_name(&self) -> String {
        if let Securable::Default { role, schema, of } = self {
            let place = schema
                .as_ref()
                .map_or(String::new(), |s| format!(" in {s}"));
            return format!("default privileges of {role}{place} on {}", of.section());
        }
        if let Securable::IamRole { arn } = self {
            return format!("IAM role {}", arn.as_deref().unwrap_or("default"));
        }
        if *self == Securable::System {
            return "system permissions".to_string();
        }
        let Some(parts) = self.name_parts() else {
            return "CREATE MODEL".to_string();
        };
        let mut s = parts.first.to_string();
        if let Some(name) = parts.second {
            s.push('.');
            s.push_str(name);
        }
        if let Some(args) = parts.args {
            s.push('(');
            s.push_str(args);
            s.push(')');
        }
        s
    }
}

/// The grants.yaml key of the list that grants `privilege` on any kind (`create`,
/// `usage`, `execute`).
pub fn list_key(privilege: Privilege) -> Option<&'static str> {
    KINDS.iter().find_map(|k| {
        let i = k.privileges.iter().position(|&p| p == privilege)?;
        Some(k.list_keys[i])
    })
}

/// The parts of an object's name: the first (a schema), the second (the name within
/// the schema, for a two-part kind) and the argument list (for a kind that has one).
pub struct NameParts<'a> {
    pub first: &'a str,
    pub second: Option<&'a str>,
    pub args: Option<&'a str>,
}

impl Securable {
    /// The kind of this object; `None` for CREATE MODEL, which is granted on no object.
    pub fn object_kind(&self) -> Option<ObjectKind> {
        match self {
            Securable::CreateModel => None,
            Securable::Schema { .. } => Some(ObjectKind::Schema),
            Securable::Model { .. } => Some(ObjectKind::Model),
            Securable::Function { .. } => Some(ObjectKind::Function),
            Securable::Table { .. } => Some(ObjectKind::Table),
            Securable::Sequence { .. } => Some(ObjectKind::Sequence),
            Securable::Procedure { .. } => Some(ObjectKind::Procedure),
            Securable::Database { .. } => Some(ObjectKind::Database),
            Securable::Default { .. } | Securable::IamRole { .. } | Securable::System => None,
        }
    }

    /// The parts of this object's name; `None` for CREATE MODEL.
    pub fn name_parts(&self) -> Option<NameParts<'_>> {
        match self {
            Securable::CreateModel
            | Securable::System
            | Securable::Default { .. }
            | Securable::IamRole { .. } => None,
            Securable::Schema { name } | Securable::Database { name } => Some(NameParts {
                first: name,
                second: None,
                args: None,
            }),
            Securable::Model { schema, name } => Some(NameParts {
                first: schema,
                second: Some(name),
                args: None,
            }),
            Securable::Function { schema, name, args }
            | Securable::Procedure { schema, name, args } => Some(NameParts {
                first: schema,
                second: Some(name),
                args: args.as_deref(),
            }),
            Securable::Table { schema, name } | Securable::Sequence { schema, name } => {
                Some(NameParts {
                    first: schema,
                    second: Some(name),
                    args: None,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_kind_order_and_agrees_with_securable() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(k.kind as usize, i);
            assert_eq!(ObjectKind::ALL[i], k.kind);
            let o = k.kind.object("s".into(), "n".into(), Some("int".into()));
            assert_eq!(o.object_kind(), Some(k.kind));
            assert_eq!(o.kind(), k.noun);
            let parts = o.name_parts().unwrap();
            assert_eq!(parts.second.is_some(), k.parts == 2);
            assert_eq!(parts.args.is_some(), k.has_args);
            assert_eq!(ObjectKind::from_section(k.section), Some(k.kind));
            assert_eq!(ObjectKind::from_sql(k.sql), Some(k.kind));
        }
        // Statement order: CREATE MODEL, then the kinds in table order.
        let mut objects: Vec<Securable> = ObjectKind::ALL
            .iter()
            .rev()
            .map(|k| k.object(String::new(), String::new(), None))
            .collect();
        objects.push(Securable::CreateModel);
        objects.sort();
        assert_eq!(objects[0], Securable::CreateModel);
        let kinds: Vec<_> = objects[1..]
            .iter()
            .map(|o| o.object_kind().unwrap())
            .collect();
        assert_eq!(kinds, ObjectKind::ALL);
    }

    #[test]
    fn a_privilege_has_one_list_key_whatever_the_kind() {
        for k in &KINDS {
            assert_eq!(k.privileges.len(), k.list_keys.len(), "{}", k.noun);
            for (&p, &key) in k.privileges.iter().zip(k.list_keys) {
                assert_eq!(list_key(p), Some(key));
            }
        }
        assert_eq!(list_key(Privilege::CreateModel), None);
    }
}
