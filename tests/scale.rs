//! grantplan against catalogs from the scale generator (`tests/common/generate.rs`, the
//! same one `benches/scale.rs` measures), in the normal suite and at sizes that keep it
//! quick. The benchmark holds the figures; these tests hold the behaviour:
//! - the plan changes exactly the privileges the generator counted, apply converges
//!   (the database then holds exactly what grants.yaml asks, read back with the
//!   catalog's own functions, and a second plan is empty), and grants outside the file's
//!   scope survive untouched;
//! - the number of catalog queries a plan sends does not grow with the catalog;
//! - the generator itself has the shape issue 7 describes, so the two checks above
//!   exercise what they claim to.
//!
//! Counts are of single privileges (privilege × object × grantee), never of statements:
//! how statements group privileges is the planner's business.

mod common;
#[path = "common/generate.rs"]
mod generate;

use common::{fresh_db, quote_ident as q, unique, Run};
use generate::{Generated, Size, SMALL};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tokio_postgres::{Client, SimpleQueryMessage};

const SEED: u64 = 7;

/// Bigger than SMALL by 15 times in schemas and functions, still built in about a
/// second: large enough that one query per object (or per schema) would show.
const BIGGER: Size = Size {
    name: "bigger",
    schemas: 300,
    groups: 10,
    functions: 1_500,
    tables: 4,
};

/// Every row's first column, as text.
async fn column(client: &Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", common::describe(&e)))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or_default().to_string()),
            _ => None,
        })
        .collect()
}

async fn scalar(client: &Client, sql: &str) -> String {
    column(client, sql).await.pop().unwrap_or_default()
}

/// Builds `generated` into `client`'s database without pg_stat_statements tracking its
/// thousands of distinct statements: they would fill the statistics table (5,000 entries
/// by default) and could evict the entries a test is counting.
async fn build(client: &Client, generated: &Generated) {
    client
        .batch_execute("SET pg_stat_statements.track = 'none'")
        .await
        .unwrap_or_else(|e| panic!("{}", common::describe(&e)));
    generate::build(client, generated).await.unwrap();
    client
        .batch_execute("RESET pg_stat_statements.track")
        .await
        .unwrap();
}

fn grantplan(args: &[&str], yaml: &Path, url: &str) -> Run {
    let mut cmd = common::grantplan();
    cmd.args(args)
        .arg("-f")
        .arg(yaml)
        .args(["--database-url", url]);
    common::run(&mut cmd)
}

/// `summary.privilege_changes` of a JSON plan.
fn privilege_changes(run: &Run) -> u64 {
    let doc: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("plan JSON: {e}\n{}\n{}", run.stdout, run.stderr));
    doc["summary"]["privilege_changes"]
        .as_u64()
        .unwrap_or_else(|| panic!("no summary.privilege_changes in {}", run.stdout))
}

/// The plan must change exactly the privileges the generator counted.
fn assert_plan_size(run: &Run, generated: &Generated) {
    assert_eq!(
        run.code, 2,
        "plan --detailed-exitcode with changes to make:\n{}",
        run.stderr
    );
    assert_eq!(
        privilege_changes(run),
        generated.changes() as u64,
        "[{}] privileges the plan changes vs the generator's count ({} missing + {} extra)",
        generated.size.name,
        generated.missing,
        generated.extra
    );
}

/// Lines in one set and not the other, for a readable failure.
fn difference(expected: &BTreeSet<String>, actual: &BTreeSet<String>) -> String {
    let missing: Vec<_> = expected.difference(actual).take(20).collect();
    let unexpected: Vec<_> = actual.difference(expected).take(20).collect();
    format!("expected but absent (first 20): {missing:#?}\npresent but not expected (first 20): {unexpected:#?}")
}

async fn managed_grants(client: &Client) -> BTreeSet<String> {
    column(client, generate::MANAGED_GRANTS)
        .await
        .into_iter()
        .collect()
}

#[tokio::test]
async fn small_catalog_plan_matches_the_generator_and_apply_converges() {
    let s = common::server();
    let (db, client) = fresh_db("scale_small").await;
    let generated = generate::generate(SMALL, &unique("sc"), SEED);
    build(&client, &generated).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("grants.yaml");
    std::fs::write(&yaml, &generated.grants_yaml).unwrap();
    let url = s.admin_url(&db);

    // The generator's accounting matches what it built, read back independently.
    let held = managed_grants(&client).await;
    assert_eq!(
        held,
        generated.held_grants(),
        "the built catalog is not what the generator counted:\n{}",
        difference(&generated.held_grants(), &held)
    );
    let outside_before = scalar(&client, generate::OUTSIDE_GRANTS).await;
    for kind in [
        "schema outside_0 ",
        "function outside_0.other1(text) ",
        "table s0.bench_table ",
        "table \"ml-19\".bench_table ",
    ] {
        assert!(
            outside_before.contains(kind),
            "no out-of-scope {kind:?} grant to protect:\n{outside_before}"
        );
    }

    let plan = grantplan(
        &["plan", "--format", "json", "--detailed-exitcode"],
        &yaml,
        &url,
    );
    assert_plan_size(&plan, &generated);

    let apply = grantplan(&["apply", "--yes"], &yaml, &url);
    assert_eq!(apply.code, 0, "apply:\n{}\n{}", apply.stderr, apply.stdout);

    let replan = grantplan(&["plan", "--detailed-exitcode"], &yaml, &url);
    assert_eq!(
        replan.code, 0,
        "the plan after apply must be empty:\n{}\n{}",
        replan.stdout, replan.stderr
    );
    let after = managed_grants(&client).await;
    assert_eq!(
        after,
        generated.desired_grants(),
        "after apply the database must hold exactly what grants.yaml asks:\n{}",
        difference(&generated.desired_grants(), &after)
    );
    assert_eq!(
        scalar(&client, generate::OUTSIDE_GRANTS).await,
        outside_before,
        "grants outside the file's scope changed"
    );
}

/// Builds `size` in a database of its own and counts, on the server, the statements one
/// `plan` sends (pg_stat_statements, preloaded by the harness; the same approach as
/// tests/pg_catalog.rs): only the statements of a login role used for nothing else, in
/// that database. Also holds that plan to the generator's count.
async fn statements_of_one_plan(size: Size) -> i64 {
    let s = common::server();
    let (db, client) = fresh_db(&format!("scale_count_{}", size.name)).await;
    client
        .batch_execute("CREATE EXTENSION pg_stat_statements")
        .await
        .unwrap();
    let generated = generate::generate(size, &unique("sq"), SEED);
    build(&client, &generated).await;
    // A superuser, as the planning login usually is: it sees every grant.
    let reader = unique("scale_reader");
    client
        .batch_execute(&format!("CREATE ROLE {} LOGIN SUPERUSER", q(&reader)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("grants.yaml");
    std::fs::write(&yaml, &generated.grants_yaml).unwrap();

    let counted = || async {
        let row = client
            .query_one(
                "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s \
                 WHERE s.userid = (SELECT oid FROM pg_roles WHERE rolname = $1) \
                 AND s.dbid = (SELECT oid FROM pg_database WHERE datname = $2)",
                &[&reader, &db],
            )
            .await
            .unwrap_or_else(|e| panic!("{}", common::describe(&e)));
        row.get::<_, i64>(0)
    };
    let before = counted().await;
    let plan = grantplan(
        &["plan", "--format", "json", "--detailed-exitcode"],
        &yaml,
        &s.url(&db, &reader),
    );
    let statements = counted().await - before;
    assert_plan_size(&plan, &generated);
    statements
}

#[tokio::test]
async fn the_number_of_catalog_queries_does_not_grow_with_the_catalog() {
    let small = statements_of_one_plan(SMALL).await;
    let bigger = statements_of_one_plan(BIGGER).await;
    // Zero would mean nothing was counted, not that nothing was read.
    assert!(small > 0, "no statement of the plan was counted");
    assert_eq!(
        small, bigger,
        "statements one plan sends: {small} for {} schemas / {} functions, {bigger} for {} / {}",
        SMALL.schemas, SMALL.functions, BIGGER.schemas, BIGGER.functions
    );
}

// The generator, without a database: the tests above only mean something if the catalog
// has the shape issue 7 asks for.

/// `CREATE SCHEMA "name"` and `CREATE FUNCTION "schema"."name"(args) ...` of the setup,
/// unquoted, for managed objects only (not the `outside_*` ones).
fn managed_schemas(g: &Generated) -> Vec<String> {
    g.setup
        .iter()
        .filter_map(|s| s.strip_prefix("CREATE SCHEMA \""))
        .map(|s| s.strip_suffix('"').unwrap().replace("\"\"", "\""))
        .filter(|s| !s.starts_with("outside_"))
        .collect()
}

/// (schema, name) -> the argument lists of its overloads.
fn managed_functions(g: &Generated) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for s in &g.setup {
        let Some(rest) = s.strip_prefix("CREATE FUNCTION \"") else {
            continue;
        };
        if rest.starts_with("outside_") {
            continue;
        }
        let (schema, rest) = rest.split_once("\".\"").unwrap();
        let (name, rest) = rest.split_once("\"(").unwrap();
        let (args, _) = rest.split_once(") RETURNS").unwrap();
        out.entry((schema.to_string(), name.to_string()))
            .or_default()
            .push(args.to_string());
    }
    out
}

/// Not `[a-z_][a-z0-9_]*`: the generated names are never keywords.
fn needs_quoting(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_digit())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[test]
fn generator_is_deterministic_and_independent_of_the_role_prefix() {
    let a = generate::generate(BIGGER, "p", SEED);
    let b = generate::generate(BIGGER, "p", SEED);
    assert_eq!(a.grants_yaml, b.grants_yaml);
    assert_eq!(a.setup, b.setup);
    let other_seed = generate::generate(BIGGER, "p", SEED + 1);
    assert_ne!(a.grants_yaml, other_seed.grants_yaml);
    // The prefix renames roles and nothing else: tests with unique prefixes build the
    // same catalog.
    let other_prefix = generate::generate(BIGGER, "other", SEED);
    assert_eq!(
        (a.desired, a.missing, a.extra),
        (
            other_prefix.desired,
            other_prefix.missing,
            other_prefix.extra
        )
    );
    assert_eq!(
        a.grants_yaml
            .replace("'p_g", "'other_g")
            .replace("'p_owner", "'other_owner"),
        other_prefix.grants_yaml
    );
}

#[test]
fn generator_has_the_shape_of_issue_7() {
    for size in [SMALL, BIGGER] {
        let g = generate::generate(size, "shape", SEED);
        let name = size.name;

        // One schema in ten needs quoting; at the bigger size every kind of reason occurs.
        let schemas = managed_schemas(&g);
        assert_eq!(schemas.len(), size.schemas, "[{name}]");
        let quoted: Vec<&String> = schemas.iter().filter(|s| needs_quoting(s)).collect();
        assert_eq!(quoted.len(), size.schemas / 10, "[{name}] {quoted:?}");
        if size.schemas >= 30 {
            assert!(quoted.iter().any(|s| s.contains(' ')), "[{name}] a space");
            assert!(quoted.iter().any(|s| s.contains('-')), "[{name}] a dash");
            assert!(
                quoted
                    .iter()
                    .any(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
                "[{name}] upper case alone"
            );
        }

        // Functions of one or two arguments; one in five an overload of the previous name,
        // with a different argument list.
        let functions = managed_functions(&g);
        let overloads: usize = functions.values().map(|v| v.len()).sum();
        assert_eq!(overloads, size.functions, "[{name}]");
        assert_eq!(g.functions, size.functions, "[{name}]");
        assert_eq!(
            functions.len(),
            size.functions - size.functions / 5,
            "[{name}] distinct names"
        );
        for ((schema, f), args) in &functions {
            let distinct: BTreeSet<&String> = args.iter().collect();
            assert_eq!(distinct.len(), args.len(), "[{name}] {schema}.{f}{args:?}");
            for a in args {
                let n = a.split(", ").count();
                assert!((1..=2).contains(&n), "[{name}] {schema}.{f}({a})");
            }
        }
        let kinds: BTreeSet<&str> = functions
            .values()
            .flatten()
            .flat_map(|a| a.split(", "))
            .collect();
        assert!(kinds.len() >= 4, "[{name}] mixed types: {kinds:?}");

        // The starting state: the generator's counts are the difference of its own sets.
        let desired = g.desired_grants();
        let held = g.held_grants();
        assert_eq!(desired.len(), g.desired, "[{name}]");
        assert_eq!(desired.difference(&held).count(), g.missing, "[{name}]");
        assert_eq!(held.difference(&desired).count(), g.extra, "[{name}]");
        // 5% of the schemas' and functions' desired privileges, and 5% of the tables'
        // (drawn apart): one short of 5% of the sum at most.
        assert!(
            g.extra.abs_diff(g.desired / 20) <= 1,
            "[{name}] 5% extra: {} of {}",
            g.extra,
            g.desired
        );
        assert!(g.missing > 0 && g.extra > 0, "[{name}] nothing to change");

        // The desired privileges: USAGE for about 30% of group × schema pairs, CREATE and
        // EXECUTE only where USAGE is given.
        let usage: BTreeSet<(String, String)> = desired
            .iter()
            .filter_map(|l| {
                let rest = l.strip_prefix("schema ")?;
                let (schema, role) = rest.split_once(" USAGE ")?;
                Some((schema.to_string(), role.to_string()))
            })
            .collect();
        let has_usage = |schema: &str, role: &str| usage.contains(&(schema.into(), role.into()));
        for l in &desired {
            if let Some((schema, role)) = l
                .strip_prefix("schema ")
                .and_then(|r| r.split_once(" CREATE "))
            {
                assert!(has_usage(schema, role), "[{name}] {l}");
            }
            if let Some((signature, role)) = l
                .strip_prefix("function ")
                .and_then(|r| r.split_once(" EXECUTE "))
            {
                let schema = schemas
                    .iter()
                    .find(|s| signature.starts_with(&format!("{s}.")))
                    .unwrap();
                assert!(has_usage(schema, role), "[{name}] {l}");
            }
        }
        if size.schemas >= 100 {
            let pairs = (size.schemas * size.groups) as f64;
            let share = usage.len() as f64 / pairs;
            assert!((0.25..0.35).contains(&share), "[{name}] USAGE on {share}");
            let missing = g.missing as f64 / g.desired as f64;
            assert!(
                (0.17..0.23).contains(&missing),
                "[{name}] {missing} missing"
            );
        }
    }
}
