//! Faults injected on purpose while `grantplan apply` runs against a real PostgreSQL:
//! its backend terminated, its server stopped with `pg_ctl stop -m immediate`, a
//! statement failing first, in the middle and last, SIGINT and SIGTERM, two applies at
//! once, a catalog changed after review and during the apply, locks held past the lock
//! timeout. After each, a full dump of the privileges (every schema's owner and ACL,
//! every function's ACL, the test's roles and their memberships) must be exactly what it
//! was before, or exactly what a complete apply gives.
//!
//! Determinism: nothing here sleeps to let something happen. An apply is stopped in the
//! middle by a lock: another session holds a row of `pg_namespace` (`SELECT ... FOR
//! UPDATE`) that the middle statement of the plan changes, so the apply runs the first
//! half of its statements and waits there; the test polls `pg_locks` until it sees that
//! wait, then injects the fault. Only the lock-timeout tests wait for a clock, and they
//! assert what happened, never how long it took.

mod common;

use common::run_with as run;

use common::exec;

use common::Server;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Schemas in the large plan: one statement each.
const SCHEMAS: usize = 2000;

/// A database where the plan has [`SCHEMAS`] statements: schema `P_sNNNN` gives USAGE to
/// its own role `P_rNNNN`. Every statement has its own grantee, so however statements
/// were grouped, none could be merged: the plan stays one statement per schema. `P_t` is
/// managed and already converged (no statement), for a concurrent change that the apply
/// does not touch.
struct Big {
    db: String,
    /// The superuser's client, in the database.
    client: Client,
    /// Every role and schema name starts with it and `_`.
    prefix: String,
    /// The superuser's URL.
    url: String,
    dir: tempfile::TempDir,
    file: PathBuf,
    /// The plan, as `grantplan plan` prints it (without its header).
    statements: Vec<String>,
}

impl Big {
    async fn new(server: &Server, hint: &str, owner: Option<&str>) -> Big {
        Big::with(server, hint, owner, SCHEMAS).await
    }

    /// [`Big::new`] with `count` schemas instead of [`SCHEMAS`].
    async fn with(server: &Server, hint: &str, owner: Option<&str>, count: usize) -> Big {
        let prefix = common::unique(hint);
        let db = format!("{prefix}_db");
        let admin = common::connect(&server.admin_url("postgres")).await;
        exec(&admin, &format!("CREATE DATABASE {db}")).await;
        drop(admin);
        let url = server.admin_url(&db);
        let client = common::connect(&url).await;
        let mut sql = String::new();
        if let Some(owner) = owner {
            sql.push_str(&format!("CREATE ROLE {owner} LOGIN CREATEROLE;\n"));
        }
        let authorization = owner
            .map(|o| format!(" AUTHORIZATION {o}"))
            .unwrap_or_default();
        let mut yaml = String::from("target: postgres\nroles:\n");
        let mut schemas = String::from("schemas:\n");
        for i in 0..count {
            let (s, r) = (format!("{prefix}_s{i:04}"), format!("{prefix}_r{i:04}"));
            sql.push_str(&format!(
                "CREATE ROLE {r}; CREATE SCHEMA {s}{authorization};\n"
            ));
            yaml.push_str(&format!("  {r}: {{}}\n"));
            schemas.push_str(&format!("  {s}: {{usage: [{r}]}}\n"));
        }
        sql.push_str(&format!(
            "CREATE ROLE {p}_rt; CREATE ROLE {p}_intruder; CREATE SCHEMA {p}_t{authorization};
             GRANT USAGE ON SCHEMA {p}_t TO {p}_rt;\n",
            p = prefix
        ));
        yaml.push_str(&format!("  {prefix}_rt: {{}}\n"));
        schemas.push_str(&format!("  {prefix}_t: {{usage: [{prefix}_rt]}}\n"));
        exec(&client, &sql).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("grants.yaml");
        std::fs::write(&file, format!("{yaml}{schemas}")).unwrap();
        let plan = run(&["plan"], &file, &url);
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        let statements: Vec<String> = plan.stdout.lines().skip(1).map(String::from).collect();
        assert_eq!(statements.len(), count, "one statement per schema");
        Big {
            db,
            client,
            prefix,
            url,
            dir,
            file,
            statements,
        }
    }

    fn schema(&self, i: usize) -> String {
        format!("{}_s{i:04}", self.prefix)
    }

    /// The 0-based position in the plan of the statement on `schema`.
    fn position(&self, schema: &str) -> usize {
        let needle = format!(" ON SCHEMA {schema} TO ");
        self.statements
            .iter()
            .position(|s| s.contains(&needle))
            .unwrap_or_else(|| panic!("no statement on {schema}"))
    }

    /// Every privilege this test can see change, one line each, sorted.
    async fn dump(&self) -> Vec<String> {
        dump(&self.client, &self.prefix).await
    }

    /// Another session holding the row of `schema` in `pg_namespace` (FOR UPDATE): a
    /// statement changing that schema waits until it ends.
    async fn hold_row(&self, url: &str, schema: &str) -> Client {
        let holder = common::connect(url).await;
        exec(
            &holder,
            &format!("BEGIN; SELECT 1 FROM pg_namespace WHERE nspname = '{schema}' FOR UPDATE"),
        )
        .await;
        holder
    }
}

/// Schemas (owner and ACL, as stored: NULL is not the same as an explicit default),
/// functions (ACL), the roles named `prefix_...` (attributes) and their memberships.
async fn dump(c: &Client, prefix: &str) -> Vec<String> {
    let rows = c
        .query(
            "SELECT 'schema ' || n.nspname || ' owner ' || pg_get_userbyid(n.nspowner) \
                    || ' acl ' || coalesce(n.nspacl::text, 'NULL') \
               FROM pg_namespace n \
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' \
             UNION ALL \
             SELECT 'function ' || p.oid::regprocedure::text \
                    || ' acl ' || coalesce(p.proacl::text, 'NULL') \
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
             UNION ALL \
             SELECT 'role ' || r.rolname || ' login ' || r.rolcanlogin \
                    || ' superuser ' || r.rolsuper || ' createrole ' || r.rolcreaterole \
               FROM pg_roles r WHERE starts_with(r.rolname, $1 || '_') \
             UNION ALL \
             SELECT 'member ' || m.rolname || ' of ' || g.rolname \
               FROM pg_auth_members a \
               JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member \
              WHERE starts_with(g.rolname, $1 || '_') OR starts_with(m.rolname, $1 || '_') \
             ORDER BY 1",
            &[&prefix],
        )
        .await
        .unwrap_or_else(|e| panic!("{}", common::describe(&e)));
    rows.iter().map(|r| r.get(0)).collect()
}

/// Fails with the lines that differ, not two lists of two thousand lines.
fn assert_same(what: &str, expected: &[String], actual: &[String]) {
    if expected == actual {
        return;
    }
    let gone: Vec<&String> = expected.iter().filter(|l| !actual.contains(l)).collect();
    let new: Vec<&String> = actual.iter().filter(|l| !expected.contains(l)).collect();
    panic!(
        "{what}: the privileges differ ({} lines before, {} after)\nonly before: {:#?}\nonly after: {:#?}",
        expected.len(),
        actual.len(),
        &gone[..gone.len().min(20)],
        &new[..new.len().min(20)]
    );
}

/// A grantplan process running in the background.
struct Running {
    pid: u32,
    output: tokio::task::JoinHandle<Output>,
}

impl Running {
    fn start(args: &[&str], file: &Path, url: &str) -> Running {
        let mut cmd = common::grantplan_process();
        cmd.args(args)
            .arg("-f")
            .arg(file)
            .arg("--database-url")
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        let pid = child.id();
        // Read its output while it runs (the plan alone is more than a pipe holds).
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap());
        Running { pid, output }
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} {}", self.pid);
    }

    /// Its exit code (-1 when a signal ended it), stdout and stderr. A hang is a failure
    /// after two minutes, not a stuck test run.
    async fn finish(self) -> common::Run {
        let out = tokio::time::timeout(Duration::from_secs(120), self.output)
            .await
            .expect("grantplan did not exit within two minutes")
            .unwrap();
        common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn is_finished(&self) -> bool {
        self.output.is_finished()
    }
}

/// What an apply's backend can be seen waiting for in `pg_locks`.
#[derive(Clone, Copy, Debug)]
enum Wait {
    /// The apply lock of another apply (or of a session holding its key).
    ApplyLock,
    /// A row another transaction holds (its transaction id or the tuple).
    Row,
    /// The server-wide roles lock (on the shared catalog `pg_authid`).
    RolesLock,
}

/// Polls until a grantplan backend in `db` waits for `wait`, and returns its pid. Panics
/// when `running` exits first (its output says why) or after a minute.
async fn waiting(c: &Client, db: &str, wait: Wait, running: &Running) -> i32 {
    let condition = match wait {
        Wait::ApplyLock => "l.locktype = 'advisory'",
        Wait::Row => "l.locktype IN ('transactionid', 'tuple')",
        Wait::RolesLock => "l.locktype = 'relation' AND l.relation = 'pg_authid'::regclass",
    };
    let sql = format!(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
          WHERE NOT l.granted AND {condition} \
            AND a.datname = $1 AND a.application_name = 'grantplan'"
    );
    let start = Instant::now();
    loop {
        if let Some(row) = c.query_opt(&sql, &[&db]).await.unwrap() {
            return row.get(0);
        }
        assert!(
            !running.is_finished(),
            "grantplan exited before it waited for {wait:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no grantplan backend waited for {wait:?} within a minute"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls until no grantplan backend is left in `db`.
async fn gone(c: &Client, db: &str) {
    let start = Instant::now();
    loop {
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                  WHERE datname = $1 AND application_name = 'grantplan'",
                &[&db],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "a grantplan backend is still in {db} a minute after grantplan exited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The text of what `pid` is running (the batch it is in).
async fn query_of(c: &Client, pid: i32) -> String {
    c.query_one("SELECT query FROM pg_stat_activity WHERE pid = $1", &[&pid])
        .await
        .unwrap()
        .get(0)
}

/// Fault (a): the apply's backend is terminated (`pg_terminate_backend`) while it is in
/// the middle of its statements. Nothing changes; grantplan says the connection was lost
/// at that statement and nothing was changed; exit 1. Applied again, it completes.
#[tokio::test]
async fn a_terminated_backend_changes_nothing() {
    let s = common::server();
    let big = Big::new(s, "kill", None).await;
    let before = big.dump().await;
    let mid = big.schema(SCHEMAS / 2);
    let at = big.position(&mid);
    let holder = big.hold_row(&big.url, &mid).await;

    let apply = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &big.file,
        &big.url,
    );
    let pid = waiting(&big.client, &big.db, Wait::Row, &apply).await;
    // It is in the batch that holds the middle statement: the first half ran.
    assert!(
        query_of(&big.client, pid)
            .await
            .contains(&big.statements[at]),
        "waiting in the batch of statement {}",
        at + 1
    );
    let killed: bool = big
        .client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(killed);
    let out = apply.finish().await;
    exec(&holder, "ROLLBACK").await;

    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "the connection to the server was lost while statement {} of {SCHEMAS} ran",
            at + 1
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert!(
        out.stderr.contains("57P01"),
        "the server's words: {}",
        out.stderr
    );
    assert_same("after pg_terminate_backend", &before, &big.dump().await);

    // The same apply, undisturbed, changes every schema: the dump above could differ.
    let again = run(&["apply", "--yes"], &big.file, &big.url);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let after = big.dump().await;
    let changed = before.iter().filter(|l| !after.contains(l)).count();
    assert_eq!(changed, SCHEMAS, "every managed schema's ACL changed");
}

/// A server of this test binary's own, for the test that stops it. Commits are
/// synchronous here, so what was committed before the crash is on disk for recovery.
fn crash_server() -> &'static Server {
    static SERVER: std::sync::OnceLock<Server> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        Server::start_with(&common::ServerOptions {
            settings: vec![("synchronous_commit".into(), "on".into())],
            files: Vec::new(),
        })
    })
}

/// Fault (b): the server is stopped with `pg_ctl stop -m immediate` (every process
/// killed, no checkpoint) while the apply is in the middle of its statements, then
/// started again: crash recovery leaves exactly the state before the apply.
#[tokio::test]
async fn a_server_stopped_immediately_mid_apply_recovers_to_the_state_before() {
    let s = crash_server();
    let big = Big::new(s, "crash", None).await;
    let before = big.dump().await;
    let mid = big.schema(SCHEMAS / 2);
    let at = big.position(&mid);
    let holder = big.hold_row(&big.url, &mid).await;

    let apply = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &big.file,
        &big.url,
    );
    waiting(&big.client, &big.db, Wait::Row, &apply).await;
    let log_before = s.log().len();
    tokio::task::spawn_blocking(move || crash_server().stop("immediate"))
        .await
        .unwrap();
    let out = apply.finish().await;
    drop(holder);
    tokio::task::spawn_blocking(move || crash_server().start_again())
        .await
        .unwrap();

    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "the connection to the server was lost while statement {} of {SCHEMAS} ran",
            at + 1
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    let log = s.log();
    assert!(
        log[log_before..].contains("automatic recovery in progress"),
        "the restart was a crash recovery:\n{}",
        &log[log_before..]
    );
    let client = common::connect(&big.url).await;
    assert_same(
        "after pg_ctl stop -m immediate and recovery",
        &before,
        &dump(&client, &big.prefix).await,
    );
}

/// Fault (c): one statement fails (permission denied: the login owns every schema but
/// that one) at the first, a middle and the last position of the plan. Nothing changes,
/// and the message names that statement, its SQL and the server's SQLSTATE.
#[tokio::test]
async fn a_statement_failing_first_in_the_middle_or_last_changes_nothing() {
    let s = common::server();
    let owner = common::unique("owner");
    let big = Big::new(s, "fail", Some(&owner)).await;
    let url = s.url(&big.db, &owner);
    for at in [0, SCHEMAS / 2, SCHEMAS - 1] {
        let sql = &big.statements[at];
        let schema = sql
            .split_whitespace()
            .nth(4)
            .expect("GRANT USAGE ON SCHEMA name TO role;")
            .to_string();
        exec(
            &big.client,
            &format!("ALTER SCHEMA {schema} OWNER TO postgres"),
        )
        .await;
        let before = big.dump().await;
        let out = run(&["apply", "--yes"], &big.file, &url);
        assert_eq!(out.code, 1, "{}", out.stderr);
        for expected in [
            &format!("statement {} of {SCHEMAS} failed", at + 1),
            "nothing was applied (rolled back)",
            sql,
            "42501",
        ] {
            assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
        }
        assert_same(
            &format!("statement {} failing", at + 1),
            &before,
            &big.dump().await,
        );
        exec(
            &big.client,
            &format!("ALTER SCHEMA {schema} OWNER TO {owner}"),
        )
        .await;
    }
}

/// Fault (d): SIGINT and SIGTERM while the apply is in the middle of its statements, and
/// SIGINT while it waits for another apply's lock. grantplan cancels the statement on
/// the server (its backend is gone while the lock it waited for is still held), rolls
/// back, says nothing was changed, and exits 130 / 143.
#[tokio::test]
async fn sigint_and_sigterm_roll_back_and_exit_130_and_143() {
    let s = common::server();
    let big = Big::new(s, "signal", None).await;
    let before = big.dump().await;
    let mid = big.schema(SCHEMAS / 2);
    for (signal, code, wait) in [
        ("INT", 130, Wait::Row),
        ("TERM", 143, Wait::Row),
        ("INT", 130, Wait::ApplyLock),
    ] {
        let holder = match wait {
            Wait::Row => big.hold_row(&big.url, &mid).await,
            Wait::RolesLock => unreachable!("not among the cases"),
            Wait::ApplyLock => {
                let c = common::connect(&big.url).await;
                exec(
                    &c,
                    &format!("SELECT pg_advisory_lock({})", grantplan::executor::LOCK_KEY),
                )
                .await;
                c
            }
        };
        let apply = Running::start(
            &["apply", "--yes", "--lock-timeout", "5m"],
            &big.file,
            &big.url,
        );
        waiting(&big.client, &big.db, wait, &apply).await;
        apply.signal(signal);
        let out = apply.finish().await;
        // The backend ended although what it waited for is still held: the statement was
        // cancelled on the server, not left waiting behind a closed connection.
        gone(&big.client, &big.db).await;
        drop(holder);

        assert_eq!(out.code, code, "SIG{signal} while {wait:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("interrupted: nothing was changed (rolled back)"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("applied "), "{}", out.stderr);
        assert_same(
            &format!("after SIG{signal} while {wait:?}"),
            &before,
            &big.dump().await,
        );
    }
}

/// Fault (e): two applies at once. While A is in the middle of its statements, B with a
/// 1s lock timeout gives up naming A's backend, and B' with a long one waits; when A
/// commits, B' reads the catalog A left and has nothing to do.
#[tokio::test]
async fn two_applies_at_once_never_mix() {
    let s = common::server();
    let big = Big::new(s, "twice", None).await;
    let before = big.dump().await;
    let mid = big.schema(SCHEMAS / 2);
    let holder = big.hold_row(&big.url, &mid).await;

    let a = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &big.file,
        &big.url,
    );
    let a_pid = waiting(&big.client, &big.db, Wait::Row, &a).await;

    let b = run(
        &["apply", "--yes", "--lock-timeout", "1s"],
        &big.file,
        &big.url,
    );
    assert_eq!(b.code, 1, "{}", b.stderr);
    assert!(
        b.stderr
            .contains(&format!("is running against this database (pid {a_pid}")),
        "{}",
        b.stderr
    );
    assert!(b.stderr.contains("waited 1s"), "{}", b.stderr);
    assert!(b.stdout.is_empty(), "B planned nothing: {}", b.stdout);
    assert_same("while A runs", &before, &big.dump().await);

    let b2 = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &big.file,
        &big.url,
    );
    waiting(&big.client, &big.db, Wait::ApplyLock, &b2).await;
    exec(&holder, "ROLLBACK").await;
    let a = a.finish().await;
    let b2 = b2.finish().await;
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert!(
        a.stderr.contains(&format!("applied {SCHEMAS} statements")),
        "{}",
        a.stderr
    );
    assert_eq!(b2.code, 0, "{}", b2.stderr);
    assert!(b2.stderr.contains("nothing to apply"), "{}", b2.stderr);
    assert!(b2.stdout.contains("-- no changes"), "{}", b2.stdout);

    let after = big.dump().await;
    let converged = run(&["plan", "--detailed-exitcode"], &big.file, &big.url);
    assert_eq!(converged.code, 0, "{}", converged.stdout);
    assert_eq!(
        before.iter().filter(|l| !after.contains(l)).count(),
        SCHEMAS,
        "A's statements, once each"
    );
}

/// Fault (f): the catalog of a reviewed plan file changes. Before the apply: refused. During
/// the apply, on a managed schema the plan does not touch: the check after the statements,
/// inside the same transaction, sees it and rolls back. During the apply, on a schema
/// the plan is about to change: that statement fails. Each time, exactly the other
/// session's change is left.
#[tokio::test]
async fn a_reviewed_plan_file_is_checked_inside_the_transaction_that_applies_it() {
    let s = common::server();
    let big = Big::new(s, "review", None).await;
    let plan_file = big.dir.path().join("reviewed.sql");
    let out = run(
        &["plan", "--out", plan_file.to_str().unwrap()],
        &big.file,
        &big.url,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let apply_args = [
        "apply",
        "--yes",
        "--lock-timeout",
        "5m",
        plan_file.to_str().unwrap(),
    ];
    let (t, intruder) = (
        format!("{}_t", big.prefix),
        format!("{}_intruder", big.prefix),
    );
    let first = big.schema(0);
    let mid = big.schema(SCHEMAS / 2);

    // Changed after review, before the apply.
    exec(
        &big.client,
        &format!("GRANT USAGE ON SCHEMA {first} TO {intruder}"),
    )
    .await;
    let expected = big.dump().await;
    let out = run(&apply_args, &big.file, &big.url);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("the catalog changed since"),
        "{}",
        out.stderr
    );
    assert_same("changed before the apply", &expected, &big.dump().await);
    // Revoked again: the catalog holds the reviewed grants once more.
    exec(
        &big.client,
        &format!("REVOKE USAGE ON SCHEMA {first} FROM {intruder}"),
    )
    .await;

    // Changed during the apply, after the file was checked, where the plan does not write.
    let holder = big.hold_row(&big.url, &mid).await;
    let apply = Running::start(&apply_args, &big.file, &big.url);
    waiting(&big.client, &big.db, Wait::Row, &apply).await;
    exec(
        &big.client,
        &format!("GRANT USAGE ON SCHEMA {t} TO {intruder}"),
    )
    .await;
    let expected = big.dump().await;
    exec(&holder, "ROLLBACK").await;
    let out = apply.finish().await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    for needle in [
        &format!("after its {SCHEMAS} statements ran"),
        "still differs",
        &format!("REVOKE USAGE ON SCHEMA {t} FROM {intruder};"),
        "nothing was applied (rolled back)",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_same("changed during the apply", &expected, &big.dump().await);
    exec(
        &big.client,
        &format!("REVOKE USAGE ON SCHEMA {t} FROM {intruder}"),
    )
    .await;

    // Changed during the apply, on the schema the waiting statement changes.
    let other = common::connect(&big.url).await;
    exec(
        &other,
        &format!("BEGIN; GRANT USAGE ON SCHEMA {mid} TO {intruder}"),
    )
    .await;
    let apply = Running::start(&apply_args, &big.file, &big.url);
    waiting(&big.client, &big.db, Wait::Row, &apply).await;
    exec(&other, "COMMIT").await;
    let expected = big.dump().await;
    let out = apply.finish().await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "statement {} of {SCHEMAS} failed",
            big.position(&mid) + 1
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("tuple concurrently updated"),
        "{}",
        out.stderr
    );
    assert_same("changed under the apply", &expected, &big.dump().await);
}

/// Fault (g): a lock held past `--lock-timeout`. The apply lock (held by a session with
/// grantplan's key): refused, naming the holder. A row the middle statement needs:
/// that statement gives up, naming what it waited for. Nothing changes either time.
#[tokio::test]
async fn a_lock_held_past_the_lock_timeout_ends_the_apply_with_nothing_applied() {
    let s = common::server();
    let big = Big::new(s, "locked", None).await;
    let before = big.dump().await;

    let locker = common::connect(&big.url).await;
    exec(
        &locker,
        &format!("SELECT pg_advisory_lock({})", grantplan::executor::LOCK_KEY),
    )
    .await;
    let locker_pid: i32 = locker
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let out = run(
        &["apply", "--yes", "--lock-timeout", "1s"],
        &big.file,
        &big.url,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    for needle in [
        &format!("is running against this database (pid {locker_pid}"),
        "waited 1s",
        "nothing was applied",
        "--lock-timeout",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_same("apply lock held", &before, &big.dump().await);
    drop(locker);

    let mid = big.schema(SCHEMAS / 2);
    let holder = big.hold_row(&big.url, &mid).await;
    let out = run(
        &["apply", "--yes", "--lock-timeout", "1s"],
        &big.file,
        &big.url,
    );
    exec(&holder, "ROLLBACK").await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    for needle in [
        &format!(
            "statement {} of {SCHEMAS} waited longer than the lock timeout (1s)",
            big.position(&mid) + 1
        ),
        &big.statements[big.position(&mid)],
        "55P03",
        "in relation \"pg_namespace\"",
        "nothing was applied (rolled back)",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_same("row held", &before, &big.dump().await);
}

/// `--lock-timeout` takes a positive duration within PostgreSQL's limit, refused before
/// anything connects.
#[test]
fn lock_timeouts_that_are_not_positive_bounded_durations_are_refused() {
    for (value, says) in [
        ("0s", "must be more than zero"),
        ("ten seconds", "(500ms, 10s, 2m)"),
        ("30days", "must be at most"),
    ] {
        let out = common::run(common::grantplan().args([
            "apply",
            "--yes",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "--lock-timeout",
            value,
        ]));
        assert_ne!(out.code, 0, "{value}");
        assert!(
            out.stderr.contains("--lock-timeout"),
            "{value}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(says), "{value}: {}", out.stderr);
    }
}

/// `grantplan apply` on a terminal: a pseudo-terminal from `script` (util-linux), whose
/// output is read to the end in a thread that says when the confirmation prompt appears.
struct Terminal {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    prompted: Option<std::sync::mpsc::Receiver<()>>,
    reader: std::thread::JoinHandle<String>,
}

impl Terminal {
    fn apply(big: &Big) -> Terminal {
        use std::io::Read;
        let command = format!(
            "'{}' apply -f '{}' --database-url '{}'",
            env!("CARGO_BIN_EXE_grantplan"),
            big.file.display(),
            big.url
        );
        let mut script = std::process::Command::new("script");
        script
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in common::CLEARED_ENV {
            script.env_remove(var);
        }
        let mut child = script
            .spawn()
            .expect("`script` (util-linux) gives grantplan a terminal");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tell, prompted) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let (mut text, mut buf, mut told) = (Vec::new(), [0u8; 4096], false);
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                text.extend_from_slice(&buf[..n]);
                if !told && String::from_utf8_lossy(&text).contains("Type yes to continue") {
                    told = true;
                    let _ = tell.send(());
                }
            }
            String::from_utf8_lossy(&text).into_owned()
        });
        Terminal {
            child,
            stdin,
            prompted: Some(prompted),
            reader,
        }
    }

    /// Returns once grantplan has shown the plan and asks for confirmation.
    async fn prompted(&mut self) {
        let rx = self.prompted.take().unwrap();
        tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap()
            .expect("grantplan asked for confirmation");
    }

    /// Types `answer` and returns grantplan's exit code and everything the terminal
    /// showed.
    async fn answer(self, answer: &str) -> (Option<i32>, String) {
        use std::io::Write;
        let Terminal {
            mut child,
            mut stdin,
            reader,
            ..
        } = self;
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        drop(stdin);
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        (status.code(), reader.join().unwrap())
    }
}

/// On a terminal the plan is shown and confirmed before the transaction begins, so the
/// person typing holds no lock. A change made while the plan waits for confirmation
/// makes the transaction's own plan differ from the confirmed one: refused, with the
/// difference. Confirmed again with nothing changed in between, it applies.
#[tokio::test]
async fn a_change_made_while_the_plan_waits_for_confirmation_is_refused() {
    let s = common::server();
    let big = Big::with(s, "confirm", None, 3).await;
    let before = big.dump().await;

    let mut terminal = Terminal::apply(&big);
    terminal.prompted().await;
    // Nothing is open on the server while the question is asked.
    let open: i64 = big
        .client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 \
               AND application_name = 'grantplan' AND state <> 'idle'",
            &[&big.db],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(open, 0, "no transaction open while asking");
    let intruder = format!("{}_intruder", big.prefix);
    let first = big.schema(0);
    exec(
        &big.client,
        &format!("GRANT CREATE ON SCHEMA {first} TO {intruder}"),
    )
    .await;
    let expected = big.dump().await;
    assert_ne!(before, expected);
    let (code, text) = terminal.answer("yes").await;
    assert_eq!(code, Some(1), "{text}");
    for needle in [
        "the catalog changed while the plan above waited for confirmation",
        "nothing was applied",
        &format!("+REVOKE CREATE ON SCHEMA {first} FROM {intruder};"),
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_same("changed while confirming", &expected, &big.dump().await);

    let mut terminal = Terminal::apply(&big);
    terminal.prompted().await;
    let (code, text) = terminal.answer("yes").await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("applied 4 statements"), "{text}");
    let converged = run(&["plan", "--detailed-exitcode"], &big.file, &big.url);
    assert_eq!(converged.code, 0, "{}", converged.stdout);
}

/// A statement refused while its batch is parsed (PostgreSQL parses a whole batch before
/// running any of it, so nothing of the batch completed) is still named exactly, with
/// its position in the plan, not as the batch's first statement.
#[tokio::test]
async fn a_statement_refused_by_the_parser_is_named_exactly() {
    let (db, mut client) = common::fresh_db("parse_error").await;
    let role = common::unique("reader");
    exec(&client, &format!("CREATE ROLE {role}; CREATE SCHEMA app;")).await;
    let good = format!("GRANT USAGE ON SCHEMA app TO {role};");
    // A bare reserved word: a syntax error, in the second batch, not first in it.
    let bad = format!("REVOKE USAGE ON SCHEMA analyse FROM {role};");
    let at = grantplan::executor::BATCH_SIZE + 37;
    let mut statements = vec![good; 2 * grantplan::executor::BATCH_SIZE];
    statements[at] = bad.clone();
    let err = grantplan::executor::apply(&mut client, &statements, &mut |_| {})
        .await
        .unwrap_err();
    match &err {
        grantplan::executor::ApplyError::Statement {
            number, sql, code, ..
        } => {
            assert_eq!(*number, at + 1, "{err}");
            assert_eq!(sql, &bad);
            assert_eq!(code.as_deref(), Some("42601"));
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string().starts_with(&format!(
            "statement {} of {} failed",
            at + 1,
            statements.len()
        )),
        "{err}"
    );
    // Nothing of the first batch stayed either.
    let acl: Option<String> = client
        .query_one(
            "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'app'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(acl.is_none(), "{acl:?} in {db}");
}

/// Statements that span lines (one object per line, as grantplan writes a statement
/// naming several objects or grantees) are sent as written, and a parse error in the
/// second object line of one of them is still pinned to that statement, after other
/// multi-line statements in the same batch, and the message names the line.
#[tokio::test]
async fn a_parse_error_inside_a_multi_line_statement_is_named_exactly() {
    use grantplan::model::{Grantee, PrincipalKind, Privilege, Securable, Target};
    use grantplan::sql::Statement;
    let (_db, mut client) = common::fresh_db("multi_line").await;
    let role = common::unique("reader");
    exec(
        &client,
        &format!(
            "CREATE ROLE {role}; CREATE SCHEMA app; CREATE SCHEMA app2;
             CREATE FUNCTION app.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';"
        ),
    )
    .await;
    let to = || vec![Grantee::principal(PrincipalKind::Role, &role)];
    let schema = |n: &str| Securable::Schema { name: n.into() };
    let function = |n: &str, args: &str| Securable::Function {
        schema: "app".into(),
        name: n.into(),
        args: Some(args.into()),
    };
    // Good: two schemas, and two grantees (PUBLIC too), each on a line of its own.
    let good = Statement::Grant {
        privileges: vec![Privilege::Usage],
        on: vec![schema("app"), schema("app2")],
        grantees: vec![Grantee::Public, to()[0].clone()],
    }
    .render(Target::Postgres);
    // Bad: the second object's argument list (as a hand-edited snapshot could hold it)
    // is a syntax error, on the statement's third line.
    let bad = Statement::Grant {
        privileges: vec![Privilege::Execute],
        on: vec![function("f", "integer"), function("g", "integer,,")],
        grantees: to(),
    }
    .render(Target::Postgres);
    assert_eq!(
        bad,
        format!(
            "GRANT EXECUTE ON FUNCTION\n    app.f(integer),\n    app.g(integer,,)\n  TO {role};"
        )
    );
    assert_eq!(good.lines().count(), 6, "{good}");
    let at = grantplan::executor::BATCH_SIZE + 41;
    let mut statements = vec![good; 2 * grantplan::executor::BATCH_SIZE];
    statements[at] = bad.clone();
    let err = grantplan::executor::apply(&mut client, &statements, &mut |_| {})
        .await
        .unwrap_err();
    match &err {
        grantplan::executor::ApplyError::Statement {
            number,
            sql,
            code,
            server,
            ..
        } => {
            assert_eq!(*number, at + 1, "{err}");
            assert_eq!(sql, &bad, "the exact text is kept");
            assert_eq!(code.as_deref(), Some("42601"));
            assert!(
                server.contains("\n  in line 3 of the statement: app.g(integer,,)"),
                "{server}"
            );
        }
        other => panic!("{other}"),
    }
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!(
            "statement {} of {} failed, nothing was applied (rolled back)\n  statement: \
             GRANT EXECUTE ON FUNCTION … TO {role}; (2 objects)\n  server: ERROR 42601: \
             syntax error at or near \",\"",
            at + 1,
            statements.len()
        )),
        "{shown}"
    );
    // Nothing stayed, and without the bad one every multi-line statement runs.
    let acl: Option<String> = client
        .query_one(
            "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'app2'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(acl.is_none(), "{acl:?}");
    statements.remove(at);
    grantplan::executor::apply(&mut client, &statements, &mut |_| {})
        .await
        .unwrap();
    let acl: Option<String> = client
        .query_one(
            "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'app2'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let acl = acl.unwrap_or_default();
    assert!(
        acl.contains(&format!("{role}=U/")) && acl.contains("=U/"),
        "{acl}"
    );
}

/// Roles and memberships belong to the whole server: two applies to two databases that
/// manage the same group's members are serialised by the server-wide roles lock, so the
/// second one's final check sees what the first committed and rolls back, instead of
/// both reporting success and the group ending with both files' members. Applied again,
/// the second converges.
#[tokio::test]
async fn applies_to_two_databases_that_manage_one_group_never_mix_its_members() {
    let s = common::server();
    let group = common::unique("shared_grp");
    let (u1, u2) = (common::unique("u1"), common::unique("u2"));
    let (db1, c1) = common::fresh_db("skew_a").await;
    let (db2, c2) = common::fresh_db("skew_b").await;
    exec(
        &c1,
        &format!("CREATE ROLE {group} NOLOGIN; CREATE ROLE {u1} LOGIN; CREATE ROLE {u2} LOGIN; CREATE SCHEMA app;"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, member: &str, schema: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "target: postgres\ngroups:\n  {group}:\n    members: [{member}]\n\
                 users:\n  {member}: {{}}\n{schema}"
            ),
        )
        .unwrap();
        path
    };
    // A also grants on a schema whose row a test session holds: A runs its membership
    // statement, then waits there, holding the roles lock, uncommitted.
    let file_a = file(
        "a.yaml",
        &u1,
        &format!("schemas:\n  app: {{usage: [{group}]}}\n"),
    );
    let file_b = file("b.yaml", &u2, "");
    let holder = common::connect(&s.admin_url(&db1)).await;
    exec(
        &holder,
        "BEGIN; SELECT 1 FROM pg_namespace WHERE nspname = 'app' FOR UPDATE",
    )
    .await;
    let a = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &file_a,
        &s.admin_url(&db1),
    );
    waiting(&c1, &db1, Wait::Row, &a).await;
    let b = Running::start(
        &["apply", "--yes", "--lock-timeout", "5m"],
        &file_b,
        &s.admin_url(&db2),
    );
    // B plans adding u2, and waits for A's lock before running it.
    waiting(&c2, &db2, Wait::RolesLock, &b).await;
    exec(&holder, "ROLLBACK").await;
    let (a, b) = (a.finish().await, b.finish().await);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(b.code, 1, "B must not report success: {}", b.stderr);
    assert!(b.stderr.contains("still differs"), "{}", b.stderr);
    assert!(
        b.stderr.contains(&format!("REVOKE {group} FROM {u1};")),
        "{}",
        b.stderr
    );

    async fn members(c: &Client, group: &str) -> Vec<String> {
        let rows = c
            .query(
                "SELECT m.rolname::text FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid \
                 JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = $1 ORDER BY 1",
                &[&group],
            )
            .await
            .unwrap();
        rows.iter().map(|r| r.get::<_, String>(0)).collect()
    }
    assert_eq!(members(&c2, &group).await, vec![u1], "A's file");
    let again = run(&["apply", "--yes"], &file_b, &s.admin_url(&db2));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        members(&c2, &group).await,
        vec![u2],
        "B's file, applied again"
    );
}

/// A grantplan stopped (SIGSTOP) in the middle of its apply transaction does not hold its
/// locks for longer than `--idle-timeout`: the server ends the idle session, rolling
/// back, and another session's GRANT on what it had changed goes through. When the
/// process resumes it says the connection was lost and nothing was changed.
#[tokio::test]
async fn a_stopped_apply_releases_its_locks_after_the_idle_timeout() {
    let s = common::server();
    let big = Big::with(s, "stalled", None, 50).await;
    let before = big.dump().await;
    let mid = big.schema(25);
    let holder = big.hold_row(&big.url, &mid).await;
    let apply = Running::start(
        &[
            "apply",
            "--yes",
            "--lock-timeout",
            "5m",
            "--idle-timeout",
            "1s",
        ],
        &big.file,
        &big.url,
    );
    waiting(&big.client, &big.db, Wait::Row, &apply).await;
    apply.signal("STOP");
    // The waiting statement completes once the row is free; the stopped client never
    // answers, and its session sits idle in its transaction until the timeout ends it.
    exec(&holder, "ROLLBACK").await;
    gone(&big.client, &big.db).await;
    // What the apply had changed is free: the row of its first schema, which its GRANT
    // had updated, can be locked at once.
    let other = common::connect(&big.url).await;
    exec(
        &other,
        &format!(
            "BEGIN; SELECT 1 FROM pg_namespace WHERE nspname = '{}' FOR UPDATE NOWAIT; ROLLBACK",
            big.schema(0)
        ),
    )
    .await;
    apply.signal("CONT");
    let out = apply.finish().await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("connection closed")
            && out.stderr.contains("nothing was applied (rolled back)"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("applied 50 statements"),
        "{}",
        out.stderr
    );
    assert_same("after the idle timeout", &before, &big.dump().await);
}

/// The apply timeouts are refused before anything connects when they are not positive
/// bounded durations, like --lock-timeout.
#[test]
fn statement_and_idle_timeouts_are_checked_like_the_lock_timeout() {
    for flag in ["--statement-timeout", "--idle-timeout"] {
        let out = common::run(common::grantplan().args([
            "apply",
            "--yes",
            flag,
            "0s",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ]));
        assert_eq!(out.code, 1, "{flag}: {}", out.stderr);
        assert!(
            out.stderr.contains("must be more than zero"),
            "{flag}: {}",
            out.stderr
        );
    }
}

/// Never a silent wait: within a second or two of waiting for a lock another session
/// holds, the apply says who holds it (pid, user, application) and how long until it
/// gives up; the timeout error names the holder too, not only a tuple.
#[tokio::test]
async fn a_wait_for_a_lock_says_who_holds_it_and_the_time_left() {
    let s = common::server();
    let big = Big::with(s, "waitsay", None, 20).await;
    let mid = big.schema(10);
    let holder = common::connect(&big.url).await;
    exec(
        &holder,
        &format!(
            "SET application_name = 'blocker'; BEGIN; \
             SELECT 1 FROM pg_namespace WHERE nspname = '{mid}' FOR UPDATE"
        ),
    )
    .await;
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let out = run(
        &["apply", "--yes", "--lock-timeout", "4s"],
        &big.file,
        &big.url,
    );
    drop(holder);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let said = format!("for a lock held by pid {holder_pid}, user postgres, application blocker");
    let waiting = out
        .stderr
        .lines()
        .find(|l| l.starts_with("waiting ") && l.contains(&said))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(
        waiting.contains("giving up in") && waiting.contains("(--lock-timeout 4s)"),
        "{waiting}"
    );
    assert!(
        out.stderr.contains(&format!(
            "held by: pid {holder_pid}, user postgres, application blocker"
        )),
        "{}",
        out.stderr
    );
}
