//! `assume_role:` (Redshift's GRANT ASSUMEROLE) end to end: planned from the recreated
//! Redshift catalog (tests/data/redshift/catalog.sql, `svv_iam_privileges` from its AWS
//! page, r_SVV_IAM_PRIVILEGES), written to a plan file and read back, exported and
//! planned again; and the phase that runs after the transaction commits, on a real
//! PostgreSQL, with statements PostgreSQL refuses inside a transaction block standing in
//! for ASSUMEROLE.

mod common;

use common::{plan_lines as statements, run_redshift as run, write};

use common::exec;

const ARN: &str = "arn:aws:iam::123456789012:role/RedshiftML";

/// `export` of the cluster at `url`, checked to hold `expected` and to plan nothing when
/// planned against the same cluster.
fn export_round_trips(dir: &tempfile::TempDir, url: &str, expected: &str) {
    let exported = common::run(common::grantplan().env("PGSSLMODE", "disable").args([
        "export",
        "--database-url",
        url,
    ]));
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    assert!(exported.stdout.contains(expected), "{}", exported.stdout);
    let export_file = write(dir, "exported.yaml", &exported.stdout);
    let out = run(&["plan", "--detailed-exitcode"], &export_file, url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// The seed's users alice (101) and bob (102) and groups retention_analyst_grp (200) and
/// marketing_analyst_grp (201); the cluster: section names the role by its name.
const YAML: &str = "target: redshift
groups:
  retention_analyst_grp: {}
  marketing_analyst_grp: {}
users:
  alice: {}
  bob: {}
assume_role:
  RedshiftML:
    create_model: [retention_analyst_grp, marketing_analyst_grp]
    copy: [bob]
  default:
    external_function: [bob]
cluster:
  account_id: \"123456789012\"
  region: us-east-1
  role_name: RedshiftML
  bucket: my-ml-bucket
";

/// `svv_iam_privileges` rows as r_SVV_IAM_PRIVILEGES shows them: one per command, PUBLIC
/// as id 0 `public`, the default role as `default-aws-iam-role`, external functions as
/// the sample's `EXFUNC`.
const ROWS: &str = "INSERT INTO redshift_catalog.svv_iam_privileges
    (iam_arn, command_type, identity_id, identity_name, identity_type) VALUES
  ('arn:aws:iam::123456789012:role/RedshiftML', 'CREATE MODEL', 200, 'retention_analyst_grp', 'group'),
  ('arn:aws:iam::123456789012:role/RedshiftML', 'COPY', 101, 'alice', 'user'),
  ('arn:aws:iam::123456789012:role/RedshiftML', 'UNLOAD', 101, 'alice', 'user'),
  ('default-aws-iam-role', 'EXFUNC', 0, 'public', 'public');";

#[tokio::test]
async fn assumerole_plans_grants_and_revokes_for_the_purposes_written_and_keeps_publics_share() {
    let (db, c) = common::redshift_fixture("ar_plan", &["seed_fresh.sql"]).await;
    exec(&c, ROWS).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", YAML);
    let out = run(&["plan"], &file, &url);
    // alice's COPY goes (the file writes copy:), her UNLOAD stays (it writes no unload:);
    // PUBLIC's EXFUNC on the default role stays (the entry does not name public).
    assert_eq!(
        statements(&out),
        [
            "-- after the transaction above commits, one at a time: Redshift does not document \
             GRANT ASSUMEROLE inside a transaction block, so these are not part of its \
             all-or-nothing; one that fails stops the rest, and apply again converges",
            "GRANT ASSUMEROLE ON default TO bob FOR EXTERNAL FUNCTION;",
            &format!(
                "GRANT ASSUMEROLE ON '{ARN}' TO GROUP marketing_analyst_grp FOR CREATE MODEL;"
            ),
            &format!("REVOKE ASSUMEROLE ON '{ARN}' FROM alice FOR COPY;"),
            &format!("GRANT ASSUMEROLE ON '{ARN}' TO bob FOR COPY;"),
        ],
        "{}",
        out.stderr
    );

    // The plan file carries the note and the statements, and reads back as them.
    let plans = dir.path().join("plans");
    let written = run(
        &["plan", "--out", &format!("{}/", plans.display())],
        &file,
        &url,
    );
    assert_eq!(written.code, 0, "{}", written.stderr);
    let path = std::fs::read_dir(&plans)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\n-- after the transaction above commits"),
        "{text}"
    );
    let file_read = grantplan::planfile::load(&path).unwrap();
    assert_eq!(file_read.statements.len(), 4);
    assert!(file_read.statements.iter().all(|s| s.after_commit()));

    // Naming public makes PUBLIC's share of the written purposes the file's to decide.
    let named = write(
        &dir,
        "named.yaml",
        &YAML.replace(
            "external_function: [bob]",
            "external_function: [bob]\n    copy: [public]",
        ),
    );
    let out = run(&["plan"], &named, &url);
    let lines = statements(&out);
    assert!(
        lines.contains(
            &"REVOKE ASSUMEROLE ON default FROM PUBLIC FOR EXTERNAL FUNCTION;".to_string()
        ) && lines.contains(&"GRANT ASSUMEROLE ON default TO PUBLIC FOR COPY;".to_string()),
        "{lines:#?}"
    );

    // The cluster after those statements: nothing left to do.
    exec(
        &c,
        "INSERT INTO redshift_catalog.svv_iam_privileges VALUES
          ('default-aws-iam-role', 'EXTERNAL FUNCTION', 102, 'bob', 'user'),
          ('arn:aws:iam::123456789012:role/RedshiftML', 'CREATE MODEL', 201, 'marketing_analyst_grp', 'group'),
          ('arn:aws:iam::123456789012:role/RedshiftML', 'COPY', 102, 'bob', 'user');
         DELETE FROM redshift_catalog.svv_iam_privileges
          WHERE identity_name = 'alice' AND command_type = 'COPY';",
    )
    .await;
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    // Exported, the cluster's ASSUMEROLE grants plan nothing against it.
    export_round_trips(
        &dir,
        &url,
        "assume_role:\n  default:\n    external_function:\n    - bob\n    - public\n",
    );
}

#[test]
fn validate_counts_the_iam_roles() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", YAML);
    let out = common::run(common::grantplan().args(["validate", "-f"]).arg(&file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains(", 0 procedures, 2 IAM roles (assume_role); cluster role RedshiftML"),
        "{}",
        out.stdout
    );
}

#[test]
fn assume_role_errors_are_located_before_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    for (yaml, piece, place) in [
        (
            "target: postgres\nroles: {r: {}}\nassume_role:\n  default: {copy: [r]}\n",
            "`assume_role:` cannot be used with `target: postgres`",
            ":3:1",
        ),
        (
            "groups: {g: {}}\nassume_role:\n  RedshiftML: {copy: [g]}\n",
            "`RedshiftML` names no IAM role",
            ":3:3",
        ),
        (
            "groups: {g: {}}\nassume_role:\n  \"arn:aws:iam::12345:role/x\": {copy: [g]}\n",
            "the account id is not 12 digits",
            ":3:3",
        ),
        (
            "groups: {g: {}}\nassume_role:\n  default: {copy: [g], usage: [g]}\n",
            "unknown key `usage`",
            ":3:24",
        ),
    ] {
        let file = write(&dir, "grants.yaml", yaml);
        let out = common::run(
            common::grantplan()
                .args(["plan", "-f"])
                .arg(&file)
                .args(["--database-url", "postgres://nobody@127.0.0.1:1/none"]),
        );
        assert_eq!(out.code, 1, "{yaml}: {}", out.stderr);
        assert!(out.stderr.contains(piece), "{yaml}: {}", out.stderr);
        assert!(out.stderr.contains(place), "{yaml}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

/// The after-commit phase on a real server: each statement alone, outside any
/// transaction block (CREATE DATABASE, which PostgreSQL refuses inside one, stands for a
/// statement Redshift may refuse there), stopping at the first failure with what ran
/// before it kept.
#[tokio::test]
async fn the_after_commit_phase_runs_each_statement_outside_a_transaction_and_stops_at_a_failure() {
    let (db, _c) = common::fresh_db("ar_phase").await;
    let client = common::connect(&common::server().admin_url(&db)).await;
    let (a, b) = (common::unique("ar_db_a"), common::unique("ar_db_b"));
    let statements = vec![
        format!("CREATE DATABASE {a}"),
        format!("CREATE DATABASE {a}"), // exists: fails
        format!("CREATE DATABASE {b}"),
    ];
    let mut seen = Vec::new();
    let done =
        grantplan::executor::run_after_commit(&client, &statements, &mut |n| seen.push(n)).await;
    assert_eq!(done.ran, 1);
    assert_eq!(done.total, 3);
    let (failed, server) = done.failed.expect("the second fails");
    assert_eq!(failed, statements[1]);
    assert!(server.contains("already exists"), "{server}");
    assert_eq!(seen, [1]);
    let exists = |name: String| {
        let client = &client;
        async move {
            client
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(exists(a.clone()).await, "the first ran and stayed");
    assert!(!exists(b.clone()).await, "the third never ran");
    // Run together in one query string they would be one implicit transaction, which
    // CREATE DATABASE refuses: the phase never does that.
    let done = grantplan::executor::run_after_commit(
        &client,
        &[format!("CREATE DATABASE {b}")],
        &mut |_| {},
    )
    .await;
    assert_eq!((done.ran, done.failed), (1, None));
    for name in [a, b] {
        client
            .batch_execute(&format!("DROP DATABASE {name}"))
            .await
            .unwrap();
    }
}

/// A role's `system:` list: the whole truth for the roles that write one, read back from
/// `svv_system_privileges` (r_SVV_SYSTEM_PRIVILEGES; its sample row is sys:superuser's
/// ALTER TABLE, left alone as a reserved role's), exported and planned again.
#[tokio::test]
async fn system_permissions_are_exact_for_the_roles_that_list_them() {
    let (db, c) = common::redshift_fixture("ar_system", &["seed_fresh.sql"]).await;
    exec(
        &c,
        "INSERT INTO redshift_catalog.svv_roles VALUES (410, 'ml_admin', 'admin', NULL),
           (411, 'etl', 'admin', NULL);
         INSERT INTO redshift_catalog.svv_system_privileges VALUES
           ('DROP MODEL', 410, 'ml_admin', 'role'),
           ('VACUUM', 410, 'ml_admin', 'role'),
           ('ANALYZE', 411, 'etl', 'role'),
           ('ALTER TABLE', 103, 'sys:superuser', 'role');",
    )
    .await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "grants.yaml",
        "target: redshift\nroles:\n  ml_admin:\n    system: [drop model, access system table, create model]\n  etl: {}\n",
    );
    // etl writes no system: its ANALYZE stays; sys:superuser's is the server's own.
    assert_eq!(
        statements(&run(&["plan"], &file, &url)),
        [
            "GRANT CREATE MODEL TO ROLE ml_admin;",
            "REVOKE VACUUM FROM ROLE ml_admin;",
            "GRANT ACCESS SYSTEM TABLE TO ROLE ml_admin;",
        ]
    );
    exec(
        &c,
        "DELETE FROM redshift_catalog.svv_system_privileges WHERE system_privilege = 'VACUUM';
         INSERT INTO redshift_catalog.svv_system_privileges VALUES
           ('ACCESS SYSTEM TABLE', 410, 'ml_admin', 'role'),
           ('CREATE MODEL', 410, 'ml_admin', 'role');",
    )
    .await;
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    export_round_trips(
        &dir,
        &url,
        "  etl:\n    members: []\n    system:\n    - analyze\n",
    );
}

/// `apply` end to end against the recreated catalog: the transaction (here with nothing
/// in it: the plan is ASSUMEROLE alone) commits, then the ASSUMEROLE statements run one
/// at a time; PostgreSQL under the look-alike has no ASSUMEROLE, so the first fails, and
/// the result says exactly what committed, how many ran, and to apply again.
#[tokio::test]
async fn apply_reports_what_committed_and_how_many_assumerole_statements_ran() {
    let (db, c) = common::redshift_fixture("ar_apply", &["seed_fresh.sql"]).await;
    exec(&c, ROWS).await;
    let url = common::server().admin_url(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "grants.yaml", YAML);
    let out = run(&["apply", "--yes"], &file, &url);
    assert!(!out.stderr.contains("in one transaction"), "{}", out.stderr);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for piece in [
        "the transaction committed (0 statements); then 0 of 4 ASSUMEROLE statements applied, \
         and the next failed, so the rest did not run",
        "statement: GRANT ASSUMEROLE ON default TO bob FOR EXTERNAL FUNCTION;",
        "run apply again to converge: it plans what is left",
    ] {
        assert!(out.stderr.contains(piece), "{piece}\n{}", out.stderr);
    }
}

/// The README's walkthrough from the IAM role to the model plans what it says: the seed's
/// four statements, then, after the comment, the ASSUMEROLE grant.
#[test]
fn the_readme_walkthrough_plans_what_it_describes() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let section = &readme[readme
        .find("### From the IAM role to the model")
        .expect("the walkthrough")..];
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    let config = grantplan::config::parse("README.md", yaml).unwrap_or_else(|e| panic!("{e:#?}"));
    let plan = grantplan::plan::plan(&config, None, Default::default()).unwrap();
    let sql = plan.sql_statements();
    assert_eq!(sql.len(), 5, "{sql:#?}");
    assert_eq!(
        sql[4],
        format!("GRANT ASSUMEROLE ON '{ARN}' TO GROUP retention_analyst_grp FOR CREATE MODEL;")
    );
    // The text quotes it (wrapped over lines, in backticks).
    let text = section
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "");
    assert!(text.contains(&sql[4]), "{}", sql[4]);
}
