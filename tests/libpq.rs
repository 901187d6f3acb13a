//! grantplan reaches the server, database and login that psql reaches with the same
//! connection string and the same `PG*` variables.
//!
//! Each case is a connection string (a `postgres://` or `postgresql://` URL with or
//! without host, port, user, password and database, or `key=value` pairs) and a set of
//! `PG*` variables. psql 15 (libpq, the reference) runs `SELECT current_database(),
//! current_user, current_setting('port')` with them; grantplan runs `snapshot` (the
//! server's own word on the database and login) and `doctor` (the `user@host:port/db`
//! it connected to). Both must reach the same database, as the same login, on the same
//! port; or both must fail, and then grantplan's error must name the host and port
//! psql's names.
//!
//! The test server listens on a port that is not 5432 (on 127.0.0.1, and on a Unix
//! socket in its own directory), which is the case that matters: a variable that is
//! ignored sends the connection to 5432 or to the default socket, where nothing of the
//! test's answers.

mod common;

use common::{run, Run};
use std::process::Command;

/// psql, from the PostgreSQL client packages (the harness needs the server's anyway).
const PSQL: &str = "/usr/bin/psql";

/// What a connection reached: `(database, login, port)`, or the failure's text.
type Reached = Result<(String, String, String), String>;

/// The names a case may use: `{port}`, `{sock}`, `{db}`, `{user}`.
struct Names {
    port: String,
    sock: String,
    db: String,
    user: String,
}

impl Names {
    fn fill(&self, s: &str) -> String {
        s.replace("{port}", &self.port)
            .replace("{sock}", &self.sock)
            .replace("{sock_encoded}", &self.sock.replace('/', "%2F"))
            .replace("{db}", &self.db)
            .replace("{user}", &self.user)
    }
}

/// The operating system user the tests run as: libpq's default login.
fn os_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The environment both clients start from: no `PG*` variable from the shell running
/// the tests, no password file, a bounded connect timeout.
fn clean(cmd: &mut Command) {
    for var in common::CLEARED_ENV {
        cmd.env_remove(var);
    }
    for var in [
        "PGHOSTADDR",
        "PGAPPNAME",
        "PGOPTIONS",
        "PGSERVICE",
        "PGTARGETSESSIONATTRS",
        "PGPASSFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PGPASSFILE", "/nonexistent/grantplan-tests/pgpass");
    cmd.env("HOME", "/nonexistent/grantplan-tests/home");
    cmd.env("PGCONNECT_TIMEOUT", "5");
}

fn psql(conninfo: &str, env: &[(String, String)]) -> Reached {
    let mut cmd = Command::new(PSQL);
    clean(&mut cmd);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.args(["-w", "-X", "-A", "-t", "-F", "|", "-d", conninfo, "-c"]);
    cmd.arg("SELECT current_database(), current_user, current_setting('port')");
    let out = cmd.output().expect("psql runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let cols: Vec<&str> = text.trim().split('|').collect();
    assert_eq!(cols.len(), 3, "psql printed {text}");
    Ok((cols[0].into(), cols[1].into(), cols[2].into()))
}

fn grantplan(args: &[&str], conninfo: &str, env: &[(String, String)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = common::grantplan();
    cmd.current_dir(dir.path());
    cmd.env("PGCONNECT_TIMEOUT", "5");
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd.args(args).args(["--database-url", conninfo]);
    run(&mut cmd)
}

/// What grantplan reached: the database and login from the snapshot (the server says
/// them), the port from doctor's `user@host:port/db`.
fn grantplan_reached(conninfo: &str, env: &[(String, String)]) -> Reached {
    let snap = grantplan(&["snapshot"], conninfo, env);
    if snap.code != 0 {
        return Err(snap.stderr);
    }
    let json: serde_json::Value = serde_json::from_str(&snap.stdout).unwrap();
    let doctor = grantplan(&["doctor"], conninfo, env);
    let header = doctor.stdout.lines().next().unwrap_or_default().to_string();
    let port = header
        .rsplit_once('/')
        .and_then(|(left, _)| left.rsplit_once(':'))
        .map(|(_, port)| port.to_string())
        .unwrap_or_else(|| panic!("doctor's header names no port: {header}"));
    Ok((
        json["server"]["database"].as_str().unwrap().to_string(),
        json["server"]["login"].as_str().unwrap().to_string(),
        port,
    ))
}

/// The host (or socket directory) and port of psql's connection error:
/// `connection to server at "H" (...), port P failed` or
/// `connection to server on socket "/dir/.s.PGSQL.P" failed`.
fn psql_target(error: &str) -> Option<(String, String)> {
    if let Some(rest) = error.split("on socket \"").nth(1) {
        let path = rest.split('"').next()?;
        let (dir, file) = path.rsplit_once('/')?;
        return Some((dir.to_string(), file.strip_prefix(".s.PGSQL.")?.to_string()));
    }
    let rest = error.split("connection to server at \"").nth(1)?;
    let host = rest.split('"').next()?;
    let port = rest.split("port ").nth(1)?.split(' ').next()?;
    Some((host.to_string(), port.to_string()))
}

#[test]
fn grantplan_reaches_what_psql_reaches_with_the_same_url_and_variables() {
    let server = common::server();
    let me = os_user();
    let names = Names {
        port: server.port().to_string(),
        sock: server.dir().display().to_string(),
        db: common::unique("shop"),
        user: common::unique("alice"),
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let admin = common::connect(&server.admin_url("postgres")).await;
            let q = common::quote_ident;
            for sql in [
                format!("CREATE ROLE {} LOGIN", q(&names.user)),
                format!("CREATE DATABASE {}", q(&names.db)),
                format!("CREATE DATABASE {}", q(&names.user)),
            ] {
                admin.batch_execute(&sql).await.unwrap();
            }
            // libpq's default login and database: the OS user (which may be `postgres`).
            let _ = admin
                .batch_execute(&format!("CREATE ROLE {} LOGIN", q(&me)))
                .await;
            let _ = admin
                .batch_execute(&format!("CREATE DATABASE {}", q(&me)))
                .await;
        });

    // (connection string, variables); `{...}` filled from `names`.
    let cases: &[(&str, &[(&str, &str)])] = &[
        // The case: the URL has no port, PGPORT has it.
        ("postgres://{user}@127.0.0.1/{db}", &[("PGPORT", "{port}")]),
        ("postgres://{user}@localhost/{db}", &[("PGPORT", "{port}")]),
        (
            "postgresql://127.0.0.1/{db}",
            &[("PGPORT", "{port}"), ("PGUSER", "{user}")],
        ),
        (
            "postgres://127.0.0.1:{port}",
            &[("PGUSER", "{user}"), ("PGDATABASE", "{db}")],
        ),
        // No database anywhere: the one named after the user.
        ("postgres://127.0.0.1:{port}/", &[("PGUSER", "{user}")]),
        // No user anywhere: the OS user (not $USER), and its database.
        ("postgres://127.0.0.1:{port}", &[("USER", "nobody-at-all")]),
        (
            "postgres://",
            &[
                ("PGHOST", "127.0.0.1"),
                ("PGPORT", "{port}"),
                ("PGUSER", "{user}"),
                ("PGDATABASE", "{db}"),
            ],
        ),
        // Empty parts are not given: the variables apply.
        (
            "postgres://@:/?",
            &[
                ("PGHOST", "127.0.0.1"),
                ("PGPORT", "{port}"),
                ("PGUSER", "{user}"),
                ("PGDATABASE", "{db}"),
            ],
        ),
        (
            "postgres://{user}:@127.0.0.1:/{db}",
            &[("PGPORT", "{port}")],
        ),
        (
            "postgres://{user}:unused-password@127.0.0.1/{db}",
            &[("PGPORT", "{port}")],
        ),
        // Unix sockets: from PGHOST, percent-encoded in the URL, as a parameter.
        (
            "postgres:///{db}",
            &[
                ("PGHOST", "{sock}"),
                ("PGPORT", "{port}"),
                ("PGUSER", "{user}"),
            ],
        ),
        ("postgres://{sock_encoded}/{db}", &[("PGPORT", "{port}")]),
        ("postgres://{user}@/{db}?host={sock}&port={port}", &[]),
        // The URL wins over the variables where it says something.
        (
            "postgres://{user}@127.0.0.1:{port}/{db}",
            &[
                ("PGHOST", "{sock}"),
                ("PGPORT", "1"),
                ("PGUSER", "postgres"),
                ("PGDATABASE", "postgres"),
            ],
        ),
        // A parameter beats the URL's own part; one written empty beats the variable.
        ("postgres://{user}@127.0.0.1:1/{db}?port={port}", &[]),
        (
            "postgres://{user}@127.0.0.1/{db}?port=",
            &[("PGPORT", "{port}")],
        ),
        // hostaddr, from its variable.
        (
            "postgres://{user}@/{db}",
            &[("PGHOSTADDR", "127.0.0.1"), ("PGPORT", "{port}")],
        ),
        // No host anywhere: the default socket directory, where no test server is.
        ("postgres://{user}@:{port}/{db}", &[]),
        // Several hosts in a URL: libpq's quirk, PGPORT does not apply.
        (
            "postgres://{user}@127.0.0.1,127.0.0.1/{db}",
            &[("PGPORT", "{port}")],
        ),
        // key=value form.
        (
            "host=127.0.0.1 dbname={db}",
            &[("PGPORT", "{port}"), ("PGUSER", "{user}")],
        ),
        (
            "user={user}",
            &[
                ("PGHOST", "{sock}"),
                ("PGPORT", "{port}"),
                ("PGDATABASE", "{db}"),
            ],
        ),
        ("host={sock} port={port}", &[]),
        (
            "host=127.0.0.1 port='' user={user} dbname={db}",
            &[("PGPORT", "{port}")],
        ),
        (
            "host=127.0.0.1,127.0.0.1 user={user} dbname={db}",
            &[("PGPORT", "{port}")],
        ),
    ];
    let mut reached = 0;
    let mut report = Vec::new();
    for (url, env) in cases {
        let url = names.fill(url);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), names.fill(v)))
            .collect();
        let theirs = psql(&url, &env);
        let ours = grantplan_reached(&url, &env);
        report.push(format!(
            "{url} {env:?}: psql {theirs:?}, grantplan {ours:?}"
        ));
        match (&theirs, &ours) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    a, b,
                    "{url} {env:?}: psql and grantplan reached different servers"
                );
                assert_eq!(a.2, names.port, "{url}: not the test server");
                reached += 1;
            }
            (Err(e), Err(ours)) => {
                let (host, port) = psql_target(e)
                    .unwrap_or_else(|| panic!("{url}: psql's error names no server: {e}"));
                assert!(
                    ours.contains(&format!("@{host}:{port}/")),
                    "{url} {env:?}: psql tried {host}:{port} ({e}); grantplan: {ours}"
                );
            }
            _ => panic!(
                "{url} {env:?}: psql {theirs:?}, grantplan {ours:?}: one connected and the \
                 other did not"
            ),
        }
    }
    // Shown with --nocapture: what each side reached.
    println!("{}", report.join("\n"));
    // Most cases reach the test server; the few that must not are there to show that
    // grantplan fails where psql fails, in the same place.
    assert!(reached >= cases.len() - 4, "{}", report.join("\n"));
}

/// With no URL at all, the `PG*` variables are not used (a plan stays offline, a
/// command that needs a server says it needs one), and grantplan says that they were
/// not, and how to use them.
#[test]
fn pg_variables_without_a_url_are_said_to_be_unused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grants.yaml"), "target: postgres\n").unwrap();
    let out = run(common::grantplan()
        .current_dir(dir.path())
        .env("PGHOST", "127.0.0.1")
        .env("PGDATABASE", "shop")
        .arg("plan"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("-- offline plan"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("$PGHOST and $PGDATABASE are set but were not used"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--database-url postgres://"),
        "{}",
        out.stderr
    );
    let out = run(common::grantplan()
        .current_dir(dir.path())
        .env("PGDATABASE", "shop")
        .arg("snapshot"));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("snapshot needs a database"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("$PGDATABASE is set but was not used"),
        "{}",
        out.stderr
    );
    // Nothing said when none is set.
    let out = run(common::grantplan().current_dir(dir.path()).arg("plan"));
    assert!(!out.stderr.contains("not used"), "{}", out.stderr);
}
