//! The `tables:` section end to end: tables, views, materialized views, partitioned
//! tables and tables of another owner on a real PostgreSQL (tests/common), and the
//! Redshift reader and planner against the recreated Redshift catalog
//! (tests/data/redshift/catalog.sql with tests/data/redshift/tables.sql).

mod common;

use common::Run;
use grantplan::catalog::{self, Acl, ReadError, Snapshot};
use grantplan::model::{Grantee, ObjectKind, PrincipalKind, Privilege, Target};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tokio_postgres::Client;

fn run(args: &[&str], file: &Path, url: &str) -> Run {
    common::run(
        common::grantplan()
            .args(args)
            .arg("-f")
            .arg(file)
            .arg("--database-url")
            .arg(url),
    )
}

fn write(dir: &tempfile::TempDir, name: &str, yaml: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}

async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{}\n{sql}", common::describe(&e)));
}

/// The plan's statements: stdout without its `-- plan for ...` header.
fn statements(out: &Run) -> Vec<String> {
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("-- plan for "), "{}", out.stdout);
    lines.map(str::to_string).collect()
}

/// `(relation, grantee, privilege)` of every ACL entry on the relations of `schema`
/// that is not the owner's own, PUBLIC as "public".
async fn table_acl(c: &Client, schema: &str) -> BTreeSet<(String, String, String)> {
    c.query(
        "SELECT c.relname::text, coalesce(r.rolname, 'public')::text, a.privilege_type::text
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace,
                aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname = $1 AND a.grantee <> c.relowner",
        &[&schema],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// The privileges the owner of `schema.table` holds on it.
async fn owner_privileges(c: &Client, schema: &str, table: &str) -> BTreeSet<String> {
    c.query(
        "SELECT a.privilege_type::text
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace,
                aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
          WHERE n.nspname = $1 AND c.relname = $2 AND a.grantee = c.relowner",
        &[&schema, &table],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

const ALL_PG: [&str; 7] = [
    "DELETE",
    "INSERT",
    "REFERENCES",
    "SELECT",
    "TRIGGER",
    "TRUNCATE",
    "UPDATE",
];

fn set(rows: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

// ---- PostgreSQL -------------------------------------------------------------------------

struct Kinds {
    db: String,
    client: Client,
    url: String,
    readers: String,
    writers: String,
    other: String,
    intruder: String,
}

/// A schema `app` holding a table, a view, a materialized view, a partitioned table with
/// one partition, a table owned by another role, and a sequence (not a table); the
/// intruder already holds SELECT on the other role's table.
async fn kinds(hint: &str) -> Kinds {
    let (db, client) = common::fresh_db(hint).await;
    let url = common::server().admin_url(&db);
    let readers = common::unique("tbl_readers");
    let writers = common::unique("tbl_writers");
    let other = common::unique("tbl_owner");
    let intruder = common::unique("tbl_intruder");
    exec(
        &client,
        &format!(
            "CREATE ROLE {other} NOLOGIN; CREATE ROLE {intruder} NOLOGIN;
             CREATE SCHEMA app;
             CREATE TABLE app.orders (id int PRIMARY KEY);
             CREATE VIEW app.orders_v AS SELECT id FROM app.orders;
             CREATE MATERIALIZED VIEW app.orders_mv AS SELECT id FROM app.orders;
             CREATE TABLE app.events (at date) PARTITION BY RANGE (at);
             CREATE TABLE app.events_2026 PARTITION OF app.events
                 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             CREATE TABLE app.theirs (id int);
             ALTER TABLE app.theirs OWNER TO {other};
             CREATE SEQUENCE app.orders_seq;
             GRANT SELECT ON app.theirs TO {intruder};"
        ),
    )
    .await;
    Kinds {
        db,
        client,
        url,
        readers,
        writers,
        other,
        intruder,
    }
}

fn kinds_yaml(k: &Kinds, mode: &str) -> String {
    format!(
        "target: postgres
mode: {mode}
groups:
  {r}: {{}}
roles:
  {w}: {{}}
tables:
  app.orders:
    select: [{r}, {w}]
    insert: [{w}]
    update: [{w}]
    delete: [{w}]
    truncate: [{w}]
    references: [{w}]
    trigger: [{w}]
  \"app.orders_*\":
    select: [{r}]
  app.events:
    select: [public]
    insert: [{w}]
  app.theirs:
    select: [{r}]
",
        r = k.readers,
        w = k.writers,
    )
}

/// What `kinds_yaml` says, as `(relation, grantee, privilege)`.
fn kinds_expected(k: &Kinds) -> BTreeSet<(String, String, String)> {
    let (r, w) = (k.readers.as_str(), k.writers.as_str());
    let mut rows = vec![
        ("orders", r, "SELECT"),
        ("orders_v", r, "SELECT"),
        ("orders_mv", r, "SELECT"),
        ("events", "public", "SELECT"),
        ("events", w, "INSERT"),
        ("theirs", r, "SELECT"),
    ];
    for p in ALL_PG {
        rows.push(("orders", w, p));
    }
    set(&rows)
}

#[tokio::test]
async fn tables_views_and_materialized_views_plan_apply_and_converge() {
    let k = kinds("tables_kinds").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &kinds_yaml(&k, "authoritative"));
    let (r, w, i) = (&k.readers, &k.writers, &k.intruder);

    let plan = run(&["plan", "--detailed-exitcode"], &file, &k.url);
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    let plan = statements(&Run { code: 0, ..plan });
    assert_eq!(
        plan,
        [
            format!("CREATE ROLE {r} NOLOGIN;"),
            format!("CREATE ROLE {w} NOLOGIN;"),
            format!("GRANT INSERT ON TABLE app.events TO {w};"),
            "GRANT SELECT ON TABLE app.events TO PUBLIC;".to_string(),
            "GRANT SELECT ON TABLE".to_string(),
            "    app.orders,".to_string(),
            "    app.orders_mv,".to_string(),
            "    app.orders_v,".to_string(),
            "    app.theirs".to_string(),
            format!("  TO {r};"),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE app.orders TO {w};"
            ),
            format!("REVOKE SELECT ON TABLE app.theirs FROM {i};"),
        ],
        "{}",
        plan.join("\n")
    );

    let apply = run(&["apply", "--yes"], &file, &k.url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(table_acl(&k.client, "app").await, kinds_expected(&k));
    // Neither the partition nor the sequence was touched: no entry beyond the owner's.
    let converged = run(&["plan", "--detailed-exitcode"], &file, &k.url);
    assert_eq!(
        converged.code, 0,
        "{}\n{}",
        converged.stdout, converged.stderr
    );
    assert!(
        converged.stdout.contains("-- no changes"),
        "{}",
        converged.stdout
    );

    // Owners keep everything: the admin its own tables, the other role its table, though
    // the file lists neither.
    for t in ["orders", "orders_v", "orders_mv", "events"] {
        assert_eq!(
            owner_privileges(&k.client, "app", t).await,
            ALL_PG.iter().map(|s| s.to_string()).collect(),
            "{t}"
        );
    }
    assert_eq!(
        owner_privileges(&k.client, "app", "theirs").await,
        ALL_PG.iter().map(|s| s.to_string()).collect()
    );

    // Drift by hand: extra grants on managed tables are revoked, a removed one comes back.
    exec(
        &k.client,
        &format!(
            "GRANT DELETE, TRIGGER ON app.orders TO {i};
             GRANT SELECT ON app.orders_mv TO PUBLIC;
             GRANT UPDATE ON app.theirs TO {r};
             REVOKE TRUNCATE ON app.orders FROM {w};"
        ),
    )
    .await;
    let drift = run(&["plan"], &file, &k.url);
    assert_eq!(
        statements(&drift),
        [
            format!("GRANT TRUNCATE ON TABLE app.orders TO {w};"),
            format!("REVOKE DELETE, TRIGGER ON TABLE app.orders FROM {i};"),
            "REVOKE SELECT ON TABLE app.orders_mv FROM PUBLIC;".to_string(),
            format!("REVOKE UPDATE ON TABLE app.theirs FROM {r};"),
        ],
        "{}",
        drift.stdout
    );
    let apply = run(&["apply", "--yes"], &file, &k.url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(table_acl(&k.client, "app").await, kinds_expected(&k));
    let converged = run(&["plan", "--detailed-exitcode"], &file, &k.url);
    assert_eq!(
        converged.code, 0,
        "{}\n{}",
        converged.stdout, converged.stderr
    );

    // Additive: the same drift is granted back but never revoked.
    exec(
        &k.client,
        &format!(
            "GRANT DELETE ON app.orders TO {i};
             REVOKE INSERT ON app.events FROM {w};"
        ),
    )
    .await;
    let additive = write(&dir, "additive.yaml", &kinds_yaml(&k, "additive"));
    let plan = run(&["plan"], &additive, &k.url);
    assert_eq!(
        statements(&plan),
        [format!("GRANT INSERT ON TABLE app.events TO {w};")],
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains(i.as_str()), "{}", plan.stderr);
    let apply = run(&["apply", "--yes"], &additive, &k.url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert!(!apply.stdout.contains("REVOKE"), "{}", apply.stdout);
    let mut want = kinds_expected(&k);
    want.insert(("orders".into(), i.clone(), "DELETE".into()));
    assert_eq!(table_acl(&k.client, "app").await, want);
    let _ = (&k.db, &k.other);
}
