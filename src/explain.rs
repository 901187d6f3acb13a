//! `grantplan explain`: who can train, who can run, and why (issue 20).
//!
//! From a catalog [`Snapshot`] (live or from a file), for one principal or one model, every
//! path that gives or withholds the ability:
//!
//! - **train** (CREATE MODEL) takes three things: the CREATE MODEL right; CREATE on the
//!   schema the model is written into; and ASSUMEROLE for CREATE MODEL on the IAM role the
//!   statement names (grants.yaml's `cluster:` role, else the cluster's default role).
//!   Until a superuser runs `REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL`, Redshift lets
//!   PUBLIC use every role the cluster has (docs/research/redshift-catalog.md §11.6,
//!   §13.4): a catalog that lists no ASSUMEROLE grant at all is read as "not restricted".
//! - **run** (a model's prediction function) takes EXECUTE on the model and USAGE on its
//!   schema; the model's owner can always run and drop it.
//! - a **superuser** can do everything, whatever the grants.
//!
//! A privilege is held directly, through a group or role the principal belongs to
//! (through the catalog's memberships, to any depth: the chain is shown), through PUBLIC,
//! or as the owner of the object. Redshift only: PostgreSQL has no models and no CREATE
//! MODEL, and `explain` refuses a PostgreSQL catalog with a message that says so.
//!
//! [`apply_statements`] turns a snapshot into the one a plan leaves (`explain --after`).
//! Everything here is pure: the CLI reads the catalog and prints.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use crate::catalog::Snapshot;
use crate::catalog::{Acl, DefaultInfo, IamRoleInfo, Membership, ObjectInfo, PrincipalInfo};
use crate::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target};
use crate::sql::Statement;

/// The `format` of the JSON document.
pub const FORMAT: &str = "grantplan-explain";
/// Its layout version.
pub const VERSION: u32 = 1;

/// What to explain, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `--who`: `kind:name`, or a bare name one principal of the catalog has.
    Who(String),
    /// `--model`: `schema.model`.
    Model(String),
}

/// Why nothing could be explained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(
        "grantplan explain is for Redshift ML, and this catalog is PostgreSQL's: PostgreSQL \
         has no models and no CREATE MODEL (use `grantplan diff` to see who holds what)"
    )]
    Postgres,
    #[error("no principal `{given}` in {catalog}{}", did_you_mean(suggestion))]
    UnknownPrincipal {
        given: String,
        catalog: String,
        suggestion: Option<String>,
    },
    #[error("`{given}` names {} in {catalog}: write one of them", crate::model::joined(&matches.iter().map(String::as_str).collect::<Vec<_>>(), "and"))]
    Ambiguous {
        given: String,
        catalog: String,
        matches: Vec<String>,
    },
    #[error("`{given}` is not of the form group:NAME, role:NAME, user:NAME or a bare NAME: {why}")]
    BadPrincipal { given: String, why: String },
    #[error("no model `{given}` in {catalog}{}", did_you_mean(suggestion))]
    UnknownModel {
        given: String,
        catalog: String,
        suggestion: Option<String>,
    },
    #[error(
        "`{given}` is not a model name: write SCHEMA.MODEL (demo_ml.customer_churn_auto_model)"
    )]
    BadModel { given: String },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map_or(String::new(), |s| format!("; did you mean `{s}`?"))
}

/// Refuses a target `explain` does not explain (PostgreSQL).
pub fn supported(target: Target) -> Result<(), Error> {
    match target {
        Target::Redshift => Ok(()),
        Target::Postgres => Err(Error::Postgres),
    }
}

/// How a privilege reaches the principal. The order is the order paths are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// It owns the object.
    Owner,
    /// Granted to the principal itself.
    Direct,
    /// Granted to a group or role it belongs to.
    Membership,
    /// Granted to PUBLIC.
    Public,
}

/// One path by which a privilege is held.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Path {
    pub via: Via,
    /// Who holds the privilege: the principal itself (`owner`, `direct`), the group or
    /// role it belongs to (`membership`), or `public`.
    pub holder: Grantee,
    /// For `membership`: the groups and roles from the principal to the holder, in order,
    /// the holder last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Principal>,
}

/// CREATE on one schema, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaPaths {
    pub schema: String,
    pub paths: Vec<Path>,
}

/// What the catalog says of ASSUMEROLE for CREATE MODEL on the role CREATE MODEL uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssumeState {
    /// Granted, by the paths listed.
    Held,
    /// The catalog lists no ASSUMEROLE grant at all: Redshift's default, PUBLIC may use
    /// every role, as far as the catalog shows.
    Unrestricted,
    /// The catalog lists ASSUMEROLE grants, and none for CREATE MODEL on this role to the
    /// principal, its groups and roles, or PUBLIC.
    NotListed,
}

/// ASSUMEROLE for CREATE MODEL on the IAM role CREATE MODEL would use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssumeRole {
    /// The role's ARN; absent for the cluster's default role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `cluster`: grants.yaml's `cluster:` role; `default`: the cluster's default IAM role
    /// (no `cluster:` section given).
    pub from: &'static str,
    pub state: AssumeState,
    pub paths: Vec<Path>,
}

impl AssumeRole {
    fn held(&self) -> bool {
        self.state != AssumeState::NotListed
    }

    /// The role as the verdicts name it.
    fn name(&self) -> String {
        match &self.arn {
            Some(arn) => arn.clone(),
            None => "the cluster's default IAM role".to_string(),
        }
    }
}

/// Whether the principal can train, and every path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Train {
    pub can: bool,
    /// How it holds CREATE MODEL; empty: withheld.
    pub create_model: Vec<Path>,
    /// The schemas where it holds CREATE, in name order; empty: withheld.
    pub schemas: Vec<SchemaPaths>,
    pub assume_role: AssumeRole,
}

/// Whether the principal can run one model, and every path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelAccess {
    /// `schema.model`.
    pub model: String,
    pub can: bool,
    /// It owns the model: it can always run and drop it.
    pub owner: bool,
    /// How it holds EXECUTE on the model.
    pub execute: Vec<Path>,
    /// How it holds USAGE on the model's schema.
    pub usage: Vec<Path>,
    /// What it lacks (`EXECUTE on the model`, `USAGE on schema demo_ml`); empty when it
    /// can run the model.
    pub missing: Vec<String>,
}

/// One principal's paths to run a model (the model view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrincipalAccess {
    pub principal: Principal,
    pub execute: Vec<Path>,
    pub usage: Vec<Path>,
    pub missing: Vec<String>,
}

/// Who can run one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelView {
    /// The owning user, who can always run and drop it; absent when the catalog does not
    /// know it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Principal>,
    /// Superusers (the server's reserved ones left out): they can do everything.
    pub superusers: Vec<Principal>,
    /// Every principal holding EXECUTE on the model and USAGE on its schema.
    pub can_run: Vec<PrincipalAccess>,
    /// Every principal holding one of the two only.
    pub withheld: Vec<PrincipalAccess>,
}

/// What an `--after` explanation adds: the plan, and the verdicts that change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct After {
    /// The grants file planned.
    pub file: String,
    /// How many statements its plan has.
    pub statements: usize,
    /// Verdicts now that the plan takes away.
    pub removed: Vec<String>,
    /// Verdicts after the plan that are not true now.
    pub added: Vec<String>,
}

/// The whole answer: the JSON document of `explain --format json`, and what the text is
/// rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`VERSION`].
    pub version: u32,
    pub target: Target,
    /// Where the catalog came from (`snapshot catalog.json`, a server).
    pub source: String,
    /// The principal explained (`--who`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The model explained (`--model`), `schema.model`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `--after`: the state explained is the one after the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<After>,
    /// The principal is a superuser: it can do everything (no `train` or `run` then).
    pub superuser: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train: Option<Train>,
    /// Every model the principal can run or holds half of what running takes, in name
    /// order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Vec<ModelAccess>>,
    /// For `--model`: who can run it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<ModelView>,
    /// One sentence per conclusion (`can train in demo_ml with arn:...`).
    pub verdicts: Vec<String>,
}

/// The principal or model a [`Query`] names in `snap`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Principal(Principal),
    Model { schema: String, name: String },
}

/// Finds what `query` names in `snap` (`source` names the catalog in messages).
pub fn resolve(snap: &Snapshot, query: &Query, source: &str) -> Result<Subject, Error> {
    supported(snap.target)?;
    match query {
        Query::Who(given) => resolve_principal(snap, given, source).map(Subject::Principal),
        Query::Model(given) => {
            let (schema, name) = given
                .split_once('.')
                .filter(|(s, n)| !s.is_empty() && !n.is_empty())
                .ok_or_else(|| Error::BadModel {
                    given: given.clone(),
                })?;
            let on = Securable::Model {
                schema: schema.to_string(),
                name: name.to_string(),
            };
            if snap.object_info(&on).is_some() {
                return Ok(Subject::Model {
                    schema: schema.to_string(),
                    name: name.to_string(),
                });
            }
            let names: Vec<String> = snap
                .objects_of(ObjectKind::Model)
                .iter()
                .map(|o| o.object.display_name())
                .collect();
            Err(Error::UnknownModel {
                given: given.clone(),
                catalog: source.to_string(),
                suggestion: crate::config::nearest(given, names.iter().map(String::as_str))
                    .map(str::to_string),
            })
        }
    }
}

fn resolve_principal(snap: &Snapshot, given: &str, source: &str) -> Result<Principal, Error> {
    let all: Vec<Principal> = snap
        .principals
        .iter()
        .map(PrincipalInfo::principal)
        .collect();
    let shown: Vec<String> = all.iter().map(Principal::to_string).collect();
    if given.contains(':') {
        let p: Principal = given.parse().map_err(|why| Error::BadPrincipal {
            given: given.to_string(),
            why,
        })?;
        if all.contains(&p) {
            return Ok(p);
        }
        // The same name of another kind first, then a near name.
        let same_name: Vec<&String> = all
            .iter()
            .zip(&shown)
            .filter(|(q, _)| q.name == p.name)
            .map(|(_, s)| s)
            .collect();
        let suggestion = match same_name.as_slice() {
            [one] => Some(one.to_string()),
            _ => {
                crate::config::nearest(given, shown.iter().map(String::as_str)).map(str::to_string)
            }
        };
        return Err(Error::UnknownPrincipal {
            given: given.to_string(),
            catalog: source.to_string(),
            suggestion,
        });
    }
    let matches: Vec<&Principal> = all.iter().filter(|p| p.name == given).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::UnknownPrincipal {
            given: given.to_string(),
            catalog: source.to_string(),
            suggestion: crate::config::nearest(given, all.iter().map(|p| p.name.as_str()))
                .and_then(|n| all.iter().find(|p| p.name == n))
                .map(Principal::to_string),
        }),
        many => Err(Error::Ambiguous {
            given: given.to_string(),
            catalog: source.to_string(),
            matches: many.iter().map(|p| p.to_string()).collect(),
        }),
    }
}

/// Explains `subject` in `snap`. `role_arn` is grants.yaml's `cluster:` role (the IAM
/// role CREATE MODEL uses); `None`: the cluster's default role.
pub fn explain(
    snap: &Snapshot,
    subject: &Subject,
    role_arn: Option<&str>,
    source: &str,
) -> Explanation {
    let mut e = Explanation {
        format: FORMAT,
        version: VERSION,
        target: snap.target,
        source: source.to_string(),
        principal: None,
        model: None,
        after: None,
        superuser: false,
        train: None,
        run: None,
        access: None,
        verdicts: Vec::new(),
    };
    let w = World::new(snap);
    match subject {
        Subject::Principal(p) => {
            e.principal = Some(p.clone());
            if w.is_superuser(p) {
                e.superuser = true;
                e.verdicts.push(format!(
                    "{p} is a superuser: it can train, run and drop every model, whatever the \
                     grants"
                ));
                return e;
            }
            let holders = w.holders(p);
            let train = w.train(&holders, role_arn);
            e.verdicts.push(train_verdict(&train));
            let run = w.run(p, &holders);
            e.verdicts.extend(run_verdicts(&run));
            e.train = Some(train);
            e.run = Some(run);
        }
        Subject::Model { schema, name } => {
            let view = w.model_view(schema, name);
            e.verdicts.extend(model_verdicts(&view));
            e.model = Some(format!("{schema}.{name}"));
            e.access = Some(view);
        }
    }
    e
}

/// [`explain`] of `after` (the snapshot a plan of `statements` statements from `file`
/// leaves), with the verdicts that change from `before`. A principal the plan creates
/// does not exist before: its verdict there says so.
pub fn explain_change(
    before: &Snapshot,
    after: &Snapshot,
    subject: &Subject,
    role_arn: Option<&str>,
    source: &str,
    file: &str,
    statements: usize,
) -> Explanation {
    let then: Vec<String> = match subject {
        Subject::Principal(p) if !before.principals.iter().any(|i| &i.principal() == p) => {
            vec![format!("{p} does not exist yet")]
        }
        _ => explain(before, subject, role_arn, source).verdicts,
    };
    let mut e = explain(after, subject, role_arn, source);
    let now: BTreeSet<&String> = e.verdicts.iter().collect();
    let was: BTreeSet<&String> = then.iter().collect();
    e.after = Some(After {
        file: file.to_string(),
        statements,
        removed: then.iter().filter(|v| !now.contains(v)).cloned().collect(),
        added: e
            .verdicts
            .iter()
            .filter(|v| !was.contains(v))
            .cloned()
            .collect(),
    });
    e
}

struct World<'a> {
    snap: &'a Snapshot,
    /// Each member's direct parents, in membership order (indexed once: the model view
    /// follows every principal's memberships).
    parents_of: BTreeMap<&'a Principal, Vec<&'a Principal>>,
}

impl<'a> World<'a> {
    fn new(snap: &'a Snapshot) -> Self {
        let mut parents_of: BTreeMap<&Principal, Vec<&Principal>> = BTreeMap::new();
        for m in &snap.memberships {
            parents_of.entry(&m.member).or_default().push(&m.parent);
        }
        World { snap, parents_of }
    }
}

/// Who a principal's privileges come from: itself, each group or role it belongs to
/// (with the chain that leads there), and PUBLIC.
struct Holders {
    me: Principal,
    /// Each group or role it belongs to, directly or not, with the shortest chain.
    parents: BTreeMap<Principal, Vec<Principal>>,
}

impl Holders {
    /// How `grantee` reaches the principal, when it does.
    fn path(&self, grantee: &Grantee) -> Option<Path> {
        match grantee {
            Grantee::Public => Some(Path {
                via: Via::Public,
                holder: Grantee::Public,
                chain: Vec::new(),
            }),
            Grantee::Principal(p) if *p == self.me => Some(Path {
                via: Via::Direct,
                holder: grantee.clone(),
                chain: Vec::new(),
            }),
            Grantee::Principal(p) => self.parents.get(p).map(|chain| Path {
                via: Via::Membership,
                holder: grantee.clone(),
                chain: chain.clone(),
            }),
        }
    }
}

impl World<'_> {
    fn is_superuser(&self, p: &Principal) -> bool {
        self.snap
            .principals
            .iter()
            .any(|i| i.superuser && &i.principal() == p)
    }

    /// `p` and every group or role it belongs to, through the catalog's memberships, to
    /// any depth (breadth first, so each chain is a shortest one, the first in order).
    fn holders(&self, p: &Principal) -> Holders {
        let mut parents: BTreeMap<Principal, Vec<Principal>> = BTreeMap::new();
        let mut todo: VecDeque<(Principal, Vec<Principal>)> = VecDeque::from([(p.clone(), vec![])]);
        while let Some((q, chain)) = todo.pop_front() {
            for &parent in self.parents_of.get(&q).into_iter().flatten() {
                if parent == p || parents.contains_key(parent) {
                    continue;
                }
                let mut next = chain.clone();
                next.push(parent.clone());
                parents.insert(parent.clone(), next.clone());
                todo.push_back((parent.clone(), next));
            }
        }
        Holders {
            me: p.clone(),
            parents,
        }
    }

    /// Every path by which `h` holds `privilege` among `acls`, and as the owner `owner`
    /// (a user's name on Redshift) when it is one.
    fn paths(&self, h: &Holders, acls: &[Acl], privilege: Privilege, owner: &str) -> Vec<Path> {
        let mut out: BTreeSet<Path> = acls
            .iter()
            .filter(|a| a.privilege == privilege)
            .filter_map(|a| h.path(&a.grantee))
            .collect();
        if owns(&h.me, owner) {
            out.insert(Path {
                via: Via::Owner,
                holder: Grantee::Principal(h.me.clone()),
                chain: Vec::new(),
            });
        }
        out.into_iter().collect()
    }

    /// How `h` holds `privilege` on `on`; nothing when the catalog has no such object.
    fn object_paths(&self, h: &Holders, on: &Securable, privilege: Privilege) -> Vec<Path> {
        match self.snap.object(on) {
            Some((owner, acls)) => self.paths(h, acls, privilege, owner),
            None => Vec::new(),
        }
    }

    fn train(&self, h: &Holders, role_arn: Option<&str>) -> Train {
        let create_model: Vec<Path> = {
            let acls: Vec<Acl> = self
                .snap
                .create_model
                .iter()
                .map(|g| Acl {
                    grantee: g.clone(),
                    privilege: Privilege::CreateModel,
                    grant_option: false,
                })
                .collect();
            self.paths(h, &acls, Privilege::CreateModel, "")
        };
        let schemas: Vec<SchemaPaths> = self
            .snap
            .objects_of(ObjectKind::Schema)
            .iter()
            .filter_map(|o| {
                let paths = self.paths(h, &o.grants, Privilege::Create, &o.owner);
                (!paths.is_empty()).then(|| SchemaPaths {
                    schema: o.parts().first.to_string(),
                    paths,
                })
            })
            .collect();
        let arn = role_arn.map(str::to_string);
        let (state, paths) = if self.snap.iam_roles.is_empty() {
            (AssumeState::Unrestricted, Vec::new())
        } else {
            let paths = self
                .snap
                .iam_roles
                .iter()
                .find(|r| r.arn == arn)
                .map(|r| self.paths(h, &r.grants, Privilege::CreateModel, ""))
                .unwrap_or_default();
            let state = if paths.is_empty() {
                AssumeState::NotListed
            } else {
                AssumeState::Held
            };
            (state, paths)
        };
        let assume_role = AssumeRole {
            from: if arn.is_some() { "cluster" } else { "default" },
            arn,
            state,
            paths,
        };
        Train {
            can: !create_model.is_empty() && !schemas.is_empty() && assume_role.held(),
            create_model,
            schemas,
            assume_role,
        }
    }

    fn run(&self, p: &Principal, h: &Holders) -> Vec<ModelAccess> {
        let mut out = Vec::new();
        for m in self.snap.objects_of(ObjectKind::Model) {
            let schema = m.parts().first.to_string();
            let owner = owns(p, &m.owner);
            let execute = self.paths(h, &m.grants, Privilege::Execute, "");
            let usage = self.object_paths(h, &schema_object(&schema), Privilege::Usage);
            if !owner && execute.is_empty() && usage.is_empty() {
                continue;
            }
            let missing = if owner {
                Vec::new()
            } else {
                missing(&execute, &usage, &schema)
            };
            out.push(ModelAccess {
                model: m.object.display_name(),
                can: missing.is_empty(),
                owner,
                execute,
                usage,
                missing,
            });
        }
        out
    }

    fn model_view(&self, schema: &str, name: &str) -> ModelView {
        let on = Securable::Model {
            schema: schema.to_string(),
            name: name.to_string(),
        };
        let model = self.snap.object_info(&on).expect("resolved");
        let owner = model
            .known_owner()
            .map(|o| Principal::new(PrincipalKind::User, o));
        let mut view = ModelView {
            owner: owner.clone(),
            superusers: Vec::new(),
            can_run: Vec::new(),
            withheld: Vec::new(),
        };
        for info in &self.snap.principals {
            let p = info.principal();
            if info.superuser {
                if !self.snap.target.is_reserved(&p.name) {
                    view.superusers.push(p);
                }
                continue;
            }
            if owner.as_ref() == Some(&p) {
                continue;
            }
            let h = self.holders(&p);
            let execute = self.paths(&h, &model.grants, Privilege::Execute, "");
            let usage = self.object_paths(&h, &schema_object(schema), Privilege::Usage);
            if execute.is_empty() && usage.is_empty() {
                continue;
            }
            let missing = missing(&execute, &usage, schema);
            let access = PrincipalAccess {
                principal: p,
                execute,
                usage,
                missing,
            };
            if access.missing.is_empty() {
                view.can_run.push(access);
            } else {
                view.withheld.push(access);
            }
        }
        view
    }
}

/// Whether `p` is the user `owner` (Redshift objects are owned by users; empty: not
/// known).
fn owns(p: &Principal, owner: &str) -> bool {
    !owner.is_empty() && p.kind == PrincipalKind::User && p.name == owner
}

fn schema_object(name: &str) -> Securable {
    Securable::Schema {
        name: name.to_string(),
    }
}

fn missing(execute: &[Path], usage: &[Path], schema: &str) -> Vec<String> {
    let mut out = Vec::new();
    if execute.is_empty() {
        out.push("EXECUTE on the model".to_string());
    }
    if usage.is_empty() {
        out.push(format!("USAGE on schema {schema}"));
    }
    out
}

fn train_verdict(t: &Train) -> String {
    if t.can {
        let schemas: Vec<&str> = t.schemas.iter().map(|s| s.schema.as_str()).collect();
        return format!(
            "can train in {} with {}",
            crate::model::joined(&schemas, "and"),
            t.assume_role.name()
        );
    }
    let mut why = Vec::new();
    if t.create_model.is_empty() {
        why.push("no CREATE MODEL".to_string());
    }
    if t.schemas.is_empty() {
        why.push("no CREATE on any schema".to_string());
    }
    if !t.assume_role.held() {
        why.push(format!(
            "no ASSUMEROLE for CREATE MODEL on {}",
            t.assume_role.name()
        ));
    }
    format!("cannot train: {}", why.join("; "))
}

fn run_verdicts(run: &[ModelAccess]) -> Vec<String> {
    if run.is_empty() {
        return vec!["cannot run any model: no EXECUTE on any model, and owns none".to_string()];
    }
    run.iter()
        .map(|m| {
            if m.owner {
                format!("can run {} (its owner: can also drop it)", m.model)
            } else if m.can {
                format!("can run {}", m.model)
            } else {
                format!("cannot run {}: no {}", m.model, m.missing.join(", no "))
            }
        })
        .collect()
}

fn model_verdicts(v: &ModelView) -> Vec<String> {
    let mut out = Vec::new();
    match &v.owner {
        Some(o) => out.push(format!("{o} owns it: can always run and drop it")),
        None => out.push("its owner is not known to this catalog".to_string()),
    }
    if v.can_run.is_empty() {
        out.push("no other principal can run it, superusers aside".to_string());
    } else {
        let names: Vec<String> = v.can_run.iter().map(|a| a.principal.to_string()).collect();
        out.push(format!("can run it: {}", names.join(", ")));
    }
    for a in &v.withheld {
        out.push(format!(
            "{} cannot run it: no {}",
            a.principal,
            a.missing.join(", no ")
        ));
    }
    out
}

/// A path for people: `directly`, `as owner`, `through PUBLIC`, `through group:g`, and
/// for a longer chain `through role:b (via role:a)`.
fn path_text(p: &Path) -> String {
    match p.via {
        Via::Owner => "as owner".to_string(),
        Via::Direct => "directly".to_string(),
        Via::Public => "through PUBLIC".to_string(),
        Via::Membership => match p.chain.split_last() {
            Some((holder, [])) => format!("through {holder}"),
            Some((holder, before)) => {
                let before: Vec<String> = before.iter().map(Principal::to_string).collect();
                format!("through {holder} (via {})", before.join(", "))
            }
            None => format!("through {}", p.holder),
        },
    }
}

/// The text for people: stable, one line per path, indented under what it gives.
pub fn render(e: &Explanation) -> String {
    let mut out = String::new();
    let what = match (&e.principal, &e.model) {
        (Some(p), _) => p.to_string(),
        (None, Some(m)) => format!("model {m}"),
        (None, None) => String::new(),
    };
    match &e.after {
        Some(a) => out.push_str(&format!(
            "explain {what}, from {}, after the plan of {} ({} {})\n",
            e.source,
            a.file,
            a.statements,
            crate::output::plural(a.statements, "statement", "statements")
        )),
        None => out.push_str(&format!("explain {what}, from {}\n", e.source)),
    }
    let line = |out: &mut String, depth: usize, text: &str| {
        out.push_str(&"  ".repeat(depth));
        out.push_str(text);
        out.push('\n');
    };
    let paths = |out: &mut String, depth: usize, paths: &[Path]| {
        for p in paths {
            line(out, depth, &path_text(p));
        }
    };
    if let Some(t) = &e.train {
        out.push_str("\ntrain (CREATE MODEL):\n");
        if t.create_model.is_empty() {
            line(&mut out, 1, "CREATE MODEL: withheld (not granted to it, to a group or role it belongs to, or to PUBLIC)");
        } else {
            line(&mut out, 1, "CREATE MODEL: held");
            paths(&mut out, 2, &t.create_model);
        }
        if t.schemas.is_empty() {
            line(
                &mut out,
                1,
                "CREATE on a schema: withheld (it holds CREATE on no schema)",
            );
        } else {
            let names: Vec<&str> = t.schemas.iter().map(|s| s.schema.as_str()).collect();
            line(
                &mut out,
                1,
                &format!("CREATE on a schema: held on {}", names.join(", ")),
            );
            for s in &t.schemas {
                for p in &s.paths {
                    line(&mut out, 2, &format!("{}: {}", s.schema, path_text(p)));
                }
            }
        }
        let a = &t.assume_role;
        let role = match &a.arn {
            Some(arn) => format!("{arn} (grants.yaml's cluster: role)"),
            None => "the cluster's default IAM role (no cluster: role given)".to_string(),
        };
        match a.state {
            AssumeState::Held => {
                line(&mut out, 1, &format!("ASSUMEROLE for CREATE MODEL on {role}: held"));
                paths(&mut out, 2, &a.paths);
            }
            AssumeState::Unrestricted => {
                line(&mut out, 1, &format!("ASSUMEROLE for CREATE MODEL on {role}: not restricted as far as the catalog shows"));
                line(&mut out, 2, "the catalog lists no ASSUMEROLE grant: PUBLIC may use every role until REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL");
            }
            AssumeState::NotListed => line(&mut out, 1, &format!("ASSUMEROLE for CREATE MODEL on {role}: withheld (not granted to it, to a group or role it belongs to, or to PUBLIC)")),
        }
    }
    if let Some(run) = &e.run {
        out.push_str("\nrun (EXECUTE on the model, USAGE on its schema):\n");
        if run.is_empty() {
            line(
                &mut out,
                1,
                "no model: EXECUTE on none, USAGE on no model's schema, owns none",
            );
        }
        for m in run {
            let state = if m.owner {
                "can run (owner)".to_string()
            } else if m.can {
                "can run".to_string()
            } else {
                format!("withheld: no {}", m.missing.join(", no "))
            };
            line(&mut out, 1, &format!("{}: {state}", m.model));
            access_lines(&mut out, &m.execute, &m.usage, &m.model, m.owner);
        }
    }
    if let (Some(v), Some(model)) = (&e.access, &e.model) {
        out.push_str(&format!("\nmodel {model}:\n"));
        match &v.owner {
            Some(o) => line(
                &mut out,
                1,
                &format!("owner: {o} (can always run and drop it)"),
            ),
            None => line(&mut out, 1, "owner: not known to this catalog"),
        }
        if !v.superusers.is_empty() {
            let names: Vec<String> = v.superusers.iter().map(Principal::to_string).collect();
            line(
                &mut out,
                1,
                &format!("superusers (can do everything): {}", names.join(", ")),
            );
        }
        let schema = model.split_once('.').map_or(model.as_str(), |(s, _)| s);
        line(
            &mut out,
            1,
            "can run (EXECUTE on the model and USAGE on its schema):",
        );
        if v.can_run.is_empty() {
            line(&mut out, 2, "nobody else");
        }
        for a in &v.can_run {
            line(&mut out, 2, &a.principal.to_string());
            principal_access_lines(&mut out, a, schema);
        }
        if !v.withheld.is_empty() {
            line(&mut out, 1, "withheld (one of the two only):");
            for a in &v.withheld {
                line(
                    &mut out,
                    2,
                    &format!("{}: no {}", a.principal, a.missing.join(", no ")),
                );
                principal_access_lines(&mut out, a, schema);
            }
        }
    }
    out.push_str("\nverdict:\n");
    for v in &e.verdicts {
        line(&mut out, 1, v);
    }
    if let Some(a) = &e.after {
        out.push_str(&format!("\nwhat the plan of {} changes:\n", a.file));
        if a.removed.is_empty() && a.added.is_empty() {
            line(&mut out, 1, "nothing");
        }
        for v in &a.removed {
            line(&mut out, 1, &format!("- {v}"));
        }
        for v in &a.added {
            line(&mut out, 1, &format!("+ {v}"));
        }
    }
    out
}

/// The EXECUTE and USAGE paths of a model under its line.
fn access_lines(out: &mut String, execute: &[Path], usage: &[Path], model: &str, owner: bool) {
    let schema = model.split_once('.').map_or(model, |(s, _)| s);
    let mut push = |text: String| {
        out.push_str("    ");
        out.push_str(&text);
        out.push('\n');
    };
    if owner {
        push("owner: can always run and drop it".to_string());
    }
    for p in execute {
        push(format!("EXECUTE: {}", path_text(p)));
    }
    for p in usage {
        push(format!("USAGE on {schema}: {}", path_text(p)));
    }
}

fn principal_access_lines(out: &mut String, a: &PrincipalAccess, schema: &str) {
    for p in &a.execute {
        out.push_str(&format!("      EXECUTE: {}\n", path_text(p)));
    }
    for p in &a.usage {
        out.push_str(&format!("      USAGE on {schema}: {}\n", path_text(p)));
    }
}

/// Changes `snap` as running `statements` on its server would: grants and revokes on
/// objects, CREATE MODEL, IAM roles and default privileges; memberships; created
/// principals (groups and roles, which cannot log in). Principals and grantees compare
/// as the target compares them ([`Target::canonical`]). A grant on an object the snapshot
/// does not list adds the object, owner unknown; a revoke on a default-privileges entry
/// the server does not hold starts from the built-in ([`DefaultInfo::built_in`]), as the
/// server does. The result is normalized.
pub fn apply_statements(snap: &mut Snapshot, statements: &[Statement]) {
    let t = snap.target;
    for s in statements {
        match s {
            Statement::CreatePrincipal { principal } => {
                let p = t.canonical_principal(principal);
                if !snap
                    .principals
                    .iter()
                    .any(|i| t.canonical_principal(&i.principal()) == p)
                {
                    snap.principals.push(PrincipalInfo {
                        kind: p.kind,
                        name: p.name,
                        login: false,
                        superuser: false,
                    });
                }
            }
            Statement::AddMember { parent, member }
            | Statement::RemoveMember { parent, member } => {
                let (parent, member) =
                    (t.canonical_principal(parent), t.canonical_principal(member));
                let same = |m: &Membership| {
                    t.canonical_principal(&m.parent) == parent
                        && t.canonical_principal(&m.member) == member
                };
                if matches!(s, Statement::AddMember { .. }) {
                    if !snap.memberships.iter().any(same) {
                        snap.memberships.push(Membership { parent, member });
                    }
                } else {
                    snap.memberships.retain(|m| !same(m));
                }
            }
            Statement::Grant {
                privileges,
                on,
                grantees,
            }
            | Statement::Revoke {
                privileges,
                on,
                grantees,
            } => {
                let grant = matches!(s, Statement::Grant { .. });
                for object in on {
                    for g in grantees {
                        let g = t.canonical(g);
                        for &privilege in privileges {
                            change(snap, grant, object, &g, privilege);
                        }
                    }
                }
            }
        }
    }
    snap.normalize();
}

/// One privilege of one grantee on one object, granted or revoked.
fn change(snap: &mut Snapshot, grant: bool, on: &Securable, g: &Grantee, privilege: Privilege) {
    let t = snap.target;
    let acls: &mut Vec<Acl> = match on {
        Securable::CreateModel => {
            let list = &mut snap.create_model;
            if grant {
                if !list.iter().any(|x| t.canonical(x) == *g) {
                    list.push(g.clone());
                }
            } else {
                list.retain(|x| t.canonical(x) != *g);
            }
            return;
        }
        Securable::IamRole { arn } => {
            let i = match snap.iam_roles.iter().position(|r| &r.arn == arn) {
                Some(i) => i,
                None => {
                    snap.iam_roles.push(IamRoleInfo {
                        arn: arn.clone(),
                        grants: Vec::new(),
                    });
                    snap.iam_roles.len() - 1
                }
            };
            &mut snap.iam_roles[i].grants
        }
        Securable::Default { role, schema, of } => {
            let found = snap
                .default_privileges
                .iter()
                .position(|d| &d.role == role && &d.schema == schema && d.of == *of);
            let i = match found {
                Some(i) => i,
                None => {
                    snap.default_privileges.push(DefaultInfo {
                        role: role.clone(),
                        schema: schema.clone(),
                        of: *of,
                        grants: DefaultInfo::built_in(t, schema.as_deref(), *of).to_vec(),
                    });
                    snap.default_privileges.len() - 1
                }
            };
            &mut snap.default_privileges[i].grants
        }
        object => {
            let i = match snap.objects.binary_search_by(|o| o.object.cmp(object)) {
                Ok(i) => i,
                Err(i) => {
                    snap.objects
                        .insert(i, ObjectInfo::new(object.clone(), "", Vec::new()));
                    i
                }
            };
            &mut snap.objects[i].grants
        }
    };
    let same = |a: &Acl| a.privilege == privilege && t.canonical(&a.grantee) == *g;
    if grant {
        if !acls.iter().any(same) {
            acls.push(Acl {
                grantee: g.clone(),
                privilege,
                grant_option: false,
            });
        }
    } else {
        acls.retain(|a| !same(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: &str) -> Principal {
        Principal::new(PrincipalKind::Group, n)
    }

    fn user(n: &str) -> Principal {
        Principal::new(PrincipalKind::User, n)
    }

    fn acl(g: Grantee, p: Privilege) -> Acl {
        Acl {
            grantee: g,
            privilege: p,
            grant_option: false,
        }
    }

    fn model(s: &str, n: &str) -> Securable {
        Securable::Model {
            schema: s.into(),
            name: n.into(),
        }
    }

    fn base() -> Snapshot {
        let mut snap = Snapshot::empty(Target::Redshift);
        snap.principals = vec![
            PrincipalInfo {
                kind: PrincipalKind::Group,
                name: "g".into(),
                login: false,
                superuser: false,
            },
            PrincipalInfo {
                kind: PrincipalKind::User,
                name: "alice".into(),
                login: true,
                superuser: false,
            },
        ];
        snap.objects = vec![
            ObjectInfo::new(
                schema_object("s"),
                "admin",
                vec![acl(Grantee::Principal(group("g")), Privilege::Usage)],
            ),
            ObjectInfo::new(model("s", "m"), "alice", Vec::new()),
        ];
        snap.normalize();
        snap
    }

    #[test]
    fn grants_and_revokes_change_object_acls() {
        let mut snap = base();
        let g = Grantee::Principal(group("g"));
        apply_statements(
            &mut snap,
            &[
                Statement::change(true, vec![Privilege::Create], schema_object("s"), g.clone()),
                Statement::change(false, vec![Privilege::Usage], schema_object("s"), g.clone()),
                Statement::change(
                    true,
                    vec![Privilege::Execute],
                    model("s", "m"),
                    Grantee::Public,
                ),
                // Granted twice: held once.
                Statement::change(
                    true,
                    vec![Privilege::Execute],
                    model("s", "m"),
                    Grantee::Public,
                ),
            ],
        );
        let (_, s) = snap.object(&schema_object("s")).unwrap();
        assert_eq!(s, [acl(g.clone(), Privilege::Create)]);
        let (owner, m) = snap.object(&model("s", "m")).unwrap();
        assert_eq!(owner, "alice");
        assert_eq!(m, [acl(Grantee::Public, Privilege::Execute)]);
        // A revoke takes a grantable privilege too.
        snap.objects[0].grants[0].grant_option = true;
        apply_statements(
            &mut snap,
            &[Statement::change(
                false,
                vec![Privilege::Create],
                schema_object("s"),
                g,
            )],
        );
        assert_eq!(snap.object(&schema_object("s")).unwrap().1, []);
    }

    #[test]
    fn an_object_the_snapshot_lacks_is_added_in_order_owner_unknown() {
        let mut snap = base();
        apply_statements(
            &mut snap,
            &[Statement::change_many(
                true,
                vec![Privilege::Usage],
                vec![schema_object("a"), schema_object("z")],
                vec![Grantee::Public],
            )],
        );
        let names: Vec<String> = snap
            .objects
            .iter()
            .map(|o| o.object.display_name())
            .collect();
        assert_eq!(names, ["a", "s", "z", "s.m"]);
        assert_eq!(snap.object(&schema_object("z")).unwrap().0, "");
    }

    #[test]
    fn create_model_iam_roles_and_memberships() {
        let mut snap = base();
        let g = Grantee::Principal(group("g"));
        let arn = Some("arn:aws:iam::123456789012:role/RedshiftML".to_string());
        apply_statements(
            &mut snap,
            &[
                Statement::CreatePrincipal {
                    principal: group("new"),
                },
                Statement::AddMember {
                    parent: group("new"),
                    member: user("alice"),
                },
                Statement::change(
                    true,
                    vec![Privilege::CreateModel],
                    Securable::CreateModel,
                    g.clone(),
                ),
                Statement::change(
                    true,
                    vec![Privilege::CreateModel, Privilege::Copy],
                    Securable::IamRole { arn: arn.clone() },
                    g.clone(),
                ),
                Statement::change(
                    true,
                    vec![Privilege::Unload],
                    Securable::IamRole { arn: None },
                    Grantee::Public,
                ),
            ],
        );
        assert!(snap
            .principals
            .iter()
            .any(|p| p.principal() == group("new") && !p.login));
        assert_eq!(
            snap.memberships,
            [Membership {
                parent: group("new"),
                member: user("alice")
            }]
        );
        assert_eq!(snap.create_model, std::slice::from_ref(&g));
        // Sorted by role: the default role (no ARN) first.
        assert_eq!(snap.iam_roles.len(), 2);
        assert_eq!(snap.iam_roles[0].arn, None);
        assert_eq!(
            snap.iam_roles[1].grants,
            [
                acl(g.clone(), Privilege::CreateModel),
                acl(g.clone(), Privilege::Copy)
            ]
        );
        apply_statements(
            &mut snap,
            &[
                Statement::RemoveMember {
                    parent: group("new"),
                    member: user("alice"),
                },
                Statement::change(
                    false,
                    vec![Privilege::CreateModel],
                    Securable::CreateModel,
                    g.clone(),
                ),
                Statement::change(
                    false,
                    vec![Privilege::Copy],
                    Securable::IamRole { arn },
                    g.clone(),
                ),
            ],
        );
        assert!(snap.memberships.is_empty());
        assert!(snap.create_model.is_empty());
        assert_eq!(snap.iam_roles[1].grants, [acl(g, Privilege::CreateModel)]);
    }

    #[test]
    fn postgres_compares_principals_as_roles_and_defaults_start_from_the_built_in() {
        let mut snap = Snapshot::empty(Target::Postgres);
        snap.objects = vec![ObjectInfo::new(
            schema_object("app"),
            "postgres",
            vec![acl(
                Grantee::principal(PrincipalKind::User, "bob"),
                Privilege::Usage,
            )],
        )];
        snap.principals = vec![PrincipalInfo {
            kind: PrincipalKind::User,
            name: "bob".into(),
            login: true,
            superuser: false,
        }];
        // grants.yaml declared bob as a group: the same role.
        apply_statements(
            &mut snap,
            &[
                Statement::CreatePrincipal {
                    principal: group("bob"),
                },
                Statement::change(
                    false,
                    vec![Privilege::Usage],
                    schema_object("app"),
                    Grantee::Principal(group("bob")),
                ),
                Statement::change(
                    false,
                    vec![Privilege::Execute],
                    Securable::Default {
                        role: "etl".into(),
                        schema: None,
                        of: ObjectKind::Function,
                    },
                    Grantee::Public,
                ),
            ],
        );
        assert_eq!(snap.principals.len(), 1);
        assert_eq!(snap.object(&schema_object("app")).unwrap().1, []);
        // PUBLIC's built-in EXECUTE on new functions is gone: an entry without it.
        assert_eq!(snap.default_privileges.len(), 1);
        assert_eq!(snap.default_privileges[0].grants, []);
    }

    #[test]
    fn paths_through_nested_roles_and_public_and_ownership() {
        let mut snap = base();
        let outer = Principal::new(PrincipalKind::Role, "outer");
        let inner = Principal::new(PrincipalKind::Role, "inner");
        snap.memberships = vec![
            Membership {
                parent: inner.clone(),
                member: user("alice"),
            },
            Membership {
                parent: outer.clone(),
                member: inner.clone(),
            },
        ];
        snap.create_model = vec![Grantee::Principal(outer.clone())];
        snap.objects[0]
            .grants
            .push(acl(Grantee::Public, Privilege::Create));
        snap.normalize();
        let e = explain(&snap, &Subject::Principal(user("alice")), None, "test");
        let t = e.train.as_ref().unwrap();
        assert_eq!(
            path_text(&t.create_model[0]),
            "through role:outer (via role:inner)"
        );
        assert_eq!(path_text(&t.schemas[0].paths[0]), "through PUBLIC");
        assert_eq!(t.assume_role.state, AssumeState::Unrestricted);
        assert!(t.can);
        assert_eq!(
            e.verdicts,
            [
                "can train in s with the cluster's default IAM role",
                "can run s.m (its owner: can also drop it)"
            ]
        );
        // A catalog that lists ASSUMEROLE grants, none for this role: withheld.
        snap.iam_roles = vec![IamRoleInfo {
            arn: Some("arn:other".into()),
            grants: vec![acl(Grantee::Public, Privilege::CreateModel)],
        }];
        let e = explain(&snap, &Subject::Principal(user("alice")), None, "test");
        assert_eq!(
            e.verdicts[0],
            "cannot train: no ASSUMEROLE for CREATE MODEL on the cluster's default IAM role"
        );
        let e = explain(
            &snap,
            &Subject::Principal(user("alice")),
            Some("arn:other"),
            "test",
        );
        assert_eq!(e.verdicts[0], "can train in s with arn:other");
    }

    #[test]
    fn names_resolve_with_kinds_or_alone_and_say_what_was_meant() {
        let mut snap = base();
        let source = "snapshot c.json";
        let who = |q: &str, snap: &Snapshot| resolve(snap, &Query::Who(q.into()), source);
        assert_eq!(who("g", &snap), Ok(Subject::Principal(group("g"))));
        assert_eq!(
            who("user:alice", &snap),
            Ok(Subject::Principal(user("alice")))
        );
        let err = who("group:alice", &snap).unwrap_err().to_string();
        assert_eq!(
            err,
            "no principal `group:alice` in snapshot c.json; did you mean `user:alice`?"
        );
        assert!(who("alce", &snap)
            .unwrap_err()
            .to_string()
            .ends_with("did you mean `user:alice`?"));
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::User,
            name: "g".into(),
            login: true,
            superuser: false,
        });
        snap.normalize();
        assert_eq!(
            who("g", &snap).unwrap_err().to_string(),
            "`g` names group:g and user:g in snapshot c.json: write one of them"
        );
        let model = |q: &str| resolve(&snap, &Query::Model(q.into()), source);
        assert!(model("s.m").is_ok());
        assert_eq!(
            model("s.n").unwrap_err().to_string(),
            "no model `s.n` in snapshot c.json; did you mean `s.m`?"
        );
        assert!(matches!(model("sm"), Err(Error::BadModel { .. })));
        let pg = Snapshot::empty(Target::Postgres);
        assert_eq!(who("g", &pg), Err(Error::Postgres));
    }
}
