//! The Redshift target against a recreated Redshift catalog.
//!
//! Redshift cannot run here. `tests/data/redshift/catalog.sql` recreates, in a real
//! PostgreSQL started by the tests, the views the Redshift reader queries, with the
//! documented names, columns and types, in a schema the database puts before
//! `pg_catalog` on its search_path; its `version()` reports Redshift's documented text.
//! The scenario files fill it. Everything else is the real thing: the binary connects
//! over the wire, detects Redshift from `version()`, runs the Redshift reader's SQL
//! unchanged, plans and renders Redshift SQL. What this cannot show is a live cluster's
//! behaviour where the documentation is silent (see redshift-reference.md).

mod common;

use common::redshift_fixture as fixture;

use common::exec;

use common::Run;
use grantplan::catalog::{self, redshift, Acl, Membership, ReadError, Snapshot};
use grantplan::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Target};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/redshift")
        .join(name)
}

fn root_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// Connection settings as the binary builds them. The test server speaks no TLS, and a
/// Redshift server reached in plaintext is refused unless that was asked for: so ask.
fn settings(url: &str) -> grantplan::db::Settings {
    let flags = grantplan::db::ConnectFlags {
        sslmode: Some(grantplan::tls::SslMode::Disable),
        ..Default::default()
    };
    grantplan::db::settings(url, &flags, &|_| None).unwrap()
}

/// Connects the way the binary does and reads with the reader the server asks for.
async fn read(url: &str) -> Result<Snapshot, ReadError> {
    let session = grantplan::db::connect(&settings(url), Some(Target::Redshift))
        .await
        .unwrap();
    assert_eq!(session.target, Target::Redshift, "{}", session.evidence);
    catalog::read(&session.client, session.target).await
}

/// The binary, told that plaintext is fine: the test server speaks no TLS, which
/// grantplan refuses for Redshift unless asked.
fn grantplan() -> assert_cmd::Command {
    let mut cmd = common::grantplan();
    cmd.env("PGSSLMODE", "disable");
    cmd
}

fn run(args: &[&str], file: &Path, url: &str) -> Run {
    common::run(
        grantplan()
            .args(args)
            .arg("-f")
            .arg(file)
            .arg("--database-url")
            .arg(url),
    )
}

/// Output with the per-run parts (port, database name) replaced, for snapshots.
fn stable(text: &str, db: &str) -> String {
    let port = common::server().port().to_string();
    text.replace(&format!(":{port}/"), ":PORT/")
        .replace(db, "DB")
}

fn group(n: &str) -> Grantee {
    Grantee::principal(PrincipalKind::Group, n)
}

fn acl(grantee: Grantee, privilege: Privilege) -> Acl {
    Acl {
        grantee,
        privilege,
        grant_option: false,
    }
}

#[tokio::test]
async fn the_reader_decodes_every_view_of_the_drift_scenario() {
    let (db, _c) = fixture("rs_read", &["seed_fresh.sql", "converged.sql", "drift.sql"]).await;
    let snap = read(&common::server().admin_url(&db)).await.unwrap();
    assert_eq!(snap.target, Target::Redshift);
    assert!(snap.server.version.contains("Redshift 1.0.77467"));
    assert!(snap.server.login_superuser);

    // Principals: users from pg_user, groups from pg_group, roles from svv_roles.
    let names = |kind| -> Vec<&str> {
        snap.principals
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.name.as_str())
            .collect()
    };
    assert_eq!(
        names(PrincipalKind::Group),
        ["interns", "marketing_analyst_grp", "retention_analyst_grp"]
    );
    assert!(names(PrincipalKind::Role).contains(&"ml_admin"));
    assert!(names(PrincipalKind::Role).contains(&"sys:dba"));
    assert!(names(PrincipalKind::User).contains(&"rdsdb"));
    let rdsdb = snap.principals.iter().find(|p| p.name == "rdsdb").unwrap();
    assert!(rdsdb.superuser && rdsdb.login);

    // Group members through grolist; role-to-role grants point from holder to granted.
    let member = |parent: (PrincipalKind, &str), member: (PrincipalKind, &str)| Membership {
        parent: Principal::new(parent.0, parent.1),
        member: Principal::new(member.0, member.1),
    };
    for m in [
        member(
            (PrincipalKind::Group, "retention_analyst_grp"),
            (PrincipalKind::User, "alice"),
        ),
        member(
            (PrincipalKind::Group, "retention_analyst_grp"),
            (PrincipalKind::User, "bob"),
        ),
        member(
            (PrincipalKind::Group, "interns"),
            (PrincipalKind::User, "dave"),
        ),
        member(
            (PrincipalKind::Role, "sys:operator"),
            (PrincipalKind::Role, "sys:dba"),
        ),
    ] {
        assert!(
            snap.memberships.contains(&m),
            "{m:?}: {:?}",
            snap.memberships
        );
    }

    // Schemas: system schemas left out; SCHEMA-scope CREATE/USAGE only.
    let schemas: Vec<_> = snap
        .objects_of(ObjectKind::Schema)
        .iter()
        .map(|s| s.parts().first)
        .collect();
    assert_eq!(schemas, ["demo_ml", "public"]);
    let demo = &snap.objects_of(ObjectKind::Schema)[0];
    assert_eq!(demo.owner, "postgres");
    let user = |n: &str| Grantee::principal(PrincipalKind::User, n);
    assert_eq!(
        demo.grants,
        vec![
            acl(group("interns"), Privilege::Usage),
            acl(group("marketing_analyst_grp"), Privilege::Usage),
            acl(group("retention_analyst_grp"), Privilege::Usage),
            acl(user("dave"), Privilege::Usage),
            acl(user("postgres"), Privilege::Create),
            acl(user("postgres"), Privilege::Usage),
        ]
    );

    // Models: blank padding trimmed, one entry per model whatever the versions.
    assert_eq!(snap.objects_of(ObjectKind::Model).len(), 1);
    let m = &snap.objects_of(ObjectKind::Model)[0];
    assert_eq!(
        (m.object.display_name().as_str(), m.owner.as_str()),
        ("demo_ml.customer_churn_auto_model", "postgres")
    );
    assert_eq!(
        m.grants,
        vec![
            acl(group("interns"), Privilege::Execute),
            acl(group("marketing_analyst_grp"), Privilege::Execute),
            acl(Grantee::Public, Privilege::Execute),
        ]
    );

    // CREATE MODEL: svv_language_privileges (mlfunc rows only) united with lanacl items.
    assert_eq!(
        snap.create_model,
        vec![
            group("interns"),
            group("retention_analyst_grp"),
            Grantee::principal(PrincipalKind::Role, "ml_admin"),
            Grantee::principal(PrincipalKind::Role, "sys:dba"),
            user("rdsdb"),
        ]
    );

    // The model's prediction function (language mlfunc) is not a managed function.
    assert!(
        snap.objects_of(ObjectKind::Function).is_empty(),
        "{:?}",
        snap.objects_of(ObjectKind::Function)
    );
}

#[tokio::test]
async fn functions_models_and_roles_of_the_contract_scenario() {
    let (db, _c) = fixture("rs_contract", &["seed_fresh.sql", "contract.sql"]).await;
    let snap = read(&common::server().admin_url(&db)).await.unwrap();
    let sigs: Vec<_> = snap
        .objects_of(ObjectKind::Function)
        .iter()
        .map(|f| f.object.display_name())
        .collect();
    // Overloads with oidvectortypes' text; the procedure and the prediction function
    // are left out.
    assert_eq!(
        sigs,
        [
            "demo_ml.score_customer(character varying, integer)",
            "demo_ml.score_customer(integer)"
        ]
    );
    assert_eq!(
        snap.objects_of(ObjectKind::Function)[0].grants,
        vec![acl(Grantee::Public, Privilege::Execute)]
    );
    let models: Vec<_> = snap
        .objects_of(ObjectKind::Model)
        .iter()
        .map(|m| m.parts().second.unwrap())
        .collect();
    assert_eq!(models, ["customer_churn_auto_model", "ltv_model"]);
    assert!(snap.memberships.contains(&Membership {
        parent: Principal::new(PrincipalKind::Role, "ml_admin"),
        member: Principal::new(PrincipalKind::User, "dave"),
    }));
}

/// The seed scenario, planned from the fixture with the shipped grants.yaml: exactly the
/// seed document's four statements.
#[tokio::test]
async fn the_seed_scenario_plans_the_seed_statements() {
    let (db, _c) = fixture("rs_seed", &["seed_fresh.sql"]).await;
    let url = common::server().admin_url(&db);
    let out = run(&["plan"], &root_file("grants.yaml"), &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<_> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "-- plan for postgres@127.0.0.1:{}/{db} (redshift)",
            common::server().port()
        )
    );
    assert_eq!(
        &lines[1..],
        [
            "GRANT CREATE MODEL TO GROUP retention_analyst_grp;",
            "GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;",
            "GRANT USAGE ON SCHEMA demo_ml TO GROUP marketing_analyst_grp;",
            "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;",
        ]
    );
    assert!(out.stderr.is_empty(), "no warnings: {}", out.stderr);
}

#[tokio::test]
async fn a_converged_cluster_plans_nothing_even_spelled_in_another_case() {
    let (db, _c) = fixture("rs_conv", &["seed_fresh.sql", "converged.sql"]).await;
    let url = common::server().admin_url(&db);
    let out = run(
        &["plan", "--detailed-exitcode"],
        &root_file("grants.yaml"),
        &url,
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);

    // Redshift folds ASCII names: `Demo_ML` in the file is `demo_ml` in the catalog.
    let shipped = std::fs::read_to_string(root_file("grants.yaml")).unwrap();
    let spelled = shipped
        .replace("demo_ml", "Demo_ML")
        .replace("retention_analyst_grp", "Retention_Analyst_Grp");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, spelled).unwrap();
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("-- no changes"), "{}", out.stdout);
    assert!(
        out.stderr.contains("Redshift folds it to `demo_ml`") || out.stderr.contains("`demo_ml`"),
        "the spelling difference is pointed out: {}",
        out.stderr
    );
}

#[tokio::test]
async fn drift_is_revoked_or_warned_and_restored() {
    let (db, _c) = fixture(
        "rs_drift",
        &["seed_fresh.sql", "converged.sql", "drift.sql"],
    )
    .await;
    let url = common::server().admin_url(&db);
    let out = run(
        &["plan", "--detailed-exitcode"],
        &root_file("grants.yaml"),
        &url,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!("redshift_drift_authoritative", stable(&out.stdout, &db));

    // The same drift as states: who holds what now, and with the file.
    let diff = run(&["diff"], &root_file("grants.yaml"), &url);
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    insta::assert_snapshot!(
        "redshift_drift_diff",
        stable(&diff.stdout, &db).replace(
            &root_file("grants.yaml").display().to_string(),
            "grants.yaml"
        )
    );

    let additive = std::fs::read_to_string(root_file("grants.yaml"))
        .unwrap()
        .replace("mode: authoritative", "mode: additive");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, additive).unwrap();
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!out.stdout.contains("REVOKE"), "{}", out.stdout);
    insta::assert_snapshot!(
        "redshift_drift_additive",
        format!(
            "{}\n--- stderr ---\n{}",
            stable(&out.stdout, &db),
            out.stderr
                .replace(&file.display().to_string(), "grants.yaml")
        )
    );
}

#[tokio::test]
async fn the_contract_example_against_a_richer_cluster() {
    let (db, _c) = fixture("rs_contract_plan", &["seed_fresh.sql", "contract.sql"]).await;
    let url = common::server().admin_url(&db);
    let out = run(&["plan"], &data("contract.yaml"), &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("redshift_contract", stable(&out.stdout, &db));

    // The same plan from a snapshot file, with no database.
    let snap = grantplan()
        .args(["snapshot", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(
        snap.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&snap.stderr)
    );
    let json = String::from_utf8(snap.stdout).unwrap();
    assert!(json.contains("\"target\": \"redshift\""), "{json}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    std::fs::write(&path, &json).unwrap();
    let offline = grantplan()
        .args(["plan", "-f"])
        .arg(data("contract.yaml"))
        .arg("--catalog")
        .arg(&path)
        .output()
        .unwrap();
    let offline_out = String::from_utf8(offline.stdout).unwrap();
    assert_eq!(
        offline_out.lines().skip(1).collect::<Vec<_>>(),
        out.stdout.lines().skip(1).collect::<Vec<_>>()
    );
}

/// A login that is neither superuser nor holds ACCESS SYSTEM TABLE sees part of the
/// catalog: refused before any grant is read, and nothing is planned. Given the
/// permission through a role, the same login plans.
#[tokio::test]
async fn a_login_without_visibility_is_refused() {
    let (db, c) = fixture("rs_vis", &["seed_fresh.sql", "converged.sql"]).await;
    let viewer = common::unique("viewer");
    exec(&c, &common::redshift_viewer_sql(&viewer)).await;
    let url = common::server().url(&db, &viewer);
    let out = run(&["plan"], &root_file("grants.yaml"), &url);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("the login `{viewer}` is not a superuser")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("ACCESS SYSTEM TABLE"), "{}", out.stderr);
    let snapshot = grantplan()
        .args(["snapshot", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(snapshot.status.code(), Some(1), "snapshot refuses too");

    // Granted through a role that holds the permission: it sees everything.
    exec(&c, &common::redshift_access_system_table_sql(&viewer)).await;
    // It sees every grant, but Redshift shows a non-superuser only its own models
    // (r_SVV_ML_MODEL_INFO): the shipped file names a model, so nothing is planned...
    let out = run(
        &["plan", "--detailed-exitcode"],
        &root_file("grants.yaml"),
        &url,
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!(
            "the login `{viewer}` is not a superuser, and Redshift shows a non-superuser only \
             the models it owns"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("grants.yaml:"),
        "located: {}",
        out.stderr
    );
    // ...and apply sends no statement: the plan is refused before any GRANT or REVOKE.
    exec(&c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await;
    exec(&c, "SELECT pg_stat_statements_reset()").await;
    let out = run(&["apply", "--yes"], &root_file("grants.yaml"), &url);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("only the models it owns"),
        "{}",
        out.stderr
    );
    let sent: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid \
             WHERE r.rolname = $1 AND (s.query ILIKE '%GRANT %' OR s.query ILIKE '%REVOKE %')",
            &[&viewer],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sent, 0, "no GRANT or REVOKE reached the server");

    // A file without models: is planned from the same read.
    let shipped = std::fs::read_to_string(root_file("grants.yaml")).unwrap();
    let no_models = shipped.split("\nmodels:").next().unwrap();
    assert!(!no_models.contains("customer_churn"), "{no_models}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, no_models).unwrap();
    let out = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

/// The reader runs a fixed set of statements, whatever the catalog holds (counted on
/// the server with pg_stat_statements, preloaded by the harness).
#[tokio::test]
async fn the_number_of_statements_does_not_depend_on_the_catalog_size() {
    let s = common::server();
    let (db, c) = fixture("rs_count", &["seed_fresh.sql", "converged.sql"]).await;
    exec(&c, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await;
    let reader = common::unique("rs_reader");
    exec(
        &c,
        &format!(
            "CREATE ROLE {} LOGIN SUPERUSER; INSERT INTO redshift_catalog.pg_user (usename, usesysid, usesuper) VALUES ('{reader}', 901, true);",
            common::quote_ident(&reader)
        ),
    )
    .await;
    // The fixture's version() is an SQL function, and pg_stat_statements counts its body
    // (`SELECT $1::text`) as a statement of its own: that one is the fixture's, not the
    // reader's, and is left out of the count.
    let counted = || async {
        c.query_one(
            "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s \
             WHERE s.userid = (SELECT oid FROM pg_roles WHERE rolname = $1) \
             AND s.dbid = (SELECT oid FROM pg_database WHERE datname = $2) \
             AND s.query <> 'SELECT $1::text'",
            &[&reader, &db],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", common::describe(&e)))
        .get::<_, i64>(0)
    };
    let url = s.url(&db, &reader);
    let session = grantplan::db::connect(&settings(&url), Some(Target::Redshift))
        .await
        .unwrap();

    let before = counted().await;
    let small = redshift::read(&session.client).await.unwrap();
    let small_count = counted().await - before;

    let mut sql = String::new();
    for i in 0..300 {
        sql.push_str(&format!(
            "INSERT INTO redshift_catalog.pg_namespace VALUES ({oid}, 'ml_{i}', 100, NULL);
             INSERT INTO redshift_catalog.svv_schema_privileges VALUES ('ml_{i}', 'USAGE', 201, 'marketing_analyst_grp', 'group', false, 'SCHEMA');
             INSERT INTO redshift_catalog.svv_ml_model_info VALUES ('{db}', 'ml_{i}', 'postgres', 'model_{i}', 'PERSISTED', 0, 'READY');
             INSERT INTO redshift_catalog.svv_ml_model_privileges VALUES ('ml_{i}', 'model_{i}', 1, 'EXECUTE', 201, 'marketing_analyst_grp', 'group', false);\n",
            oid = 400000 + i
        ));
    }
    exec(&c, &sql).await;
    let before = counted().await;
    let big = redshift::read(&session.client).await.unwrap();
    let big_count = counted().await - before;

    // BEGIN, the queries, COMMIT.
    let expected = (redshift::QUERIES.len() + 2) as i64;
    assert_eq!(small_count, expected, "statements for a small catalog");
    assert_eq!(big_count, expected, "statements for a large catalog");
    assert_eq!(small.objects_of(ObjectKind::Model).len(), 1);
    assert_eq!(big.objects_of(ObjectKind::Model).len(), 301);
    assert_eq!(big.objects_of(ObjectKind::Schema).len(), 302);
}

/// Redshift reserves words PostgreSQL does not (r_pg_keywords): a group, user, schema,
/// model and function named by them are written quoted, and the plan reads back.
#[tokio::test]
async fn names_redshift_reserves_are_quoted() {
    let (db, c) = fixture("rs_reserved", &["seed_fresh.sql"]).await;
    exec(
        &c,
        "INSERT INTO redshift_catalog.pg_user (usename, usesysid) VALUES ('wallet', 110);
         INSERT INTO redshift_catalog.pg_group (groname, grosysid, grolist) VALUES
             ('permissions', 210, '{110}');
         INSERT INTO redshift_catalog.pg_namespace (oid, nspname, nspowner, nspacl) VALUES
             (200200, 'offline', 100, NULL);
         INSERT INTO redshift_catalog.svv_ml_model_info VALUES
             (current_database(), 'offline', current_user, 'tdes', 'PERSISTED', 0, 'READY');
         INSERT INTO redshift_catalog.pg_proc_info VALUES
             (300200, 'sysdate', 200200, 100, 14, '23', 'f');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(
        &file,
        "groups:\n  permissions: {create_model: true, members: [wallet]}\nusers:\n  wallet: {}\n\
         schemas:\n  offline: {usage: [permissions, wallet]}\n\
         models:\n  offline.tdes: {execute: [permissions]}\n\
         functions:\n  offline.sysdate: {execute: [wallet]}\n",
    )
    .unwrap();
    let url = common::server().admin_url(&db);
    let out = run(&["plan"], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            "GRANT CREATE MODEL TO GROUP \"permissions\";",
            "GRANT USAGE ON SCHEMA",
            "    \"offline\"",
            "  TO",
            "    GROUP \"permissions\",",
            "    \"wallet\";",
            "GRANT EXECUTE ON MODEL \"offline\".\"tdes\" TO GROUP \"permissions\";",
            "GRANT EXECUTE ON FUNCTION \"offline\".\"sysdate\"(integer) TO \"wallet\";",
        ],
        "{}",
        out.stderr
    );
}

/// Models of another database (svv_ml_model_info.database_name) are not this one's, nor
/// are their grants, which svv_ml_model_privileges shows for the whole cluster; external
/// and datashare schemas are left out of globs (one warning) and refused by name.
#[tokio::test]
async fn another_databases_models_and_non_local_schemas_are_not_managed() {
    let (db, _c) = fixture(
        "rs_beyond",
        &[
            "seed_fresh.sql",
            "converged.sql",
            "beyond_this_database.sql",
        ],
    )
    .await;
    let url = common::server().admin_url(&db);
    let snap = read(&url).await.unwrap();
    let models: Vec<_> = snap
        .objects_of(ObjectKind::Model)
        .iter()
        .map(|m| m.parts().second.unwrap())
        .collect();
    assert_eq!(models, ["customer_churn_auto_model"]);
    let schemas: Vec<_> = snap
        .objects_of(ObjectKind::Schema)
        .iter()
        .map(|s| s.parts().first)
        .collect();
    assert_eq!(schemas, ["demo_ml", "public", "sales_local"]);
    let non_local: Vec<_> = snap
        .non_local_schemas
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    assert_eq!(
        non_local,
        [
            ("sales_share", catalog::NonLocalKind::Datashare),
            ("spectrum", catalog::NonLocalKind::External)
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    let shipped = std::fs::read_to_string(root_file("grants.yaml")).unwrap();
    std::fs::write(
        &file,
        format!("{shipped}\n  \"demo_ml.*\":\n    execute: [retention_analyst_grp]\n").replace(
            "schemas:\n",
            "schemas:\n  \"s*\":\n    create: [retention_analyst_grp]\n",
        ),
    )
    .unwrap();
    let out = run(&["plan"], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Only the local schema gets CREATE; the glob over demo_ml's models matches this
    // database's model only: the other database's is neither granted on nor revoked from.
    assert_eq!(
        out.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            "GRANT CREATE ON SCHEMA sales_local TO GROUP retention_analyst_grp;",
            "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP retention_analyst_grp;"
        ],
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("not this database's own").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "leave out 2 schema(s) that are not this database's own: sales_share (a datashare \
             schema), spectrum (an external schema)"
        ),
        "{}",
        out.stderr
    );

    // Named, an external schema is a located error, and nothing is planned.
    std::fs::write(
        &file,
        shipped.replace(
            "schemas:\n",
            "schemas:\n  spectrum:\n    usage: [marketing_analyst_grp]\n",
        ),
    )
    .unwrap();
    let out = run(&["plan"], &file, &url);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("schema spectrum is an external schema, not this database's own"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("grants.yaml:"),
        "located: {}",
        out.stderr
    );
}

/// `GRANT CREATE MODEL TO ROLE r` is also the RBAC system permission's grammar (r_GRANT):
/// recorded in svv_system_privileges only, a role's CREATE MODEL is seen and converges;
/// recorded in svv_language_privileges only, too.
#[tokio::test]
async fn a_roles_create_model_converges_wherever_it_is_recorded() {
    let yaml =
        "groups:\n  retention_analyst_grp: {create_model: true}\n  marketing_analyst_grp: {}\n\
                roles:\n  ml_builders: {create_model: true}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, yaml).unwrap();
    for (hint, recorded) in [
        (
            "rs_cm_system",
            "INSERT INTO redshift_catalog.svv_system_privileges VALUES
                 ('CREATE MODEL', 410, 'ml_builders', 'role');",
        ),
        (
            "rs_cm_language",
            "INSERT INTO redshift_catalog.svv_language_privileges VALUES
                 ('mlfunc', 'USAGE', 410, 'ml_builders', 'role', false);",
        ),
    ] {
        let (db, c) = fixture(hint, &["seed_fresh.sql", "converged.sql"]).await;
        exec(
            &c,
            &format!(
                "INSERT INTO redshift_catalog.svv_roles VALUES (410, 'ml_builders', 'postgres', NULL);
                 {recorded}"
            ),
        )
        .await;
        let url = common::server().admin_url(&db);
        let snap = read(&url).await.unwrap();
        assert!(
            snap.create_model
                .contains(&Grantee::principal(PrincipalKind::Role, "ml_builders")),
            "{hint}: {:?}",
            snap.create_model
        );
        let out = run(&["plan", "--detailed-exitcode"], &file, &url);
        assert_eq!(out.code, 0, "{hint}: {}\n{}", out.stdout, out.stderr);
    }
}

/// Default privileges from `svv_default_privileges` (r_SVV_DEFAULT_PRIVILEGES), one row
/// per privilege: gathered into one entry per (owner, schema, kind), a NULL schema_name
/// being the global entry; RELATION, FUNCTION and PROCEDURE are tables, functions and
/// procedures, any other object_type is skipped; grantees of every grantee_type the page
/// lists (user, role, public) and group, which its grantee_id allows; admin_option is
/// the grant option; privileges Redshift does not take on the kind (RULE, TRIGGER) are
/// left out, the entry kept.
#[tokio::test]
async fn default_privileges_are_read_from_svv_default_privileges() {
    let (db, c) = fixture("rs_defaults", &["seed_fresh.sql"]).await;
    exec(
        &c,
        r#"INSERT INTO redshift_catalog.svv_default_privileges
               (schema_name, object_type, owner_id, owner_name, owner_type, privilege_type,
                grantee_id, grantee_name, grantee_type, admin_option) VALUES
           (NULL, 'RELATION', 101, 'alice', 'user', 'SELECT', 102, 'bob', 'user', false),
           (NULL, 'RELATION', 101, 'alice', 'user', 'RULE', 102, 'bob', 'user', false),
           (NULL, 'RELATION', 101, 'alice', 'user', 'TRIGGER', 102, 'bob', 'user', false),
           ('public', 'RELATION', 101, 'alice', 'user', 'INSERT', 201, 'marketing_analyst_grp', 'group', true),
           ('public', 'RELATION', 101, 'alice', 'user', 'DROP', 400, 'ml_admin', 'role', false),
           ('demo_ml', 'FUNCTION', 101, 'alice', 'user', 'EXECUTE', 0, NULL, 'public', false),
           (NULL, 'PROCEDURE', 101, 'alice', 'user', 'EXECUTE', 400, 'ml_admin', 'role', true),
           ('we"ird; select ü', 'FUNCTION', 103, 'carol "c"; ü', 'user', 'EXECUTE', 102, 'bob', 'user', false),
           (NULL, 'RELATION', 103, 'carol "c"; ü', 'user', 'RULE', 102, 'bob', 'user', false),
           (NULL, 'TYPE', 101, 'alice', 'user', 'USAGE', 102, 'bob', 'user', false)"#,
    )
    .await;
    let snap = read(&common::server().admin_url(&db)).await.unwrap();

    let user = |n: &str| Grantee::principal(PrincipalKind::User, n);
    let role = |n: &str| Grantee::principal(PrincipalKind::Role, n);
    let with_option = |a: Acl| Acl {
        grant_option: true,
        ..a
    };
    let entry = |role: &str, schema: Option<&str>, of, mut grants: Vec<Acl>| {
        grants.sort();
        catalog::DefaultInfo {
            role: role.into(),
            schema: schema.map(str::to_string),
            of,
            grants,
        }
    };
    let odd = "carol \"c\"; ü";
    let mut expected = vec![
        entry(
            "alice",
            None,
            ObjectKind::Table,
            vec![acl(user("bob"), Privilege::Select)],
        ),
        entry(
            "alice",
            Some("public"),
            ObjectKind::Table,
            vec![
                with_option(acl(group("marketing_analyst_grp"), Privilege::Insert)),
                acl(role("ml_admin"), Privilege::Drop),
            ],
        ),
        entry(
            "alice",
            Some("demo_ml"),
            ObjectKind::Function,
            vec![acl(Grantee::Public, Privilege::Execute)],
        ),
        entry(
            "alice",
            None,
            ObjectKind::Procedure,
            vec![with_option(acl(role("ml_admin"), Privilege::Execute))],
        ),
        entry(
            odd,
            Some("we\"ird; select ü"),
            ObjectKind::Function,
            vec![acl(user("bob"), Privilege::Execute)],
        ),
        // Its one row's privilege is not one Redshift takes on tables: an entry with none.
        entry(odd, None, ObjectKind::Table, vec![]),
    ];
    expected.sort();
    assert_eq!(snap.default_privileges, expected);
    assert_eq!(Snapshot::from_json(&snap.to_json()).unwrap(), snap);
}
