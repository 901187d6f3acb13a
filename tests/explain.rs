//! `grantplan explain`: who can train, who can run, and why. Goldens from the seed's
//! cluster as a snapshot (tests/data/explain/catalog.json: the seed's two groups, alice
//! in the builders' group owning the churn model, bob in the marketing group, carol in
//! none, the cluster role granted for CREATE MODEL to the builders; grants.yaml names that
//! role in `cluster:`), each reviewed by eye; the errors; and one run against the
//! recreated Redshift catalog.

mod common;

use common::Run;
use std::path::{Path, PathBuf};

const ARN: &str = "arn:aws:iam::123456789012:role/RedshiftML";
const MODEL: &str = "demo_ml.customer_churn_auto_model";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/explain")
}

/// `grantplan explain ARGS` in tests/data/explain, so that names in the output are the
/// relative ones given (`snapshot catalog.json`) and ./grants.yaml is picked up.
fn explain_in(dir: &Path, args: &[&str]) -> Run {
    common::run(
        common::grantplan()
            .arg("explain")
            .args(args)
            .current_dir(dir),
    )
}

fn explain(args: &[&str]) -> Run {
    explain_in(&data(), args)
}

fn ok(args: &[&str]) -> String {
    let out = explain(args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stderr, "", "{args:?}");
    out.stdout
}

/// The verdict lines of a text explanation.
fn verdicts(text: &str) -> Vec<&str> {
    text.split("\nverdict:\n")
        .nth(1)
        .expect("a verdict section")
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .map(str::trim)
        .collect()
}

#[test]
fn the_builders_group_can_train_in_demo_ml_with_the_cluster_role() {
    let out = ok(&[
        "--catalog",
        "catalog.json",
        "--who",
        "retention_analyst_grp",
    ]);
    assert_eq!(
        verdicts(&out),
        [
            format!("can train in demo_ml with {ARN}").as_str(),
            "cannot run demo_ml.customer_churn_auto_model: no EXECUTE on the model",
        ]
    );
    assert!(out.contains(&format!(
        "  ASSUMEROLE for CREATE MODEL on {ARN} (grants.yaml's cluster: role): held\n    directly\n"
    )));
    insta::assert_snapshot!("explain_retention_trains", out);
}

#[test]
fn the_marketing_group_runs_the_churn_model_by_execute_and_usage() {
    let out = ok(&[
        "--catalog",
        "catalog.json",
        "--who",
        "group:marketing_analyst_grp",
    ]);
    assert!(out.contains(&format!(
        "  {MODEL}: can run\n    EXECUTE: directly\n    USAGE on demo_ml: directly\n"
    )));
    assert_eq!(verdicts(&out)[1], format!("can run {MODEL}"));
    assert!(verdicts(&out)[0]
        .starts_with("cannot train: no CREATE MODEL; no CREATE on any schema; no ASSUMEROLE"));
    insta::assert_snapshot!("explain_marketing_runs", out);
}

#[test]
fn a_user_runs_the_model_through_its_group() {
    let out = ok(&["--catalog", "catalog.json", "--who", "bob"]);
    assert!(out.starts_with("explain user:bob, from snapshot catalog.json\n"));
    assert!(out.contains(
        "    EXECUTE: through group:marketing_analyst_grp\n    USAGE on demo_ml: through group:marketing_analyst_grp\n"
    ));
    insta::assert_snapshot!("explain_bob_through_group", out);
    // The owner runs its model whatever the grants, and trains through its group.
    let alice = ok(&["--catalog", "catalog.json", "--who", "user:alice"]);
    assert_eq!(
        verdicts(&alice),
        [
            format!("can train in demo_ml with {ARN}").as_str(),
            "can run demo_ml.customer_churn_auto_model (its owner: can also drop it)",
        ]
    );
    assert!(alice.contains("  CREATE MODEL: held\n    through group:retention_analyst_grp\n"));
    // A user in no group holds nothing.
    let carol = ok(&["--catalog", "catalog.json", "--who", "carol"]);
    assert_eq!(
        verdicts(&carol)[1],
        "cannot run any model: no EXECUTE on any model, and owns none"
    );
    // A superuser can do everything: said once, nothing else.
    let admin = ok(&["--catalog", "catalog.json", "--who", "admin"]);
    assert_eq!(
        verdicts(&admin),
        ["user:admin is a superuser: it can train, run and drop every model, whatever the grants"]
    );
    assert!(!admin.contains("train (CREATE MODEL)"));
}

#[test]
fn the_model_view_names_its_owner_its_runners_and_who_holds_half() {
    let out = ok(&["--catalog", "catalog.json", "--model", MODEL]);
    assert_eq!(
        verdicts(&out),
        [
            "user:alice owns it: can always run and drop it",
            "can run it: group:marketing_analyst_grp, user:bob",
            "group:retention_analyst_grp cannot run it: no EXECUTE on the model",
        ]
    );
    // rdsdb is the server's own: not listed; carol holds nothing: not listed.
    assert!(out.contains("superusers (can do everything): user:admin\n"));
    assert!(!out.contains("carol"));
    insta::assert_snapshot!("explain_model", out);
}

#[test]
fn json_has_every_path() {
    let out = ok(&[
        "--catalog",
        "catalog.json",
        "--who",
        "bob",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "grantplan-explain");
    assert_eq!(doc["principal"], "user:bob");
    assert_eq!(doc["train"]["can"], false);
    assert_eq!(doc["train"]["assume_role"]["state"], "not_listed");
    assert_eq!(doc["train"]["assume_role"]["arn"], ARN);
    let run = &doc["run"][0];
    assert_eq!(run["model"], MODEL);
    assert_eq!(run["can"], true);
    assert_eq!(run["execute"][0]["via"], "membership");
    assert_eq!(run["execute"][0]["holder"], "group:marketing_analyst_grp");
    assert_eq!(run["execute"][0]["chain"][0], "group:marketing_analyst_grp");
    insta::assert_snapshot!("explain_bob_json", out);
}

#[test]
fn after_shows_what_the_plan_gives() {
    let out = ok(&[
        "--catalog",
        "catalog.json",
        "-f",
        "marketing-trains.yaml",
        "--after",
        "--who",
        "marketing_analyst_grp",
    ]);
    assert!(out.starts_with(
        "explain group:marketing_analyst_grp, from snapshot catalog.json, after the plan of \
         marketing-trains.yaml (3 statements)\n"
    ));
    assert_eq!(
        verdicts(&out)[0],
        format!("can train in demo_ml with {ARN}")
    );
    let changes = out.split("changes:\n").nth(1).unwrap();
    assert_eq!(
        changes,
        format!(
            "  - cannot train: no CREATE MODEL; no CREATE on any schema; no ASSUMEROLE for \
             CREATE MODEL on {ARN}\n  + can train in demo_ml with {ARN}\n"
        )
    );
    insta::assert_snapshot!("explain_after_marketing_trains", out);
    // The shipped file here is what the catalog holds: nothing changes.
    let same = ok(&["--catalog", "catalog.json", "--after", "--who", "bob"]);
    assert!(same.contains("(0 statements)"), "{same}");
    assert!(same.ends_with("changes:\n  nothing\n"), "{same}");
    // JSON says the same.
    let json = ok(&[
        "--catalog",
        "catalog.json",
        "-f",
        "marketing-trains.yaml",
        "--after",
        "--who",
        "bob",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["after"]["statements"], 3);
    assert_eq!(
        doc["after"]["added"][0],
        format!("can train in demo_ml with {ARN}")
    );
    assert_eq!(
        doc["train"]["create_model"][0]["holder"],
        "group:marketing_analyst_grp"
    );
}

/// A copy of the snapshot with `edit` applied, in a temporary directory.
fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data().join("catalog.json")).unwrap())
            .unwrap();
    edit(&mut doc);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.json"), doc.to_string()).unwrap();
    dir
}

#[test]
fn the_role_is_the_default_without_cluster_and_unrestricted_without_assumerole_grants() {
    // No grants.yaml: CREATE MODEL uses the cluster's default role, which the catalog's
    // ASSUMEROLE grants (only on the cluster role) do not name.
    let dir = edited(|_| {});
    let out = explain_in(dir.path(), &["--catalog", "catalog.json", "--who", "alice"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        verdicts(&out.stdout)[0],
        "cannot train: no ASSUMEROLE for CREATE MODEL on the cluster's default IAM role"
    );
    assert!(out.stdout.contains(
        "ASSUMEROLE for CREATE MODEL on the cluster's default IAM role (no cluster: role given): withheld"
    ));
    // PUBLIC granted the default role: held through PUBLIC.
    let dir = edited(|d| {
        d["iam_roles"].as_array_mut().unwrap().push(
            serde_json::json!({"grants": [{"grantee": "public", "privilege": "CREATE_MODEL"}]}),
        );
    });
    let out = explain_in(dir.path(), &["--catalog", "catalog.json", "--who", "alice"]);
    assert!(
        out.stdout
            .contains("(no cluster: role given): held\n    through PUBLIC\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        verdicts(&out.stdout)[0],
        "can train in demo_ml with the cluster's default IAM role"
    );
    // No ASSUMEROLE grant listed at all: Redshift's default, PUBLIC uses every role.
    let dir = edited(|d| {
        d.as_object_mut().unwrap().remove("iam_roles");
    });
    let out = explain_in(dir.path(), &["--catalog", "catalog.json", "--who", "alice"]);
    assert!(
        out.stdout.contains(
            "not restricted as far as the catalog shows\n    the catalog lists no ASSUMEROLE \
             grant: PUBLIC may use every role until REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL\n"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        verdicts(&out.stdout)[0],
        "can train in demo_ml with the cluster's default IAM role"
    );
}

#[test]
fn errors_say_what_was_meant_and_exit_1() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["--catalog", "catalog.json", "--who", "retension_analyst_grp"],
            "error: no principal `retension_analyst_grp` in snapshot catalog.json; did you mean `group:retention_analyst_grp`?\n",
        ),
        (
            &["--catalog", "catalog.json", "--who", "group:bob"],
            "error: no principal `group:bob` in snapshot catalog.json; did you mean `user:bob`?\n",
        ),
        (
            &["--catalog", "catalog.json", "--who", "team:bob"],
            "error: `team:bob` is not of the form group:NAME, role:NAME, user:NAME or a bare NAME: unknown principal kind `team` in `team:bob`\n",
        ),
        (
            &["--catalog", "catalog.json", "--model", "demo_ml.customer_churn"],
            "error: no model `demo_ml.customer_churn` in snapshot catalog.json; did you mean `demo_ml.customer_churn_auto_model`?\n",
        ),
        (
            &["--who", "bob"],
            "error: explain needs a catalog: pass --catalog SNAPSHOT.json (written by `grantplan snapshot`) or --database-url URL\n",
        ),
        (
            &["--catalog", "catalog.json", "--who", "bob", "--model", MODEL],
            "",
        ),
    ];
    for (args, expected) in cases {
        let out = explain(args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stdout);
        assert_eq!(out.stdout, "", "{args:?}");
        if expected.is_empty() {
            assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
        } else {
            assert_eq!(out.stderr, expected, "{args:?}");
        }
    }
    // --after plans grants.yaml: none here.
    let dir = edited(|_| {});
    let out = explain_in(
        dir.path(),
        &["--catalog", "catalog.json", "--after", "--who", "bob"],
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--after explains the state after the plan of grants.yaml, and there is no ./grants.yaml: pass -f FILE"), "{}", out.stderr);
}

#[test]
fn postgres_is_refused_models_do_not_exist_there() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.json"),
        r#"{"format": "grantplan-snapshot", "version": 2, "target": "postgres",
            "server": {"version": "15", "database": "app", "login": "postgres", "login_superuser": true},
            "principals": [{"kind": "role", "name": "readers", "login": false, "superuser": false}],
            "memberships": [], "objects": [], "create_model": []}"#,
    )
    .unwrap();
    let out = explain_in(
        dir.path(),
        &["--catalog", "catalog.json", "--who", "readers"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: grantplan explain is for Redshift ML, and this catalog is PostgreSQL's: \
         PostgreSQL has no models and no CREATE MODEL (use `grantplan diff` to see who holds \
         what)\n"
    );
}

/// The same questions asked of the recreated Redshift catalog over the wire: the seed
/// after its four statements, with the cluster role's ASSUMEROLE row as
/// r_SVV_IAM_PRIVILEGES shows one.
#[tokio::test]
async fn live_against_the_recreated_redshift_catalog() {
    let (db, c) =
        common::redshift_fixture("explain_live", &["seed_fresh.sql", "converged.sql"]).await;
    common::exec(
        &c,
        &format!(
            "INSERT INTO redshift_catalog.svv_iam_privileges
                (iam_arn, command_type, identity_id, identity_name, identity_type) VALUES
              ('{ARN}', 'CREATE MODEL', 200, 'retention_analyst_grp', 'group');"
        ),
    )
    .await;
    let url = common::server().admin_url(&db);
    let run = |args: &[&str]| {
        common::run(
            common::grantplan()
                .env("PGSSLMODE", "disable")
                .arg("explain")
                .args(args)
                .arg("-f")
                .arg(data().join("grants.yaml"))
                .arg("--database-url")
                .arg(&url)
                .current_dir(std::env::temp_dir()),
        )
    };
    let out = run(&["--who", "group:retention_analyst_grp"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // The recreated cluster's schema public grants CREATE to PUBLIC, as Redshift's does
    // until revoked: a model can be written there too.
    assert_eq!(
        verdicts(&out.stdout)[0],
        format!("can train in demo_ml and public with {ARN}")
    );
    assert!(
        out.stdout
            .contains("    demo_ml: directly\n    public: through PUBLIC\n"),
        "{}",
        out.stdout
    );
    // carol is in the marketing group there; alice and bob in the builders' group.
    let out = run(&["--model", MODEL]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        verdicts(&out.stdout).contains(&"can run it: group:marketing_analyst_grp, user:carol"),
        "{}",
        out.stdout
    );
}
