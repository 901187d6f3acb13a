//! plan and apply against a real PostgreSQL server started by the tests (tests/common).
//! Each test has its own database and its own role names (roles are cluster-wide).

mod common;

use common::run_with as run;

use common::grantplan;
use std::collections::BTreeSet;
use std::path::PathBuf;
use tokio_postgres::Client;

fn write_config(dir: &tempfile::TempDir, yaml: &str) -> PathBuf {
    let path = dir.path().join("grants.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// `(grantee, privilege)` pairs of a schema's ACL, PUBLIC as "public".
async fn schema_acl(client: &Client, schema: &str) -> BTreeSet<(String, String)> {
    let rows = client
        .query(
            "SELECT coalesce(r.rolname, 'public')::text, a.privilege_type::text
               FROM pg_namespace n,
                    aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
               LEFT JOIN pg_roles r ON r.oid = a.grantee
              WHERE n.nspname = $1",
            &[&schema],
        )
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn has(acl: &BTreeSet<(String, String)>, grantee: &str, privilege: &str) -> bool {
    acl.contains(&(grantee.to_string(), privilege.to_string()))
}

async fn role_exists(client: &Client, name: &str) -> bool {
    client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn apply_converges_and_drift_is_corrected_both_ways() {
    let (db, client) = common::fresh_db("converge").await;
    let url = common::server().admin_url(&db);
    let readers = common::unique("readers");
    let writers = common::unique("writers");
    let alice = common::unique("alice");
    let intruder = common::unique("intruder");
    client
        .batch_execute(&format!(
            "CREATE SCHEMA app; CREATE SCHEMA reports;
             CREATE ROLE {alice} LOGIN; CREATE ROLE {intruder} NOLOGIN;"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!(
            "target: postgres
groups:
  {readers}:
    members: [{alice}]
roles:
  {writers}: {{}}
schemas:
  app:
    create: [{writers}]
    usage: [{writers}, {readers}]
  reports:
    usage: [{readers}]
"
        ),
    );

    let first = run(&["apply", "--yes"], &file, &url);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .stdout
            .contains(&format!("CREATE ROLE {readers} NOLOGIN;")),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains(&format!("GRANT {readers} TO {alice};")),
        "{}",
        first.stdout
    );
    assert!(
        first.stderr.contains("in one transaction"),
        "{}",
        first.stderr
    );
    let acl = schema_acl(&client, "app").await;
    assert!(
        has(&acl, &writers, "CREATE") && has(&acl, &writers, "USAGE"),
        "{acl:?}"
    );
    assert!(
        has(&acl, &readers, "USAGE") && !has(&acl, &readers, "CREATE"),
        "{acl:?}"
    );

    // Converged: nothing left to do, exit 0 with --detailed-exitcode.
    let again = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("-- no changes"), "{}", again.stdout);

    // Drift: a grant added by hand is revoked; a grant removed by hand comes back.
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA reports TO {intruder};
             REVOKE USAGE ON SCHEMA app FROM {readers};"
        ))
        .await
        .unwrap();
    let drift = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(drift.code, 2, "{}", drift.stderr);
    assert_eq!(
        drift.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            format!("GRANT USAGE ON SCHEMA app TO {readers};"),
            format!("REVOKE USAGE ON SCHEMA reports FROM {intruder};"),
        ]
    );
    let fix = run(&["apply", "--yes"], &file, &url);
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(has(&schema_acl(&client, "app").await, &readers, "USAGE"));
    assert!(!has(
        &schema_acl(&client, "reports").await,
        &intruder,
        "USAGE"
    ));
    assert_eq!(run(&["plan", "--detailed-exitcode"], &file, &url).code, 0);
}

#[tokio::test]
async fn additive_mode_warns_instead_of_revoking() {
    let (db, client) = common::fresh_db("additive").await;
    let url = common::server().admin_url(&db);
    let readers = common::unique("readers");
    let intruder = common::unique("intruder");
    client
        .batch_execute(&format!(
            "CREATE SCHEMA app; CREATE ROLE {readers}; CREATE ROLE {intruder};
             GRANT USAGE ON SCHEMA app TO {readers}, {intruder};"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: postgres\nmode: additive\ngroups: {{{readers}: {{}}}}\nschemas:\n  app: {{usage: [{readers}]}}\n"),
    );
    let plan = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(
        plan.stderr
            .contains(&format!("`{intruder}` holds USAGE on schema app")),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("not revoked in additive mode"),
        "{}",
        plan.stderr
    );
    let apply = run(&["apply", "--yes"], &file, &url);
    assert_eq!(apply.code, 0, "{}", apply.stderr);
    assert!(has(&schema_acl(&client, "app").await, &intruder, "USAGE"));
}

#[tokio::test]
async fn owners_superusers_and_ignored_principals_are_never_revoked_from() {
    let (db, client) = common::fresh_db("protected").await;
    let url = common::server().admin_url(&db);
    let owner = common::unique("owner");
    let boss = common::unique("boss");
    let etl = common::unique("etl");
    let other = common::unique("other");
    client
        .batch_execute(&format!(
            "CREATE ROLE {owner}; CREATE ROLE {boss} SUPERUSER; CREATE ROLE {etl}; CREATE ROLE {other};
             CREATE SCHEMA app AUTHORIZATION {owner};
             GRANT USAGE, CREATE ON SCHEMA app TO {boss}, {etl}, {other};"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: postgres\nignore: [\"{etl}\"]\nschemas:\n  app: {{}}\n"),
    );
    let out = run(&["apply", "--yes"], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().skip(1).collect::<Vec<_>>(),
        [format!("REVOKE CREATE, USAGE ON SCHEMA app FROM {other};")]
    );
    let acl = schema_acl(&client, "app").await;
    for keep in [&owner, &boss, &etl] {
        assert!(
            has(&acl, keep, "USAGE") && has(&acl, keep, "CREATE"),
            "{keep}: {acl:?}"
        );
    }
    assert!(!has(&acl, &other, "USAGE"), "{acl:?}");
}

#[tokio::test]
async fn hostile_names_round_trip_through_apply_and_read_back() {
    let (db, client) = common::fresh_db("hostile").await;
    let url = common::server().admin_url(&db);
    // Unique suffixes keep role names distinct from other tests; the 63-byte name is
    // exactly PostgreSQL's limit.
    let tag = common::unique("h").replace('_', "");
    let names = [
        format!("Sales ML {tag}"),
        format!("a\"b{tag}"),
        format!("x; drop table y{tag}"),
        "select".to_string(),
        format!("données{tag}"),
        {
            let base = format!("r{tag}_");
            format!("{base}{}", "n".repeat(63 - base.len()))
        },
    ];
    assert_eq!(names[5].len(), 63);
    // Schemas are per database, so plain hostile names work there.
    let schemas = ["Sales ML", "a\"b", "x; drop table y", "select", "données"];
    for s in schemas {
        client
            .batch_execute(&format!("CREATE SCHEMA \"{}\"", s.replace('"', "\"\"")))
            .await
            .unwrap();
    }
    let yaml_str = |s: &str| serde_json::to_string(s).unwrap(); // JSON strings are YAML
    let mut yaml = String::from("target: postgres\ngroups:\n");
    for n in &names {
        yaml.push_str(&format!("  {}: {{}}\n", yaml_str(n)));
    }
    yaml.push_str("schemas:\n");
    // A schema key holding `"` or `.` is written as a quoted part (`"a""b"`), the key
    // grammar of grants.yaml; the others are written as they are.
    let schema_key = |s: &str| {
        if s.contains(['"', '.']) {
            yaml_str(&format!("\"{}\"", s.replace('"', "\"\"")))
        } else {
            yaml_str(s)
        }
    };
    for (i, s) in schemas.iter().enumerate() {
        yaml.push_str(&format!(
            "  {}:\n    usage: [{}]\n    create: [{}]\n",
            schema_key(s),
            yaml_str(&names[i]),
            yaml_str(&names[(i + 1) % names.len()])
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(&dir, &yaml);
    // `select` may exist from another run of this binary's cluster: only this test uses it.
    let out = run(&["apply", "--yes"], &file, &url);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for n in &names {
        assert!(role_exists(&client, n).await, "role {n:?} missing");
    }
    for (i, s) in schemas.iter().enumerate() {
        let acl = schema_acl(&client, s).await;
        assert!(has(&acl, &names[i], "USAGE"), "{s}: {acl:?}");
        assert!(
            has(&acl, &names[(i + 1) % names.len()], "CREATE"),
            "{s}: {acl:?}"
        );
    }
    // Nothing was executed that the names smuggled in.
    assert_eq!(
        client
            .query_one(
                "SELECT count(*) FROM pg_namespace WHERE nspname = 'x; drop table y'",
                &[]
            )
            .await
            .unwrap()
            .get::<_, i64>(0),
        1
    );
    let again = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[tokio::test]
async fn a_failing_statement_leaves_the_database_exactly_as_before() {
    let (db, client) = common::fresh_db("failure").await;
    let admin = common::unique("admin");
    let newgrp = common::unique("newgrp");
    let readers = common::unique("readers");
    // `admin` may create roles and owns `mine`, but has no privilege at all on `theirs`:
    // the GRANT on `theirs` fails after CREATE ROLE and the GRANT on `mine` succeeded.
    client
        .batch_execute(&format!(
            "CREATE ROLE {admin} LOGIN CREATEROLE; CREATE ROLE {readers};
             CREATE SCHEMA mine AUTHORIZATION {admin}; CREATE SCHEMA theirs;
             GRANT USAGE ON SCHEMA theirs TO {readers};"
        ))
        .await
        .unwrap();
    let before_mine = schema_acl(&client, "mine").await;
    let before_theirs = schema_acl(&client, "theirs").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!(
            "target: postgres\ngroups:\n  {newgrp}: {{}}\n  {readers}: {{}}\nschemas:\n  mine: {{usage: [{newgrp}]}}\n  theirs: {{usage: [{newgrp}, {readers}]}}\n"
        ),
    );
    let url = common::server().url(&db, &admin);
    let out = run(&["apply", "--yes"], &file, &url);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("statement 2 of 2 failed"),
        "{}",
        out.stderr
    );
    // The statement spans lines (two objects): the message shows it on one.
    assert!(
        out.stderr.contains(&format!(
            "\n  statement: GRANT USAGE ON SCHEMA … TO {newgrp}; (2 objects)\n"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("42501"),
        "server code shown: {}",
        out.stderr
    );
    assert!(out.stderr.contains("rolled back"), "{}", out.stderr);
    assert!(
        !role_exists(&client, &newgrp).await,
        "CREATE ROLE was rolled back"
    );
    assert_eq!(schema_acl(&client, "mine").await, before_mine);
    assert_eq!(schema_acl(&client, "theirs").await, before_theirs);
}

#[tokio::test]
async fn apply_without_a_terminal_or_yes_refuses_and_changes_nothing() {
    let (db, client) = common::fresh_db("noyes").await;
    let url = common::server().admin_url(&db);
    let grp = common::unique("grp");
    client.batch_execute("CREATE SCHEMA app").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!(
            "target: postgres\ngroups: {{{grp}: {{}}}}\nschemas:\n  app: {{usage: [{grp}]}}\n"
        ),
    );
    let out = run(&["apply"], &file, &url);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("refusing to apply without confirmation"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains(&format!("GRANT USAGE ON SCHEMA app TO {grp};")),
        "the plan is shown: {}",
        out.stdout
    );
    assert!(!role_exists(&client, &grp).await);
}

#[tokio::test]
async fn snapshot_then_plan_from_it_matches_plan_from_the_database() {
    let (db, client) = common::fresh_db("snapshot").await;
    let url = common::server().admin_url(&db);
    let grp = common::unique("grp");
    let stray = common::unique("stray");
    client
        .batch_execute(&format!(
            "CREATE SCHEMA app; CREATE ROLE {stray}; GRANT CREATE ON SCHEMA app TO {stray};
             CREATE FUNCTION app.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
             CREATE FUNCTION app.f(text, integer[]) RETURNS integer LANGUAGE sql AS 'SELECT 2';"
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: postgres\ngroups: {{{grp}: {{}}}}\nschemas:\n  app: {{usage: [{grp}]}}\nfunctions:\n  app.f: {{execute: [{grp}]}}\n"),
    );
    let snap_path = dir.path().join("snap.json");
    let out = grantplan()
        .args(["snapshot", "--database-url", &url, "--out"])
        .arg(&snap_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = run(&["plan"], &file, &url);
    let offline = grantplan()
        .args(["plan", "-f"])
        .arg(&file)
        .arg("--catalog")
        .arg(&snap_path)
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(0));
    let body = |s: &str| s.lines().skip(1).map(String::from).collect::<Vec<_>>();
    let from_snapshot = body(&String::from_utf8_lossy(&offline.stdout));
    assert_eq!(body(&live.stdout), from_snapshot);
    assert_eq!(
        from_snapshot,
        [
            format!("CREATE ROLE {grp} NOLOGIN;"),
            format!("GRANT USAGE ON SCHEMA app TO {grp};"),
            format!("REVOKE CREATE ON SCHEMA app FROM {stray};"),
            // One object per line (two overloads).
            "GRANT EXECUTE ON FUNCTION".to_string(),
            "    app.f(integer),".to_string(),
            "    app.f(text, integer[])".to_string(),
            format!("  TO {grp};"),
            "REVOKE EXECUTE ON FUNCTION".to_string(),
            "    app.f(integer),".to_string(),
            "    app.f(text, integer[])".to_string(),
            "  FROM PUBLIC;".to_string(),
        ]
    );
    // And the whole thing applies and converges, per overload.
    assert_eq!(run(&["apply", "--yes"], &file, &url).code, 0);
    let again = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// The executor on its own: a failure deep in a multi-batch apply is pinned to its
/// statement, and nothing of the earlier batches survives.
#[tokio::test]
async fn executor_names_the_failing_statement_across_batches() {
    let (_db, mut client) = common::fresh_db("executor").await;
    let prefix = common::unique("bulk");
    let total = grantplan::executor::BATCH_SIZE * 2 + 50;
    let bad = grantplan::executor::BATCH_SIZE + 17; // 0-based: in the second batch
    let statements: Vec<String> = (0..total)
        .map(|i| {
            if i == bad {
                "GRANT USAGE ON SCHEMA no_such_schema TO PUBLIC;".to_string()
            } else {
                format!("CREATE ROLE {prefix}_{i};")
            }
        })
        .collect();
    let mut progress = Vec::new();
    let err = grantplan::executor::apply(&mut client, &statements, &mut |n| progress.push(n))
        .await
        .unwrap_err();
    match &err {
        grantplan::executor::ApplyError::Statement {
            number,
            total: t,
            code,
            sql,
            ..
        } => {
            assert_eq!(*number, bad + 1);
            assert_eq!(*t, total);
            assert_eq!(code.as_deref(), Some("3F000"));
            assert_eq!(sql, &statements[bad]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(progress, [grantplan::executor::BATCH_SIZE]);
    let n: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE $1",
            &[&format!("{prefix}%")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "every statement was rolled back");

    // Without the bad one, all batches commit.
    let good: Vec<String> = statements
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != bad)
        .map(|(_, s)| s)
        .collect();
    let applied = grantplan::executor::apply(&mut client, &good, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(applied.statements, total - 1);
    assert_eq!(applied.batches, 3);
}

/// A grants.yaml written for Redshift, pointed at PostgreSQL: refused after connecting,
/// before the catalog is read or anything is changed, naming what the server reported.
#[tokio::test]
async fn a_file_for_another_kind_of_server_is_refused_before_anything_runs() {
    let (db, client) = common::fresh_db("mismatch").await;
    let url = common::server().admin_url(&db);
    let grp = common::unique("ml_grp");
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: redshift\ngroups:\n  {grp}:\n    create_model: true\n"),
    );
    // `target: redshift` makes TLS the default, which the plain test server does not
    // offer (tests/tls.rs covers that refusal): ask for prefer to reach the check here.
    for args in [
        &["plan", "--sslmode", "prefer"][..],
        &["apply", "--yes", "--sslmode", "prefer"][..],
    ] {
        let out = run(args, &file, &url);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("declares target `redshift` but postgres@127.0.0.1"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("is a postgres server (it reported no padb_version"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "no plan printed: {}", out.stdout);
    }
    assert!(!role_exists(&client, &grp).await, "nothing was created");
}

/// Runs `cmd` with its stderr on a new pseudo-terminal (stdout piped, stdin empty) and
/// returns the exit code, stdout, and everything written to the terminal.
fn run_on_terminal(cmd: std::process::Command) -> (i32, String, String) {
    run_on_terminal_answering(cmd, None)
}

/// [`run_on_terminal`]; with `answer`, standard input is the terminal too, and `answer`
/// is typed into it.
fn run_on_terminal_answering(
    mut cmd: std::process::Command,
    answer: Option<&str>,
) -> (i32, String, String) {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::Stdio;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty fills two descriptors, which are then owned below.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    };
    // A terminal of 120 columns, so a progress bar has room.
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize from the pointer.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::ioctl(slave.as_raw_fd(), libc::TIOCSWINSZ, &size);
    }
    let stdin = match answer {
        Some(typed) => {
            use std::io::Write;
            master.write_all(typed.as_bytes()).unwrap();
            Stdio::from(slave.try_clone().unwrap())
        }
        None => Stdio::null(),
    };
    cmd.env("TERM", "xterm")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave));
    let child = cmd.spawn().expect("start grantplan");
    // The command holds the parent's copy of the terminal's end: closed here, so that
    // reading the terminal ends when the child exits.
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // Linux answers EIO once every copy of the other end is closed.
        while let Ok(n @ 1..) = master.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let out = child.wait_with_output().expect("wait for grantplan");
    let terminal = reader.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        terminal,
    )
}

/// Issue 7: long work shows what is happening on a terminal (the catalog read and an apply
/// of more statements than one round trip carries), and nothing extra when stderr is not
/// a terminal.
#[tokio::test]
async fn progress_is_shown_on_a_terminal_and_nothing_extra_otherwise() {
    const SCHEMAS: usize = 250;
    let prefix = common::unique("prog");
    let yaml = {
        let mut y = String::from("target: postgres\ngroups:\n");
        for i in 0..SCHEMAS {
            y.push_str(&format!("  {prefix}_{i}: {{}}\n"));
        }
        y.push_str("schemas:\n");
        for i in 0..SCHEMAS {
            y.push_str(&format!("  s{i}:\n    usage: [{prefix}_{i}]\n"));
        }
        y
    };
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(&dir, &yaml);
    let schemas: String = (0..SCHEMAS)
        .map(|i| format!("CREATE SCHEMA s{i};"))
        .collect();

    // Not a terminal: the plan on stdout, one line on stderr saying what was applied.
    let (db, client) = common::fresh_db("progress_pipe").await;
    client.batch_execute(&schemas).await.unwrap();
    let out = run(&["apply", "--yes"], &file, &common::server().admin_url(&db));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with(&format!("applied {} statements to ", 2 * SCHEMAS)),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains(['\r', '\x1b']), "{:?}", out.stderr);
    assert!(out.stdout.contains("GRANT USAGE ON SCHEMA s0 TO "));
    assert!(!out.stdout.contains(['\r', '\x1b']));

    // On a terminal: the catalog read and the apply's progress, then the same result. The
    // roles exist now (they are cluster-wide): this apply is the grants alone.
    let (db, client) = common::fresh_db("progress_tty").await;
    client.batch_execute(&schemas).await.unwrap();
    let mut cmd = common::grantplan_process();
    cmd.args(["apply", "--yes", "-f"])
        .arg(&file)
        .args(["--database-url", &common::server().admin_url(&db)]);
    let (code, stdout, terminal) = run_on_terminal(cmd);
    assert_eq!(code, 0, "{terminal}");
    assert!(terminal.contains("reading catalog: "), "{terminal:?}");
    assert!(
        terminal.contains(&format!("/{SCHEMAS} statements")),
        "{terminal:?}"
    );
    assert!(terminal.contains("applying "), "{terminal:?}");
    assert!(
        terminal.contains(&format!("applied {SCHEMAS} statements to ")),
        "{terminal:?}"
    );
    assert!(stdout.contains("GRANT USAGE ON SCHEMA s0 TO "), "{stdout}");
    assert!(has(
        &schema_acl(&client, "s249").await,
        &format!("{prefix}_249"),
        "USAGE"
    ));
}

/// Every keyword of PostgreSQL's own table (grantplan::keywords::POSTGRES) as the name of
/// a role, a user, a membership, a schema and a function: the apply runs (a bare keyword
/// would be a syntax error and roll everything back) and a second plan is empty.
///
/// The roles are named exactly the keywords, so they cannot carry a unique suffix; no
/// other test of this binary uses a bare keyword as a role name. `none` is a schema and a
/// function here but not a role: PostgreSQL refuses the role name ("role name "none" is
/// reserved").
#[tokio::test]
async fn every_postgres_keyword_applies_as_a_name_and_converges() {
    let (db, client) = common::fresh_db("keywords").await;
    let url = common::server().admin_url(&db);
    let words: Vec<String> = grantplan::keywords::POSTGRES
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let principals: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "none")
        .collect();
    // Even places are roles, each with the next word as its one member (a user).
    let (mut setup, mut yaml) = (String::new(), String::from("target: postgres\nroles:\n"));
    let mut users = String::from("users:\n");
    for pair in principals.chunks(2) {
        let role = pair[0];
        match pair.get(1) {
            Some(user) => {
                setup.push_str(&format!(
                    "CREATE ROLE {} LOGIN;\n",
                    common::quote_ident(user)
                ));
                yaml.push_str(&format!("  \"{role}\": {{members: [\"{user}\"]}}\n"));
                users.push_str(&format!("  \"{user}\": {{}}\n"));
            }
            None => yaml.push_str(&format!("  \"{role}\": {{}}\n")),
        }
    }
    yaml.push_str(&users);
    yaml.push_str("schemas:\n");
    let mut functions = String::from("functions:\n");
    for (i, w) in words.iter().enumerate() {
        let q = common::quote_ident(w);
        setup.push_str(&format!(
            "CREATE SCHEMA {q}; CREATE FUNCTION {q}.{q}(integer) RETURNS integer \
             LANGUAGE sql AS 'SELECT 1';\n"
        ));
        let grantee = principals[i % principals.len()];
        yaml.push_str(&format!(
            "  \"{w}\": {{usage: [\"{grantee}\"], create: [\"{grantee}\"]}}\n"
        ));
        functions.push_str(&format!("  \"{w}.{w}\": {{execute: [\"{grantee}\"]}}\n"));
    }
    yaml.push_str(&functions);
    client
        .batch_execute(&setup)
        .await
        .unwrap_or_else(|e| panic!("{}", common::describe(&e)));
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(&dir, &yaml);

    let applied = run(&["apply", "--yes"], &file, &url);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    for w in ["analyse", "isnull", "select", "user"] {
        assert!(
            applied.stdout.contains(&format!("ON SCHEMA \"{w}\" TO")),
            "{w} quoted: {}",
            applied.stdout
        );
    }
    let again = run(&["plan", "--detailed-exitcode"], &file, &url);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("-- no changes"), "{}", again.stdout);
    // What the server holds, checked on its own catalog.
    let grantee = principals[words.iter().position(|w| w == "analyse").unwrap() % principals.len()];
    assert!(has(&schema_acl(&client, "analyse").await, grantee, "USAGE"));
    for role in principals.iter().step_by(2) {
        assert!(role_exists(&client, role).await, "role {role} was created");
    }
}

/// On a terminal, apply shows a one-line summary before its question, and only exactly
/// `yes` applies (`y` does not); `plan` shows the summary after the plan on a terminal,
/// and never through a pipe.
#[tokio::test]
async fn the_question_takes_exactly_yes_after_a_summary() {
    let (db, client) = common::fresh_db("exactly_yes").await;
    let url = common::server().admin_url(&db);
    let readers = common::unique("readers");
    client
        .batch_execute(&format!("CREATE SCHEMA app; CREATE ROLE {readers};"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: postgres\nroles:\n  {readers}: {{}}\nschemas:\n  app: {{usage: [{readers}], create: [{readers}]}}\n"),
    );
    let apply = || {
        let mut cmd = common::grantplan_process();
        cmd.args(["apply", "--color", "never", "-f"])
            .arg(&file)
            .args(["--database-url", &url]);
        cmd
    };
    let summary = "1 grant, 0 revokes (2 privilege changes), 0 warnings";
    let (code, _, terminal) = run_on_terminal_answering(apply(), Some("y\n"));
    assert_eq!(code, 1, "{terminal}");
    assert!(terminal.contains(summary), "{terminal}");
    assert!(
        terminal.contains("not applied: the answer was not yes"),
        "{terminal}"
    );
    assert!(schema_acl(&client, "app")
        .await
        .iter()
        .all(|(g, _)| g != &readers));

    let (code, _, terminal) = run_on_terminal_answering(apply(), Some("yes\n"));
    assert_eq!(code, 0, "{terminal}");
    assert!(terminal.contains("applied 1 statement to"), "{terminal}");
    assert!(terminal.contains("(1 round trip)"), "{terminal}");
    assert!(has(&schema_acl(&client, "app").await, &readers, "CREATE"));

    // plan: the summary on a terminal, never through a pipe.
    let mut cmd = common::grantplan_process();
    cmd.args(["plan", "--color", "never", "-f"])
        .arg(&file)
        .args(["--database-url", &url]);
    let (code, stdout, terminal) = run_on_terminal(cmd);
    assert_eq!(code, 0, "{terminal}");
    assert!(terminal.contains("no changes, 0 warnings"), "{terminal}");
    assert!(!stdout.contains("warnings"), "{stdout}");
    let piped = run(&["plan"], &file, &url);
    assert!(!piped.stderr.contains("0 warnings"), "{}", piped.stderr);
}

/// `apply --format json`: one document at the end, valid against the published schema,
/// saying what was applied (and nothing else on stdout); applied again, `nothing`.
/// `doctor --format json` is valid against its schema too.
#[tokio::test]
async fn apply_and_doctor_write_json_documents_that_match_their_schemas() {
    let (db, client) = common::fresh_db("apply_json").await;
    let url = common::server().admin_url(&db);
    let readers = common::unique("readers");
    client
        .batch_execute(&format!("CREATE SCHEMA app; CREATE ROLE {readers};"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        &dir,
        &format!("target: postgres\nroles:\n  {readers}: {{}}\nschemas:\n  app: {{usage: [{readers}]}}\n  missing: {{usage: [{readers}]}}\n"),
    );
    let out = run(&["apply", "--yes", "--format", "json"], &file, &url);
    assert_eq!(out.code, 0, "{}", out.stderr);
    common::assert_matches_schema(&out.stdout, "apply");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["result"], "applied");
    assert_eq!(
        doc["statements"],
        serde_json::json!([format!("GRANT USAGE ON SCHEMA app TO {readers};")])
    );
    assert_eq!(doc["round_trips"], 1);
    assert_eq!(
        doc["warnings"].as_array().unwrap().len(),
        1,
        "the missing schema"
    );
    let again = run(&["apply", "--yes", "--format", "json"], &file, &url);
    assert_eq!(again.code, 0, "{}", again.stderr);
    common::assert_matches_schema(&again.stdout, "apply");
    let doc: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(doc["result"], "nothing");
    assert_eq!(doc["statements"], serde_json::json!([]));

    let doctor = run(&["doctor", "--format", "json"], &file, &url);
    assert_eq!(doctor.code, 0, "{}", doctor.stderr);
    common::assert_matches_schema(&doctor.stdout, "doctor");
    let doc: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    assert_eq!(doc["blockers"], 0);
    assert!(doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["topic"] == "plan"));
}
