//! The `tables:` section end to end: tables, views, materialized views, partitioned
//! tables and tables of another owner on a real PostgreSQL (tests/common), and the
//! Redshift reader and planner against the recreated Redshift catalog
//! (tests/data/redshift/catalog.sql with tests/data/redshift/tables.sql).

mod common;

use common::{
    apply_through_plan_file, plan_lines as statements, run_redshift as redshift_run,
    run_with as run, write,
};

use common::redshift_read;

use common::exec;

use common::Run;
use grantplan::catalog::Acl;
use grantplan::model::{Grantee, ObjectKind, PrincipalKind, Privilege};
use std::collections::BTreeSet;
use std::path::Path;
use tokio_postgres::Client;

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

    // `ignore:` in authoritative mode: the intruder's grant is neither revoked nor warned
    // about, and the rest is converged.
    let ignoring = write(
        &dir,
        "ignore.yaml",
        &kinds_yaml(&k, "authoritative").replace(
            "mode: authoritative\n",
            &format!("mode: authoritative\nignore: [\"{}\"]\n", k.intruder),
        ),
    );
    let plan = run(&["plan", "--detailed-exitcode"], &ignoring, &k.url);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(!plan.stderr.contains(i.as_str()), "{}", plan.stderr);
    // Without it, the grant is revoked (and only it).
    let plan = run(&["plan"], &file, &k.url);
    assert_eq!(
        statements(&plan),
        [format!("REVOKE DELETE ON TABLE app.orders FROM {i};")]
    );
    // The other role still owns its table, with every privilege, though the file lists
    // only readers there.
    let owner: String = k
        .client
        .query_one(
            "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE oid = 'app.theirs'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owner, k.other);
}

/// A YAML double-quoted string.
fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An object key naming exactly `schema.table`: each part in double quotes with `"`
/// doubled (grants.yaml's key grammar), so no character is a separator or a glob.
fn exact_key(schema: &str, table: &str) -> String {
    let part = |p: &str| format!("\"{}\"", p.replace('"', "\"\""));
    yaml_str(&format!("{}.{}", part(schema), part(table)))
}

#[tokio::test]
async fn hostile_table_names_plan_apply_converge_and_read_back_from_a_plan_file() {
    let (db, c) = common::fresh_db("tables_hostile").await;
    let url = common::server().admin_url(&db);
    let q = common::quote_ident;
    // 63 bytes, PostgreSQL's limit: two-byte letters and one ASCII.
    let long_schema = format!("{}s", "é".repeat(31));
    let long_table = format!("{}t", "ß".repeat(31));
    assert_eq!((long_schema.len(), long_table.len()), (63, 63));
    let odd_schema = "we\"ird; Schema".to_string();
    let tables: Vec<(String, String)> = [
        "select",
        "Select",
        "a\"b",
        "x; DROP TABLE y; --",
        "with space",
        "UPPER",
        "日本🦀",
        "it's",
        long_table.as_str(),
    ]
    .iter()
    .map(|t| (odd_schema.clone(), t.to_string()))
    .chain([
        (long_schema.clone(), long_table.clone()),
        (long_schema.clone(), "order".to_string()),
    ])
    .collect();
    let role = common::unique("Tbl \"Reader\"; x");
    let writer = common::unique("tbl select");
    let mut setup = format!(
        "CREATE ROLE {} NOLOGIN; CREATE SCHEMA {}; CREATE SCHEMA {};",
        q(&role),
        q(&odd_schema),
        q(&long_schema)
    );
    for (i, (s, t)) in tables.iter().enumerate() {
        // Views and materialized views among them.
        let kind = match i % 3 {
            0 => format!("TABLE {}.{} (id int)", q(s), q(t)),
            1 => format!("VIEW {}.{} AS SELECT 1 AS id", q(s), q(t)),
            _ => format!("MATERIALIZED VIEW {}.{} AS SELECT 1 AS id", q(s), q(t)),
        };
        setup.push_str(&format!("CREATE {kind};"));
    }
    exec(&c, &setup).await;

    // Every table by its exact name but the long schema's, matched by a glob in the
    // table part under a quoted schema.
    let mut yaml = format!(
        "target: postgres\nroles:\n  {}: {{}}\n  {}: {{}}\ntables:\n",
        yaml_str(&role),
        yaml_str(&writer)
    );
    for (s, t) in tables.iter().filter(|(s, _)| *s == odd_schema) {
        yaml.push_str(&format!(
            "  {}:\n    select: [{}]\n    trigger: [{}]\n",
            exact_key(s, t),
            yaml_str(&role),
            yaml_str(&writer)
        ));
    }
    yaml.push_str(&format!(
        "  {}:\n    select: [{}, public]\n    update: [{}]\n",
        yaml_str(&format!("\"{long_schema}\".*")),
        yaml_str(&writer),
        yaml_str(&role)
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", &yaml);
    let mut want = BTreeSet::new();
    for (s, t) in &tables {
        if *s == odd_schema {
            want.insert((s.clone(), t.clone(), role.clone(), "SELECT".to_string()));
            want.insert((s.clone(), t.clone(), writer.clone(), "TRIGGER".to_string()));
        } else {
            for (g, p) in [
                (&writer, "SELECT"),
                (&"public".to_string(), "SELECT"),
                (&role, "UPDATE"),
            ] {
                want.insert((s.clone(), t.clone(), g.clone(), p.to_string()));
            }
        }
    }

    // plan --out writes a plan file; apply reads it back and runs exactly that.
    let out_dir = dir.path().join("plans");
    std::fs::create_dir(&out_dir).unwrap();
    let plan = common::run(
        common::grantplan()
            .args(["plan", "--database-url", &url, "-f"])
            .arg(&file)
            .arg("--out")
            .arg(&out_dir),
    );
    assert_eq!(plan.code, 0, "{}\n{yaml}", plan.stderr);
    let files: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("ON TABLE"), "{text}");
    assert!(text.contains(&q(&odd_schema)), "{text}");
    assert!(!text.contains("REVOKE"), "{text}");
    let apply = common::run(
        common::grantplan()
            .args(["apply", "--yes", "--database-url", &url, "-f"])
            .arg(&file)
            .arg(&files[0]),
    );
    assert_eq!(apply.code, 0, "{}\n{}\n{text}", apply.stdout, apply.stderr);

    let got: BTreeSet<(String, String, String, String)> = c
        .query(
            "SELECT n.nspname::text, c.relname::text, coalesce(r.rolname, 'public')::text,
                    a.privilege_type::text
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace,
                    aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
               LEFT JOIN pg_roles r ON r.oid = a.grantee
              WHERE n.nspname = ANY($1) AND a.grantee <> c.relowner",
            &[&vec![odd_schema.clone(), long_schema.clone()]],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(got, want, "{text}");

    let converged = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(
        converged.code, 0,
        "{}\n{}\n{yaml}",
        converged.stdout, converged.stderr
    );

    // A grant by hand on a hostile name is revoked, through a plan file again.
    exec(
        &c,
        &format!(
            "GRANT DELETE ON {}.{} TO {}",
            q(&odd_schema),
            q("x; DROP TABLE y; --"),
            q(&role)
        ),
    )
    .await;
    let plan = run(&["plan"], &file, &url);
    assert_eq!(
        statements(&plan),
        [format!(
            "REVOKE DELETE ON TABLE {}.{} FROM {};",
            q(&odd_schema),
            q("x; DROP TABLE y; --"),
            q(&role)
        )],
    );
    std::fs::remove_file(&files[0]).unwrap();
    let plan = common::run(
        common::grantplan()
            .args(["plan", "--database-url", &url, "-f"])
            .arg(&file)
            .arg("--out")
            .arg(&out_dir),
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan_file = std::fs::read_dir(&out_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let apply = common::run(
        common::grantplan()
            .args(["apply", "--yes", "--database-url", &url, "-f"])
            .arg(&file)
            .arg(&plan_file),
    );
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    let converged = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(
        converged.code, 0,
        "{}\n{}",
        converged.stdout, converged.stderr
    );
}

/// A privilege the target does not have is a located error in every command that reads
/// the file, and nothing is sent to a database: the URL names a port that must never
/// see a connection.
#[test]
fn a_privilege_the_target_lacks_is_a_located_error_before_any_connection() {
    let (port, listener) = common::untouched_listener();
    let url = format!("postgres://admin@127.0.0.1:{port}/dev?sslmode=disable");
    let dir = tempfile::tempdir().unwrap();
    let redshift = write(
        &dir,
        "redshift.yaml",
        "target: redshift\ngroups:\n  g: {}\ntables:\n  \"sales.*\":\n    select: [g]\n    trigger: [g]\n",
    );
    let postgres = write(
        &dir,
        "postgres.yaml",
        "target: postgres\nroles:\n  g: {}\ntables:\n  sales.orders:\n    select: [g]\n    alter: [g]\n    drop: [g]\n",
    );
    let cases: [(&Path, &[(&str, &str)]); 2] = [
        (
            &redshift,
            &[("redshift.yaml:7:5", "`tables.\"sales.*\".trigger`")],
        ),
        (
            &postgres,
            &[
                ("postgres.yaml:7:5", "`tables.\"sales.orders\".alter`"),
                ("postgres.yaml:8:5", "`tables.\"sales.orders\".drop`"),
            ],
        ),
    ];
    for (file, located) in cases {
        for args in [&["plan"][..], &["apply", "--yes"], &["diff"]] {
            let out = run(args, file, &url);
            let context = format!("{args:?} {}: {}", file.display(), out.stderr);
            assert_eq!(out.code, 1, "{context}");
            assert!(out.stdout.is_empty(), "{context}\n{}", out.stdout);
            for (at, path) in located {
                assert!(
                    out.stderr
                        .contains(&format!("--> {}", dir.path().join(at).display())),
                    "{context}"
                );
                assert!(
                    out.stderr.contains(&format!("at YAML path {path}")),
                    "{context}"
                );
            }
            // The summary line of several errors says so; the listener proves it.
            if located.len() > 1 {
                assert!(
                    out.stderr.contains(&format!(
                        "{} errors; nothing was sent to the database",
                        located.len()
                    )),
                    "{context}"
                );
            }
            common::assert_nobody_connected(&listener, &context);
        }
        let validate = common::run(common::grantplan().arg("validate").arg("-f").arg(file));
        assert_eq!(validate.code, 1, "{}", validate.stderr);
        assert!(
            validate.stderr.contains("exists only on"),
            "{}",
            validate.stderr
        );
    }
    let rs = run(&["plan"], &redshift, &url);
    assert!(
        rs.stderr
            .contains("`trigger` (TRIGGER ON TABLE) exists only on postgres"),
        "{}",
        rs.stderr
    );
    let pg = run(&["plan"], &postgres, &url);
    assert!(
        pg.stderr
            .contains("`alter` (ALTER ON TABLE) exists only on redshift")
            && pg
                .stderr
                .contains("`drop` (DROP ON TABLE) exists only on redshift"),
        "{}",
        pg.stderr
    );
    common::assert_nobody_connected(&listener, "validate and plan");
}

/// `export` of a database with table grants writes a tables: section that plans no
/// change against the same database.
#[tokio::test]
async fn an_exported_file_with_tables_plans_no_change() {
    let k = kinds("tables_export").await;
    exec(
        &k.client,
        &format!(
            "CREATE ROLE {r} NOLOGIN; CREATE ROLE {w} NOLOGIN;
             GRANT SELECT ON app.orders, app.orders_v, app.orders_mv TO {r};
             GRANT INSERT, UPDATE, TRIGGER ON app.orders TO {w};
             GRANT SELECT ON app.events TO PUBLIC;
             GRANT REFERENCES ON app.theirs TO {w};",
            r = k.readers,
            w = k.writers
        ),
    )
    .await;
    let before = table_acl(&k.client, "app").await;
    let export = common::run(common::grantplan().args(["export", "--database-url", &k.url]));
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(export.stdout.contains("\ntables:\n"), "{}", export.stdout);
    for name in [
        "app.orders",
        "app.orders_v",
        "app.orders_mv",
        "app.events",
        "app.theirs",
    ] {
        assert!(export.stdout.contains(name), "{name}: {}", export.stdout);
    }
    assert!(export.stdout.contains("trigger:"), "{}", export.stdout);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "exported.yaml", &export.stdout);
    let plan = run(&["plan", "--detailed-exitcode"], &file, &k.url);
    assert_eq!(
        plan.code, 0,
        "{}\n{}\n{}",
        plan.stdout, plan.stderr, export.stdout
    );
    assert!(plan.stdout.contains("-- no changes"), "{}", plan.stdout);
    // And applying it changes nothing.
    let apply = run(&["apply", "--yes"], &file, &k.url);
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    assert_eq!(table_acl(&k.client, "app").await, before);
    assert!(before.contains(&("theirs".into(), k.writers.clone(), "REFERENCES".into())));
    assert!(before.contains(&("theirs".into(), k.intruder.clone(), "SELECT".into())));
}

// ---- Redshift, against the recreated catalog -------------------------------------------

const REDSHIFT_SCENARIO: [&str; 3] = ["seed_fresh.sql", "beyond_this_database.sql", "tables.sql"];

/// A database holding the fixture catalog and the table scenario.
async fn redshift_fixture(hint: &str) -> (String, Client) {
    common::redshift_fixture(hint, &REDSHIFT_SCENARIO).await
}

/// The binary, told that plaintext is fine (the test server speaks no TLS).
fn acl(grantee: Grantee, privilege: Privilege, grant_option: bool) -> Acl {
    Acl {
        grantee,
        privilege,
        grant_option,
    }
}

#[tokio::test]
async fn the_redshift_reader_lists_this_databases_tables_with_owners_and_grants() {
    let (db, _c) = redshift_fixture("rs_tables_read").await;
    let snap = redshift_read(&common::server().admin_url(&db))
        .await
        .unwrap();
    let group = |n: &str| Grantee::principal(PrincipalKind::Group, n);
    let user = |n: &str| Grantee::principal(PrincipalKind::User, n);
    let role = |n: &str| Grantee::principal(PrincipalKind::Role, n);
    let tables: Vec<(String, String, Vec<Acl>)> = snap
        .objects_of(ObjectKind::Table)
        .iter()
        .map(|t| (t.object.display_name(), t.owner.clone(), t.grants.clone()))
        .collect();
    assert_eq!(
        tables,
        vec![
            (
                "demo_ml.churn_training".to_string(),
                "alice".to_string(),
                vec![]
            ),
            (
                "sales.orders".to_string(),
                "postgres".to_string(),
                // ALTER and TRUNCATE from pg_class.relacl (the owner's own item
                // included), the others from svv_relation_privileges.
                vec![
                    acl(group("marketing_analyst_grp"), Privilege::Select, false),
                    acl(group("retention_analyst_grp"), Privilege::Alter, false),
                    acl(role("sales_reader"), Privilege::Select, false),
                    acl(role("sales_reader"), Privilege::Truncate, false),
                    acl(user("alice"), Privilege::Insert, true),
                    acl(user("bob"), Privilege::Drop, false),
                    acl(user("postgres"), Privilege::Truncate, false),
                    acl(user("postgres"), Privilege::Alter, false),
                ]
            ),
            (
                "sales.orders_by_day".to_string(),
                "carol".to_string(),
                vec![acl(Grantee::Public, Privilege::Select, false)]
            ),
            (
                "sales.orders_mv".to_string(),
                "bob".to_string(),
                vec![
                    acl(group("retention_analyst_grp"), Privilege::Select, false),
                    acl(user("bob"), Privilege::Select, false),
                ]
            ),
        ]
    );
    assert!(snap.sees_every(ObjectKind::Table));
}

const REDSHIFT_TABLES_YAML: &str = "target: redshift
groups:
  retention_analyst_grp: {}
  marketing_analyst_grp: {}
roles:
  sales_reader: {}
users:
  alice: {}
  dave: {}
tables:
  sales.orders:
    select: [marketing_analyst_grp, sales_reader, dave]
    insert: [alice]
    alter: [retention_analyst_grp]
    truncate: [marketing_analyst_grp]
  \"sales.orders_*\":
    select: [public, retention_analyst_grp]
    drop: [retention_analyst_grp]
";

#[tokio::test]
async fn a_redshift_tables_section_plans_redshift_sql() {
    let (db, _c) = redshift_fixture("rs_tables_plan").await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_TABLES_YAML);
    let out = redshift_run(&["plan"], &file, &url);
    // Redshift's grammar: GROUP before a group's name, a user's name bare. The table
    // owners' grants (bob on orders_mv) and alice's admin option stay; the other
    // database's orders_archive and orders_other_mv, which the glob's pattern matches,
    // and the datashare's and external schema's tables are neither granted on nor
    // revoked from; the RULE row is not a grant grantplan manages. The role's TRUNCATE,
    // which only pg_class.relacl shows, is revoked; the group's ALTER, likewise shown
    // only there, is kept.
    assert_eq!(
        statements(&out),
        [
            "GRANT TRUNCATE ON TABLE sales.orders TO GROUP marketing_analyst_grp;",
            "REVOKE TRUNCATE ON TABLE sales.orders FROM ROLE sales_reader;",
            "GRANT SELECT ON TABLE sales.orders TO dave;",
            "REVOKE DROP ON TABLE sales.orders FROM bob;",
            "GRANT SELECT, DROP ON TABLE sales.orders_by_day TO GROUP retention_analyst_grp;",
            "GRANT DROP ON TABLE sales.orders_mv TO GROUP retention_analyst_grp;",
            "GRANT SELECT ON TABLE sales.orders_mv TO PUBLIC;",
        ],
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("orders_archive"), "{}", out.stdout);
    assert!(!out.stdout.contains("orders_other_mv"), "{}", out.stdout);

    // Additive: the same grants, and bob's DROP is a warning instead of a REVOKE.
    let additive = write(
        &dir,
        "additive.yaml",
        &REDSHIFT_TABLES_YAML.replace("target: redshift\n", "target: redshift\nmode: additive\n"),
    );
    let out = redshift_run(&["plan"], &additive, &url);
    let lines = statements(&out);
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert!(!out.stdout.contains("REVOKE"), "{}", out.stdout);
    assert!(
        out.stderr.contains("DROP") && out.stderr.contains("bob"),
        "{}",
        out.stderr
    );

    // A table of another database, of a datashare or of an external schema, named
    // exactly, is not one of this database's tables: nothing is granted on it.
    let named = write(
        &dir,
        "named.yaml",
        "target: redshift\ngroups:\n  marketing_analyst_grp: {}\ntables:\n  \
         sales.orders_archive:\n    select: [marketing_analyst_grp]\n  \
         sales_share.shared_orders:\n    select: [marketing_analyst_grp]\n  \
         spectrum.clicks:\n    select: [marketing_analyst_grp]\n",
    );
    let out = redshift_run(&["plan"], &named, &url);
    // A table in a datashare or external schema is refused like the schema itself would
    // be: exit 1, nothing planned.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for (line, key, schema, what) in [
        (
            7,
            "sales_share.shared_orders",
            "sales_share",
            "a datashare schema",
        ),
        (9, "spectrum.clicks", "spectrum", "an external schema"),
    ] {
        let message = format!(
            "error: table `{key}` is in schema {schema}, which is {what}, not this \
             database's own, so grantplan does not manage it"
        );
        assert!(
            out.stderr.contains(&message) && out.stderr.contains(&format!("named.yaml:{line}:3")),
            "{key}: {}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("remove it from tables: in"),
        "{}",
        out.stderr
    );
    // Another database's table does not exist here: a located warning, no statement.
    let other = write(
        &dir,
        "other.yaml",
        "target: redshift\ngroups:\n  marketing_analyst_grp: {}\ntables:\n  \
         sales.orders_archive:\n    select: [marketing_analyst_grp]\n",
    );
    let out = redshift_run(&["plan"], &other, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: table `sales.orders_archive` does not exist")
            && out.stderr.contains("other.yaml:5:3"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("GRANT"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        !out.stdout.contains("REVOKE"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}

/// A non-superuser login, even with ACCESS SYSTEM TABLE, sees only the tables it owns in
/// svv_redshift_tables and svv_mv_info: a file with tables: is a located error and
/// nothing is planned; the same file without tables: plans.
#[tokio::test]
async fn a_redshift_non_superuser_cannot_plan_a_tables_section() {
    let (db, c) = redshift_fixture("rs_tables_viewer").await;
    let viewer = common::unique("viewer");
    exec(&c, &common::redshift_viewer_sql(&viewer)).await;
    exec(&c, &common::redshift_access_system_table_sql(&viewer)).await;
    let url = common::server().url(&db, &viewer);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_TABLES_YAML);

    let snap = redshift_read(&url).await.unwrap();
    assert!(!snap.sees_every(ObjectKind::Table));
    assert!(snap.sees_every(ObjectKind::Schema));

    for args in [&["plan"][..], &["apply", "--yes"], &["diff"]] {
        let out = redshift_run(args, &file, &url);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(
            out.stderr.contains(&format!(
                "the login `{viewer}` is not a superuser, and Redshift shows a non-superuser \
                 only the tables it owns"
            )),
            "{args:?}: {}",
            out.stderr
        );
        // Located at the section's first entry.
        assert!(
            out.stderr.contains(&format!("--> {}:11:3", file.display()))
                && out
                    .stderr
                    .contains("at YAML path `tables.\"sales.orders\"`"),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.matches("is not a superuser").count(),
            1,
            "one error for the one section: {}",
            out.stderr
        );
    }

    // Without tables:, the same login plans the rest (nothing to change).
    let no_tables = REDSHIFT_TABLES_YAML.split("tables:\n").next().unwrap();
    assert!(!no_tables.contains("sales."), "{no_tables}");
    let file = write(&dir, "no_tables.yaml", no_tables);
    let out = redshift_run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(!out.stderr.contains("tables it owns"), "{}", out.stderr);
}

/// A Redshift plan file with table statements is read back; one edited to grant TRIGGER
/// (PostgreSQL's, not Redshift's) is refused at its line, before any statement runs.
#[tokio::test]
async fn a_redshift_plan_file_with_a_trigger_grant_is_refused() {
    let (db, _c) = redshift_fixture("rs_tables_planfile").await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", REDSHIFT_TABLES_YAML);
    let plan_file = dir.path().join("plan.sql");
    let out = redshift_run(&["plan", "--out", plan_file.to_str().unwrap()], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&plan_file).unwrap();
    let grant = "GRANT TRUNCATE ON TABLE sales.orders TO GROUP marketing_analyst_grp;";
    assert!(text.contains(grant), "{text}");
    let line = text.lines().position(|l| l == grant).unwrap() + 1;
    // Resealed, as anyone can: the seal proves no review, only that the file is whole.
    let edited = text.replace(grant, &grant.replace("TRUNCATE", "TRIGGER"));
    std::fs::write(&plan_file, grantplan::fuzzing::reseal(&edited)).unwrap();
    let out = common::run(
        common::grantplan()
            .env("PGSSLMODE", "disable")
            .args(["apply", "--yes", "--database-url", &url, "-f"])
            .arg(&file)
            .arg(&plan_file),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{}: TRIGGER cannot be granted on a table; a table takes SELECT, INSERT, UPDATE, \
             DELETE, TRUNCATE, REFERENCES, ALTER and DROP (line {line} of the file)",
            plan_file.display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

// ---- Procedures and sequences (PostgreSQL) -----------------------------------------------

/// `(object, grantee, privilege)` of every non-owner ACL entry on the procedures (by
/// signature) and sequences of `schema`, PUBLIC as "public".
async fn routine_and_sequence_acl(c: &Client, schema: &str) -> BTreeSet<(String, String, String)> {
    c.query(
        "SELECT p.oid::regprocedure::text, coalesce(r.rolname, 'public')::text,
                a.privilege_type::text
           FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace,
                aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname = $1 AND p.prokind = 'p' AND a.grantee <> p.proowner
         UNION ALL
         SELECT c.relname::text, coalesce(r.rolname, 'public')::text, a.privilege_type::text
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace,
                aclexplode(coalesce(c.relacl, acldefault('s', c.relowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname = $1 AND c.relkind = 'S' AND a.grantee <> c.relowner",
        &[&schema],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test]
async fn procedures_and_sequences_with_hostile_names_plan_apply_and_converge() {
    let (db, client) = common::fresh_db("procseq").await;
    let url = common::server().admin_url(&db);
    let app = common::unique("ps_app");
    let readers = common::unique("ps_readers");
    let schema = "Ops; \"x\" 日本";
    let s = common::quote_ident(schema);
    let (ap, rd) = (common::quote_ident(&app), common::quote_ident(&readers));
    exec(
        &client,
        &format!(
            "CREATE ROLE {ap} NOLOGIN; CREATE ROLE {rd} NOLOGIN;
             CREATE SCHEMA {s};
             CREATE PROCEDURE {s}.\"select\"(integer) LANGUAGE sql AS 'SELECT 1';
             CREATE PROCEDURE {s}.\"select\"(text, integer) LANGUAGE sql AS 'SELECT 1';
             CREATE PROCEDURE {s}.\"Other Proc\"() LANGUAGE sql AS 'SELECT 1';
             CREATE SEQUENCE {s}.\"ids; --\";
             CREATE SEQUENCE {s}.plain_seq;
             GRANT UPDATE ON SEQUENCE {s}.plain_seq TO {rd};"
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let key = |name: &str| {
        format!(
            "'{}.{}'",
            common::quote_ident(schema).replace('\'', "''"),
            common::quote_ident(name).replace('\'', "''")
        )
    };
    let yaml = format!(
        "target: postgres\nroles:\n  {app}: {{}}\n  {readers}: {{}}\nprocedures:\n  {}:\n    execute: [{app}]\n  {}:\n    execute: []\nsequences:\n  '{}.*':\n    usage: [{app}]\n  {}:\n    select: [{readers}]\n",
        key("select"),
        key("Other Proc"),
        common::quote_ident(schema).replace('\'', "''"),
        key("plain_seq"),
    );
    let file = write(&dir, "grants.yaml", &yaml);

    // The plan: PUBLIC's default EXECUTE on every procedure is revoked (the
    // file claims them), each overload is named, the sequence's hand grant goes.
    let out = run(&["plan"], &file, &url);
    let plan = statements(&out).join("\n");
    for part in [
        "REVOKE EXECUTE ON PROCEDURE",
        "\"select\"(integer)",
        "\"select\"(text, integer)",
        "\"Other Proc\"()",
        "GRANT USAGE ON SEQUENCE",
        "\"ids; --\"",
        "REVOKE UPDATE ON SEQUENCE",
    ] {
        assert!(plan.contains(part), "{part}\n{plan}");
    }

    // Through a reviewed plan file, read back before it runs.
    let out = apply_through_plan_file(&dir, &file, &url).1;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    let acl = routine_and_sequence_acl(&client, schema).await;
    let sig = |name: &str, args: &str| format!("{}.{}({args})", s, common::quote_ident(name));
    let expected = set(&[
        (&sig("select", "integer"), &app, "EXECUTE"),
        (&sig("select", "text,integer"), &app, "EXECUTE"),
        ("ids; --", &app, "USAGE"),
        ("plain_seq", &app, "USAGE"),
        ("plain_seq", &readers, "SELECT"),
    ]);
    assert_eq!(acl, expected);

    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "converged: {}\n{}", out.stdout, out.stderr);
}

// ---- The database ------------------------------------------------------------------------

/// `(grantee, privilege)` of the current database's ACL, the owner's own left out.
async fn database_acl(c: &Client) -> BTreeSet<(String, String)> {
    c.query(
        "SELECT coalesce(r.rolname, 'public')::text, a.privilege_type::text
           FROM pg_database d,
                aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE d.datname = current_database() AND a.grantee <> d.datdba",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn the_database_section_plans_applies_and_leaves_public_alone_unless_named() {
    let (db, client) = common::fresh_db("database_sec").await;
    let url = common::server().admin_url(&db);
    let etl = common::unique("db_etl");
    let analysts = common::unique("db_analysts");
    let stranger = common::unique("db_stranger");
    let (e, a, st) = (
        common::quote_ident(&etl),
        common::quote_ident(&analysts),
        common::quote_ident(&stranger),
    );
    let d = common::quote_ident(&db);
    exec(
        &client,
        &format!(
            "CREATE ROLE {e} NOLOGIN; CREATE ROLE {a} NOLOGIN; CREATE ROLE {st} NOLOGIN;
             GRANT CREATE ON DATABASE {d} TO {st};"
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "target: postgres\nroles:\n  {etl}: {{}}\n  {analysts}: {{}}\ndatabase:\n  create: [{etl}]\n  temp: [{analysts}]\n"
    );
    let file = write(&dir, "grants.yaml", &yaml);
    let out = run(&["plan"], &file, &url);
    assert_eq!(
        statements(&out),
        [
            format!("GRANT CREATE ON DATABASE {d} TO {e};"),
            format!("GRANT TEMP ON DATABASE {d} TO {a};"),
            format!("REVOKE CREATE ON DATABASE {d} FROM {st};"),
        ]
        .map(|l| l.replace("\"", "")),
        "{}",
        out.stderr
    );
    let out = run(&["apply", "--yes"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // PUBLIC keeps its built-in TEMP and CONNECT: the file does not name it.
    assert_eq!(
        database_acl(&client).await,
        [
            (etl.as_str(), "CREATE"),
            (analysts.as_str(), "TEMPORARY"),
            ("public", "TEMPORARY"),
            ("public", "CONNECT"),
        ]
        .iter()
        .map(|(g, p)| (g.to_string(), p.to_string()))
        .collect()
    );
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "converged: {}\n{}", out.stdout, out.stderr);

    // Naming public makes the file the whole truth for it too.
    let named = write(
        &dir,
        "named.yaml",
        &format!("{yaml}  connect: [public, {analysts}]\n"),
    );
    let out = run(&["plan"], &named, &url);
    assert_eq!(
        statements(&out),
        [
            format!("GRANT CONNECT ON DATABASE {db} TO {analysts};"),
            format!("REVOKE TEMP ON DATABASE {db} FROM PUBLIC;"),
        ],
        "{}",
        out.stderr
    );

    // Offline, the database's name is unknown: nothing, and a warning that says so.
    let out = common::run(common::grantplan().args(["plan", "-f"]).arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("offline, the name of the database is unknown"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("DATABASE"), "{}", out.stdout);

    // CONNECT is PostgreSQL's.
    let redshift = write(
        &dir,
        "redshift.yaml",
        "groups: {g: {}}\ndatabase:\n  temp: [g]\n  connect: [g]\n",
    );
    let out = common::run(common::grantplan().args(["validate", "-f"]).arg(&redshift));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "`connect` (CONNECT ON DATABASE) exists only on postgres, and this file's target is redshift"
        ) && out.stderr.contains("redshift.yaml:4:3"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn the_redshift_database_is_read_from_its_views_and_planned() {
    let (db, _c) = redshift_fixture("rs_database").await;
    let url = common::server().admin_url(&db);
    let snap = redshift_read(&url).await.unwrap();
    let got: Vec<(String, String, Vec<Acl>)> = snap
        .objects_of(ObjectKind::Database)
        .iter()
        .map(|o| {
            (
                o.parts().first.to_string(),
                o.owner.clone(),
                o.grants.clone(),
            )
        })
        .collect();
    // The seed's row for this database, PUBLIC's TEMP; not the other database's CREATE.
    assert_eq!(
        got,
        [(
            db.clone(),
            "postgres".to_string(),
            vec![Acl {
                grantee: Grantee::Public,
                privilege: Privilege::Temp,
                grant_option: false,
            }]
        )]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "grants.yaml",
        "target: redshift\ngroups:\n  retention_analyst_grp: {}\ndatabase:\n  create: [retention_analyst_grp]\n  temp: [public]\n",
    );
    let out = redshift_run(&["plan"], &file, &url);
    assert_eq!(
        statements(&out),
        [format!(
            "GRANT CREATE ON DATABASE {db} TO GROUP retention_analyst_grp;"
        )],
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_database_with_a_hostile_name_applies_from_a_plan_file_and_converges() {
    let name = common::unique("Ops; \"DB\" 日本 select");
    let admin = common::connect(&common::server().admin_url("postgres")).await;
    exec(
        &admin,
        &format!("CREATE DATABASE {}", common::quote_ident(&name)),
    )
    .await;
    let url = common::server().admin_url(&name);
    let client = common::connect(&url).await;
    let role = common::unique("db_hostile_role");
    exec(
        &client,
        &format!("CREATE ROLE {} NOLOGIN", common::quote_ident(&role)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "grants.yaml",
        &format!("target: postgres\nroles:\n  {role}: {{}}\ndatabase:\n  create: [{role}]\n  temp: [{role}, public]\n"),
    );
    let out = run(&["plan"], &file, &url);
    assert_eq!(
        statements(&out),
        [format!(
            "GRANT CREATE, TEMP ON DATABASE {} TO {role};",
            common::quote_ident(&name)
        )],
        "{}",
        out.stderr
    );
    let out = apply_through_plan_file(&dir, &file, &url).1;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let acl = database_acl(&client).await;
    for (g, p) in [
        (role.as_str(), "CREATE"),
        (role.as_str(), "TEMPORARY"),
        ("public", "TEMPORARY"),
        ("public", "CONNECT"),
    ] {
        assert!(acl.contains(&(g.to_string(), p.to_string())), "{acl:?}");
    }
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "converged: {}\n{}", out.stdout, out.stderr);
}
