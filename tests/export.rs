//! `grantplan export` end to end: the binary exports what a server holds, and planning
//! the exported file against the same server gives no change (exit 0 with
//! `--detailed-exitcode`). On a real PostgreSQL started by the tests (tests/common) and
//! on the recreated Redshift catalog (tests/data/redshift, as in redshift_catalog.rs).
//!
//! Roles are cluster-wide and an export lists every role of the cluster, so tests that
//! create roles do it in ONE transaction and never change a role or a membership
//! afterwards: another test's export then sees all of them or none, and its plan is not
//! disturbed by them. Schemas and functions belong to each test's own database.

mod common;

use common::redshift_fixture as fixture;

use common::exec;

use common::Run;
use grantplan::catalog::{Acl, ObjectInfo, PrincipalInfo, Snapshot};
use grantplan::model::{Grantee, PrincipalKind, Privilege, Securable, Target};
use std::path::{Path, PathBuf};

/// The binary with a clean environment. The test server has no TLS, which grantplan
/// refuses for a Redshift server unless told: PGSSLMODE=disable.
fn grantplan() -> assert_cmd::Command {
    let mut cmd = common::grantplan();
    cmd.env("PGSSLMODE", "disable");
    cmd
}

fn run(args: &[&str]) -> Run {
    common::run(grantplan().args(args))
}

/// `grantplan export --database-url URL`, its YAML written to `dir/grants.yaml`.
fn export(url: &str, dir: &tempfile::TempDir) -> (Run, PathBuf) {
    let out = run(&["export", "--database-url", url]);
    assert_eq!(out.code, 0, "export failed:\n{}", out.stderr);
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, &out.stdout).unwrap();
    (out, file)
}

/// `grantplan plan --detailed-exitcode -f FILE --database-url URL`.
fn plan(file: &Path, url: &str) -> Run {
    run(&[
        "plan",
        "--detailed-exitcode",
        "-f",
        file.to_str().unwrap(),
        "--database-url",
        url,
    ])
}

fn q(name: &str) -> String {
    common::quote_ident(name)
}

/// The statements of a plan's output (its first line is a comment).
fn statements(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| !l.starts_with("--")).collect()
}

#[tokio::test]
async fn a_postgres_database_exports_to_a_file_that_plans_nothing() {
    let (db, c) = common::fresh_db("export_pg").await;
    let analysts = common::unique("analysts");
    let sales_ml = common::unique("Sales ML");
    let quote = common::unique("a\"b");
    let dotted = common::unique("x.y");
    let alice = common::unique("alice");
    let bob = common::unique("Bob");
    let app = common::unique("app");
    let (an, sm, qu, dt, al, bo, ap) = (
        q(&analysts),
        q(&sales_ml),
        q(&quote),
        q(&dotted),
        q(&alice),
        q(&bob),
        q(&app),
    );
    exec(
        &c,
        &format!(
            "BEGIN;
             CREATE ROLE {an} NOLOGIN; CREATE ROLE {sm} NOLOGIN; CREATE ROLE {qu} NOLOGIN;
             CREATE ROLE {dt} NOLOGIN;
             CREATE ROLE {al} LOGIN; CREATE ROLE {bo} LOGIN; CREATE ROLE {ap} LOGIN;
             GRANT {an} TO {al}, {bo};
             GRANT {sm} TO {an};
             GRANT {ap} TO {al};
             GRANT {dt} TO postgres;
             CREATE SCHEMA sales;
             CREATE SCHEMA \"x.y\" AUTHORIZATION {ap};
             CREATE SCHEMA \"données\";
             GRANT USAGE ON SCHEMA sales TO {an}, PUBLIC;
             GRANT CREATE, USAGE ON SCHEMA sales TO {sm};
             GRANT USAGE ON SCHEMA \"x.y\" TO {qu}, {bo};
             CREATE FUNCTION sales.score(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION sales.score(text) RETURNS integer LANGUAGE sql AS 'SELECT 2';
             REVOKE EXECUTE ON FUNCTION sales.score(integer), sales.score(text) FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION sales.score(integer), sales.score(text) TO {an}, {dt};
             CREATE FUNCTION \"x.y\".\"f*\"() RETURNS integer LANGUAGE sql AS 'SELECT 3';
             COMMIT;"
        ),
    )
    .await;

    // A password in the URL is never printed (the test server trusts every login).
    let url = common::server()
        .admin_url(&db)
        .replacen("postgres@", "postgres:s3cret-pw@", 1);
    let dir = tempfile::tempdir().unwrap();
    let (out, file) = export(&url, &dir);
    let y = &out.stdout;
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);
    assert!(!y.contains("s3cret") && !out.stderr.contains("s3cret"));
    assert!(
        y.starts_with(&format!(
            "# grants.yaml exported by grantplan from postgres@{db} (postgres).\n"
        )),
        "{y}"
    );
    assert!(
        y.contains("\ntarget: postgres\nmode: authoritative\n"),
        "{y}"
    );
    // Roles with their exact members: users bare, roles as `role:`, the superuser too.
    assert!(
        y.contains(&format!(
            "  {analysts}:\n    members:\n    - {alice}\n    - {bob}\n"
        )) || y.contains(&format!(
            "  {analysts}:\n    members:\n    - {bob}\n    - {alice}\n"
        )),
        "{y}"
    );
    assert!(
        y.contains(&format!("members:\n    - role:{analysts}\n")),
        "{y}"
    );
    assert!(
        y.contains(&format!("  {dotted}:\n    members:\n    - postgres\n")),
        "{y}"
    );
    // A login role with members is a role here; other listed login roles are users.
    assert!(
        y.contains(&format!("  {app}:\n    members:\n    - {alice}\n")),
        "{y}"
    );
    assert!(y.contains(&format!("  {bob}: {{}}\n")), "{y}");
    // Keys in the key grammar; owners left out; every schema listed.
    assert!(y.contains("  '\"x.y\"':\n    usage:\n"), "{y}");
    assert!(y.contains("  données: {}\n"), "{y}");
    assert!(
        y.contains("  '\"x.y\".\"f*\"':\n    execute:\n    - public\n"),
        "{y}"
    );
    assert!(y.contains("  sales.score:\n    execute:\n"), "{y}");
    assert!(y.contains("  public:\n    usage:\n    - public\n"), "{y}");

    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}\n{y}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);

    // Every schema is managed by the exported file, so a grant made by hand later on a
    // schema that had none shows up as drift.
    exec(&c, &format!("GRANT CREATE ON SCHEMA \"données\" TO {bo}")).await;
    let out = plan(&file, &url);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out.stdout),
        [format!("REVOKE CREATE ON SCHEMA \"données\" FROM {bo};")]
    );
}

#[tokio::test]
async fn overloads_with_different_grants_export_as_one_rule_each() {
    let (db, c) = common::fresh_db("export_overloads").await;
    let runner = common::unique("runner");
    let r = q(&runner);
    exec(
        &c,
        &format!(
            "BEGIN;
             CREATE ROLE {r} NOLOGIN;
             CREATE SCHEMA s;
             CREATE FUNCTION s.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION s.f(text) RETURNS integer LANGUAGE sql AS 'SELECT 2';
             CREATE FUNCTION s.g(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION s.g(text) RETURNS integer LANGUAGE sql AS 'SELECT 2';
             REVOKE EXECUTE ON FUNCTION s.f(integer), s.f(text) FROM PUBLIC;
             REVOKE EXECUTE ON FUNCTION s.g(integer), s.g(text) FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION s.f(integer) TO {r};
             GRANT EXECUTE ON FUNCTION s.g(integer), s.g(text) TO {r};
             COMMIT;"
        ),
    )
    .await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let (out, file) = export(&url, &dir);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // s.f's overloads differ: a rule each; s.g's agree: one rule for the name.
    let runner_list = format!("    execute:\n    - {runner}\n");
    for expected in [
        format!("  s.f(integer):\n{runner_list}"),
        "  s.f(text): {}\n".to_string(),
        format!("  s.g:\n{runner_list}"),
    ] {
        assert!(out.stdout.contains(&expected), "{expected}\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("  s.f:"), "{}", out.stdout);
    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    // Each overload rule is the whole truth for its overload.
    exec(&c, &format!("GRANT EXECUTE ON FUNCTION s.f(text) TO {r}")).await;
    let out = plan(&file, &url);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out.stdout),
        [format!(
            "REVOKE EXECUTE ON FUNCTION s.f(text) FROM {runner};"
        )]
    );
}

// ---------------------------------------------------------------------------------------
// Redshift, on the recreated catalog.

/// The export without its per-run header line (the database name is unique per run).
fn body(yaml: &str) -> String {
    yaml.lines().skip(1).map(|l| format!("{l}\n")).collect()
}

#[tokio::test]
async fn the_redshift_drift_scenario_exports_to_a_file_that_plans_nothing() {
    let (db, _c) = fixture(
        "rs_export_drift",
        &["seed_fresh.sql", "converged.sql", "drift.sql"],
    )
    .await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let (out, file) = export(&url, &dir);
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!(
            "# grants.yaml exported by grantplan from postgres@{db} (redshift).\n"
        )),
        "{}",
        out.stdout
    );
    // rdsdb and sys:dba hold CREATE MODEL but are never revoked from: not listed.
    insta::assert_snapshot!("export_redshift_drift", body(&out.stdout));
    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);
}

/// The contract scenario has two overloads of `demo_ml.score_customer`, only one of
/// which PUBLIC may execute: the export writes a rule for each, and the round trip is
/// exact. Once the overloads agree, one rule for the name.
#[tokio::test]
async fn the_redshift_contract_scenario_round_trips_with_a_rule_per_overload() {
    let (db, c) = fixture("rs_export_contract", &["seed_fresh.sql", "contract.sql"]).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let (out, file) = export(&url, &dir);
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);
    assert!(
        out.stdout
            .contains("  demo_ml.score_customer(character varying, integer):\n")
            && out
                .stdout
                .contains("  demo_ml.score_customer(integer): {}\n"),
        "{}",
        out.stdout
    );
    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);

    exec(
        &c,
        "INSERT INTO redshift_catalog.svv_function_privileges VALUES \
         ('demo_ml', 'score_customer', 'integer', 'EXECUTE', 0, 'public', 'public', false)",
    )
    .await;
    let (out, file) = export(&url, &dir);
    assert!(out.stderr.is_empty(), "no warnings:\n{}", out.stderr);
    insta::assert_snapshot!("export_redshift_contract", body(&out.stdout));
    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------
// No database: a snapshot file, and the usage errors.

#[test]
fn a_snapshot_file_exports_without_a_database_and_warnings_go_to_stderr() {
    let mut snap = Snapshot::empty(Target::Redshift);
    snap.server.login = "admin".into();
    snap.server.login_superuser = true;
    snap.server.database = "dev".into();
    snap.principals.push(PrincipalInfo {
        kind: PrincipalKind::Group,
        name: "ml".into(),
        login: false,
        superuser: false,
    });
    snap.objects.push(ObjectInfo::new(
        Securable::Schema {
            name: "demo_ml".into(),
        },
        "admin",
        vec![Acl {
            grantee: Grantee::principal(PrincipalKind::Group, "ml"),
            privilege: Privilege::Usage,
            grant_option: false,
        }],
    ));
    snap.create_model = vec![
        Grantee::Public,
        Grantee::principal(PrincipalKind::Group, "ml"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("snapshot.json");
    std::fs::write(&json, snap.to_json()).unwrap();

    let out = run(&["export", "--catalog", json.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        body(&out.stdout),
        "# The export reported 1 warning(s): planning it against the same server may\n\
         # show changes (see the warnings).\n\
         target: redshift\n\
         mode: authoritative\n\
         groups:\n  ml:\n    create_model: true\n    members: []\n\
         schemas:\n  demo_ml:\n    usage:\n    - ml\n"
    );
    assert!(
        out.stderr.contains("warning: PUBLIC holds CREATE MODEL"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("REVOKE CREATE MODEL FROM PUBLIC;"),
        "{}",
        out.stderr
    );

    // --out writes the file; stdout stays empty, the warnings still go to stderr.
    let file = dir.path().join("exported.yaml");
    let out = run(&[
        "export",
        "--catalog",
        json.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("warning: PUBLIC holds CREATE MODEL"));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("  ml:\n    create_model: true\n"),
        "{written}"
    );

    // The file plans against the snapshot: only the revoke the warning announced.
    let out = run(&[
        "plan",
        "--detailed-exitcode",
        "-f",
        file.to_str().unwrap(),
        "--catalog",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out.stdout),
        ["REVOKE CREATE MODEL FROM PUBLIC;"]
    );
}

/// Names a YAML 1.1 reader takes for booleans, nulls or numbers unless quoted.
const NOT_PLAIN: [&str; 12] = [
    "yes",
    "No",
    "on",
    "OFF",
    "null",
    "~",
    "y",
    "1e3",
    "0x1F",
    ".inf",
    "<<",
    "2001-12-14",
];

#[tokio::test]
async fn schemas_named_like_yaml_booleans_and_numbers_export_quoted_and_plan_nothing() {
    let (db, c) = common::fresh_db("export_yaml11").await;
    let reader = common::unique("reader");
    let mut sql = format!("BEGIN; CREATE ROLE {} NOLOGIN;", q(&reader));
    for name in NOT_PLAIN {
        sql.push_str(&format!(
            "CREATE SCHEMA {s}; GRANT USAGE ON SCHEMA {s} TO {r};
             CREATE FUNCTION {s}.f() RETURNS integer LANGUAGE sql AS 'SELECT 1';
             REVOKE EXECUTE ON FUNCTION {s}.f() FROM PUBLIC;",
            s = q(name),
            r = q(&reader)
        ));
    }
    sql.push_str("COMMIT;");
    exec(&c, &sql).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let (out, file) = export(&url, &dir);
    for name in NOT_PLAIN {
        // A key with a `.` is also in double quotes, for grants.yaml's key grammar.
        let key = if name.contains('.') {
            format!("'\"{name}\"'")
        } else {
            format!("'{name}'")
        };
        assert!(
            out.stdout.contains(&format!("\n  {key}:\n")),
            "{name}:\n{}",
            out.stdout
        );
    }
    let out = plan(&file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
}

#[test]
fn an_ignored_name_with_a_line_separator_leaves_a_real_role_like_it_managed() {
    // `ls\u{2028}x` cannot be written in grants.yaml and goes to `ignore:`; its pattern
    // once matched `ls_x` too, which then was never granted to nor revoked from.
    let mut snap = Snapshot::empty(Target::Postgres);
    snap.server.login = "postgres".into();
    snap.server.login_superuser = true;
    snap.server.database = "dev".into();
    let names = ["ls\u{2028}x", "ls_x", "yes", "No", "1e3"];
    for name in names {
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Role,
            name: name.into(),
            login: false,
            superuser: false,
        });
    }
    let grant = |name: &str| Acl {
        grantee: Grantee::principal(PrincipalKind::Role, name),
        privilege: Privilege::Usage,
        grant_option: false,
    };
    snap.objects.push(ObjectInfo::new(
        Securable::Schema { name: "app".into() },
        "postgres",
        names.iter().map(|n| grant(n)).collect(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("snapshot.json");
    std::fs::write(&json, snap.to_json()).unwrap();
    let file = dir.path().join("grants.yaml");
    let out = run(&[
        "export",
        "--catalog",
        json.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("cannot be written"), "{}", out.stderr);
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("ignore:\n- \"ls[\\u2028]x\"\n"), "{yaml}");
    assert!(
        yaml.contains("\n  ls_x:\n") && yaml.contains("\n  'yes':\n"),
        "{yaml}"
    );
    let plan_against = |json: &Path| {
        run(&[
            "plan",
            "--detailed-exitcode",
            "-f",
            file.to_str().unwrap(),
            "--catalog",
            json.to_str().unwrap(),
        ])
    };
    let out = plan_against(&json);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    // Every grant on `app` revoked by hand: `ls_x` and the others get theirs back (in
    // the file's order), and the ignored name is left without its grant.
    snap.objects[0].grants.clear();
    let drifted = dir.path().join("drifted.json");
    std::fs::write(&drifted, snap.to_json()).unwrap();
    let out = plan_against(&drifted);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        statements(&out.stdout),
        [
            "GRANT USAGE ON SCHEMA",
            "    app",
            "  TO",
            "    \"1e3\",",
            "    \"No\",",
            "    ls_x,",
            "    \"yes\";"
        ]
    );
}

#[test]
fn export_without_a_database_or_a_snapshot_says_what_to_pass() {
    let out = run(&["export"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("export needs a database or a snapshot")
            && out.stderr.contains("--catalog"),
        "{}",
        out.stderr
    );
    let out = run(&[
        "export",
        "--catalog",
        "x.json",
        "--database-url",
        "postgres://localhost/x",
    ]);
    assert_eq!(out.code, 1, "a usage error: {}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
