//! `grantplan doctor` against a real PostgreSQL and the recreated Redshift catalog:
//! the checklist and its exit code (1 when something blocks).

mod common;

use common::exec;

use common::Run;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/redshift")
        .join(name)
}

fn doctor(file: Option<&Path>, url: &str) -> Run {
    let mut cmd = common::grantplan();
    // The test server speaks no TLS; Redshift would be refused in plaintext by default.
    cmd.env("PGSSLMODE", "disable")
        .args(["doctor", "--database-url", url]);
    if let Some(f) = file {
        cmd.arg("-f").arg(f);
    }
    // Not the repository root: no ./grants.yaml is picked up unless given.
    cmd.current_dir(std::env::temp_dir());
    common::run(&mut cmd)
}

/// A line of the checklist starting with `status` and `topic`.
fn line<'a>(out: &'a str, status: &str, topic: &str) -> Option<&'a str> {
    out.lines()
        .find(|l| l.starts_with(status) && l[4..].trim_start().starts_with(topic))
}

#[tokio::test]
async fn postgres_superuser_and_a_plain_login() {
    let (db, client) = common::fresh_db("doctor_pg").await;
    let group = common::unique("readers");
    let plain = common::unique("plain");
    exec(
        &client,
        &format!("CREATE SCHEMA app; CREATE ROLE {plain} LOGIN;"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(
        &file,
        format!("target: postgres\ngroups:\n  {group}: {{}}\nschemas:\n  app: {{usage: [{group}]}}\n  reports: {{usage: [{group}]}}\n"),
    )
    .unwrap();

    let out = doctor(Some(&file), &common::server().admin_url(&db));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(line(&out.stdout, "pass", "login")
        .unwrap()
        .contains("`postgres` (logged in with no password) is a superuser"));
    assert!(line(&out.stdout, "pass", "server")
        .unwrap()
        .contains("a postgres server"));
    let missing = line(&out.stdout, "warn", "declared").unwrap();
    assert!(
        missing.contains(&format!("role {group} does not exist")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: apply creates it"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("no schema matches `reports`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 statements would bring"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("IAM role"), "no IAM on PostgreSQL");

    // A login that may not create roles: the missing role blocks apply.
    let out = doctor(Some(&file), &common::server().url(&db, &plain));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        line(&out.stdout, "FAIL", "declared")
            .unwrap()
            .contains(&format!("role {group} does not exist")),
        "{}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "warn", "login")
            .unwrap()
            .contains("cannot create roles (no CREATEROLE)"),
        "{}",
        out.stdout
    );
    // It may not grant on a schema it does not own either: apply would fail with 42501.
    assert!(
        line(&out.stdout, "FAIL", "grantable")
            .unwrap()
            .contains(&format!(
                "{plain} may not grant or revoke on 1 object the plan changes, owning neither \
                 them nor the privileges WITH GRANT OPTION: schema app (owner postgres)"
            )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.trim_end().ends_with("2 blockers, 3 warnings"),
        "{}",
        out.stdout
    );
    // As the schema's owner it may.
    exec(&client, &format!("ALTER SCHEMA app OWNER TO {plain}")).await;
    let out = doctor(Some(&file), &common::server().url(&db, &plain));
    assert!(
        line(&out.stdout, "pass", "grantable")
            .is_some_and(|l| l.contains("may run every statement of the plan")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.trim_end().ends_with("1 blocker, 3 warnings"),
        "only the missing role blocks: {}",
        out.stdout
    );

    // Without a grants.yaml only the connection and the login are checked.
    let out = doctor(None, &common::server().admin_url(&db));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("no grants.yaml here"), "{}", out.stderr);
    assert!(line(&out.stdout, "pass", "declared").is_none());
}

/// Default privileges may be changed only by their role (or a member of it) or a
/// superuser: doctor names the ones the login may not change, and passes once it may.
#[tokio::test]
async fn default_privileges_are_grantable_only_by_their_role() {
    let (db, client) = common::fresh_db("doctor_defaults").await;
    let plain = common::unique("dplain");
    let etl = common::unique("detl");
    let an = common::unique("dan");
    exec(
        &client,
        &format!("CREATE ROLE {plain} LOGIN; CREATE ROLE {etl}; CREATE ROLE {an};"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(
        &file,
        format!(
            "target: postgres\nroles:\n  {plain}: {{}}\n  {etl}: {{}}\n  {an}: {{}}\n\
             default_privileges:\n  - for: {etl}\n    tables: {{select: [{an}]}}\n  \
             - for: {plain}\n    tables: {{select: [{an}]}}\n"
        ),
    )
    .unwrap();
    let out = doctor(Some(&file), &common::server().url(&db, &plain));
    let refused =
        line(&out.stdout, "FAIL", "grantable").unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        refused.ends_with(&format!(
            "may not grant or revoke on 1 object the plan changes, owning neither them nor the \
             privileges WITH GRANT OPTION: the default privileges of {etl} on tables (for {etl})"
        )),
        "{refused}"
    );
    exec(&client, &format!("GRANT {etl} TO {plain}")).await;
    let out = doctor(Some(&file), &common::server().url(&db, &plain));
    assert!(
        line(&out.stdout, "pass", "grantable")
            .is_some_and(|l| l.contains("may run every statement of the plan")),
        "{}",
        out.stdout
    );
}

/// The seed's cluster, checked with the shipped grants.yaml: a superuser passes; the
/// IAM checks see the default role and the ASSUMEROLE grants.
#[tokio::test]
async fn redshift_fixture_checklist() {
    let (db, client) = common::fresh_db("doctor_rs").await;
    for f in ["catalog.sql", "seed_fresh.sql"] {
        exec(&client, &std::fs::read_to_string(data(f)).unwrap()).await;
    }
    exec(
        &client,
        &format!(
            "ALTER DATABASE {} SET search_path = redshift_catalog, pg_catalog",
            common::quote_ident(&db)
        ),
    )
    .await;
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("grants.yaml");
    let url = common::server().admin_url(&db);
    let out = doctor(Some(&shipped), &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let port = common::server().port().to_string();
    insta::assert_snapshot!(
        "doctor_redshift_seed",
        out.stdout
            .replace(&format!(":{port}/{db}"), ":PORT/DB")
            .replace(&shipped.display().to_string(), "grants.yaml")
    );

    // A default role, and ASSUMEROLE restricted to COPY for everyone: the group that
    // builds models cannot use the role for CREATE MODEL.
    exec(
        &client,
        "CREATE OR REPLACE FUNCTION redshift_catalog.default_iam_role() RETURNS text \
         LANGUAGE sql STABLE AS $$ SELECT 'arn:aws:iam::123456789012:role/RedshiftML'::text $$;
         INSERT INTO redshift_catalog.svv_iam_privileges VALUES
           ('arn:aws:iam::123456789012:role/RedshiftML', 'COPY', 0, 'public', 'public');",
    )
    .await;
    let out = doctor(Some(&shipped), &url);
    assert_eq!(out.code, 0, "warnings only: {}", out.stdout);
    assert!(
        line(&out.stdout, "pass", "IAM role")
            .unwrap()
            .contains("arn:aws:iam::123456789012:role/RedshiftML"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("fix: as a superuser: GRANT ASSUMEROLE ON 'arn:aws:iam::123456789012:role/RedshiftML' TO GROUP retention_analyst_grp FOR CREATE MODEL;"),
        "{}",
        out.stdout
    );

    // A login without visibility, and without the power to grant CREATE MODEL.
    let viewer = common::unique("viewer");
    exec(&client, &common::redshift_viewer_sql(&viewer)).await;
    let out = doctor(Some(&shipped), &common::server().url(&db, &viewer));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(line(&out.stdout, "FAIL", "login")
        .unwrap()
        .contains("only a superuser grants CREATE MODEL"));
    assert!(line(&out.stdout, "FAIL", "catalog")
        .unwrap()
        .contains("sees only part of the catalog"));
    assert!(out.stdout.contains("ACCESS SYSTEM TABLE"), "{}", out.stdout);
    // svv_iam_privileges shows such a login only what it has access to: an empty list
    // does not mean IAM role use is unrestricted (r_SVV_IAM_PRIVILEGES).
    let assume = line(&out.stdout, "warn", "ASSUMEROLE").unwrap();
    assert!(
        assume.contains("cannot tell who may use which IAM role"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("not restricted"), "{}", out.stdout);

    // With ACCESS SYSTEM TABLE (through a role) it sees every grant but only its own
    // models: the shipped file names a model, so that is a blocker, and says why.
    exec(&client, &common::redshift_access_system_table_sql(&viewer)).await;
    let out = doctor(Some(&shipped), &common::server().url(&db, &viewer));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let catalog = line(&out.stdout, "FAIL", "catalog").unwrap();
    assert!(
        catalog.contains(&format!(
            "read every grant, but `{viewer}` is not a superuser, and Redshift shows a \
             non-superuser only the models it owns"
        )) && catalog.contains("the models: section cannot be planned by this login"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("fix: plan and apply models as a superuser"),
        "{}",
        out.stdout
    );
    // Now it sees svv_iam_privileges whole: an empty one means unrestricted... except
    // the COPY-only row above, which leaves the model builders without CREATE MODEL.
    assert!(
        out.stdout.contains("holds no ASSUMEROLE for CREATE MODEL"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreachable_server_is_one_failed_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = doctor(None, &format!("postgres://ci:hunter2@127.0.0.1:{port}/dev"));
    assert_eq!(out.code, 1);
    assert!(
        line(&out.stdout, "FAIL", "connection")
            .unwrap()
            .contains(&format!("cannot connect to ci@127.0.0.1:{port}/dev")),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout.matches("cannot connect to").count(),
        1,
        "the server is named once: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"));
}
