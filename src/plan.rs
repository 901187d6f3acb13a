//! The planner: grants.yaml + catalog snapshot in, statements out. Pure: no I/O.
//!
//! A plan is computed as set differences of typed `(object, privilege, grantee)` tuples,
//! never of text. The rules it implements are the contract's:
//!
//! - The file is the whole truth for every object it names or matches: privileges held by
//!   grantees it does not list are revoked (mode `authoritative`) or reported (mode
//!   `additive`). CREATE MODEL is the whole truth for every principal on Redshift.
//! - Some grantees are never revoked from, because revoking would be wrong or dangerous:
//!   the object's owner, superusers, `ignore:` principals, and the server's reserved roles
//!   (`pg_*` on PostgreSQL, `rdsdb` and the built-in `sys:*` roles on Redshift).
//! - Declared groups and roles that do not exist are created; users never are, and nothing
//!   is dropped.
//! - A named object that does not exist is a warning (a model not trained yet is normal),
//!   an error under `--strict`; globs expand against the catalog.
//!
//! Statement order is fixed so plans can be reviewed as diffs: principals to create, then
//! membership changes, then per object (CREATE MODEL, schemas, models, functions, each by
//! name) the grantees in the order grants.yaml declares them, then PUBLIC, then grantees the
//! file does not declare. Privileges of one grantee on one object merge into one statement.

use crate::catalog::{Acl, DefaultInfo, NonLocalKind, Snapshot};
use crate::config::{Config, DefaultRule, NamePart, ObjectRule};
use crate::diag::{Diagnostic, Location};
use crate::model::{
    Grantee, Mode, ObjectKind, Principal, PrincipalKind, Privilege, Securable, Target,
};
use crate::sql::Statement;
use crate::state::Scope;
use serde::Serialize;
use std::collections::BTreeSet;

/// The planner's hash maps use foldhash: keys are names looked up hundreds of thousands
/// of times on a large catalog, where SipHash showed in profiles; the seed is still random
/// per process, and the names come from the operator's grants.yaml and catalog.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use std::sync::Arc;

/// Options that change what counts as an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// A named object that does not exist is an error instead of a warning.
    pub strict: bool,
}

/// The statements that bring a server to the state grants.yaml describes.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub target: Target,
    pub mode: Mode,
    /// Planned without a catalog: everything declared is taken to exist and hold nothing.
    pub offline: bool,
    pub statements: Vec<Statement>,
    pub warnings: Vec<Diagnostic>,
    /// What the plan depended on (see [`crate::state`]): its fingerprint pins a reviewed
    /// plan file to the catalog it was planned against.
    #[serde(skip)]
    pub scope: Scope,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Whether the plan changes what belongs to the whole server rather than to one
    /// database: roles and memberships (see [`crate::executor`], "What is server-wide").
    pub fn changes_roles(&self) -> bool {
        self.statements.iter().any(|s| {
            matches!(
                s,
                Statement::CreatePrincipal { .. }
                    | Statement::AddMember { .. }
                    | Statement::RemoveMember { .. }
            )
        })
    }

    /// The plan's SQL, one string per statement, exactly as it is sent (a statement that
    /// names several objects or grantees spans several lines: [`crate::sql`]).
    pub fn sql_statements(&self) -> Vec<String> {
        self.statements
            .iter()
            .map(|s| s.render(self.target))
            .collect()
    }

    /// Checks that every statement's SQL reads back ([`crate::sqlread`]) as exactly the
    /// statement planned.
    ///
    /// Why: names and function argument lists come from the catalog, or from a snapshot
    /// file a person can edit, and the renderer writes argument lists verbatim. Text that
    /// would smuggle a second statement through an argument list, a name the server would
    /// shorten to another one, or anything else that does not mean what the plan says is
    /// refused here, before it is printed for review or sent to a server.
    pub fn verify(&self) -> Result<(), Vec<Diagnostic>> {
        // Reading back is the slowest step after planning on a large catalog, and each
        // statement is checked on its own: the statements are shared out across the
        // cores in small batches taken in turn (statements differ in length, so halves
        // fixed in advance left one core idle for a third of the time), and the first
        // failure in plan order is reported, as a sequential check would.
        const BATCH: usize = 64;
        let batches = self.statements.len().div_ceil(BATCH);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get().min(8))
            .min(batches.div_ceil(8));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut first: Option<(usize, Diagnostic)> = None;
            loop {
                let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let from = b * BATCH;
                // Past the end, or past a failure already found (later ones cannot be
                // first).
                if from >= self.statements.len() || first.as_ref().is_some_and(|f| f.0 < from) {
                    return first;
                }
                let to = (from + BATCH).min(self.statements.len());
                if let Some(failure) =
                    (from..to).find_map(|i| self.check(i, &self.statements[i]).map(|d| (i, d)))
                {
                    first.get_or_insert(failure);
                }
            }
        };
        let failures: Vec<(usize, Diagnostic)> = std::thread::scope(|scope| {
            // The calling thread works too: one helper thread on two cores.
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut all: Vec<_> = work().into_iter().collect();
            for h in helpers {
                all.extend(h.join().expect("a verify thread panicked"));
            }
            all
        });
        match failures.into_iter().min_by_key(|(i, _)| *i) {
            Some((_, d)) => Err(vec![d]),
            None => Ok(()),
        }
    }

    /// Why statement `i` does not read back as itself, if it does not.
    fn check(&self, i: usize, statement: &Statement) -> Option<Diagnostic> {
        let sql = statement.render(self.target);
        let expected = statement.canonical(self.target);
        let problem = match crate::sqlread::read(&sql, self.target) {
            Ok(read) if read == [expected] => return None,
            Ok(read) => format!(
                "it reads back as {} statement(s) of another meaning",
                read.len()
            ),
            // In a statement of several lines, the line the problem is on.
            Err(e) if sql.contains('\n') => {
                match sql.split('\n').nth((e.line as usize).saturating_sub(1)) {
                    Some(line) => format!("{e} (line {}: {})", e.line, line.trim_start()),
                    None => e.to_string(),
                }
            }
            Err(e) => e.to_string(),
        };
        Some(Diagnostic::error(format!(
            "statement {} of the plan does not mean what was planned, so nothing is printed or applied: {}",
            i + 1,
            crate::sql::headline(&sql)
        ))
        .help(format!(
            "{problem}; the names or argument types it was built from (from the catalog or a snapshot file) are not what grantplan writes: check the snapshot, or plan against the server"
        )))
    }
}

/// Computes the plan for `config` against `catalog` (`None`: offline).
///
/// Errors (a user that does not exist, a missing object under `--strict`, a snapshot of
/// the wrong target) are returned together; warnings travel in the plan.
pub fn plan(
    config: &Config,
    catalog: Option<&Snapshot>,
    options: PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let world = match catalog {
        Some(snap) => {
            same_target(config, snap)?;
            World::from_snapshot(snap)
        }
        None => World::offline(config),
    };
    plan_world(config, world, catalog.is_none(), options)
}

/// [`plan`] taking the snapshot, which is freed as soon as the planner has indexed it:
/// on a large catalog the snapshot's grant lists are the largest thing in memory.
pub fn plan_owned(
    config: &Config,
    catalog: Option<Snapshot>,
    options: PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    let offline = catalog.is_none();
    let world = match catalog {
        Some(snap) => {
            same_target(config, &snap)?;
            World::from_snapshot(&snap)
        }
        None => World::offline(config),
    };
    plan_world(config, world, offline, options)
}

fn same_target(config: &Config, snap: &Snapshot) -> Result<(), Vec<Diagnostic>> {
    if snap.target == config.target {
        return Ok(());
    }
    Err(vec![Diagnostic::error(format!(
        "{} declares target `{}` but the catalog is a {} server",
        config.file, config.target, snap.target
    ))
    .help(format!(
        "set `target: {}` in {} if this is the right server, or connect to a {} server",
        snap.target, config.file, config.target
    ))])
}

fn plan_world(
    config: &Config,
    world: World,
    offline: bool,
    options: PlanOptions,
) -> Result<Plan, Vec<Diagnostic>> {
    Planner {
        config,
        origin: vec![None; world.objects.len()],
        world,
        options,
        offline,
        errors: Vec::new(),
        warnings: config.warnings.clone(),
        scope: Scope::default(),
        skipped: Default::default(),
        suggestions_left: SUGGESTION_BUDGET,
        default_matches: Vec::new(),
        default_index: Vec::new(),
        declared: {
            let mut declared = HashMap::default();
            for (i, d) in config.principals.iter().enumerate() {
                declared
                    .entry(config.target.canonical_principal(&d.principal))
                    .or_insert(i);
            }
            declared
        },
    }
    .run()
}

/// A grantee's number in the plan's [`Grantees`] table.
type Gid = u32;

/// Grants as (grantee, privilege) pairs, sorted and unique.
type Pairs = Vec<(Gid, Privilege)>;

/// Every grantee a plan deals with (canonical, see [`Target::canonical`]), numbered once.
///
/// Why: a large catalog holds hundreds of thousands of grants naming a few dozen
/// grantees. Comparing, hashing and cloning numbers instead of names made the planner
/// several times faster and smaller (docs/benchmarks.md).
#[derive(Default)]
struct Grantees {
    /// Shared with the plan's [`Scope`], which records who holds what.
    list: Vec<Arc<Grantee>>,
    index: HashMap<Grantee, Gid>,
}

impl Grantees {
    /// The number of `g`, which must be canonical.
    fn id(&mut self, g: &Grantee) -> Gid {
        if let Some(&id) = self.index.get(g) {
            return id;
        }
        let id = Gid::try_from(self.list.len()).expect("fewer than 2^32 grantees");
        self.list.push(Arc::new(g.clone()));
        self.index.insert(g.clone(), id);
        id
    }

    fn get(&self, id: Gid) -> &Grantee {
        &self.list[id as usize]
    }

    /// Every grantee's place in [`Grantee`]'s own order (indexed by [`Gid`]), the order
    /// a [`Scope`] keeps grants in: sorting by these numbers compares no names.
    fn order(&self) -> Vec<u32> {
        let mut ids: Vec<Gid> = (0..self.list.len() as Gid).collect();
        ids.sort_unstable_by(|a, b| self.list[*a as usize].cmp(&self.list[*b as usize]));
        let mut order = vec![0; ids.len()];
        for (place, id) in ids.into_iter().enumerate() {
            order[id as usize] = place as u32;
        }
        order
    }

    fn shared(&self, id: Gid) -> Arc<Grantee> {
        self.list[id as usize].clone()
    }
}

/// What the server holds, indexed for the planner; grantees are canonical (see
/// [`Target::canonical`]).
struct World {
    target: Target,
    principals: HashMap<Principal, bool /* superuser */>,
    memberships: BTreeSet<(Principal, Principal)>,
    /// Every object, sorted by object and unique: an object is known by its index here.
    objects: Vec<(Securable, ObjectState)>,
    grantees: Grantees,
    /// Schemas that are not the database's own (Redshift external and datashare
    /// schemas), by name: globs leave them out, a name is refused.
    non_local: std::collections::BTreeMap<String, NonLocalKind>,
    /// The login the catalog was read as, and whether it is a superuser (`None` offline).
    login: Option<(String, bool)>,
    /// `None` when the object lists are complete; else the login that read an incomplete
    /// lists of the kinds it cannot list whole (a Redshift non-superuser:
    /// [`Snapshot::sees_every`]), with the login.
    partial: Option<(String, Vec<ObjectKind>)>,
}

#[derive(Default)]
struct ObjectState {
    owner: Option<String>,
    /// (grantee, privilege), sorted and unique.
    held: Vec<(Gid, Privilege)>,
}

impl World {
    fn from_snapshot(snap: &Snapshot) -> World {
        let t = snap.target;
        let mut grantees = Grantees::default();
        // The snapshot's own grantees, as written, to their canonical numbers: most
        // lookups then neither canonicalise nor clone a name.
        let mut seen: HashMap<&Grantee, Gid> = HashMap::default();
        fn numbered<'s>(
            grants: &'s [Acl],
            seen: &mut HashMap<&'s Grantee, Gid>,
            grantees: &mut Grantees,
            t: Target,
        ) -> Vec<(Gid, Privilege)> {
            let mut held: Vec<(Gid, Privilege)> = Vec::with_capacity(grants.len());
            for a in grants {
                let id = match seen.get(&a.grantee) {
                    Some(&id) => id,
                    None => {
                        let id = grantees.id(&t.canonical(&a.grantee));
                        seen.insert(&a.grantee, id);
                        id
                    }
                };
                held.push((id, a.privilege));
            }
            held.sort_unstable();
            held.dedup();
            held
        }
        let mut held = |grants| numbered(grants, &mut seen, &mut grantees, t);
        let mut objects = Vec::with_capacity(snap.objects.len() + 1);
        for o in &snap.objects {
            objects.push((
                o.object.clone(),
                ObjectState {
                    owner: o.known_owner().map(str::to_string),
                    held: held(&o.grants),
                },
            ));
        }
        for r in &snap.iam_roles {
            objects.push((
                r.securable(),
                ObjectState {
                    owner: None,
                    held: held(&r.grants),
                },
            ));
        }
        if t == Target::Redshift {
            objects.push((
                Securable::System,
                ObjectState {
                    owner: None,
                    held: held(&snap.system_permissions),
                },
            ));
        }
        for d in &snap.default_privileges {
            objects.push((
                d.securable(),
                ObjectState {
                    owner: Some(d.role.clone()),
                    held: held(&d.grants),
                },
            ));
        }
        if t == Target::Redshift {
            let mut create_model: Vec<(Gid, Privilege)> = snap
                .create_model
                .iter()
                .map(|g| (grantees.id(&t.canonical(g)), Privilege::CreateModel))
                .collect();
            create_model.sort_unstable();
            create_model.dedup();
            objects.push((
                Securable::CreateModel,
                ObjectState {
                    owner: None,
                    held: create_model,
                },
            ));
        }
        World {
            target: t,
            principals: snap
                .principals
                .iter()
                .map(|p| (t.canonical_principal(&p.principal()), p.superuser))
                .collect(),
            memberships: snap
                .memberships
                .iter()
                .map(|m| {
                    (
                        t.canonical_principal(&m.parent),
                        t.canonical_principal(&m.member),
                    )
                })
                .collect(),
            objects: sorted_unique(objects),
            grantees,
            non_local: snap
                .non_local_schemas
                .iter()
                .map(|s| (s.name.clone(), s.kind))
                .collect(),
            login: Some((snap.server.login.clone(), snap.server.login_superuser)),
            partial: {
                let kinds: Vec<ObjectKind> = ObjectKind::ALL
                    .into_iter()
                    .filter(|&k| !snap.sees_every(k))
                    .collect();
                (!kinds.is_empty()).then(|| (snap.server.login.clone(), kinds))
            },
        }
    }

    /// The offline world: every declared principal and member exists, every object the
    /// file names exactly exists, nothing holds any grant, globs match nothing.
    fn offline(config: &Config) -> World {
        let t = config.target;
        let mut principals = HashMap::default();
        for d in &config.principals {
            principals.insert(t.canonical_principal(&d.principal), false);
            for m in d.members.iter().flatten() {
                principals.insert(t.canonical_principal(&m.principal), false);
            }
        }
        let mut objects = Vec::new();
        if t == Target::Redshift {
            objects.push((Securable::CreateModel, ObjectState::default()));
            objects.push((Securable::System, ObjectState::default()));
        }
        for rule in &config.rules {
            if let Some(s) = exact_securable(rule) {
                objects.push((s, ObjectState::default()));
            }
        }
        World {
            target: t,
            principals,
            memberships: BTreeSet::new(),
            objects: sorted_unique(objects),
            grantees: Grantees::default(),
            non_local: Default::default(),
            login: None,
            partial: None,
        }
    }

    /// The objects of `kind`, in name order: a run of the sorted objects.
    fn objects_of_kind(
        &self,
        kind: ObjectKind,
    ) -> impl Iterator<Item = &(Securable, ObjectState)> + '_ {
        let start = kind.object(String::new(), String::new(), None);
        let from = self.objects.partition_point(|(o, _)| *o < start);
        self.objects[from..]
            .iter()
            .take_while(move |(o, _)| o.object_kind() == Some(kind))
    }

    /// The index of `on`, if it exists.
    fn find(&self, on: &Securable) -> Option<usize> {
        self.objects.binary_search_by(|(k, _)| k.cmp(on)).ok()
    }

    /// The objects a rule could match, by index, found by range in the sorted objects: an
    /// exact schema (and name) is one short range instead of a scan of the whole catalog,
    /// which made planning quadratic in the number of rules. Callers still filter with
    /// `matches`; globs scan their kind.
    fn candidates<'a>(
        &'a self,
        kind: ObjectKind,
        rule: &ObjectRule,
    ) -> impl Iterator<Item = usize> + 'a {
        let exact = |p: &NamePart| match p {
            NamePart::Exact(n) => Some(n.clone()),
            NamePart::Glob(_) => None,
        };
        let schema = exact(&rule.schema);
        // A name narrows the range only within one schema: objects sort by schema first.
        let name = schema.as_ref().and(rule.name.as_ref()).and_then(exact);
        // The first object the rule could match (the empty name sorts first; a
        // function's overloads sort after `args: None`) and the test that the objects
        // that follow still could.
        let start = kind.object(
            schema.clone().unwrap_or_default(),
            name.clone().unwrap_or_default(),
            None,
        );
        let same = move |s: &Securable| {
            s.object_kind() == Some(kind)
                && s.name_parts().is_some_and(|p| {
                    schema.as_deref().is_none_or(|sc| p.first == sc)
                        && name
                            .as_deref()
                            .is_none_or(|n| p.second.is_none_or(|second| second == n))
                })
        };
        let from = self.objects.partition_point(|(k, _)| *k < start);
        (from..self.objects.len()).take_while(move |&i| same(&self.objects[i].0))
    }

    fn exists(&self, p: &Principal) -> bool {
        self.principals
            .contains_key(&self.target.canonical_principal(p))
    }

    fn is_superuser(&self, g: &Grantee) -> bool {
        g.as_principal()
            .and_then(|p| self.principals.get(&self.target.canonical_principal(p)))
            .copied()
            .unwrap_or(false)
    }
}

/// A rule's grants as (grantee, privilege) pairs; grantees in `ignore:` left out.
/// `numbers` maps each grantee entry (by the address of the resolver's shared `Arc`) to
/// its number, so each principal is canonicalised and matched against `ignore:` once.
fn numbered(
    grants: &[crate::config::RuleGrant],
    numbers: &mut HashMap<*const Grantee, Option<Gid>>,
    config: &Config,
    grantees: &mut Grantees,
) -> Vec<(Gid, Privilege)> {
    let mut out: Vec<(Gid, Privilege)> = Vec::with_capacity(grants.len());
    for g in grants {
        let id = *numbers.entry(Arc::as_ptr(&g.grantee)).or_insert_with(|| {
            let ignored = match &*g.grantee {
                Grantee::Principal(p) => config.is_ignored(&p.name),
                Grantee::Public => false,
            };
            (!ignored).then(|| grantees.id(&config.target.canonical(&g.grantee)))
        });
        out.extend(id.map(|id| (id, g.privilege)));
    }
    out
}

/// The securable an exact (non-glob) rule names; functions offline have unknown overloads.
fn exact_securable(rule: &ObjectRule) -> Option<Securable> {
    use crate::config::NamePart::Exact;
    let kind = rule.kind;
    let Exact(first) = &rule.schema else {
        return None;
    };
    let second = match (&rule.name, kind.qualified()) {
        (_, false) => String::new(),
        (Some(Exact(name)), true) => name.clone(),
        _ => return None,
    };
    Some(kind.object(first.clone(), second, rule.args.clone()))
}

/// Objects sorted and unique; of two entries for one object the later wins (as a map
/// insert would).
fn sorted_unique(mut objects: Vec<(Securable, ObjectState)>) -> Vec<(Securable, ObjectState)> {
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    objects.dedup_by(|later, earlier| {
        if later.0 == earlier.0 {
            std::mem::swap(later, earlier);
            true
        } else {
            false
        }
    });
    objects
}

struct Planner<'a> {
    config: &'a Config,
    world: World,
    options: PlanOptions,
    offline: bool,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Where in grants.yaml each managed object is named or matched, by object index.
    origin: Vec<Option<&'a Location>>,
    /// The facts consulted so far.
    scope: Scope,
    /// Each declared principal (canonical) and its index in `config.principals`; the
    /// first declaration wins.
    declared: HashMap<Principal, usize>,
    /// Non-local schemas a glob matched and left out, with the first such glob.
    skipped: std::collections::BTreeMap<String, (NonLocalKind, &'a Location)>,
    /// Name comparisons "did you mean" suggestions may still make.
    suggestions_left: usize,
    /// The defaults each of `config.defaults` manages (see [`Planner::default_objects`]).
    default_matches: Vec<Vec<Securable>>,
    /// Each managed default as (index in `config.defaults`, object index).
    default_index: Vec<(usize, usize)>,
}

/// Name comparisons the planner's "did you mean" suggestions may make in one plan.
const SUGGESTION_BUDGET: usize = 1_000_000;

/// At most this many objects in one GRANT or REVOKE: few round trips and catalog
/// updates, yet a failing statement still points at a short list.
pub const MAX_OBJECTS_PER_STATEMENT: usize = 100;

/// At most this many objects in a statement whose objects share one name (functions or
/// models of one name in many schemas): the server rebuilds its list of every object of
/// that name once a statement, so fewer statements are what count there; a thousand
/// keeps a statement far below Redshift's 16 MB statement limit.
pub const MAX_OBJECTS_OF_ONE_NAME: usize = 1_000;

impl<'a> Planner<'a> {
    fn run(mut self) -> Result<Plan, Vec<Diagnostic>> {
        let target = self.config.target;
        let mut statements = Vec::new();
        self.default_objects();

        // 1. Principals: create missing groups and roles; users must exist.
        let mut created = BTreeSet::new();
        for d in &self.config.principals {
            self.consult(&d.principal);
            if self.world.exists(&d.principal) {
                continue;
            }
            if d.principal.kind == PrincipalKind::User {
                self.errors.push(
                    Diagnostic::error(format!(
                        "user `{}` does not exist on the server",
                        d.principal.name
                    ))
                    .at(Some(d.loc.clone()))
                    .help("grantplan never creates users: create the user first, or remove it from users:"),
                );
            } else if self.config.is_ignored(&d.principal.name) {
                self.warnings.push(
                    Diagnostic::warning(format!(
                        "{} `{}` does not exist and is ignored, so it is not created",
                        d.principal.kind, d.principal.name
                    ))
                    .at(Some(d.loc.clone())),
                );
            } else {
                created.insert(target.canonical_principal(&d.principal));
                statements.push(Statement::CreatePrincipal {
                    principal: d.principal.clone(),
                });
            }
        }

        // 2. Exact membership where `members` is given.
        statements.extend(self.memberships(&created));

        // 3. Privileges on every managed object.
        let desired = self.desired();
        self.check_defaults_add_only(&desired);
        let ranks = self.ranks();
        let mut recorder = Recorder::new(&self.world);
        let mut changes: Vec<Change> = Vec::new();
        let managed = desired
            .iter()
            .enumerate()
            .filter_map(|(object, want)| want.as_ref().map(|w| (object, w)));
        for (object, want) in managed {
            recorder.record(&mut self.scope, &self.world, object);
            let (securable, state) = &self.world.objects[object];
            let (missing, extra) = differences(want, &state.held);
            for (grantee, privileges) in by_grantee(&missing) {
                if self.is_owner(state, self.world.grantees.get(grantee)) {
                    continue; // an owner holds every privilege on its object implicitly
                }
                changes.push(Change {
                    object,
                    grantee,
                    grant: true,
                    privileges,
                });
            }
            let mut revokes: Vec<(Gid, Vec<Privilege>)> = by_grantee(&extra)
                .filter(|(g, _)| {
                    let grantee = self.world.grantees.get(*g);
                    !self.is_protected(state, grantee)
                        && !grantee.as_principal().is_some_and(|p| created.contains(p))
                })
                .collect();
            if let (Securable::Model { .. }, None, Mode::Authoritative, false) = (
                securable,
                &state.owner,
                self.config.mode,
                revokes.is_empty(),
            ) {
                // An owner is never revoked from, and this one cannot be told apart.
                self.errors.push(
                    Diagnostic::error(format!(
                        "the owner of model {} is not known (svv_ml_model_info does not list \
                         it), so grantplan cannot tell whether a REVOKE would take EXECUTE \
                         from its owner; nothing is planned",
                        securable.display_name()
                    ))
                    .at(self.origin[object].cloned())
                    .help(
                        "plan as a superuser against the cluster: its svv_ml_model_info lists \
                         every model with its owner (a snapshot file must come from such a read)",
                    ),
                );
                continue;
            }
            if let (
                Securable::Default { role, schema, of },
                Target::Redshift,
                Mode::Authoritative,
            ) = (securable, target, self.config.mode)
            {
                // Redshift's REVOKE ... ON TABLES lists no DROP (§12.6 of
                // docs/research/redshift-catalog.md): only REVOKE ALL takes it back.
                if let Some((g, _)) = revokes.iter().find(|(_, p)| p.contains(&Privilege::Drop)) {
                    let g = self.display_grantee(self.world.grantees.get(*g));
                    let place = schema
                        .as_ref()
                        .map(|s| format!(" IN SCHEMA {}", crate::ident::quote(s)))
                        .unwrap_or_default();
                    self.errors.push(
                        Diagnostic::error(format!(
                            "{} holds DROP in the {}, which the file does not list, and \
                             Redshift's ALTER DEFAULT PRIVILEGES ... REVOKE has no DROP \
                             (r_ALTER_DEFAULT_PRIVILEGES): grantplan cannot take it back alone",
                            grantee_words(&g),
                            securable.display_name()
                        ))
                        .at(self.origin[object].cloned())
                        .help(format!(
                            "take every default privilege from it with ALTER DEFAULT PRIVILEGES \
                             FOR USER {}{place} REVOKE ALL ON {} FROM {}; then plan again \
                             (the plan grants back what the file lists); or add it to `drop:`",
                            crate::ident::quote(role),
                            of.defaults_sql(target).unwrap_or_default(),
                            Statement::grantee_sql(&g, target)
                        )),
                    );
                    continue;
                }
            }
            revokes.sort_by_key(|(g, _)| ranks[*g as usize]);
            for (grantee, privileges) in revokes {
                if self.config.mode == Mode::Additive {
                    let g = self.world.grantees.get(grantee);
                    let sql = Statement::Revoke {
                        privileges: privileges.clone(),
                        on: vec![securable.clone()],
                        grantees: vec![g.clone()],
                    }
                    .render(target);
                    let what = match securable {
                        Securable::CreateModel => privilege_words(&privileges),
                        Securable::Default { .. } => format!(
                            "{} in the {}",
                            privilege_words(&privileges),
                            securable.display_name()
                        ),
                        Securable::IamRole { .. } => format!(
                            "ASSUMEROLE for {} on {}",
                            privilege_words(&privileges),
                            securable.display_name()
                        ),
                        _ => format!(
                            "{} on {} {}",
                            privilege_words(&privileges),
                            securable.kind(),
                            securable.display_name()
                        ),
                    };
                    self.warnings.push(
                        Diagnostic::warning(format!(
                            "{} holds {what}, which {} does not list; not revoked in additive mode",
                            grantee_words(g),
                            self.config.file
                        ))
                        .at(self.origin[object].cloned())
                        .help(format!("authoritative mode would run: {sql}")),
                    );
                } else {
                    changes.push(Change {
                        object,
                        grantee,
                        grant: false,
                        privileges,
                    });
                }
            }
        }
        statements.extend(self.group(changes, &ranks));
        if let Some((login, false)) = &self.world.login {
            if let Some(first) = statements.iter().find(|s| s.after_commit()) {
                let object = match first {
                    Statement::Grant { on, .. } | Statement::Revoke { on, .. } => on.first(),
                    _ => None,
                };
                let origin = object
                    .and_then(|o| self.world.find(o))
                    .and_then(|i| self.origin[i].cloned());
                self.warnings.push(
                    Diagnostic::warning(format!(
                        "the login `{login}` is not a superuser, and only a superuser may grant \
                         or revoke ASSUMEROLE (r_GRANT): apply would fail at these statements, \
                         after the rest of the plan committed"
                    ))
                    .at(origin)
                    .help("apply as a superuser, or plan the other sections alone"),
                );
            }
        }

        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        Ok(Plan {
            target,
            mode: self.config.mode,
            offline: self.offline,
            statements,
            warnings: self.warnings,
            scope: self.scope,
        })
    }

    /// A default in a schema only adds to the global one (measured on PostgreSQL and
    /// documented for Redshift: docs/research/postgres-default-privileges.md, §12.6 of
    /// redshift-catalog.md): what the global default gives, a per-schema entry cannot
    /// take away. A per-schema rule that leaves out what the global default will give
    /// (as this plan leaves it, or as the server holds it where the file has no global
    /// rule) could never be met: an error naming both ways out, not a REVOKE that
    /// changes nothing and is planned again forever.
    fn check_defaults_add_only(&mut self, desired: &[Option<Pairs>]) {
        if self.config.mode == Mode::Additive {
            return;
        }
        let target = self.config.target;
        let public = self.world.grantees.id(&Grantee::Public);
        for (r, object) in self.default_index.clone() {
            let rule = &self.config.defaults[r];
            let (
                Securable::Default {
                    role,
                    schema: Some(_),
                    of,
                },
                state,
            ) = &self.world.objects[object]
            else {
                continue;
            };
            let global = Securable::Default {
                role: role.clone(),
                schema: None,
                of: *of,
            };
            let built_in: Vec<(Gid, Privilege)>;
            let gives: &[(Gid, Privilege)] = match self.world.find(&global) {
                Some(i) => desired[i]
                    .as_deref()
                    .unwrap_or(&self.world.objects[i].1.held),
                None => {
                    built_in = DefaultInfo::built_in(target, None, *of)
                        .iter()
                        .map(|a| (public, a.privilege))
                        .collect();
                    &built_in
                }
            };
            let want = desired[object].as_deref().unwrap_or_default();
            let mut missing: Vec<(Gid, Vec<Privilege>)> = Vec::new();
            for &(g, p) in gives {
                let grantee = self.world.grantees.get(g);
                if want.contains(&(g, p))
                    || self.is_protected(state, grantee)
                    || (g == public
                        && rule.keep_public
                        && DefaultInfo::built_in(target, None, *of)
                            .iter()
                            .any(|a| a.privilege == p))
                {
                    continue;
                }
                match missing.last_mut() {
                    Some((last, ps)) if *last == g => ps.push(p),
                    _ => missing.push((g, vec![p])),
                }
            }
            for (g, privileges) in missing {
                let g = self.display_grantee(self.world.grantees.get(g));
                let lists: Vec<&str> = privileges
                    .iter()
                    .filter_map(|&p| crate::model::list_key(p))
                    .collect();
                self.errors.push(
                    Diagnostic::error(format!(
                        "{}: {} would still get {} on them from the global default of {} `{}`, \
                         and a default in a schema only adds to the global one",
                        rule.describe(),
                        grantee_words(&g),
                        privilege_words(&privileges),
                        rule.role.kind,
                        rule.role.name
                    ))
                    .at(Some(rule.loc.clone()))
                    .help(format!(
                        "list it under `{}` here, or take {} from the global default (a \
                         default_privileges: entry for `{}` without `schema:`)",
                        lists.join("`, `"),
                        privilege_words(&privileges),
                        rule.role.name
                    )),
                );
            }
        }
    }

    /// Statements that make every `members:` list exact.
    fn memberships(&mut self, created: &BTreeSet<Principal>) -> Vec<Statement> {
        let target = self.config.target;
        let mut adds = Vec::new();
        let mut removes = Vec::new();
        for d in &self.config.principals {
            let Some(members) = &d.members else { continue };
            let parent = target.canonical_principal(&d.principal);
            let mut wanted = BTreeSet::new();
            for m in members {
                let key = target.canonical_principal(&m.principal);
                self.consult(&m.principal);
                if !self.world.exists(&m.principal) && !created.contains(&key) {
                    let names: Vec<String> = if self.world.principals.len() <= self.suggestions_left
                    {
                        self.world
                            .principals
                            .keys()
                            .map(|p| p.name.clone())
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let near = self
                        .nearest(&m.principal.name, names.iter().map(String::as_str))
                        .map(|n| format!("did you mean `{n}`? "))
                        .unwrap_or_default();
                    self.errors.push(
                        Diagnostic::error(format!(
                            "member {} `{}` of {} `{}` does not exist on the server",
                            m.principal.kind, m.principal.name, d.principal.kind, d.principal.name
                        ))
                        .at(Some(m.loc.clone()))
                        .help(format!("{near}{}", if m.principal.kind == PrincipalKind::User {
                            "grantplan never creates users: create the user first, or remove it from members"
                        } else {
                            "declare it under roles: so grantplan creates it, or remove it from members"
                        })),
                    );
                    continue;
                }
                if self.config.is_ignored(&m.principal.name) {
                    self.warnings.push(
                        Diagnostic::warning(format!(
                            "member `{}` is ignored; its membership is left as it is",
                            m.principal.name
                        ))
                        .at(Some(m.loc.clone())),
                    );
                    continue;
                }
                wanted.insert(key.clone());
                if !self.world.memberships.contains(&(parent.clone(), key)) {
                    adds.push(Statement::AddMember {
                        parent: d.principal.clone(),
                        member: m.principal.clone(),
                    });
                }
            }
            for (p, member) in self.world.memberships.iter() {
                if p == &parent {
                    self.scope.member(parent.clone(), member.clone());
                }
                if p != &parent || wanted.contains(member) || self.config.is_ignored(&member.name) {
                    continue;
                }
                let stmt = Statement::RemoveMember {
                    parent: d.principal.clone(),
                    member: self.display_principal(member),
                };
                if self.config.mode == Mode::Additive {
                    self.warnings.push(
                        Diagnostic::warning(format!(
                            "`{}` is a member of {} `{}` but not listed in its members; not removed in additive mode",
                            member.name, d.principal.kind, d.principal.name
                        ))
                        .at(Some(d.loc.clone()))
                        .help(format!("authoritative mode would run: {}", stmt.render(target))),
                    );
                } else {
                    removes.push(stmt);
                }
            }
        }
        adds.extend(removes);
        adds
    }

    /// The grants the file asks for, by object index: `Some` for every object the file
    /// names or matches, even with no grants (those are revoked from); each list sorted
    /// and unique.
    fn desired(&mut self) -> Vec<Option<Pairs>> {
        let target = self.config.target;
        // By object index: `Some` for every managed object.
        let mut desired: Vec<Option<Pairs>> = vec![None; self.world.objects.len()];

        if target == Target::Redshift {
            let object = self
                .world
                .find(&Securable::CreateModel)
                .expect("a Redshift world has CREATE MODEL");
            let want = desired[object].get_or_insert_with(Vec::new);
            for d in &self.config.principals {
                if !d.create_model {
                    continue;
                }
                if self.config.is_ignored(&d.principal.name) {
                    continue;
                }
                let g = target.canonical(&Grantee::Principal(d.principal.clone()));
                want.push((self.world.grantees.id(&g), Privilege::CreateModel));
            }
        }

        // System permissions: the whole truth for each role whose `system:` is written;
        // other holders' are left as they are.
        if target == Target::Redshift {
            let object = self
                .world
                .find(&Securable::System)
                .expect("a Redshift world has the system permissions");
            let mut managed: HashSet<Gid> = HashSet::default();
            let mut want: Pairs = Vec::new();
            for d in &self.config.principals {
                let Some(system) = &d.system else { continue };
                if self.config.is_ignored(&d.principal.name) {
                    continue;
                }
                let g = self
                    .world
                    .grantees
                    .id(&target.canonical(&Grantee::Principal(d.principal.clone())));
                managed.insert(g);
                want.extend(system.iter().map(|&p| (g, p)));
                self.origin[object].get_or_insert(&d.loc);
            }
            if !managed.is_empty() {
                let held = &self.world.objects[object].1.held;
                want.extend(held.iter().filter(|(g, _)| !managed.contains(g)));
                desired[object] = Some(want);
            }
        }

        let config = self.config;
        // Each grantee of the file to its number (`None`: ignored). A large file lists
        // hundreds of thousands of grantees naming a few dozen principals, and entries
        // naming one principal share one `Arc` (the resolver's): canonicalising (a copy
        // of the name) and matching `ignore:` once per principal, looked up by address.
        let mut numbers: HashMap<*const Grantee, Option<Gid>> = HashMap::default();
        if let Some((login, kinds)) = &self.world.partial {
            for &kind in kinds {
                let Some(first) = config.rules_of(kind).first() else {
                    continue;
                };
                let section = kind.section();
                let why = kind.info().own_rows_only.unwrap_or_default();
                self.errors.push(
                    Diagnostic::error(format!(
                        "the login `{login}` is not a superuser, and Redshift shows a \
                         non-superuser only the {section} it owns ({why}): globs would miss \
                         the other {section}, and grants on {section} it cannot see would be \
                         revoked, so the {section}: section cannot be planned and nothing is"
                    ))
                    .at(Some(first.loc.clone()))
                    .help(format!(
                        "plan and apply as a superuser; a login with ACCESS SYSTEM TABLE can \
                         plan a grants.yaml without {section}:"
                    )),
                );
            }
        }
        // What each rule names or matches, in file order; the objects a rule for one
        // overload names are that rule's alone: the rules for its name leave them be.
        let mut expanded: Vec<Vec<usize>> = Vec::with_capacity(config.rules.len());
        let mut by_overload: HashSet<usize> = HashSet::default();
        for rule in &config.rules {
            let kind = rule.kind;
            let partial = self
                .world
                .partial
                .as_ref()
                .is_some_and(|(_, kinds)| kinds.contains(&kind));
            let matched = if partial {
                Vec::new()
            } else {
                self.expand(kind, rule)
            };
            if rule.args.is_some() {
                by_overload.extend(matched.iter().copied());
            }
            expanded.push(matched);
        }
        for (rule, mut matched) in config.rules.iter().zip(expanded) {
            if rule.args.is_none() && !by_overload.is_empty() {
                matched.retain(|i| !by_overload.contains(i));
            }
            {
                if matched.is_empty() {
                    continue;
                }
                // The rule's grants, numbered once for all the objects it matches.
                let grants = numbered(&rule.grants, &mut numbers, config, &mut self.world.grantees);
                // PUBLIC's built-in privileges on the database (TEMP, and CONNECT on
                // PostgreSQL) and on the schema `public` (USAGE, and CREATE before
                // PostgreSQL 15 and on Redshift) change only when the file says so: where
                // the rule names `public`, and only for the privileges whose lists it
                // writes. Listing who may create schemas is no decision about every
                // login's temporary tables, `temp: [public]` none about every login's
                // CONNECT, and `"*": {usage: [analysts]}` none about who may use `public`.
                let names_public = rule.grants.iter().any(|g| *g.grantee == Grantee::Public);
                let public = self.world.grantees.id(&Grantee::Public);
                let kept = |p: Privilege| !(names_public && rule.written.contains(&p));
                for object in matched {
                    // The first rule that names or matches an object is where findings
                    // about it point.
                    self.origin[object].get_or_insert(&rule.loc);
                    let want = desired[object].get_or_insert_with(Vec::new);
                    want.extend(&grants);
                    let (on, state) = &self.world.objects[object];
                    let built_in_public = rule.kind.info().single
                        || matches!(on, Securable::Schema { name } if name == "public");
                    if built_in_public {
                        want.extend(state.held.iter().filter(|&&(g, p)| g == public && kept(p)));
                    }
                }
            }
        }
        // Default privileges, each rule's defaults like a rule's objects. PUBLIC's
        // built-in holdings stay as they are unless the rule lists PUBLIC or says
        // `keep_public: false`.
        let public = self.world.grantees.id(&Grantee::Public);
        let matches = std::mem::take(&mut self.default_matches);
        for (r, (rule, matched)) in config.defaults.iter().zip(matches).enumerate() {
            let grants = numbered(&rule.grants, &mut numbers, config, &mut self.world.grantees);
            for on in matched {
                let object = self.world.find(&on).expect("added by default_objects");
                self.origin[object].get_or_insert(&rule.loc);
                self.default_index.push((r, object));
                let want = desired[object].get_or_insert_with(Vec::new);
                want.extend(&grants);
                if rule.keep_public {
                    let Securable::Default { schema, .. } = &on else {
                        unreachable!("a default")
                    };
                    let built_in = DefaultInfo::built_in(target, schema.as_deref(), rule.kind);
                    let held = &self.world.objects[object].1.held;
                    want.extend(held.iter().filter(|&&(g, p)| {
                        g == public && built_in.iter().any(|a| a.privilege == p)
                    }));
                }
            }
        }
        // ASSUMEROLE: each IAM role `assume_role:` names, the whole truth for the purposes
        // its entry writes alone; PUBLIC's share changes only where the entry names
        // `public` (as on the database: the usage notes' `revoke assumerole on all from
        // public for all` is an operator's decision, not a side effect of listing a
        // group).
        for rule in &config.assume_roles {
            let grants = numbered(&rule.grants, &mut numbers, config, &mut self.world.grantees);
            let on = Securable::IamRole {
                arn: rule.arn.clone(),
            };
            let object = self.world.find(&on).expect("added by default_objects");
            self.origin[object].get_or_insert(&rule.loc);
            let names_public = rule.grants.iter().any(|g| *g.grantee == Grantee::Public);
            let want = desired[object].get_or_insert_with(Vec::new);
            want.extend(&grants);
            want.extend(
                self.world.objects[object].1.held.iter().filter(|&&(g, p)| {
                    !rule.written.contains(&p) || (g == public && !names_public)
                }),
            );
        }
        for want in desired.iter_mut().flatten() {
            want.sort_unstable();
            want.dedup();
        }
        if let Some((_, (_, first))) = self.skipped.first_key_value() {
            let list: Vec<String> = self
                .skipped
                .iter()
                .map(|(name, (kind, _))| {
                    format!("{} ({})", crate::ident::quote(name), kind.describe())
                })
                .collect();
            self.warnings.push(
                Diagnostic::warning(format!(
                    "globs in schemas: leave out {} schema(s) that are not this database's own: {}",
                    list.len(),
                    list.join(", ")
                ))
                .at(Some((*first).clone()))
                .help(
                    "grantplan manages only local schemas: Redshift does not support CREATE on \
                     external schemas, and a datashare's grants are its producer's",
                ),
            );
        }
        // Warn once per ignored grantee listed in a rule (only when something is
        // ignored: this visits every grantee entry of the file).
        if !config.ignore.is_empty() {
            for rule in &config.rules {
                for g in &rule.grants {
                    if let Grantee::Principal(p) = &*g.grantee {
                        if config.is_ignored(&p.name) {
                            self.warnings.push(
                                Diagnostic::warning(format!(
                                    "`{}` is listed in ignore:, so {} on `{}` is not granted to it",
                                    p.name, g.privilege, rule.key
                                ))
                                .at(Some(rule.grant_location(g))),
                            );
                        }
                    }
                }
            }
        }
        desired
    }

    /// The defaults each `default_privileges:` rule manages, into `default_matches`; the
    /// ones the server lists no entry for are added to the world holding what an absent
    /// entry holds ([`DefaultInfo::built_in`]), so they are compared like any object.
    ///
    /// A global rule is one default. A rule with `schema:` is one per schema it names or
    /// matches: a schema that does not exist is left out with a warning (an error under
    /// `--strict`), a non-local one refused; offline, named schemas are taken to exist
    /// and globs match nothing, as for objects.
    fn default_objects(&mut self) {
        let config = self.config;
        let target = config.target;
        let mut added: Vec<(Securable, ObjectState)> = Vec::new();
        let mut adding: HashSet<Securable> = HashSet::default();
        let public = self.world.grantees.id(&Grantee::Public);
        for rule in &config.defaults {
            let role = target.canonical_principal(&rule.role).name;
            let schemas: Vec<Option<String>> = match &rule.schema {
                None => vec![None],
                Some(part) => self.default_schemas(rule, part),
            };
            let mut matched = Vec::with_capacity(schemas.len());
            for schema in schemas {
                let on = Securable::Default {
                    role: role.clone(),
                    schema,
                    of: rule.kind,
                };
                if self.world.find(&on).is_none() && adding.insert(on.clone()) {
                    let Securable::Default { schema, .. } = &on else {
                        unreachable!("a default")
                    };
                    let mut held: Vec<(Gid, Privilege)> =
                        DefaultInfo::built_in(target, schema.as_deref(), rule.kind)
                            .iter()
                            .map(|a| {
                                debug_assert_eq!(a.grantee, Grantee::Public);
                                (public, a.privilege)
                            })
                            .collect();
                    held.sort_unstable();
                    added.push((
                        on.clone(),
                        ObjectState {
                            owner: Some(role.clone()),
                            held,
                        },
                    ));
                }
                matched.push(on);
            }
            self.default_matches.push(matched);
        }
        // The IAM roles `assume_role:` names: one the server lists no grant on holds
        // none.
        for rule in &config.assume_roles {
            let on = Securable::IamRole {
                arn: rule.arn.clone(),
            };
            if self.world.find(&on).is_none() && adding.insert(on.clone()) {
                added.push((on, ObjectState::default()));
            }
        }
        if !added.is_empty() {
            let objects = std::mem::take(&mut self.world.objects);
            self.world.objects = sorted_unique(objects.into_iter().chain(added).collect());
            self.origin = vec![None; self.world.objects.len()];
        }
    }

    /// The schemas a `default_privileges:` rule's `schema:` names or matches.
    fn default_schemas(&mut self, rule: &DefaultRule, part: &NamePart) -> Vec<Option<String>> {
        let loc = Some(rule.loc.clone());
        if let NamePart::Exact(name) = part {
            if let Some(k) = self.world.non_local.get(name) {
                self.errors.push(
                    Diagnostic::error(format!(
                        "schema {} is {}, not this database's own, so grantplan does not manage \
                         default privileges in it: {}",
                        crate::ident::quote(name),
                        k.describe(),
                        k.why()
                    ))
                    .at(loc)
                    .help(format!(
                        "remove the entry from default_privileges: in {}",
                        self.config.file
                    )),
                );
                return Vec::new();
            }
            if self.offline {
                return vec![Some(name.clone())];
            }
            if self
                .world
                .find(&Securable::Schema { name: name.clone() })
                .is_some()
            {
                return vec![Some(name.clone())];
            }
        } else if self.offline {
            self.warnings.push(
                Diagnostic::warning(format!(
                    "`schema: {}` matches no schema: an offline plan knows no objects, so globs \
                     match nothing",
                    part.as_str()
                ))
                .at(loc),
            );
            return Vec::new();
        }
        let schemas: Vec<Option<String>> = self
            .world
            .objects_of_kind(ObjectKind::Schema)
            .filter_map(|(o, _)| o.name_parts())
            .filter(|p| part.matches(p.first))
            .map(|p| Some(p.first.to_string()))
            .collect();
        if schemas.is_empty() {
            self.scope.no_match("schema", part.as_str().to_string());
            let what = if part.is_glob() {
                format!("`schema: {}` matches no schema", part.as_str())
            } else {
                format!("schema `{}` does not exist", part.as_str())
            };
            let d = Diagnostic::warning(format!(
                "{what}, so the {} are left out of this plan",
                rule.describe()
            ))
            .at(loc)
            .help("create the schema, or plan again once it exists");
            if self.options.strict && !part.is_glob() {
                let mut d = d;
                d.severity = crate::diag::Severity::Error;
                d.help = Some(format!(
                    "--strict makes a missing schema an error: create it, or remove the entry \
                     from {}",
                    self.config.file
                ));
                self.errors.push(d);
            } else {
                self.warnings.push(d);
            }
        }
        schemas
    }

    /// The existing objects a rule names or matches; warns (or errors under `--strict`)
    /// when it names nothing.
    fn expand(&mut self, kind: ObjectKind, rule: &'a ObjectRule) -> Vec<usize> {
        if !self.world.non_local.is_empty() {
            match &rule.schema {
                NamePart::Exact(name) => {
                    if let Some(k) = self.world.non_local.get(name) {
                        let what = if kind == ObjectKind::Schema {
                            format!("schema {}", crate::ident::quote(name))
                        } else {
                            format!(
                                "{} `{}` is in schema {}, which",
                                kind.noun(),
                                rule.key,
                                crate::ident::quote(name)
                            )
                        };
                        self.errors.push(
                            Diagnostic::error(format!(
                                "{what} is {}, not this database's own, so grantplan does not \
                                 manage it: {}",
                                k.describe(),
                                k.why()
                            ))
                            .at(Some(rule.loc.clone()))
                            .help(format!(
                                "remove it from {}: in {}",
                                kind.section(),
                                self.config.file
                            )),
                        );
                        return Vec::new();
                    }
                }
                NamePart::Glob(_) if kind == ObjectKind::Schema => {
                    for (name, k) in &self.world.non_local {
                        if rule.schema.matches(name) {
                            self.skipped.entry(name.clone()).or_insert((*k, &rule.loc));
                        }
                    }
                }
                // A glob over the schemas of a two-part kind: the non-local schemas'
                // objects are not in the catalog, so it matches none of them.
                NamePart::Glob(_) => {}
            }
        }
        if self.offline && kind.info().single {
            self.warnings.push(
                Diagnostic::warning(format!(
                    "offline, the name of the {} is unknown: its grants are left out of this \
                     offline plan",
                    kind.noun()
                ))
                .at(Some(rule.loc.clone()))
                .help(
                    "plan against the server (--database-url) or a snapshot (--catalog) to see \
                     its statements",
                ),
            );
            return Vec::new();
        }
        if self.offline && rule.is_glob() {
            // The contract: offline, globs match nothing (not even the objects the file
            // names, which are only assumed to exist).
            self.missing(kind, rule);
            return Vec::new();
        }
        let matched: Vec<usize> = self
            .world
            .candidates(kind, rule)
            .filter(|&i| {
                let o = &self.world.objects[i].0;
                o.object_kind() == Some(kind) && rule.matches(o)
            })
            .collect();
        if matched.is_empty() {
            self.missing(kind, rule);
        } else if self.offline && kind.info().has_args && rule.args.is_none() {
            // Offline, a function's (or procedure's) overloads, its argument types, are
            // unknown. PostgreSQL accepts `ON FUNCTION s.f` for a function with one
            // overload; Redshift's grammar requires the argument list, so there the
            // statements would not run and are left out rather than shown.
            let redshift = self.config.target == Target::Redshift;
            let noun = kind.noun();
            self.warnings.push(
                Diagnostic::warning(if redshift {
                    format!(
                        "offline, the overloads of {noun} `{}` are unknown, and Redshift needs their argument types: its grants are left out of this offline plan",
                        rule.key
                    )
                } else {
                    format!(
                        "offline, the overloads of {noun} `{}` are unknown: its statements name no argument types",
                        rule.key
                    )
                })
                .at(Some(rule.loc.clone()))
                .help(if redshift {
                    "plan against the cluster (--database-url) or a snapshot (--catalog) for one statement per overload".to_string()
                } else {
                    format!("PostgreSQL accepts that only for a {noun} with one overload: plan against a database or snapshot for one statement per overload")
                }),
            );
            if redshift {
                return Vec::new();
            }
        }
        matched
    }

    fn missing(&mut self, kind: ObjectKind, rule: &ObjectRule) {
        let noun = kind.noun();
        let loc: Option<Location> = Some(rule.loc.clone());
        // Absence is part of the scope: an object created later changes the plan.
        self.scope.no_match(noun, rule.key.clone());
        if rule.is_glob() {
            let why = if self.offline {
                "an offline plan knows no objects, so globs match nothing".to_string()
            } else {
                format!("no existing {noun} matches it")
            };
            self.warnings.push(
                Diagnostic::warning(format!("`{}` matches no {noun}: {why}", rule.key)).at(loc),
            );
            return;
        }
        let near = self.nearest_object(kind, &rule.key);
        let d = Diagnostic::warning(format!(
            "{noun} `{}` does not exist; its grants are left out of this plan",
            rule.key
        ))
        .at(loc)
        .help(format!(
            "{}{}",
            near.map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default(),
            match kind {
                ObjectKind::Model =>
                    "normal for a model not trained yet: plan again after CREATE MODEL",
                _ => "create it, or plan again once it exists",
            }
        ));
        if self.options.strict {
            let mut d = d;
            d.severity = crate::diag::Severity::Error;
            d.help = Some(format!(
                "--strict makes a missing {noun} an error: create it, or remove it from {}",
                self.config.file
            ));
            self.errors.push(d);
        } else {
            self.warnings.push(d);
        }
    }

    /// The existing object of `kind` whose name is nearest to `key` (`schema` or
    /// `schema.name`), when one is near enough to be a likely typo (a case difference
    /// included), while [`SUGGESTION_BUDGET`] lasts: ten thousand missing schemas against
    /// ten thousand existing ones would otherwise compare for minutes.
    fn nearest_object(&mut self, kind: ObjectKind, key: &str) -> Option<String> {
        // Checked before the names are gathered: gathering is as costly as comparing.
        if self.offline || self.world.objects.len() > self.suggestions_left {
            return None;
        }
        let mut names: Vec<String> = self
            .world
            .objects
            .iter()
            .filter(|(s, _)| s.object_kind() == Some(kind))
            .filter_map(|(s, _)| s.name_parts())
            .map(|p| match p.second {
                Some(name) => format!("{}.{name}", p.first),
                None => p.first.to_string(),
            })
            .collect();
        // A function's overloads are neighbours in the sorted objects: one name each.
        names.dedup();
        self.nearest(key, names.iter().map(String::as_str))
    }

    /// [`crate::config::nearest`] within the plan's suggestion budget.
    fn nearest<'n>(
        &mut self,
        word: &str,
        names: impl ExactSizeIterator<Item = &'n str>,
    ) -> Option<String> {
        let cost = names.len().max(1);
        if cost > self.suggestions_left {
            return None;
        }
        self.suggestions_left -= cost;
        crate::config::nearest(word, names).map(str::to_string)
    }

    /// Records that the plan looked `p` up: whether it exists, and is a superuser.
    fn consult(&mut self, p: &Principal) {
        consult(&mut self.scope, &self.world, p);
    }

    fn is_owner(&self, state: &ObjectState, g: &Grantee) -> bool {
        match (g.as_principal(), &state.owner) {
            (Some(p), Some(owner)) => {
                p.name == *owner
                    && (self.world.target == Target::Postgres || p.kind == PrincipalKind::User)
            }
            _ => false,
        }
    }

    /// Owners, superusers, ignored principals and the server's reserved roles are never
    /// revoked from: revoking from them is either meaningless or breaks the server.
    fn is_protected(&self, state: &ObjectState, g: &Grantee) -> bool {
        let Some(p) = g.as_principal() else {
            return false;
        };
        self.world.target.is_reserved(&p.name)
            || self.is_owner(state, g)
            || self.world.is_superuser(g)
            || self.config.is_ignored(&p.name)
    }

    /// Turns single changes (one object, one grantee), which arrive object by object in
    /// object order, into as few statements as the grammar allows, shaped for what the
    /// server's work costs.
    ///
    /// Why: a server applies `GRANT ... ON FUNCTION f1(..), ..., f100(..) TO a, b` far
    /// faster than 200 statements (one parse, one catalog update per object), so a large
    /// apply takes seconds instead of minutes (docs/benchmarks.md). The order stays
    /// deterministic: grantees in declaration order, statements in the order below.
    fn group(&self, changes: Vec<Change>, ranks: &[u32]) -> Vec<Statement> {
        // (grant, kind, privileges, grantees, name): `name` is the place of the objects'
        // name in a per-grantee group of objects whose name several objects share, else
        // `NO_NAME`.
        // `alone`: the object's index for an object that is a statement of its own (a
        // default privilege), else `NO_NAME`.
        type Key = (bool, &'static str, Vec<Privilege>, Vec<Gid>, usize, usize);
        type Groups = indexmap::IndexMap<Key, Vec<usize>, foldhash::fast::RandomState>;
        const NO_NAME: usize = usize::MAX;
        let same_name = self.same_name_counts();
        // Two ways to group: (a) the grantees that get the same privileges on one object
        // together, then objects with the same grantee set; (b) each grantee on its own,
        // with every object of one name it gets the same privileges on. Which one, per
        // kind of object, is decided by what the server's work costs (below).
        let mut by_set: Groups = Groups::default();
        let mut by_grantee: Groups = Groups::default();
        for object in changes.chunk_by(|a, b| a.object == b.object) {
            let index = object[0].object;
            let mut object: Vec<&Change> = object.iter().collect();
            object.sort_by_key(|c| (ranks[c.grantee as usize], c.grant));
            let kind = self.world.objects[index].0.kind();
            // A name only where several objects share it: elsewhere, a group per name
            // would be a group per object (and their keys, memory for nothing).
            let name = match same_name[index] {
                (place, shared) if shared > 1 => place,
                _ => NO_NAME,
            };
            let alone = match self.world.objects[index].0 {
                Securable::Default { .. } | Securable::IamRole { .. } => index,
                _ => NO_NAME,
            };
            // Per (grant or revoke, privileges): the grantees, in rank order.
            type Same<'c> = ((bool, &'c Vec<Privilege>), Vec<Gid>);
            let mut same: Vec<Same> = Vec::new();
            for c in object {
                let key = (c.grant, &c.privileges);
                match same.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, grantees)) => grantees.push(c.grantee),
                    None => same.push((key, vec![c.grantee])),
                }
                by_grantee
                    .entry((
                        c.grant,
                        kind,
                        c.privileges.clone(),
                        vec![c.grantee],
                        name,
                        alone,
                    ))
                    .or_default()
                    .push(index);
            }
            for ((grant, privileges), grantees) in same {
                by_set
                    .entry((grant, kind, privileges.clone(), grantees, NO_NAME, alone))
                    .or_default()
                    .push(index);
            }
        }
        // Which grouping, per kind of object: the one the server does least work for,
        // by a cost model measured on PostgreSQL 15 (docs/benchmarks.md, issue 17): a
        // statement costs little; each object it changes (a catalog row rewritten) about
        // 30 µs; and each distinct function or model name in it a rebuild of the server's
        // cache list of every object of that name, about 1.2 µs an entry, since each
        // GRANT on one invalidates it. So grantee sets win where names are unique (fewer
        // rows rewritten), one grantee and one name a statement where schemas repeat
        // names (one rebuild a statement, and up to [`MAX_OBJECTS_OF_ONE_NAME`] objects).
        // A default privilege (ALTER DEFAULT PRIVILEGES changes one role's defaults, in
        // one schema or all, for one kind) is alone in its groups.
        let limit = |name: usize| match name {
            NO_NAME => MAX_OBJECTS_PER_STATEMENT,
            _ => MAX_OBJECTS_OF_ONE_NAME,
        };
        let cost = |groups: &Groups, kind: &str| -> f64 {
            let mut cost = 0.0;
            let mut names: Vec<(usize, usize)> = Vec::new();
            for ((.., name, _), objects) in groups.iter().filter(|((_, k, ..), _)| *k == kind) {
                for chunk in objects.chunks(limit(*name)) {
                    cost += 20.0 + 30.0 * chunk.len() as f64;
                    names.clear();
                    names.extend(chunk.iter().map(|&i| same_name[i]));
                    names.sort_unstable();
                    names.dedup();
                    cost += names.iter().map(|&(_, n)| 1.2 * n as f64).sum::<f64>();
                }
            }
            cost
        };
        let kinds: Vec<&'static str> = {
            let mut k: Vec<&'static str> = by_set.keys().map(|(_, k, ..)| *k).collect();
            k.sort_unstable();
            k.dedup();
            k
        };
        let per_grantee: Vec<&'static str> = kinds
            .into_iter()
            .filter(|k| cost(&by_grantee, k) < cost(&by_set, k))
            .collect();
        let mut groups: Vec<(Key, Vec<usize>)> = by_set
            .into_iter()
            .filter(|((_, k, ..), _)| !per_grantee.contains(k))
            .chain(
                by_grantee
                    .into_iter()
                    .filter(|((_, k, ..), _)| per_grantee.contains(k)),
            )
            .collect();
        // The order: a group of objects of one name where its name first appears in
        // the plan's object order, the smaller groups of a name first (each statement
        // on a name rewrites rows the next one's cache rebuild has to step over inside
        // the transaction: measured, smallest first and one name after the other is
        // fastest); any other group where its first object appears. Ties keep the
        // order groups were found in.
        let mut first_of_name: HashMap<usize, usize> = HashMap::default();
        for c in &changes {
            if let (name, 2..) = same_name[c.object] {
                first_of_name.entry(name).or_insert(c.object);
            }
        }
        groups.sort_by_cached_key(|((.., name, _), objects)| match *name {
            NO_NAME => (objects.iter().min().copied(), 0),
            _ => (first_of_name.get(name).copied(), objects.len()),
        });
        // Only groups of one name are put in name order (none where names are unique).
        let by_name = if first_of_name.is_empty() {
            Vec::new()
        } else {
            self.name_order(&changes)
        };
        let mut statements = Vec::new();
        for ((grant, _, privileges, grantees, name, _), mut objects) in groups {
            if name != NO_NAME {
                objects.sort_unstable_by_key(|&i| by_name[i]);
            }
            let grantees: Vec<Grantee> = grantees
                .iter()
                .map(|&g| self.display_grantee(self.world.grantees.get(g)))
                .collect();
            for chunk in objects.chunks(limit(name)) {
                statements.push(Statement::change_many(
                    grant,
                    privileges.clone(),
                    chunk
                        .iter()
                        .map(|&i| self.world.objects[i].0.clone())
                        .collect(),
                    grantees.clone(),
                ));
            }
        }
        statements
    }

    /// For each object (by index): the place of its (kind, name) among all names, and how
    /// many objects of the world share that kind and name (the length of the server's
    /// name list a statement naming it rebuilds; 0 for a kind not found through such a
    /// list, [`crate::model::KindInfo::found_by_name_list`]).
    fn same_name_counts(&self) -> Vec<(usize, usize)> {
        let objects = &self.world.objects;
        // Only kinds the server finds through a list of every object of a name.
        let name = |i: usize| -> Option<(ObjectKind, &str)> {
            let o = &objects[i].0;
            let kind = o.object_kind().filter(|k| k.info().found_by_name_list)?;
            Some((kind, o.name_parts()?.second?))
        };
        let mut counts: HashMap<(ObjectKind, &str), (usize, usize)> = HashMap::default();
        for i in 0..objects.len() {
            if let Some(n) = name(i) {
                let next = counts.len();
                counts.entry(n).or_insert((next, 0)).1 += 1;
            }
        }
        (0..objects.len())
            .map(|i| name(i).map_or((usize::MAX, 0), |n| counts[&n]))
            .collect()
    }

    /// The place (by object index) of each object `changes` touches when ordered by name
    /// first: functions and models by (name, schema, arguments), schemas by name. Only
    /// those objects are sorted: a plan touches few of a large catalog's objects.
    fn name_order(&self, changes: &[Change]) -> Vec<u32> {
        let objects = &self.world.objects;
        let key = |i: usize| -> (&str, &str, Option<&str>) {
            match objects[i].0.name_parts() {
                None => ("", "", None),
                Some(p) => match p.second {
                    Some(name) => (name, p.first, p.args),
                    None => (p.first, "", None),
                },
            }
        };
        let mut touched: Vec<usize> = changes.iter().map(|c| c.object).collect();
        touched.dedup(); // changes arrive object by object
        touched.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
        let mut order = vec![0u32; objects.len()];
        for (place, i) in touched.into_iter().enumerate() {
            order[i] = place as u32;
        }
        order
    }

    /// Every grantee's place among the grantees of one object (indexed by [`Gid`]):
    /// declared principals in file order, then PUBLIC, then principals the file does not
    /// declare, by kind and name.
    fn ranks(&self) -> Vec<u32> {
        let list = &self.world.grantees.list;
        let mut order: Vec<(usize, Option<Principal>, Gid)> = list
            .iter()
            .enumerate()
            .map(|(id, g)| {
                let (rank, p) = self.grantee_rank(g);
                (rank, p, id as Gid)
            })
            .collect();
        order.sort();
        let mut ranks = vec![0; list.len()];
        for (place, (_, _, id)) in order.into_iter().enumerate() {
            ranks[id as usize] = place as u32;
        }
        ranks
    }

    /// Sort key of a grantee within one object: declared principals in file order, then
    /// PUBLIC, then principals the file does not declare, by kind and name.
    fn grantee_rank(&self, g: &Grantee) -> (usize, Option<Principal>) {
        let declared_count = self.config.principals.len();
        match g {
            Grantee::Public => (declared_count, None),
            Grantee::Principal(p) => match self.declared_index(p) {
                Some(i) => (i, None),
                None => (declared_count + 1, Some(p.clone())),
            },
        }
    }

    /// Where `p` is declared in grants.yaml (its index in `config.principals`), found in
    /// the index built once per plan rather than by a search per lookup.
    fn declared_index(&self, p: &Principal) -> Option<usize> {
        let key = self.config.target.canonical_principal(p);
        self.declared.get(&key).copied()
    }

    /// The grantee as it should be written: on PostgreSQL the canonical form erased the
    /// kind, so the declared kind (or the catalog's) is restored for readable output.
    fn display_grantee(&self, g: &Grantee) -> Grantee {
        match g {
            Grantee::Public => Grantee::Public,
            Grantee::Principal(p) => Grantee::Principal(self.display_principal(p)),
        }
    }

    fn display_principal(&self, p: &Principal) -> Principal {
        match self.declared_index(p) {
            Some(i) => self.config.principals[i].principal.clone(),
            None => p.clone(),
        }
    }
}

/// Records in `scope` that the plan looked `p` up: whether it exists, and is a superuser.
fn consult(scope: &mut Scope, world: &World, p: &Principal) {
    let key = world.target.canonical_principal(p);
    let superuser = world.principals.get(&key).copied();
    scope.principal(key, superuser);
}

/// Records managed objects in a plan's [`Scope`]: each one's owner and the grants held
/// on it, and whether each holder exists and is a superuser (that decides what is never
/// revoked).
///
/// Why a type: a large catalog holds hundreds of thousands of grants by a few dozen
/// grantees. Looking each holder up again for every object (a name cloned, hashed and
/// compared in ordered sets) was a third of the planner's time; each is consulted once
/// per plan here, and grants are put in the scope's order by number.
struct Recorder {
    /// Each grantee's place in the scope's order (see [`Grantees::order`]).
    order: Vec<u32>,
    /// Grantees already consulted, by [`Gid`].
    consulted: Vec<bool>,
    /// One object's grants in the scope's order (reused).
    held: Vec<(Privilege, u32, Gid)>,
}

impl Recorder {
    fn new(world: &World) -> Recorder {
        Recorder {
            order: world.grantees.order(),
            consulted: vec![false; world.grantees.list.len()],
            held: Vec::new(),
        }
    }

    /// Records the managed object `object` (by index).
    fn record(&mut self, scope: &mut Scope, world: &World, object: usize) {
        let (on, state) = &world.objects[object];
        if *on != Securable::CreateModel {
            scope.object(on, state.owner.as_deref().unwrap_or_default());
        }
        let order = &self.order;
        self.held.clear();
        self.held
            .extend(state.held.iter().map(|&(g, p)| (p, order[g as usize], g)));
        self.held.sort_unstable();
        scope.holds(
            on,
            self.held
                .iter()
                .map(|&(p, _, g)| (world.grantees.shared(g), p)),
        );
        for &(g, _) in &state.held {
            let seen = &mut self.consulted[g as usize];
            if !std::mem::replace(seen, true) {
                if let Grantee::Principal(p) = world.grantees.get(g) {
                    consult(scope, world, p);
                }
            }
        }
    }
}

/// What `want` lacks of `held` and what `held` has beyond `want`, both sorted and
/// unique: (missing, extra).
fn differences(want: &[(Gid, Privilege)], held: &[(Gid, Privilege)]) -> (Pairs, Pairs) {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    let (mut w, mut h) = (want.iter().peekable(), held.iter().peekable());
    loop {
        match (w.peek(), h.peek()) {
            (Some(a), Some(b)) => match a.cmp(b) {
                Less => missing.extend(w.next()),
                Greater => extra.extend(h.next()),
                Equal => {
                    w.next();
                    h.next();
                }
            },
            (Some(_), None) => missing.extend(w.by_ref()),
            (None, Some(_)) => extra.extend(h.by_ref()),
            (None, None) => break,
        }
    }
    (missing, extra)
}

/// Sorted (grantee, privilege) pairs as each grantee with its privileges.
fn by_grantee(pairs: &[(Gid, Privilege)]) -> impl Iterator<Item = (Gid, Vec<Privilege>)> + '_ {
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .map(|run| (run[0].0, run.iter().map(|&(_, p)| p).collect()))
}

/// One grantee's change on one object (by index), before grouping into statements.
struct Change {
    object: usize,
    grantee: Gid,
    grant: bool,
    privileges: Vec<Privilege>,
}

fn grantee_words(g: &Grantee) -> String {
    match g {
        Grantee::Public => "PUBLIC".to_string(),
        Grantee::Principal(p) => format!("{} `{}`", p.kind, p.name),
    }
}

fn privilege_words(p: &[Privilege]) -> String {
    p.iter().map(|p| p.sql()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Membership, ObjectInfo, PrincipalInfo};
    use crate::model::PrincipalKind::{Group, Role, User};

    fn config(yaml: &str) -> Config {
        crate::config::parse("grants.yaml", yaml).unwrap_or_else(|d| {
            panic!(
                "config errors: {}",
                d.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }

    fn sql(p: &Plan) -> Vec<String> {
        p.sql_statements()
    }

    fn acl(g: &str, p: Privilege) -> Acl {
        Acl {
            grantee: g.parse().unwrap(),
            privilege: p,
            grant_option: false,
        }
    }

    /// A small builder so each test states only the catalog facts it is about.
    struct Cat(Snapshot);

    impl Cat {
        /// A superuser's read (the only one that lists every Redshift model).
        fn new(target: Target) -> Cat {
            let mut snap = Snapshot::empty(target);
            snap.server.login = "admin".into();
            snap.server.login_superuser = true;
            Cat(snap)
        }
        fn principal(mut self, kind: PrincipalKind, name: &str, superuser: bool) -> Cat {
            self.0.principals.push(PrincipalInfo {
                kind,
                name: name.into(),
                login: kind == User,
                superuser,
            });
            self
        }
        fn member(mut self, parent: (PrincipalKind, &str), member: &str) -> Cat {
            self.0.memberships.push(Membership {
                parent: Principal::new(parent.0, parent.1),
                member: Principal::new(User, member),
            });
            self
        }
        fn schema(mut self, name: &str, owner: &str, grants: Vec<Acl>) -> Cat {
            self.0.objects.push(ObjectInfo::new(
                Securable::Schema { name: name.into() },
                owner,
                grants,
            ));
            self
        }
        fn model(mut self, schema: &str, name: &str, grants: Vec<Acl>) -> Cat {
            self.0.objects.push(ObjectInfo::new(
                Securable::Model {
                    schema: schema.into(),
                    name: name.into(),
                },
                "owner",
                grants,
            ));
            self
        }
        fn function(mut self, schema: &str, name: &str, args: &str, grants: Vec<Acl>) -> Cat {
            self.0.objects.push(ObjectInfo::new(
                Securable::Function {
                    schema: schema.into(),
                    name: name.into(),
                    args: Some(args.into()),
                },
                "owner",
                grants,
            ));
            self
        }
        fn create_model(mut self, g: &str) -> Cat {
            self.0.create_model.push(g.parse().unwrap());
            self
        }
        fn default(
            mut self,
            role: &str,
            schema: Option<&str>,
            of: ObjectKind,
            grants: Vec<Acl>,
        ) -> Cat {
            self.0.default_privileges.push(DefaultInfo {
                role: role.into(),
                schema: schema.map(str::to_string),
                of,
                grants,
            });
            self
        }
        fn done(mut self) -> Snapshot {
            self.0.normalize();
            self.0
        }
    }

    fn errors(r: Result<Plan, Vec<Diagnostic>>) -> Vec<String> {
        match r {
            Ok(p) => panic!("planned {:?}", sql(&p)),
            Err(d) => d.iter().map(|d| d.to_string()).collect(),
        }
    }

    const DEFAULTS_PG: &str = "target: postgres\nroles:\n  etl: {}\n  an: {}\n  ot: {}\n";

    fn defaults_catalog() -> Cat {
        Cat::new(Target::Postgres)
            .principal(Role, "etl", false)
            .principal(Role, "an", false)
            .principal(Role, "ot", false)
            .principal(User, "admin", true)
            .schema("s1", "etl", vec![])
            .schema("s2", "etl", vec![])
            .schema("t1", "etl", vec![])
    }

    #[test]
    fn default_privileges_start_from_the_built_in_and_keep_publics_unless_told() {
        // No entry on the server: the built-in (PUBLIC may execute new functions) is
        // what is held, so listing PUBLIC plans nothing and leaving it out keeps it.
        let snap = defaults_catalog().done();
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    functions: {{execute: [an]}}\n    tables: {{select: [an, etl]}}\n"
        );
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT EXECUTE ON FUNCTIONS TO an;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT SELECT ON TABLES TO an;",
            ]
        );
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    keep_public: false\n    functions: {{execute: [an]}}\n"
        );
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl GRANT EXECUTE ON FUNCTIONS TO an;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;",
            ]
        );
        // The server's entry after those two statements: converged, the role's own
        // privileges never revoked.
        let snap = defaults_catalog()
            .default(
                "etl",
                None,
                ObjectKind::Function,
                vec![
                    acl("role:etl", Privilege::Execute),
                    acl("role:an", Privilege::Execute),
                ],
            )
            .done();
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), Vec::<String>::new());
        // keep_public: true leaves the missing built-in missing.
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    functions: {{execute: [an]}}\n"
        );
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), Vec::<String>::new());
    }

    #[test]
    fn default_privileges_are_authoritative_only_for_the_pairs_the_file_lists() {
        let snap = defaults_catalog()
            .default(
                "etl",
                Some("s1"),
                ObjectKind::Table,
                vec![acl("role:ot", Privilege::Insert)],
            )
            .default(
                "etl",
                Some("s2"),
                ObjectKind::Table,
                vec![acl("role:ot", Privilege::Insert)],
            )
            .default(
                "other",
                None,
                ObjectKind::Table,
                vec![acl("role:an", Privilege::Select)],
            )
            .done();
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    schema: \"s*\"\n    tables: {{select: [an]}}\n"
        );
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        // Each schema the glob matches is its own statement; `t1` and other's global
        // default are left alone.
        assert_eq!(
            sql(&p),
            [
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA s1 GRANT SELECT ON TABLES TO an;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA s1 REVOKE INSERT ON TABLES FROM ot;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA s2 GRANT SELECT ON TABLES TO an;",
                "ALTER DEFAULT PRIVILEGES FOR ROLE etl IN SCHEMA s2 REVOKE INSERT ON TABLES FROM ot;",
            ]
        );
        // Additive: the REVOKEs are warnings that name them.
        let additive = format!("mode: additive\n{yaml}");
        let p = plan(&config(&additive), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p).len(), 2);
        let warned: Vec<String> = p.warnings.iter().map(|d| d.to_string()).collect();
        assert!(
            warned.iter().any(|w| w
                .contains("INSERT in the default privileges of etl in s1 on tables")
                && w.contains("REVOKE INSERT ON TABLES FROM ot")),
            "{warned:#?}"
        );
        // A schema that does not exist: a warning, and an error under --strict.
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    schema: nope\n    tables: {{select: [an]}}\n"
        );
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert!(sql(&p).is_empty());
        assert!(
            p.warnings[0]
                .to_string()
                .contains("schema `nope` does not exist"),
            "{:?}",
            p.warnings
        );
        let e = errors(plan(
            &config(&yaml),
            Some(&snap),
            PlanOptions { strict: true },
        ));
        assert!(
            e[0].contains("--strict makes a missing schema an error"),
            "{e:?}"
        );
    }

    #[test]
    fn a_default_in_a_schema_cannot_take_away_what_the_global_one_gives() {
        // The server's global default gives `an` SELECT; the file's schema entry leaves
        // it out: no statement could do that.
        let snap = defaults_catalog()
            .default(
                "etl",
                None,
                ObjectKind::Table,
                vec![
                    acl("role:etl", Privilege::Select),
                    acl("role:an", Privilege::Select),
                ],
            )
            .done();
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    schema: s1\n    tables: {{select: []}}\n"
        );
        let e = errors(plan(&config(&yaml), Some(&snap), PlanOptions::default()));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains("default privileges of role `etl` in schema `s1` on new tables: role `an` would still get SELECT")
                && e[0].contains("grants.yaml:9:5"),
            "{e:?}"
        );
        // The file's own global rule decides: taking SELECT from it there is the fix.
        let fixed = format!("{yaml}  - for: etl\n    tables: {{}}\n");
        let p = plan(&config(&fixed), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            ["ALTER DEFAULT PRIVILEGES FOR ROLE etl REVOKE SELECT ON TABLES FROM an;"]
        );
        // PUBLIC's built-in EXECUTE on functions is kept, so a schema entry need not
        // list it; with keep_public: false it must.
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    schema: s1\n    functions: {{execute: [an]}}\n"
        );
        assert!(plan(&config(&yaml), Some(&snap), PlanOptions::default()).is_ok());
        let yaml = format!(
            "{DEFAULTS_PG}default_privileges:\n  - for: etl\n    schema: s1\n    keep_public: false\n    functions: {{execute: [an]}}\n"
        );
        let e = errors(plan(&config(&yaml), Some(&snap), PlanOptions::default()));
        assert!(e[0].contains("PUBLIC would still get EXECUTE"), "{e:?}");
    }

    #[test]
    fn redshift_defaults_are_for_users_and_drop_is_not_revoked_alone() {
        let snap = Cat::new(Target::Redshift)
            .principal(User, "etl", false)
            .principal(Group, "an", false)
            .schema("s1", "etl", vec![])
            .default(
                "etl",
                Some("s1"),
                ObjectKind::Table,
                vec![acl("group:an", Privilege::Drop)],
            )
            .done();
        let yaml = "users:\n  etl: {}\ngroups:\n  an: {}\ndefault_privileges:\n  - for: etl\n    schema: s1\n    tables: {select: [an]}\n    procedures: {execute: [an]}\n";
        let e = errors(plan(&config(yaml), Some(&snap), PlanOptions::default()));
        assert!(
            e[0].contains("group `an` holds DROP in the default privileges of etl in s1 on tables")
                && e[0].contains("REVOKE ALL ON TABLES FROM GROUP an"),
            "{e:?}"
        );
        let yaml = yaml.replace("{select: [an]}", "{select: [an], drop: [an]}");
        let p = plan(&config(&yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "ALTER DEFAULT PRIVILEGES FOR USER etl IN SCHEMA s1 GRANT SELECT ON TABLES TO GROUP an;",
                "ALTER DEFAULT PRIVILEGES FOR USER etl IN SCHEMA s1 GRANT EXECUTE ON PROCEDURES TO GROUP an;",
            ]
        );
    }

    #[test]
    fn publics_built_in_privileges_on_the_schema_public_change_only_when_the_file_says_so() {
        let snap = Cat::new(Target::Postgres)
            .principal(Role, "an", false)
            .schema(
                "public",
                "pg_database_owner",
                vec![
                    acl("public", Privilege::Usage),
                    acl("public", Privilege::Create),
                ],
            )
            .schema("s", "postgres", vec![acl("public", Privilege::Usage)])
            .done();
        let head = "target: postgres\nroles: {an: {}}\nschemas:\n";
        let planned = |rules: &str| {
            sql(&plan(
                &config(&format!("{head}{rules}")),
                Some(&snap),
                PlanOptions::default(),
            )
            .unwrap())
        };
        // Naming who else may use it is no decision about everyone: PUBLIC keeps both.
        assert_eq!(
            planned("  public: {usage: [an]}\n"),
            ["GRANT USAGE ON SCHEMA \"public\" TO an;"]
        );
        // A glob over every schema neither; on another schema PUBLIC is any grantee.
        assert_eq!(
            planned("  \"*\": {usage: [an]}\n"),
            [
                "GRANT USAGE ON SCHEMA\n    \"public\",\n    s\n  TO an;",
                "REVOKE USAGE ON SCHEMA s FROM PUBLIC;",
            ]
        );
        // Naming public, and writing `create:`: the classic hardening, and only it.
        assert_eq!(
            planned("  public: {usage: [an, public], create: []}\n"),
            [
                "GRANT USAGE ON SCHEMA \"public\" TO an;",
                "REVOKE CREATE ON SCHEMA \"public\" FROM PUBLIC;",
            ]
        );
    }

    #[test]
    fn assumerole_is_planned_last_and_a_non_superuser_is_told_it_cannot_apply_it() {
        let mut snap = Cat::new(Target::Redshift)
            .principal(Group, "g", false)
            .principal(User, "ci", false)
            .done();
        let yaml = "groups: {g: {}}\nassume_role:\n  default: {copy: [g]}\n";
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            ["GRANT ASSUMEROLE ON default TO GROUP g FOR COPY;"]
        );
        assert!(p.statements[0].after_commit());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        snap.server.login = "ci".into();
        snap.server.login_superuser = false;
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        let w = p.warnings[0].to_string();
        assert!(
            w.contains("the login `ci` is not a superuser, and only a superuser may grant or revoke ASSUMEROLE")
                && w.contains("grants.yaml:3:3"),
            "{w}"
        );
    }

    const SEED: &str = include_str!("../grants.yaml");

    #[test]
    fn offline_seed_plan_is_exactly_the_seed_statements() {
        let p = plan(&config(SEED), None, PlanOptions::default()).unwrap();
        assert!(p.offline);
        assert_eq!(
            sql(&p),
            [
                "GRANT CREATE MODEL TO GROUP retention_analyst_grp;",
                "GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;",
                "GRANT USAGE ON SCHEMA demo_ml TO GROUP marketing_analyst_grp;",
                "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;",
            ]
        );
    }

    fn seed_catalog() -> Cat {
        Cat::new(Target::Redshift)
            .principal(Group, "retention_analyst_grp", false)
            .principal(Group, "marketing_analyst_grp", false)
            .principal(User, "admin", true)
            .principal(User, "owner", false)
    }

    #[test]
    fn a_catalog_that_matches_gives_an_empty_plan() {
        let snap = seed_catalog()
            .create_model("group:retention_analyst_grp")
            .schema(
                "demo_ml",
                "owner",
                vec![
                    acl("group:retention_analyst_grp", Privilege::Create),
                    acl("group:retention_analyst_grp", Privilege::Usage),
                    acl("group:marketing_analyst_grp", Privilege::Usage),
                ],
            )
            .model(
                "demo_ml",
                "customer_churn_auto_model",
                vec![acl("group:marketing_analyst_grp", Privilege::Execute)],
            )
            .done();
        let p = plan(&config(SEED), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), Vec::<String>::new());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    /// A missing schema or member close to an existing name (a case difference included)
    /// gets a "did you mean".
    #[test]
    fn missing_names_get_a_did_you_mean() {
        let snap = Cat::new(Target::Postgres)
            .principal(Role, "readers", false)
            .principal(User, "alice", false)
            .schema("sales", "owner", vec![])
            .done();
        let yaml = "target: postgres\nroles:\n  readers: {members: [alcie]}\nusers:\n  alcie: {}\nschemas:\n  Sales: {usage: [readers]}\n";
        let errors = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap_err();
        assert!(
            errors.iter().any(|e| e
                .help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `alice`?"))),
            "{errors:?}"
        );
        let yaml = "target: postgres\nroles:\n  readers: {}\nschemas:\n  Sales: {usage: [readers]}\n  zzz: {usage: [readers]}\n";
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        let helps: Vec<&str> = p
            .warnings
            .iter()
            .filter_map(|w| w.help.as_deref())
            .collect();
        assert_eq!(
            helps,
            [
                "did you mean `sales`? create it, or plan again once it exists",
                "create it, or plan again once it exists"
            ]
        );
    }

    /// Redshift shows a non-superuser only its own models: a file that names or matches
    /// models is not planned from its read at all; one without models: is.
    #[test]
    fn models_are_not_planned_from_a_login_that_sees_only_its_own() {
        let mut snap = seed_catalog()
            .create_model("group:retention_analyst_grp")
            .model("demo_ml", "customer_churn_auto_model", vec![])
            .done();
        snap.server.login = "ci".into();
        snap.server.login_superuser = false;
        let errors = plan(&config(SEED), Some(&snap), PlanOptions::default()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(
            e.message.starts_with("the login `ci` is not a superuser")
                && e.message.contains("only the models it owns"),
            "{e:?}"
        );
        let loc = e.location.as_ref().unwrap();
        assert_eq!(loc.path, "models.\"demo_ml.customer_churn_auto_model\"");
        assert!(e.help.as_deref().unwrap().contains("as a superuser"));

        // Without models: the same read plans.
        let no_models = SEED.split("\nmodels:").next().unwrap();
        let p = plan(&config(no_models), Some(&snap), PlanOptions::default()).unwrap();
        assert!(
            sql(&p).iter().all(|s| !s.contains("MODEL demo_ml")),
            "{:?}",
            sql(&p)
        );
        // On PostgreSQL a non-superuser's read is not limited this way.
        let mut pg = Snapshot::empty(Target::Postgres);
        pg.server.login_superuser = false;
        assert!(pg.sees_every(ObjectKind::Model));
    }

    /// A model whose owner is not known (seen only through its grants) is never revoked
    /// on: the owner could be among the grantees.
    #[test]
    fn no_revoke_on_a_model_whose_owner_is_unknown() {
        let yaml = "groups:\n  a: {}\nmodels:\n  s.m: {execute: [a]}\n";
        let unknown = |grants| {
            let mut snap = Cat::new(Target::Redshift)
                .principal(Group, "a", false)
                .principal(User, "bob", false)
                .model("s", "m", grants)
                .done();
            snap.objects[0].owner = String::new();
            snap
        };
        let snap = unknown(vec![acl("user:bob", Privilege::Execute)]);
        let errors = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .message
                .starts_with("the owner of model s.m is not known"),
            "{errors:?}"
        );
        assert_eq!(errors[0].location.as_ref().unwrap().path, "models.\"s.m\"");
        // Nothing to revoke: the GRANT is planned.
        let snap = unknown(vec![]);
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), ["GRANT EXECUTE ON MODEL s.m TO GROUP a;"]);
        // Additive mode never revokes: a warning, as for any other grant.
        let snap = unknown(vec![acl("user:bob", Privilege::Execute)]);
        let additive = format!("mode: additive\n{yaml}");
        let p = plan(&config(&additive), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), ["GRANT EXECUTE ON MODEL s.m TO GROUP a;"]);
        // A known owner that holds an explicit row is left alone.
        let mut snap = unknown(vec![acl("user:bob", Privilege::Execute)]);
        snap.objects[0].owner = "bob".into();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), ["GRANT EXECUTE ON MODEL s.m TO GROUP a;"]);
    }

    /// External and datashare schemas are left out of globs (one warning lists them) and
    /// refused by name.
    #[test]
    fn non_local_schemas_are_skipped_by_globs_and_refused_by_name() {
        use crate::catalog::{NonLocalKind, NonLocalSchema};
        let mut snap = Cat::new(Target::Redshift)
            .principal(Group, "a", false)
            .schema("sales", "owner", vec![])
            .done();
        snap.non_local_schemas = vec![
            NonLocalSchema {
                name: "spectrum".into(),
                kind: NonLocalKind::External,
            },
            NonLocalSchema {
                name: "shared_sales".into(),
                kind: NonLocalKind::Datashare,
            },
        ];
        let glob = "groups:\n  a: {}\nschemas:\n  \"*\": {usage: [a]}\n  \"s*\": {create: [a]}\n";
        let p = plan(&config(glob), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), ["GRANT CREATE, USAGE ON SCHEMA sales TO GROUP a;"]);
        let skipped: Vec<_> = p
            .warnings
            .iter()
            .filter(|w| w.message.contains("not this database's own"))
            .collect();
        assert_eq!(skipped.len(), 1, "{:?}", p.warnings);
        assert_eq!(
            skipped[0].message,
            "globs in schemas: leave out 2 schema(s) that are not this database's own: \
             shared_sales (a datashare schema), spectrum (an external schema)"
        );
        assert_eq!(skipped[0].location.as_ref().unwrap().path, "schemas.\"*\"");

        let named = "groups:\n  a: {}\nschemas:\n  spectrum: {usage: [a]}\n  sales: {usage: [a]}\n";
        let errors = plan(&config(named), Some(&snap), PlanOptions::default()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .message
                .starts_with("schema spectrum is an external schema, not this database's own")
                && errors[0]
                    .message
                    .contains("does not support CREATE on external schemas"),
            "{errors:?}"
        );
        assert_eq!(
            errors[0].location.as_ref().unwrap().path,
            "schemas.spectrum"
        );
    }

    #[test]
    fn drift_is_revoked_in_authoritative_mode_and_only_warned_in_additive() {
        let snap = seed_catalog()
            .principal(Group, "interns", false)
            .create_model("group:retention_analyst_grp")
            .create_model("group:interns")
            .schema(
                "demo_ml",
                "owner",
                vec![
                    acl("group:retention_analyst_grp", Privilege::Usage),
                    acl("group:marketing_analyst_grp", Privilege::Usage),
                    acl("group:marketing_analyst_grp", Privilege::Create),
                    acl("public", Privilege::Usage),
                ],
            )
            .model("demo_ml", "customer_churn_auto_model", vec![])
            .done();
        let p = plan(&config(SEED), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "REVOKE CREATE MODEL FROM GROUP interns;",
                "GRANT CREATE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;",
                "REVOKE CREATE ON SCHEMA demo_ml FROM GROUP marketing_analyst_grp;",
                "REVOKE USAGE ON SCHEMA demo_ml FROM PUBLIC;",
                "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;",
            ]
        );

        let additive = SEED.replace("mode: authoritative", "mode: additive");
        let p = plan(&config(&additive), Some(&snap), PlanOptions::default()).unwrap();
        assert!(
            sql(&p).iter().all(|s| s.starts_with("GRANT")),
            "{:?}",
            sql(&p)
        );
        let warned: Vec<_> = p.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(warned.len(), 3, "{warned:#?}");
        assert!(
            warned[0].contains("group `interns` holds CREATE MODEL"),
            "{warned:#?}"
        );
        assert!(warned
            .iter()
            .any(|w| w.contains("REVOKE USAGE ON SCHEMA demo_ml FROM PUBLIC;")));
    }

    #[test]
    fn owners_superusers_ignored_and_reserved_roles_are_never_revoked_from() {
        let yaml = "target: postgres\nignore: [\"etl_*\"]\ngroups: {readers: {}}\nschemas:\n  app: {usage: [readers]}\n";
        let snap = Cat::new(Target::Postgres)
            .principal(Role, "readers", false)
            .principal(User, "app_owner", false)
            .principal(User, "postgres", true)
            .principal(User, "etl_loader", false)
            .principal(Role, "pg_read_all_data", false)
            .principal(User, "mallory", false)
            .schema(
                "app",
                "app_owner",
                vec![
                    acl("user:app_owner", Privilege::Usage),
                    acl("user:app_owner", Privilege::Create),
                    acl("user:postgres", Privilege::Usage),
                    acl("user:etl_loader", Privilege::Usage),
                    acl("role:pg_read_all_data", Privilege::Usage),
                    acl("user:mallory", Privilege::Create),
                    acl("role:readers", Privilege::Usage),
                ],
            )
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(sql(&p), ["REVOKE CREATE ON SCHEMA app FROM mallory;"]);
    }

    #[test]
    fn missing_objects_warn_and_strict_makes_them_errors() {
        let snap = seed_catalog()
            .create_model("group:retention_analyst_grp")
            .done();
        let p = plan(&config(SEED), Some(&snap), PlanOptions::default()).unwrap();
        assert!(sql(&p).is_empty(), "{:?}", sql(&p));
        let w: Vec<_> = p.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(w.len(), 2, "{w:#?}");
        assert!(w[0].contains("schema `demo_ml` does not exist"), "{w:#?}");
        assert!(w[1].contains("model `demo_ml.customer_churn_auto_model` does not exist"));
        assert!(w[1].starts_with("grants.yaml:"), "located: {w:#?}");

        let errors = plan(&config(SEED), Some(&snap), PlanOptions { strict: true }).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|e| e.is_error() && e.location.is_some()));
    }

    #[test]
    fn missing_groups_and_roles_are_created_users_are_an_error() {
        let yaml = "groups: {analysts: {create_model: true}}\nroles: {ml_admin: {}}\nschemas: {s: {usage: [analysts, ml_admin]}}\n";
        let snap = Cat::new(Target::Redshift)
            .schema("s", "owner", vec![])
            .principal(User, "owner", false)
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "CREATE GROUP analysts;",
                "CREATE ROLE ml_admin;",
                "GRANT CREATE MODEL TO GROUP analysts;",
                "GRANT USAGE ON SCHEMA\n    s\n  TO\n    GROUP analysts,\n    ROLE ml_admin;",
            ]
        );
        let yaml = "users: {dave: {}}\ngroups: {g: {members: [erin]}}\n";
        let errors = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap_err();
        let text: Vec<_> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:#?}");
        assert!(text
            .iter()
            .any(|t| t.contains("user `dave` does not exist")));
        assert!(text
            .iter()
            .any(|t| t.contains("member user `erin` of group `g` does not exist")));
    }

    #[test]
    fn members_lists_are_exact() {
        let yaml = "groups:\n  g: {members: [alice, bob]}\nroles:\n  r: {members: [carol]}\n";
        let snap = Cat::new(Target::Redshift)
            .principal(Group, "g", false)
            .principal(Role, "r", false)
            .principal(User, "alice", false)
            .principal(User, "bob", false)
            .principal(User, "carol", false)
            .principal(User, "mallory", false)
            .member((Group, "g"), "alice")
            .member((Group, "g"), "mallory")
            .member((Role, "r"), "carol")
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "ALTER GROUP g ADD USER bob;",
                "ALTER GROUP g DROP USER mallory;"
            ]
        );
    }

    #[test]
    fn globs_expand_against_the_catalog_and_double_matches_union() {
        let yaml = "groups: {a: {}, b: {}}\nschemas:\n  \"sales_*\": {usage: [a]}\n  sales_eu: {usage: [b]}\nmodels:\n  \"ml.*\": {execute: [a]}\n  ml.churn: {execute: [b]}\n";
        let snap = Cat::new(Target::Redshift)
            .principal(Group, "a", false)
            .principal(Group, "b", false)
            .schema("sales_us", "o", vec![])
            .schema("sales_eu", "o", vec![])
            .schema("other", "o", vec![acl("group:b", Privilege::Usage)])
            .model("ml", "churn", vec![])
            .model("ml", "ltv", vec![])
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "GRANT USAGE ON SCHEMA\n    sales_eu\n  TO\n    GROUP a,\n    GROUP b;",
                "GRANT USAGE ON SCHEMA sales_us TO GROUP a;",
                "GRANT EXECUTE ON MODEL\n    ml.churn\n  TO\n    GROUP a,\n    GROUP b;",
                "GRANT EXECUTE ON MODEL ml.ltv TO GROUP a;",
            ]
        );
    }

    #[test]
    fn offline_globs_match_nothing_and_say_so() {
        let yaml = "groups: {a: {}}\nschemas:\n  \"sales_*\": {usage: [a]}\n";
        let p = plan(&config(yaml), None, PlanOptions::default()).unwrap();
        assert!(sql(&p).is_empty());
        assert!(p.warnings[0]
            .message
            .contains("offline plan knows no objects"));
    }

    #[test]
    fn functions_are_granted_per_overload_and_public_is_managed() {
        let yaml = "target: postgres\ngroups: {scorers: {}}\nfunctions:\n  app.score: {execute: [scorers]}\n";
        let snap = Cat::new(Target::Postgres)
            .principal(Role, "scorers", false)
            .principal(User, "owner", false)
            .function(
                "app",
                "score",
                "integer",
                vec![acl("public", Privilege::Execute)],
            )
            .function(
                "app",
                "score",
                "text, integer[]",
                vec![acl("user:owner", Privilege::Execute)],
            )
            .function("app", "other", "", vec![acl("public", Privilege::Execute)])
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "GRANT EXECUTE ON FUNCTION\n    app.score(integer),\n    app.score(text, integer[])\n  TO scorers;",
                "REVOKE EXECUTE ON FUNCTION app.score(integer) FROM PUBLIC;",
            ]
        );
    }

    /// A catalog of 2,000 schemas holding functions `f` and `g` (names repeated in every
    /// schema when `repeated`, else `f0`, `g0`, `f1`, ...), each pair granted to its own
    /// three of ten groups (and one in five also to g0), and the plan of it from nothing.
    fn grants_on_many_schemas(repeated: bool) -> (Plan, Vec<(String, String)>) {
        let groups: Vec<String> = (0..10).map(|i| format!("g{i}")).collect();
        let mut threes = Vec::new();
        for a in 0..10 {
            for b in a + 1..10 {
                for c in b + 1..10 {
                    threes.push([a, b, c]);
                }
            }
        }
        let mut yaml = String::from("target: postgres\ngroups:\n");
        for g in &groups {
            yaml.push_str(&format!("  {g}: {{}}\n"));
        }
        yaml.push_str("functions:\n");
        let mut cat = Cat::new(Target::Postgres);
        for g in &groups {
            cat = cat.principal(Role, g, false);
        }
        let mut wanted = Vec::new();
        for i in 0..2000 {
            let mut three = threes[i % threes.len()].map(|g| groups[g].clone()).to_vec();
            if i % 5 == 0 && !three.contains(&groups[0]) {
                three.push(groups[0].clone()); // g0 gets more than the others
            }
            for base in ["f", "g"] {
                let name = if repeated {
                    base.to_string()
                } else {
                    format!("{base}{i}")
                };
                cat = cat.function(&format!("s{i}"), &name, "integer", vec![]);
                yaml.push_str(&format!(
                    "  s{i}.{name}: {{execute: [{}]}}\n",
                    three.join(", ")
                ));
                for g in &three {
                    wanted.push((format!("s{i}.{name}(integer)"), g.clone()));
                }
            }
        }
        let p = plan(&config(&yaml), Some(&cat.done()), PlanOptions::default()).unwrap();
        wanted.sort();
        (p, wanted)
    }

    /// Every (object, grantee) the plan's GRANT statements give, sorted.
    fn granted(p: &Plan) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for s in &p.statements {
            let Statement::Grant { on, grantees, .. } = s else {
                panic!("only grants expected: {s:?}");
            };
            for o in on {
                let Securable::Function { schema, name, args } = o else {
                    panic!("only functions expected: {o:?}");
                };
                for g in grantees {
                    let args = args.as_deref().unwrap_or("");
                    let Grantee::Principal(g) = g else {
                        panic!("no PUBLIC here")
                    };
                    pairs.push((format!("{schema}.{name}({args})"), g.name.clone()));
                }
            }
        }
        pairs.sort();
        pairs
    }

    #[test]
    fn where_names_repeat_a_statement_holds_one_grantee_and_one_name_name_after_name() {
        let (p, wanted) = grants_on_many_schemas(true);
        assert_eq!(granted(&p), wanted);
        // (name, objects, grantee) of each statement, in plan order.
        let shape: Vec<(String, usize, String)> = p
            .statements
            .iter()
            .map(|s| {
                let Statement::Grant { on, grantees, .. } = s else {
                    unreachable!()
                };
                assert_eq!(grantees.len(), 1, "one grantee a statement: {s:?}");
                let names: BTreeSet<&str> = on
                    .iter()
                    .map(|o| match o {
                        Securable::Function { name, .. } => name.as_str(),
                        _ => unreachable!(),
                    })
                    .collect();
                assert_eq!(names.len(), 1, "one name a statement");
                let name = names.into_iter().next().unwrap().to_string();
                (name, on.len(), format!("{}", grantees[0]))
            })
            .collect();
        // Ten groups, each on about 600 of each name's 2,000 and g0 on more: twenty
        // statements, f's first, within a name the smaller first.
        let g0 = wanted
            .iter()
            .filter(|(o, g)| o.contains(".f(") && g == "g0");
        assert_eq!(shape.len(), 20, "{shape:?}");
        assert!(shape[..10].iter().all(|(n, ..)| n == "f"), "{shape:?}");
        assert!(shape[10..].iter().all(|(n, ..)| n == "g"), "{shape:?}");
        for name in shape.chunks(10) {
            assert!(name.windows(2).all(|w| w[0].1 <= w[1].1), "{shape:?}");
            let last = (name[9].1, name[9].2.as_str());
            assert_eq!(last, (g0.clone().count(), "group:g0"), "{shape:?}");
        }
    }

    #[test]
    fn where_names_are_unique_objects_with_the_same_grantees_share_a_statement() {
        let (p, wanted) = grants_on_many_schemas(false);
        assert_eq!(granted(&p), wanted);
        // 120 sets of three or four grantees, on 2 × 16 or 17 functions each: one
        // statement a set.
        assert_eq!(p.statements.len(), 120);
        assert!(p.statements.iter().all(|s| matches!(
            s,
            Statement::Grant { grantees, .. } if grantees.len() >= 3
        )));
    }

    #[test]
    fn a_statement_that_would_not_read_back_as_itself_is_refused() {
        let yaml = "target: postgres\ngroups: {scorers: {}}\nfunctions:\n  app.score: {execute: [scorers]}\n";
        let smuggled = Cat::new(Target::Postgres)
            .principal(Role, "scorers", false)
            .function(
                "app",
                "score",
                "integer) TO scorers; DROP TABLE t; --",
                vec![],
            )
            .done();
        let p = plan(&config(yaml), Some(&smuggled), PlanOptions::default()).unwrap();
        let e = &p.verify().unwrap_err()[0];
        assert!(
            e.message
                .contains("statement 1 of the plan does not mean what was planned"),
            "{e}"
        );
        assert!(
            e.message.contains("DROP TABLE t"),
            "the statement is shown: {e}"
        );

        let honest = Cat::new(Target::Postgres)
            .principal(Role, "scorers", false)
            .function("app", "score", "integer, \"My Type\"[]", vec![])
            .done();
        let p = plan(&config(yaml), Some(&honest), PlanOptions::default()).unwrap();
        assert_eq!(p.statements.len(), 1);
        p.verify().unwrap();
        let seed = plan(&config(SEED), None, PlanOptions::default()).unwrap();
        seed.verify().unwrap();
    }

    #[test]
    fn in_a_long_plan_the_first_statement_that_does_not_read_back_is_reported() {
        // Long enough that the check is split across threads: the failure reported must
        // still be the first in plan order, whichever part finishes first.
        let role = |i: usize| Grantee::principal(Role, format!("r{i}"));
        let schema = |i: usize| Securable::Schema {
            name: format!("s{i}"),
        };
        let mut statements: Vec<Statement> = (0..3000)
            .map(|i| Statement::change(true, vec![Privilege::Usage], schema(i), role(i)))
            .collect();
        let bad = |i: usize| Securable::Function {
            schema: "app".into(),
            name: format!("f{i}"),
            args: Some("integer) TO x; DROP TABLE t; --".into()),
        };
        statements[2500] = Statement::change(true, vec![Privilege::Execute], bad(2500), role(1));
        statements[1200] = Statement::change(true, vec![Privilege::Execute], bad(1200), role(1));
        let p = Plan {
            target: Target::Postgres,
            mode: Mode::Authoritative,
            offline: false,
            statements,
            warnings: Vec::new(),
            scope: Scope::default(),
        };
        let e = &p.verify().unwrap_err()[0];
        assert!(e.message.contains("statement 1201 of the plan"), "{e}");
        let mut good = p.clone();
        good.statements.retain(|s| !matches!(s, Statement::Grant { on, .. } if matches!(on[0], Securable::Function { .. })));
        assert_eq!(good.statements.len(), 2998);
        good.verify().unwrap();
    }

    #[test]
    fn a_snapshot_of_another_target_is_refused() {
        let snap = Cat::new(Target::Postgres).done();
        let e = plan(&config(SEED), Some(&snap), PlanOptions::default()).unwrap_err();
        assert!(e[0].message.contains("declares target `redshift`"), "{e:?}");
    }

    #[test]
    fn grantees_follow_declaration_order_then_public_then_undeclared() {
        let yaml = "groups: {zeta: {}, alpha: {}}\nschemas:\n  s: {usage: [alpha, zeta, public]}\n";
        let snap = Cat::new(Target::Redshift)
            .principal(Group, "zeta", false)
            .principal(Group, "alpha", false)
            .principal(Group, "beta", false)
            .principal(User, "aaron", false)
            .schema(
                "s",
                "o",
                vec![
                    acl("group:beta", Privilege::Usage),
                    acl("user:aaron", Privilege::Usage),
                ],
            )
            .done();
        let p = plan(&config(yaml), Some(&snap), PlanOptions::default()).unwrap();
        assert_eq!(
            sql(&p),
            [
                "GRANT USAGE ON SCHEMA\n    s\n  TO\n    GROUP zeta,\n    GROUP alpha,\n    PUBLIC;",
                "REVOKE USAGE ON SCHEMA\n    s\n  FROM\n    GROUP beta,\n    aaron;",
            ]
        );
    }
}
