//! A generated PostgreSQL catalog and the grants.yaml that manages it, for the scale
//! benchmark (`benches/scale.rs`) and the scale tests (`tests/scale.rs`).
//!
//! The shape follows issue 7, so figures mean something for real catalogs:
//! - one schema in ten has a name that needs quoting (a space, upper case, a dash);
//! - functions take one or two arguments of mixed types, and one in five is an overload
//!   of the previous name;
//! - grants.yaml gives USAGE to about 30% of group × schema pairs, CREATE to a third of
//!   those, and EXECUTE on about half the function names of each usable schema;
//! - the database starts with 20% of the desired privileges missing and extra privileges
//!   (5% of the desired count) present, which a plan must grant and revoke;
//! - tables (issue 19): the same names (`t0`, `t1`, ...) in every managed schema, SELECT
//!   for a third of the schema's USAGE groups through one glob rule per schema, INSERT,
//!   UPDATE and DELETE on one in ten for its CREATE groups;
//! - default privileges (issue 19): a few owner roles, each with a global default (SELECT
//!   on new tables, EXECUTE on new functions, for the first group) and a default on new
//!   tables in every managed schema it owns, for the schema's readers: one per schema;
//! - grants grantplan must never touch: schemas and functions the file does not name,
//!   and a table (`bench_table`, which the file's `t*` globs do not match) inside managed
//!   schemas.
//!
//! Everything is derived from a seed, so a size always gives the same catalog. The
//! generator counts, independently of grantplan, the privileges a plan must change: the
//! scale test holds grantplan's plan to that count.
//!
//! This module quotes names itself (always, `"` doubled), never through grantplan's
//! `ident` module: it is the oracle, not the code under test.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// How big a generated catalog is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    pub schemas: usize,
    pub groups: usize,
    pub functions: usize,
    /// Tables in each schema, named `t0`, `t1`, ... in every schema (issue 19).
    pub tables: usize,
}

pub const SMALL: Size = Size {
    name: "small",
    schemas: 20,
    groups: 5,
    functions: 100,
    tables: 2,
};
pub const MEDIUM: Size = Size {
    name: "medium",
    schemas: 500,
    groups: 20,
    functions: 5_000,
    tables: 5,
};
pub const LARGE: Size = Size {
    name: "large",
    schemas: 2_000,
    groups: 50,
    functions: 20_000,
    tables: 20,
};

impl Size {
    pub fn by_name(name: &str) -> Option<Size> {
        [SMALL, MEDIUM, LARGE].into_iter().find(|s| s.name == name)
    }
}

/// A privilege on one object, as the generator tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Priv {
    Usage,
    Create,
    Execute,
    Select,
    Insert,
    Update,
    Delete,
}

impl Priv {
    fn sql(self) -> &'static str {
        match self {
            Priv::Usage => "USAGE",
            Priv::Create => "CREATE",
            Priv::Execute => "EXECUTE",
            Priv::Select => "SELECT",
            Priv::Insert => "INSERT",
            Priv::Update => "UPDATE",
            Priv::Delete => "DELETE",
        }
    }
}

/// An object grants.yaml manages: a schema (by index) or a function overload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Obj {
    Schema(usize),
    Function(usize),
    /// A table, by index in `table_list`.
    Table(usize),
    /// A default privilege, by index in `default_list`.
    Default(usize),
}

/// What a default privilege covers: new tables or new functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum DefKind {
    Tables,
    Functions,
}

impl DefKind {
    fn sql(self) -> &'static str {
        match self {
            DefKind::Tables => "TABLES",
            DefKind::Functions => "FUNCTIONS",
        }
    }
    fn section(self) -> &'static str {
        match self {
            DefKind::Tables => "tables",
            DefKind::Functions => "functions",
        }
    }
}

/// Roles that own (create) objects and have default privileges.
const DEFAULT_OWNERS: usize = 3;

struct Function {
    schema: usize,
    name: String,
    args: Vec<&'static str>,
}

/// The generated catalog: SQL to build it, the grants.yaml, and the generator's own
/// counts.
pub struct Generated {
    pub size: Size,
    /// Statements that create roles, schemas, functions, tables and the starting grants,
    /// in order (run them in batches; none depends on a result).
    pub setup: Vec<String>,
    /// The roles the catalog uses (cluster-wide: prefixed so runs do not collide).
    pub roles: Vec<String>,
    pub grants_yaml: String,
    /// Privileges grants.yaml asks for (grantee × privilege × object, overloads counted
    /// one by one).
    pub desired: usize,
    /// Desired privileges the starting database lacks: the plan must grant each.
    pub missing: usize,
    /// Privileges the starting database holds on managed objects that grants.yaml does
    /// not give: the plan must revoke each.
    pub extra: usize,
    /// Function overloads created in managed schemas.
    pub functions: usize,
    /// The managed catalog as generated (for [`snapshot`]).
    schema_names: Vec<String>,
    function_list: Vec<Function>,
    /// Managed tables: (schema index, name).
    table_list: Vec<(usize, String)>,
    /// Managed default privileges: (owner role index, schema index or global, kind).
    default_list: Vec<(usize, Option<usize>, DefKind)>,
    held: BTreeSet<(Obj, Priv, usize)>,
    desired_set: BTreeSet<(Obj, Priv, usize)>,
}

impl Generated {
    /// Privilege changes a correct plan makes: every missing one granted, every extra
    /// one revoked.
    pub fn changes(&self) -> usize {
        self.missing + self.extra
    }

    /// The privileges on managed objects the database holds once built, one line each in
    /// the form [`MANAGED_GRANTS`] reads them back.
    pub fn held_grants(&self) -> BTreeSet<String> {
        self.held.iter().map(|t| self.grant_line(*t)).collect()
    }

    /// The privileges on managed objects grants.yaml asks for: what the database holds
    /// after a correct apply, in the form [`MANAGED_GRANTS`] reads them back.
    pub fn desired_grants(&self) -> BTreeSet<String> {
        self.desired_set
            .iter()
            .map(|t| self.grant_line(*t))
            .collect()
    }

    fn grant_line(&self, (o, p, g): (Obj, Priv, usize)) -> String {
        let object = match o {
            Obj::Schema(s) => format!("schema {}", self.schema_names[s]),
            Obj::Function(f) => {
                let f = &self.function_list[f];
                format!(
                    "function {}.{}({})",
                    self.schema_names[f.schema],
                    f.name,
                    f.args.join(", ")
                )
            }
            Obj::Table(t) => {
                let (s, name) = &self.table_list[t];
                format!("table {}.{name}", self.schema_names[*s])
            }
            Obj::Default(d) => {
                let (owner, s, kind) = self.default_list[d];
                let schema = s.map_or("*", |s| self.schema_names[s].as_str());
                format!("default {} {schema} {}", self.roles[owner], kind.section())
            }
        };
        format!("{object} {} {}", p.sql(), self.roles[g])
    }
}

/// A query whose rows (one text column) list every privilege held on the schemas and
/// functions grants.yaml manages, as [`Generated::desired_grants`] writes them: the
/// object's raw name (functions with their argument types), the privilege, and the
/// grantee (`PUBLIC` for everyone, ` WITH GRANT OPTION` appended where given). Owners
/// are left out (grantplan never revokes from them); a default ACL is expanded, so
/// PUBLIC's implicit EXECUTE on a function would show. Read with the catalog's own
/// functions, independently of grantplan's reader.
pub const MANAGED_GRANTS: &str = "WITH managed AS (\
       SELECT oid, nspname, nspowner, nspacl FROM pg_namespace \
        WHERE nspname NOT LIKE 'outside\\_%' AND nspname NOT LIKE 'pg\\_%' \
          AND nspname NOT IN ('public', 'information_schema')), \
     acl AS (\
       SELECT 'schema ' || m.nspname AS object, a.* \
         FROM managed m, aclexplode(coalesce(m.nspacl, acldefault('n', m.nspowner))) a \
        WHERE a.grantee <> m.nspowner \
       UNION ALL \
       SELECT 'function ' || m.nspname || '.' || p.proname || '(' || \
              (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i) \
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i)) || ')', a.* \
         FROM pg_proc p JOIN managed m ON m.oid = p.pronamespace, \
              aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a \
        WHERE a.grantee <> p.proowner \
       UNION ALL \
       SELECT 'table ' || m.nspname || '.' || c.relname, a.* \
         FROM pg_class c JOIN managed m ON m.oid = c.relnamespace, \
              aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a \
        WHERE c.relkind = 'r' AND c.relname <> 'bench_table' AND a.grantee <> c.relowner \
       UNION ALL \
       SELECT 'default ' || pg_get_userbyid(d.defaclrole) || ' ' || coalesce(n.nspname, '*') || \
              ' ' || CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'f' THEN 'functions' \
              ELSE d.defaclobjtype::text END, a.* \
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, \
              aclexplode(d.defaclacl) a \
        WHERE a.grantee <> d.defaclrole \
          AND NOT (d.defaclnamespace = 0 AND d.defaclobjtype = 'f' AND a.grantee = 0)) \
     SELECT object || ' ' || privilege_type || ' ' || coalesce(r.rolname, 'PUBLIC') || \
            CASE WHEN is_grantable THEN ' WITH GRANT OPTION' ELSE '' END \
       FROM acl LEFT JOIN pg_roles r ON r.oid = acl.grantee";

/// A query whose single text value lists every grant outside grants.yaml's scope
/// (unmanaged schemas and their functions, tables): it must read the same before and
/// after an apply.
pub const OUTSIDE_GRANTS: &str = "SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM (\
     SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '') AS x \
       FROM pg_namespace WHERE nspname LIKE 'outside\\_%' \
     UNION ALL SELECT 'function ' || p.oid::regprocedure::text || ' ' || coalesce(proacl::text, '') \
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname LIKE 'outside\\_%' \
     UNION ALL SELECT 'table ' || c.oid::regclass::text || ' ' || coalesce(relacl::text, '') \
       FROM pg_class c WHERE relname = 'bench_table') t";

/// Argument types functions are made of.
const TYPES: [&str; 8] = [
    "integer",
    "text",
    "numeric",
    "boolean",
    "double precision",
    "date",
    "bigint",
    "character varying",
];

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A grants.yaml key part: bare when the name is plain lower case, else quoted.
fn key_part(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_string()
    } else {
        q(name)
    }
}

/// A YAML scalar in single quotes (only `'` needs doubling).
fn yaml_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn schema_name(i: usize) -> String {
    if i % 10 == 9 {
        match (i / 10) % 3 {
            0 => format!("Sales {i}"),
            1 => format!("ml-{i}"),
            _ => format!("Demo_{i}"),
        }
    } else {
        format!("s{i}")
    }
}

/// Generates the catalog of `size`, starting with 80% of the desired privileges held (the
/// shape of issue 7). `prefix` starts every role name (roles are cluster-wide); `seed`
/// picks everything random.
pub fn generate(size: Size, prefix: &str, seed: u64) -> Generated {
    generate_holding(size, prefix, seed, 0.8)
}

/// How functions are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// Every function name once in the catalog (`f0`, `f1`, ...).
    Unique,
    /// The same names in every schema (`f0` to `f9` in each, for ten functions a
    /// schema), as per-tenant and per-team schemas hold them (issue 17): PostgreSQL then
    /// resolves each qualified name among every function of that name.
    Repeated,
}

/// [`generate`], with the database starting with about `held` (0 to 1) of the desired
/// privileges: the benchmark's heavy apply starts from less, for more changes than the
/// issue's shape gives. The same seed draws the same catalog and grants.yaml whatever
/// `held` is; only the starting grants differ.
pub fn generate_holding(size: Size, prefix: &str, seed: u64, held_fraction: f64) -> Generated {
    generate_shaped(
        size,
        prefix,
        seed,
        held_fraction,
        Names::Unique,
        Grantees::Spread,
    )
}

/// Who grants.yaml gives what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantees {
    /// Each group gets USAGE on about 30% of the schemas (CREATE on a third of those)
    /// and EXECUTE on about half the function names of each.
    Spread,
    /// The first group gets USAGE on 95% of the schemas and EXECUTE on 95% of their
    /// names (an analytics or service role that reads nearly everything); every other
    /// group USAGE on 2% of the schemas, as [`Grantees::Spread`] otherwise.
    OneOnNearlyAll,
}

/// [`generate_holding`], with functions named as `names` says and privileges given as
/// `grantees` says.
pub fn generate_shaped(
    size: Size,
    prefix: &str,
    seed: u64,
    held_fraction: f64,
    names: Names,
    grantees: Grantees,
) -> Generated {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut roles: Vec<String> = (0..size.groups).map(|i| format!("{prefix}_g{i}")).collect();
    let schemas: Vec<String> = (0..size.schemas).map(schema_name).collect();

    // Functions, spread evenly over the schemas; one in five overloads the previous name.
    let mut functions: Vec<Function> = Vec::with_capacity(size.functions);
    for i in 0..size.functions {
        let schema = i * size.schemas / size.functions.max(1);
        let random_args = |rng: &mut fastrand::Rng| -> Vec<&'static str> {
            (0..rng.usize(1..=2))
                .map(|_| TYPES[rng.usize(..TYPES.len())])
                .collect()
        };
        let overload = i % 5 == 4 && functions.last().is_some_and(|f| f.schema == schema);
        // The place of this function in its schema: its name where names repeat.
        let place = functions
            .iter()
            .rev()
            .take_while(|f| f.schema == schema)
            .count();
        let (name, args) = if overload {
            let prev = functions.last().unwrap();
            let mut args = random_args(&mut rng);
            while args == prev.args {
                args = random_args(&mut rng);
            }
            (prev.name.clone(), args)
        } else {
            let n = match names {
                Names::Unique => i,
                Names::Repeated => place,
            };
            (format!("f{n}"), random_args(&mut rng))
        };
        functions.push(Function { schema, name, args });
    }
    let mut by_schema: Vec<Vec<usize>> = vec![Vec::new(); size.schemas];
    for (i, f) in functions.iter().enumerate() {
        by_schema[f.schema].push(i);
    }

    // What grants.yaml asks for. EXECUTE is decided per function name (a rule covers
    // every overload of its name).
    let mut usage: Vec<Vec<usize>> = vec![Vec::new(); size.schemas];
    let mut create: Vec<Vec<usize>> = vec![Vec::new(); size.schemas];
    let mut execute: BTreeMap<(usize, &str), Vec<usize>> = BTreeMap::new();
    for (s, in_schema) in by_schema.iter().enumerate() {
        for f in in_schema {
            execute.entry((s, functions[*f].name.as_str())).or_default();
        }
    }
    for (g, _) in roles.iter().enumerate() {
        // (USAGE, EXECUTE) shares; `None`: half, drawn as the first shapes drew it (the
        // same seed keeps drawing the same catalog).
        let (usage_share, execute_share) = match (grantees, g) {
            (Grantees::Spread, _) => (0.3, None),
            (Grantees::OneOnNearlyAll, 0) => (0.95, Some(0.95)),
            (Grantees::OneOnNearlyAll, _) => (0.02, None),
        };
        for s in 0..size.schemas {
            if !rng.f64().lt(&usage_share) {
                continue;
            }
            usage[s].push(g);
            if rng.usize(..3) == 0 {
                create[s].push(g);
            }
            let names: BTreeSet<&str> = by_schema[s]
                .iter()
                .map(|f| functions[*f].name.as_str())
                .collect();
            for name in names {
                let gets_it = match execute_share {
                    None => rng.bool(),
                    Some(share) => rng.f64() < share,
                };
                if gets_it {
                    execute.get_mut(&(s, name)).unwrap().push(g);
                }
            }
        }
    }
    let mut desired: BTreeSet<(Obj, Priv, usize)> = BTreeSet::new();
    for s in 0..size.schemas {
        desired.extend(usage[s].iter().map(|g| (Obj::Schema(s), Priv::Usage, *g)));
        desired.extend(create[s].iter().map(|g| (Obj::Schema(s), Priv::Create, *g)));
    }
    for (i, f) in functions.iter().enumerate() {
        for g in &execute[&(f.schema, f.name.as_str())] {
            desired.insert((Obj::Function(i), Priv::Execute, *g));
        }
    }

    // The starting state: `held_fraction` (80% unless asked otherwise) of what is
    // desired, plus extra privileges (5% of the desired count) that grants.yaml does not
    // give.
    let mut held: BTreeSet<(Obj, Priv, usize)> = BTreeSet::new();
    let mut missing = 0;
    for d in &desired {
        if rng.f64() < held_fraction {
            held.insert(*d);
        } else {
            missing += 1;
        }
    }
    let want_extra = desired.len() / 20;
    let mut extra = 0;
    let mut attempts = 0;
    while extra < want_extra && attempts < want_extra * 20 && !roles.is_empty() {
        attempts += 1;
        let g = rng.usize(..roles.len());
        let candidate = if rng.usize(..4) == 0 || functions.is_empty() {
            let s = rng.usize(..size.schemas);
            let p = if rng.bool() {
                Priv::Usage
            } else {
                Priv::Create
            };
            (Obj::Schema(s), p, g)
        } else {
            (
                Obj::Function(rng.usize(..functions.len())),
                Priv::Execute,
                g,
            )
        };
        if !desired.contains(&candidate) && held.insert(candidate) {
            extra += 1;
        }
    }

    // Tables (issue 19): `size.tables` in every managed schema, the same names in each.
    // Drawn from a stream of their own, after everything else, so that a seed draws the
    // same schemas, functions and grants as before tables were generated. SELECT for
    // the first third of the groups with USAGE on the schema (one glob rule per schema:
    // few grantees on many objects); INSERT, UPDATE and DELETE on one table in ten for
    // the groups with CREATE there (an exact rule each).
    let mut trng = fastrand::Rng::with_seed(seed ^ 0x7461_626c_6573);
    let tables: Vec<(usize, String)> = (0..size.schemas)
        .flat_map(|s| (0..size.tables).map(move |j| (s, format!("t{j}"))))
        .collect();
    let readers = |s: usize| &usage[s][..usage[s].len().div_ceil(3)];
    let mut table_desired: BTreeSet<(Obj, Priv, usize)> = BTreeSet::new();
    for (i, (s, _)) in tables.iter().enumerate() {
        let o = Obj::Table(i);
        table_desired.extend(readers(*s).iter().map(|g| (o, Priv::Select, *g)));
        if (i % size.tables.max(1)).is_multiple_of(10) {
            for p in [Priv::Insert, Priv::Update, Priv::Delete] {
                table_desired.extend(create[*s].iter().map(|g| (o, p, *g)));
            }
        }
    }
    for d in &table_desired {
        if trng.f64() < held_fraction {
            held.insert(*d);
        } else {
            missing += 1;
        }
    }
    let want_extra = table_desired.len() / 20;
    let mut table_extra = 0;
    let mut attempts = 0;
    while table_extra < want_extra && attempts < want_extra * 20 && !roles.is_empty() {
        attempts += 1;
        let p = [Priv::Select, Priv::Insert, Priv::Update, Priv::Delete][trng.usize(..4)];
        let candidate = (
            Obj::Table(trng.usize(..tables.len())),
            p,
            trng.usize(..roles.len()),
        );
        if !table_desired.contains(&candidate) && held.insert(candidate) {
            table_extra += 1;
        }
    }
    extra += table_extra;
    desired.extend(table_desired);

    // Default privileges (issue 19): `DEFAULT_OWNERS` owner roles (added after every
    // draw above, so those stay the same), each with a global default (SELECT on new
    // tables and EXECUTE on new functions, for the first group) and a default on new
    // tables in each managed schema it owns (schema s: owner s % DEFAULT_OWNERS) for the
    // schema's readers and the first group (a default in a schema only adds to the
    // global one, so it lists what the global gives). A stream of its own.
    let mut drng = fastrand::Rng::with_seed(seed ^ 0x6465_6661_756c_7473);
    let mut default_list: Vec<(usize, Option<usize>, DefKind)> = Vec::new();
    let mut default_desired: BTreeSet<(Obj, Priv, usize)> = BTreeSet::new();
    if size.groups > 0 {
        let owners: Vec<usize> = (0..DEFAULT_OWNERS)
            .map(|i| {
                roles.push(format!("{prefix}_owner{i}"));
                roles.len() - 1
            })
            .collect();
        for &o in &owners {
            for (kind, p) in [
                (DefKind::Tables, Priv::Select),
                (DefKind::Functions, Priv::Execute),
            ] {
                default_list.push((o, None, kind));
                default_desired.insert((Obj::Default(default_list.len() - 1), p, 0));
            }
        }
        for s in 0..size.schemas {
            default_list.push((owners[s % owners.len()], Some(s), DefKind::Tables));
            let d = Obj::Default(default_list.len() - 1);
            default_desired.insert((d, Priv::Select, 0));
            default_desired.extend(readers(s).iter().map(|g| (d, Priv::Select, *g)));
        }
    }
    for d in &default_desired {
        if drng.f64() < held_fraction {
            held.insert(*d);
        } else {
            missing += 1;
        }
    }
    let want_extra = default_desired.len() / 20;
    let mut default_extra = 0;
    let mut attempts = 0;
    while default_extra < want_extra && attempts < want_extra * 20 {
        attempts += 1;
        let d = drng.usize(..default_list.len());
        let p = match default_list[d].2 {
            DefKind::Tables => Priv::Select,
            DefKind::Functions => Priv::Execute,
        };
        let candidate = (Obj::Default(d), p, drng.usize(..size.groups));
        if !default_desired.contains(&candidate) && held.insert(candidate) {
            default_extra += 1;
        }
    }
    extra += default_extra;
    desired.extend(default_desired);

    // SQL that builds it.
    let mut setup = Vec::new();
    // Functions get EXECUTE for PUBLIC by default; the managed ones must start without
    // it, or every plan would revoke it.
    setup.push("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC".to_string());
    for r in &roles {
        setup.push(format!("CREATE ROLE {} NOLOGIN", q(r)));
    }
    for s in &schemas {
        setup.push(format!("CREATE SCHEMA {}", q(s)));
    }
    let signature = |f: &Function| -> String {
        format!(
            "{}.{}({})",
            q(&schemas[f.schema]),
            q(&f.name),
            f.args.join(", ")
        )
    };
    for f in &functions {
        setup.push(format!(
            "CREATE FUNCTION {} RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1'",
            signature(f)
        ));
    }
    for (s, name) in &tables {
        setup.push(format!(
            "CREATE TABLE {}.{} (id integer)",
            q(&schemas[*s]),
            q(name)
        ));
    }
    // Starting grants, one statement per object and privilege (all grantees at once).
    let mut grouped: BTreeMap<(Obj, Priv), Vec<usize>> = BTreeMap::new();
    for (o, p, g) in &held {
        grouped.entry((*o, *p)).or_default().push(*g);
    }
    for ((o, p), gs) in &grouped {
        let to: Vec<String> = gs.iter().map(|g| q(&roles[*g])).collect();
        if let Obj::Default(d) = o {
            let (owner, schema, kind) = default_list[*d];
            let place = schema.map_or(String::new(), |s| format!(" IN SCHEMA {}", q(&schemas[s])));
            setup.push(format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {}{place} GRANT {} ON {} TO {}",
                q(&roles[owner]),
                p.sql(),
                kind.sql(),
                to.join(", ")
            ));
            continue;
        }
        let on = match o {
            Obj::Schema(s) => format!("SCHEMA {}", q(&schemas[*s])),
            Obj::Function(f) => format!("FUNCTION {}", signature(&functions[*f])),
            Obj::Table(t) => {
                let (s, name) = &tables[*t];
                format!("TABLE {}.{}", q(&schemas[*s]), q(name))
            }
            Obj::Default(_) => unreachable!("written above"),
        };
        setup.push(format!("GRANT {} ON {on} TO {}", p.sql(), to.join(", ")));
    }
    // Outside the file's scope: one unmanaged schema per 20 managed ones, with two
    // functions, and a table in one managed schema in ten (half of them in schemas whose
    // names need quoting, where a slip in quoting would show); all granted to groups.
    if let Some(first) = roles.first() {
        let last = roles.last().unwrap();
        for i in 0..size.schemas.div_ceil(20) {
            let s = q(&format!("outside_{i}"));
            setup.push(format!("CREATE SCHEMA {s}"));
            setup.push(format!("GRANT USAGE ON SCHEMA {s} TO {}", q(first)));
            for (j, arg) in ["integer", "text"].iter().enumerate() {
                let f = format!("{s}.other{j}({arg})");
                setup.push(format!(
                    "CREATE FUNCTION {f} RETURNS integer LANGUAGE sql AS 'SELECT 1'"
                ));
                setup.push(format!("GRANT EXECUTE ON FUNCTION {f} TO {}", q(last)));
            }
        }
        for s in (0..size.schemas).filter(|s| s % 20 == 0 || s % 20 == 19) {
            let t = format!("{}.bench_table", q(&schemas[s]));
            setup.push(format!("CREATE TABLE {t} (id integer)"));
            setup.push(format!("GRANT SELECT ON {t} TO {}, {}", q(first), q(last)));
        }
    }

    // grants.yaml.
    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "# Generated by tests/common/generate.rs: size {}, seed {seed}.\ntarget: postgres\nmode: authoritative\n\ngroups:",
        size.name
    );
    for r in &roles {
        let _ = writeln!(yaml, "  {}: {{}}", yaml_str(r));
    }
    let list = |gs: &[usize]| -> String {
        let names: Vec<String> = gs.iter().map(|g| yaml_str(&roles[*g])).collect();
        format!("[{}]", names.join(", "))
    };
    yaml.push_str("\nschemas:\n");
    for (s, name) in schemas.iter().enumerate() {
        let _ = writeln!(yaml, "  {}:", yaml_str(&key_part(name)));
        let _ = writeln!(yaml, "    usage: {}", list(&usage[s]));
        let _ = writeln!(yaml, "    create: {}", list(&create[s]));
    }
    yaml.push_str("\nfunctions:\n");
    for ((s, name), gs) in &execute {
        let key = format!("{}.{}", key_part(&schemas[*s]), key_part(name));
        let _ = writeln!(yaml, "  {}:", yaml_str(&key));
        let _ = writeln!(yaml, "    execute: {}", list(gs));
    }
    if size.tables > 0 {
        yaml.push_str("\ntables:\n");
        for (s, name) in schemas.iter().enumerate() {
            let _ = writeln!(yaml, "  {}:", yaml_str(&format!("{}.t*", key_part(name))));
            let _ = writeln!(yaml, "    select: {}", list(readers(s)));
            for j in (0..size.tables).step_by(10) {
                let key = format!("{}.t{j}", key_part(name));
                let _ = writeln!(yaml, "  {}:", yaml_str(&key));
                for p in ["insert", "update", "delete"] {
                    let _ = writeln!(yaml, "    {p}: {}", list(&create[s]));
                }
            }
        }
    }

    if !default_list.is_empty() {
        yaml.push_str("\ndefault_privileges:\n");
        // (owner, schema) -> each kind with its grantees: one entry each.
        type Entries = BTreeMap<(usize, Option<usize>), Vec<(DefKind, Vec<usize>)>>;
        let mut entries = Entries::new();
        for (i, (owner, schema, kind)) in default_list.iter().enumerate() {
            let gs: Vec<usize> = desired
                .range(
                    (Obj::Default(i), Priv::Usage, 0)..=(Obj::Default(i), Priv::Delete, usize::MAX),
                )
                .map(|(_, _, g)| *g)
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .collect();
            entries
                .entry((*owner, *schema))
                .or_default()
                .push((*kind, gs));
        }
        for ((owner, schema), kinds) in entries {
            let _ = writeln!(yaml, "  - for: {}", yaml_str(&roles[owner]));
            if let Some(s) = schema {
                let _ = writeln!(yaml, "    schema: {}", yaml_str(&key_part(&schemas[s])));
            }
            for (kind, gs) in kinds {
                let list_key = match kind {
                    DefKind::Tables => "select",
                    DefKind::Functions => "execute",
                };
                let _ = writeln!(
                    yaml,
                    "    {}: {{{list_key}: {}}}",
                    kind.section(),
                    list(&gs)
                );
            }
        }
    }

    Generated {
        size,
        setup,
        roles,
        grants_yaml: yaml,
        desired: desired.len(),
        missing,
        extra,
        functions: functions.len(),
        schema_names: schemas,
        function_list: functions,
        table_list: tables,
        default_list,
        held,
        desired_set: desired,
    }
}

/// The managed part of the generated catalog as a grantplan snapshot (what a reader
/// would return for it), owned by `postgres`: for planner figures without a database.
pub fn snapshot(g: &Generated) -> grantplan::catalog::Snapshot {
    use grantplan::catalog::{Acl, DefaultInfo, ObjectInfo, PrincipalInfo, Snapshot};
    use grantplan::model::{Grantee, ObjectKind, PrincipalKind, Privilege, Securable};
    let mut snap = Snapshot::empty(grantplan::model::Target::Postgres);
    snap.server.database = "generated".into();
    snap.server.login = "postgres".into();
    snap.server.login_superuser = true;
    snap.principals.push(PrincipalInfo {
        kind: PrincipalKind::Role,
        name: "postgres".into(),
        login: true,
        superuser: true,
    });
    for r in &g.roles {
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Role,
            name: r.clone(),
            login: false,
            superuser: false,
        });
    }
    let mut acls: BTreeMap<Obj, Vec<Acl>> = BTreeMap::new();
    for (o, p, r) in &g.held {
        acls.entry(*o).or_default().push(Acl {
            grantee: Grantee::principal(PrincipalKind::Role, g.roles[*r].clone()),
            privilege: match p {
                Priv::Usage => Privilege::Usage,
                Priv::Create => Privilege::Create,
                Priv::Execute => Privilege::Execute,
                Priv::Select => Privilege::Select,
                Priv::Insert => Privilege::Insert,
                Priv::Update => Privilege::Update,
                Priv::Delete => Privilege::Delete,
            },
            grant_option: false,
        });
    }
    for (i, name) in g.schema_names.iter().enumerate() {
        snap.objects.push(ObjectInfo::new(
            Securable::Schema { name: name.clone() },
            "postgres",
            acls.remove(&Obj::Schema(i)).unwrap_or_default(),
        ));
    }
    for (i, f) in g.function_list.iter().enumerate() {
        snap.objects.push(ObjectInfo::new(
            Securable::Function {
                schema: g.schema_names[f.schema].clone(),
                name: f.name.clone(),
                args: Some(f.args.join(", ")),
            },
            "postgres",
            acls.remove(&Obj::Function(i)).unwrap_or_default(),
        ));
    }
    for (i, (s, name)) in g.table_list.iter().enumerate() {
        snap.objects.push(ObjectInfo::new(
            Securable::Table {
                schema: g.schema_names[*s].clone(),
                name: name.clone(),
            },
            "postgres",
            acls.remove(&Obj::Table(i)).unwrap_or_default(),
        ));
    }
    for (i, (owner, schema, kind)) in g.default_list.iter().enumerate() {
        let mut grants = acls.remove(&Obj::Default(i)).unwrap_or_default();
        if grants.is_empty() {
            continue; // the server keeps no entry (equal to the built-in)
        }
        let of = match kind {
            DefKind::Tables => ObjectKind::Table,
            DefKind::Functions => ObjectKind::Function,
        };
        let own = of
            .privileges()
            .filter(|&p| of.allows_on(p, grantplan::model::Target::Postgres));
        // A global entry holds the role's own privileges, and PUBLIC's EXECUTE on
        // functions (docs/research/postgres-default-privileges.md).
        if schema.is_none() {
            let me = Grantee::principal(PrincipalKind::Role, g.roles[*owner].clone());
            grants.extend(own.map(|privilege| Acl {
                grantee: me.clone(),
                privilege,
                grant_option: false,
            }));
            if *kind == DefKind::Functions {
                grants.push(Acl {
                    grantee: Grantee::Public,
                    privilege: Privilege::Execute,
                    grant_option: false,
                });
            }
        }
        snap.default_privileges.push(DefaultInfo {
            role: g.roles[*owner].clone(),
            schema: schema.map(|s| g.schema_names[s].clone()),
            of,
            grants,
        });
    }
    snap.normalize();
    snap
}

/// Privileges held in `snap` (every grantee × privilege × object).
pub fn snapshot_privileges(snap: &grantplan::catalog::Snapshot) -> usize {
    snap.objects.iter().map(|o| o.grants.len()).sum::<usize>()
        + snap
            .default_privileges
            .iter()
            .map(|d| d.grants.len())
            .sum::<usize>()
}

/// Runs the setup statements over `client`, many per round trip.
pub async fn build(client: &tokio_postgres::Client, generated: &Generated) -> Result<(), String> {
    for chunk in generated.setup.chunks(500) {
        let sql = chunk.join(";\n");
        client
            .batch_execute(&sql)
            .await
            .map_err(|e| format!("building the {} catalog: {e:?}", generated.size.name))?;
    }
    Ok(())
}
