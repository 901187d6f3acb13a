//! A throwaway PostgreSQL 15 server for integration tests.
//!
//! Every integration test binary that says `mod common;` gets ONE server, started lazily
//! on first use ([`server`]) and shared by all of that binary's tests. Tests keep out of
//! each other's way by working in their own database ([`fresh_db`]) and by giving the
//! roles they create unique names ([`unique`]): databases are per test, roles are
//! cluster-wide.
//!
//! Why it is built this way:
//! - Crates that download PostgreSQL or pull container images cannot reach anything here,
//!   so the harness drives the distribution's binaries (`/usr/lib/postgresql/15/bin`, or
//!   `GRANTPLAN_PG_BIN`) with `initdb` and `pg_ctl`.
//! - `initdb` and `postgres` refuse to run as root, so as root every binary runs through
//!   `runuser -u postgres` in a directory that user owns.
//! - Statics are never dropped in a Rust test binary, so a `Drop` guard would leak one
//!   server per run. Instead a watchdog shell (see [`Watchdog`]) waits on a pipe whose
//!   write end this process holds; when the process exits for any reason (success,
//!   panic, SIGKILL), the kernel closes the pipe and the watchdog stops the server and
//!   removes its directory.
//! - A missing PostgreSQL is a failure, never a silent skip: a test that cannot start the
//!   server panics, under `CI=true` and outside it alike.
//! - A test binary that needs a differently configured server (TLS on, with its own
//!   certificate files) starts one more with [`Server::start_with`]; [`server`] stays
//!   the plain shared one.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

/// Where Debian's postgresql-15 package puts its binaries.
const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running server owned by this test process.
pub struct Server {
    port: u16,
    /// Temporary directory holding `data/`, the socket and `log`.
    dir: PathBuf,
    /// How long initdb + start took, for anyone curious about test overhead.
    pub startup: Duration,
    /// Held, never written: its closing at process exit is the watchdog's signal.
    _watchdog: ChildStdin,
    /// How `pg_ctl` was run, for [`Server::stop`] and [`Server::start_again`].
    bin: PathBuf,
    as_postgres: bool,
    /// The `pg_ctl -o` options the server was started with (its port among them).
    opts: String,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The temporary directory (data directory is `dir/data`, log is `dir/log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `postgres://user@127.0.0.1:port/db`; user and db are percent-encoded, so hostile
    /// role names (`Sales ML`, `a"b`) work. Authentication is `trust`: no password.
    pub fn url(&self, db: &str, user: &str) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            percent_encode(user),
            self.port,
            percent_encode(db)
        )
    }

    /// [`Server::url`] for the bootstrap superuser `postgres`.
    pub fn admin_url(&self, db: &str) -> String {
        self.url(db, "postgres")
    }

    /// The server log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn runner(&self) -> Runner {
        Runner {
            bin: self.bin.clone(),
            as_postgres: self.as_postgres,
        }
    }

    /// `pg_ctl stop -m MODE` (`smart`, `fast`, or `immediate`: every backend killed at
    /// once, no checkpoint, crash recovery on the next start), waiting until it is down.
    /// Only for a server of the test's own ([`Server::start_with`]): the shared one
    /// serves other tests.
    pub fn stop(&self, mode: &str) {
        let r = self.runner();
        r.run(
            "pg_ctl stop",
            r.command(r.tool("pg_ctl"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", mode, "-w", "-t", "60", "stop"]),
        )
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", self.log()));
    }

    /// Starts a server stopped by [`Server::stop`] again, on the same port with the same
    /// settings (after `immediate`, it recovers from its WAL first), waiting until it
    /// accepts connections.
    pub fn start_again(&self) {
        let r = self.runner();
        r.run(
            "pg_ctl start",
            r.command(r.tool("pg_ctl"))
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-o", &self.opts, "-w", "-t", "60", "-l"])
                .arg(self.dir.join("log"))
                .arg("start"),
        )
        .unwrap_or_else(|e| panic!("{e}\nserver log:\n{}", self.log()));
    }
}

/// The server of this test binary, started on first call.
///
/// Panics (in every test that calls it) when PostgreSQL cannot be started; the message
/// says why and what to install.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    // The outcome is stored, error included, so a broken setup fails every test quickly
    // with the same message instead of retrying initdb in each one.
    match SERVER.get_or_init(|| start(&ServerOptions::default())) {
        Ok(s) => s,
        Err(e) => cannot_start(e),
    }
}

/// What a server started with [`Server::start_with`] gets besides the harness's own
/// settings.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `-c name=value` settings, after the harness's own (so they win). Values go
    /// through `pg_ctl -o`: no spaces or quotes.
    pub settings: Vec<(String, String)>,
    /// Files written into the data directory after initdb and before the start:
    /// `(file name, contents, mode)`, owned by the user the server runs as (a private
    /// key must be 0600 and the server's own, or PostgreSQL refuses it).
    pub files: Vec<(String, Vec<u8>, u32)>,
}

impl Server {
    /// A server of its own, with extra settings and files; stopped and removed at
    /// process exit like the shared one. Callers that share it keep it in a static.
    /// Panics as [`server`] does when it cannot start.
    pub fn start_with(options: &ServerOptions) -> Server {
        start(options).unwrap_or_else(|e| cannot_start(&e))
    }
}

/// The panic of a test that needs PostgreSQL and cannot have it: never a skip.
fn cannot_start(e: &str) -> ! {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    if ci {
        panic!(
            "cannot start the throwaway PostgreSQL server, and under CI a test that \
             needs it fails rather than being skipped:\n{e}"
        );
    }
    panic!(
        "cannot start the throwaway PostgreSQL server:\n{e}\n\nThe integration tests \
         need PostgreSQL 15 binaries: `apt-get install postgresql-15` (Debian/Ubuntu), \
         or point GRANTPLAN_PG_BIN at a directory holding initdb and pg_ctl."
    );
}

/// A new, empty database for one test, with a superuser (`postgres`) client connected to
/// it. Names are unique per process and call, so tests never share a database.
pub async fn fresh_db(name_hint: &str) -> (String, Client) {
    let s = server();
    let hint: String = name_hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let name = unique(&format!("t_{hint}"));
    let admin = connect(&s.admin_url("postgres")).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {}", describe(&e)));
    drop(admin);
    let client = connect(&s.admin_url(&name)).await;
    (name, client)
}

/// `prefix_PID_N`: a name no other test (in this or a concurrent test process) uses.
/// Roles are cluster-wide, so every role a test creates needs one of these.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// Connects and spawns the connection task on the current tokio runtime. Panics with the
/// server's full error (tokio-postgres's `Display` only says `db error`).
pub async fn connect(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {}", describe(&e)));
    tokio::spawn(async move {
        // Ends when the client is dropped or the test's runtime shuts down.
        let _ = conn.await;
    });
    client
}

/// Runs `sql` (one or more statements), panicking with the server's error and the SQL
/// (its first 2,000 bytes: some tests run very long scripts).
pub async fn exec(c: &Client, sql: &str) {
    c.batch_execute(sql).await.unwrap_or_else(|e| {
        let end = (0..=sql.len().min(2_000))
            .rev()
            .find(|&i| sql.is_char_boundary(i))
            .unwrap_or(0);
        panic!("{}\n{}", describe(&e), &sql[..end])
    });
}

/// A file of `tests/data/redshift`: the recreated Redshift catalog and its scenarios.
pub fn redshift_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/redshift")
        .join(name)
}

/// A fresh database holding the recreated Redshift catalog (`catalog.sql`) and the given
/// scenario files, in order, whose search_path puts the recreated views before
/// pg_catalog, so the Redshift reader's SQL runs against them unchanged.
pub async fn redshift_fixture(hint: &str, scenarios: &[&str]) -> (String, Client) {
    let (db, c) = fresh_db(hint).await;
    exec(
        &c,
        &std::fs::read_to_string(redshift_data("catalog.sql")).unwrap(),
    )
    .await;
    for s in scenarios {
        exec(&c, &std::fs::read_to_string(redshift_data(s)).unwrap()).await;
    }
    exec(
        &c,
        &format!(
            "ALTER DATABASE {} SET search_path = redshift_catalog, pg_catalog",
            quote_ident(&db)
        ),
    )
    .await;
    (db, c)
}

/// Connects to a recreated Redshift catalog the way the binary does (plaintext asked
/// for: the test server speaks no TLS) and reads it with the Redshift reader.
pub async fn redshift_read(
    url: &str,
) -> Result<grantplan::catalog::Snapshot, grantplan::catalog::ReadError> {
    let flags = grantplan::db::ConnectFlags {
        sslmode: Some(grantplan::tls::SslMode::Disable),
        ..Default::default()
    };
    let settings = grantplan::db::settings(url, &flags, &|_| None).unwrap();
    let session = grantplan::db::connect(&settings, Some(grantplan::model::Target::Redshift))
        .await
        .unwrap();
    assert_eq!(
        session.target,
        grantplan::model::Target::Redshift,
        "{}",
        session.evidence
    );
    grantplan::catalog::read(&session.client, session.target).await
}

/// `"name"` with `"` doubled: always quoted, for test SQL only.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An error with SQLSTATE, message, detail and hint where the server sent them.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{} {}: {}{}{}",
            db.severity(),
            db.code().code(),
            db.message(),
            db.detail()
                .map(|d| format!("\nDETAIL: {d}"))
                .unwrap_or_default(),
            db.hint()
                .map(|h| format!("\nHINT: {h}"))
                .unwrap_or_default(),
        ),
        None => match std::error::Error::source(e) {
            Some(src) => format!("{e}: {src}"),
            None => e.to_string(),
        },
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How the binaries are run: as root through `runuser -u postgres`, otherwise directly.
struct Runner {
    bin: PathBuf,
    as_postgres: bool,
}

impl Runner {
    /// `program` as the right user. Bare names (`sh`, `mktemp`) are looked up in PATH;
    /// PostgreSQL tools are passed as `self.tool(..)`.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// Runs to completion; Err carries the command's output.
    fn run(&self, what: &str, cmd: &mut Command) -> Result<String, String> {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{what}: cannot run {cmd:?}: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(format!("{what} failed ({}): {cmd:?}\n{text}", out.status))
        }
    }

    /// Writes `contents` to `path` as the user the server runs as, with `mode`: the
    /// file is created under umask 077, so it is never readable by others, even briefly.
    fn write_file(&self, path: &Path, contents: &[u8], mode: u32) -> Result<(), String> {
        let mut cmd = self.command("sh");
        cmd.arg("-c")
            .arg(r#"umask 077 && cat > "$1" && chmod "$2" "$1""#)
            .arg("grantplan-pg-write")
            .arg(path)
            .arg(format!("{mode:o}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin
            .write_all(contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        drop(stdin);
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "writing {} failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// Stops the server and removes its directory when this process exits.
///
/// A shell reads its stdin, a pipe whose only write end is held in the [`Server`] static
/// (std opens pipes close-on-exec, so no other child inherits it). `read` returns only
/// when the pipe closes, which the kernel does when this process exits, however it exits.
/// The shell then runs `pg_ctl stop -m fast` and `rm -rf`. It runs in its own process
/// group so that a Ctrl-C aimed at `cargo test` does not kill it before it has cleaned
/// up, and its output goes nowhere so it cannot hold a caller's pipe open.
struct Watchdog;

impl Watchdog {
    fn spawn(runner: &Runner, dir: &Path) -> Result<ChildStdin, String> {
        let pg_ctl = runner.tool("pg_ctl");
        let mut cmd = runner.command("sh");
        cmd.arg("-c")
            .arg(r#"read _; "$1" -D "$2" stop -m fast; rm -rf "$3""#)
            .arg("grantplan-pg-watchdog")
            .arg(&pg_ctl)
            .arg(dir.join("data"))
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot spawn the watchdog {cmd:?}: {e}"))?;
        // The Child handle is dropped without waiting: the watchdog outlives us by design.
        Ok(child.stdin.take().expect("piped stdin"))
    }
}

fn start(options: &ServerOptions) -> Result<Server, String> {
    let t0 = Instant::now();
    let bin = std::env::var_os("GRANTPLAN_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN));
    for tool in ["initdb", "pg_ctl"] {
        if !bin.join(tool).exists() {
            return Err(format!(
                "{} not found (PostgreSQL 15 binaries are expected in {})",
                bin.join(tool).display(),
                bin.display()
            ));
        }
    }
    // The owner of /proc/self is our effective uid.
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let runner = Runner {
        bin,
        as_postgres: root,
    };

    // As root the directory must belong to `postgres` and be reachable by it: make it in
    // /tmp as that user.
    let template = if root {
        "/tmp/grantplan-pg-XXXXXX".to_string()
    } else {
        std::env::temp_dir()
            .join("grantplan-pg-XXXXXX")
            .to_string_lossy()
            .into_owned()
    };
    let dir = runner.run("mktemp", runner.command("mktemp").args(["-d", &template]))?;
    let dir = PathBuf::from(dir.trim());
    // From here on the watchdog removes the directory whatever happens, including a
    // failed start (its stdin closes when this function returns an error).
    let watchdog = Watchdog::spawn(&runner, &dir)?;
    let data = dir.join("data");

    runner.run(
        "initdb",
        runner
            .command(runner.tool("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .args(["--locale", "C"]),
    )?;
    for (name, contents, mode) in &options.files {
        runner.write_file(&data.join(name), contents, *mode)?;
    }
    let extra: String = options
        .settings
        .iter()
        .map(|(k, v)| format!(" -c {k}={v}"))
        .collect();

    // The port is picked by binding :0 and releasing it; another process could take it
    // in between, so a failed start is retried with a new port.
    let mut last_err = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let opts = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=100 -c shared_preload_libraries=pg_stat_statements{extra}",
            dir.display()
        );
        // shared_preload_libraries: tests count the statements a catalog read issues
        // with pg_stat_statements (shipped with Debian's postgresql-15).
        match runner.run(
            "pg_ctl start",
            runner
                .command(runner.tool("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &opts, "-w", "-t", "60", "-l"])
                .arg(dir.join("log"))
                .arg("start"),
        ) {
            Ok(_) => {
                return Ok(Server {
                    port,
                    dir,
                    startup: t0.elapsed(),
                    _watchdog: watchdog,
                    bin: runner.bin.clone(),
                    as_postgres: runner.as_postgres,
                    opts,
                })
            }
            Err(e) => {
                let mut log = String::new();
                let _ = std::fs::File::open(dir.join("log"))
                    .and_then(|mut f| f.read_to_string(&mut log));
                last_err = format!("{e}\nserver log:\n{log}");
            }
        }
    }
    Err(last_err)
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot bind a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the bound port: {e}"))
}

/// The variables [`grantplan`] and [`grantplan_process`] remove from the environment: no
/// database, TLS or timeout settings leak in from the shell running the tests (the last
/// two change what `sslrootcert=system` reads).
pub const CLEARED_ENV: [&str; 12] = [
    "GRANTPLAN_DATABASE_URL",
    "DATABASE_URL",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGCONNECT_TIMEOUT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// A password file that does not exist (not the developer's ~/.pgpass; tests of the
/// password file set `PGPASSFILE` or `HOME` themselves).
const NO_PASSFILE: &str = "/nonexistent/grantplan-tests/pgpass";

/// A home directory that does not exist: the developer's `~/.postgresql/root.crt` would
/// make `require` verify (as in libpq), so tests of it set `HOME` themselves.
pub const NO_HOME: &str = "/nonexistent/grantplan-tests/home";

/// A TCP listener on 127.0.0.1 that nobody should connect to: the port to name as the
/// server's, and the listener for [`assert_nobody_connected`]. For tests that prove a URL
/// or a setting is refused before any connection is made.
pub fn untouched_listener() -> (u16, std::net::TcpListener) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    (listener.local_addr().unwrap().port(), listener)
}

/// Panics when a client connected to `listener` (the kernel completes the handshake
/// and queues it even though nothing calls accept, so a connection that was made is
/// still waiting there).
pub fn assert_nobody_connected(listener: &std::net::TcpListener, context: &str) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("a connection was made (from {peer}): {context}"),
        Err(e) => panic!("accept: {e}: {context}"),
    }
}

/// [`grantplan`] as a `std::process::Command`, for a test that starts the binary, does
/// something while it runs (signals it, kills its server), and then waits for it.
pub fn grantplan_process() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grantplan"));
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("PGPASSFILE", NO_PASSFILE);
    cmd.env("HOME", NO_HOME);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// The grantplan binary with a clean environment (see [`CLEARED_ENV`]), no colour in its
/// output, and no password file.
pub fn grantplan() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("grantplan").unwrap();
    for var in CLEARED_ENV {
        cmd.env_remove(var);
    }
    cmd.env("PGPASSFILE", NO_PASSFILE);
    cmd.env("HOME", NO_HOME);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What one run of the binary gave.
pub struct Run {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end. A generous timeout turns a hang into a failure instead of a
/// stuck CI job.
/// `grantplan ARGS -f FILE --database-url URL`, run.
pub fn run_with(args: &[&str], file: &Path, url: &str) -> Run {
    run(grantplan()
        .args(args)
        .arg("-f")
        .arg(file)
        .arg("--database-url")
        .arg(url))
}

/// [`run_with`] against the recreated Redshift catalog, which speaks no TLS (a Redshift
/// target requires it by default).
pub fn run_redshift(args: &[&str], file: &Path, url: &str) -> Run {
    run(grantplan()
        .env("PGSSLMODE", "disable")
        .args(args)
        .arg("-f")
        .arg(file)
        .arg("--database-url")
        .arg(url))
}

/// `plan --out DIR/` (into `dir`'s `plans`, emptied first) then `apply --yes` of the file
/// it wrote, read back before it runs: the plan file and the apply's result.
pub fn apply_through_plan_file(dir: &tempfile::TempDir, file: &Path, url: &str) -> (PathBuf, Run) {
    let plans = dir.path().join("plans");
    let _ = std::fs::remove_dir_all(&plans);
    let out = run(grantplan()
        .args(["plan", "--out"])
        .arg(format!("{}/", plans.display()))
        .arg("-f")
        .arg(file)
        .arg("--database-url")
        .arg(url));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let planfile = std::fs::read_dir(&plans)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let apply = run(grantplan()
        .args(["apply", "--yes"])
        .arg(&planfile)
        .arg("-f")
        .arg(file)
        .arg("--database-url")
        .arg(url));
    (planfile, apply)
}

/// A successful plan's lines after its `-- plan for` header.
pub fn plan_lines(out: &Run) -> Vec<String> {
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("-- plan for "), "{}", out.stdout);
    lines.map(str::to_string).collect()
}

/// Writes `text` to `name` in `dir`; its path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    run_within(cmd, Duration::from_secs(120))
}

/// [`run`] with another limit: for a test whose very point is that the command does not
/// hang, so that a hang fails quickly. A process killed at the limit has code -1.
pub fn run_within(cmd: &mut assert_cmd::Command, limit: Duration) -> Run {
    let out = cmd.timeout(limit).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// SQL for the recreated Redshift catalog (tests/data/redshift/catalog.sql): a login
/// `viewer` that is a plain user of the cluster (`pg_user` id 900), not a superuser.
pub fn redshift_viewer_sql(viewer: &str) -> String {
    format!(
        "CREATE ROLE {} LOGIN;
         INSERT INTO redshift_catalog.pg_user (usename, usesysid) VALUES ('{}', 900);",
        quote_ident(viewer),
        viewer.replace('\'', "''")
    )
}

/// SQL for the recreated Redshift catalog: `viewer` (from [`redshift_viewer_sql`]) given
/// ACCESS SYSTEM TABLE through a role, `catalog_readers`, as the README advises.
pub fn redshift_access_system_table_sql(viewer: &str) -> String {
    format!(
        "INSERT INTO redshift_catalog.svv_roles VALUES (400, 'catalog_readers', 'postgres', NULL);
         INSERT INTO redshift_catalog.svv_user_grants VALUES (900, '{}', 400, 'catalog_readers', false);
         INSERT INTO redshift_catalog.svv_system_privileges VALUES ('ACCESS SYSTEM TABLE', 400, 'catalog_readers', 'role');",
        viewer.replace('\'', "''")
    )
}

/// Panics unless `json` is valid against `docs/schemas/NAME.schema.json`, the schema
/// grantplan publishes for that output (docs/json.md).
pub fn assert_matches_schema(json: &str, name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/schemas")
        .join(format!("{name}.schema.json"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}):\n{json}"));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{}: not a schema: {e}", path.display()));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:#?}\n{json}");
}

/// Reaps the child `pid` with wait4 and returns its exit code (-1 when a signal ended
/// it) and its peak resident set size in bytes. std's `wait` drops the rusage that
/// wait4 fills in, so a child whose memory is measured is reaped here instead.
///
/// Linux counts in a child's peak the memory of the process that spawned it, up to its
/// `exec` (the kernel carries the old address space's high-water mark over): the
/// spawning process must stay small for the figure to be the child's own.
pub fn wait4(pid: libc::pid_t, flags: libc::c_int) -> Option<(i32, u64)> {
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it in for a child of this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
    assert!(
        r == pid || (r == 0 && flags & libc::WNOHANG != 0),
        "wait4 failed: {r}"
    );
    if r == 0 {
        return None;
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports KiB.
    Some((code, usage.ru_maxrss as u64 * 1024))
}

/// How [`run_bounded`] ended.
pub struct Bounded {
    /// The exit code; -1 when a signal ended the process (the watch's own kill included).
    pub code: i32,
    /// Peak resident set size in bytes, from wait4.
    pub peak_rss: u64,
    /// It was killed: its resident size went past the limit, or it ran past the timeout.
    pub killed: bool,
    pub stderr: String,
}

/// Runs `cmd` to its end, reading its resident size from /proc every 20 ms and killing
/// it past `limit` bytes or after `timeout`: a test of a memory bound then fails instead
/// of exhausting a machine shared with others. Its stdout is discarded.
pub fn run_bounded(cmd: &mut Command, limit: u64, timeout: Duration) -> Bounded {
    let err = tempfile::NamedTempFile::new().unwrap();
    // Reaped by wait4 below, which std's wait cannot replace (it drops the rusage).
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(err.reopen().unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut killed = false;
    let (code, peak_rss) = loop {
        // The child is not reaped before wait4 returns it, so `pid` is still this one.
        if let Some(done) = wait4(pid, libc::WNOHANG) {
            break done;
        }
        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map_or(0, |kib| kib * 1024);
        if !killed && (rss > limit || start.elapsed() > timeout) {
            // SAFETY: kill(2) on our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Bounded {
        code,
        peak_rss,
        killed,
        stderr: std::fs::read_to_string(err.path()).unwrap_or_default(),
    }
}
