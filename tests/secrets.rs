//! Secrets stay secret: every command, and every error path we can provoke, is run with
//! a known, distinctive password, given each way grantplan accepts one; everything it
//! prints (stdout, stderr) and every file it writes (plan files, snapshots, exported
//! YAML, IAM documents) is searched for that password, as typed and percent-encoded.
//!
//! The server is a PostgreSQL of its own whose pg_hba.conf demands SCRAM-SHA-256 for
//! every user but the harness's `postgres` superuser, so the password really is used:
//! a command that succeeds has logged in with it (checked: without it, and with a wrong
//! one, the login fails).
//!
//! Password sources: (a) the URL, as `--database-url`, as `$GRANTPLAN_DATABASE_URL`
//! and as a `key=value` string; (b) `$PGPASSWORD`; (c) the password file, as
//! `$PGPASSFILE` and as `~/.pgpass`.

mod common;

use common::{run, Run, Server, ServerOptions};
use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The password: distinctive (`S3cr3t` occurs nowhere else), and made of what URLs,
/// `key=value` strings and the password file each have to escape.
const PASSWORD: &str = "Gp!S3cr3t:p@ss/w0rd%ü'x";
/// A wrong password, as distinctive, for the failed-login paths.
const WRONG: &str = "Wr0ng!S3cr3t:p@ss/%ü'y";

struct Fixture {
    server: Server,
    /// A login that needs the password: CREATEROLE, owns the schema `mine` in each
    /// test's database, has no privilege on `theirs`.
    login: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let hba = "\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
";
        let server = Server::start_with(&ServerOptions {
            settings: vec![("password_encryption".into(), "scram-sha-256".into())],
            files: vec![("pg_hba.conf".into(), hba.as_bytes().to_vec(), 0o600)],
        });
        let login = common::unique("gp_login");
        block_on(async {
            let admin = common::connect(&server.admin_url("postgres")).await;
            admin
                .batch_execute(&format!(
                    "CREATE ROLE {login} LOGIN CREATEROLE PASSWORD {}",
                    literal(PASSWORD)
                ))
                .await
                .unwrap();
        });
        Fixture { server, login }
    })
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Percent-encodes everything but unreserved characters, as a careful user would.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A password file field: `:` and `\` escaped.
fn pgpass_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(':', "\\:")
}

/// The forms of the passwords that must never be seen, and the distinctive core of
/// both, which also catches any partial or re-encoded rendering that keeps it whole.
fn needles() -> Vec<String> {
    vec![
        PASSWORD.to_string(),
        encode(PASSWORD),
        WRONG.to_string(),
        encode(WRONG),
        "S3cr3t".to_string(),
    ]
}

/// The needles found in `text`.
fn leaks(text: &str) -> Vec<String> {
    needles().into_iter().filter(|n| text.contains(n)).collect()
}

/// A fresh database with `mine` (owned by the login) and `theirs` (not).
fn fresh_db(hint: &str) -> String {
    let f = fixture();
    let db = common::unique(&format!("secrets_{hint}"));
    let login = &f.login;
    block_on(async {
        let admin = common::connect(&f.server.admin_url("postgres")).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        let client = common::connect(&f.server.admin_url(&db)).await;
        client
            .batch_execute(&format!(
                "CREATE SCHEMA mine AUTHORIZATION {login}; CREATE SCHEMA theirs;"
            ))
            .await
            .unwrap();
    });
    db
}

/// A listener that accepts and never answers.
fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for sock in listener.incoming().flatten() {
            held.push(sock);
        }
    });
    addr
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// `--database-url postgres://login:PASSWORD@...`
    UrlFlag,
    /// `$GRANTPLAN_DATABASE_URL=postgres://login:PASSWORD@...`
    UrlEnv,
    /// `--database-url "host=... password='PASSWORD'"`
    KeyValue,
    /// `$PGPASSWORD`
    PgPassword,
    /// `$PGPASSFILE`
    PgPassFile,
    /// `$HOME/.pgpass`
    HomePgPass,
}

impl Source {
    /// How the error message names where the password came from.
    fn named(self) -> &'static str {
        match self {
            Source::UrlFlag | Source::UrlEnv | Source::KeyValue => "from the database URL",
            Source::PgPassword => "from $PGPASSWORD",
            Source::PgPassFile | Source::HomePgPass => "from the password file",
        }
    }
}

/// One source's run of every command.
struct Case {
    source: Source,
    /// Where commands run and write (grants files, plans, snapshots, exports, IAM).
    work: tempfile::TempDir,
    /// Where the password files live (not searched: they hold the password).
    secret: tempfile::TempDir,
    db: String,
    /// `(what, exit code)` of each run, for the matrix.
    rows: Vec<(String, i32)>,
}

/// What a run is expected to end with.
enum Expect {
    Code(i32),
    /// Exit 0 or 1 (doctor: 1 when a check fails, which a non-superuser may see).
    Ran,
    /// Exit 1 with this text on stderr (or stdout, for doctor).
    Fails(&'static str),
}

impl Case {
    fn new(source: Source) -> Case {
        let db = fresh_db(&format!("{source:?}").to_lowercase());
        let case = Case {
            source,
            work: tempfile::tempdir().unwrap(),
            secret: tempfile::tempdir().unwrap(),
            db,
            rows: Vec::new(),
        };
        case.write_files();
        case
    }

    fn write_files(&self) {
        let login = &fixture().login;
        let tag = format!("{:?}", self.source).to_lowercase();
        let g1 = format!("{login}_{tag}_a");
        let g2 = format!("{login}_{tag}_b");
        let w = |name: &str, text: String| std::fs::write(self.work.path().join(name), text);
        w(
            "a.yaml",
            format!(
                "target: postgres\ngroups:\n  {g1}: {{}}\nschemas:\n  mine: {{usage: [{g1}]}}\n"
            ),
        )
        .unwrap();
        w(
            "b.yaml",
            format!(
                "target: postgres\ngroups:\n  {g1}: {{}}\n  {g2}: {{}}\nschemas:\n  mine: {{usage: [{g1}, {g2}], create: [{g1}]}}\n"
            ),
        )
        .unwrap();
        // `theirs` is not the login's: the GRANT on it fails during apply.
        w(
            "c.yaml",
            format!(
                "target: postgres\ngroups:\n  {g1}: {{}}\n  {g2}: {{}}\nschemas:\n  mine: {{usage: [{g1}, {g2}], create: [{g1}]}}\n  theirs: {{usage: [{g1}]}}\n"
            ),
        )
        .unwrap();
        w("redshift.yaml", "target: redshift\n".to_string()).unwrap();
        w(
            "iam.yaml",
            "target: redshift\ncluster: {account_id: \"123456789012\", region: us-east-1, \
             role_name: RedshiftML, bucket: my-ml-bucket}\n"
                .to_string(),
        )
        .unwrap();
        std::fs::create_dir(self.work.path().join("plans")).unwrap();
        // The password files: the right password for this login on 127.0.0.1 (any
        // port, any database), after a line for another host with the wrong one, so
        // the first-match rule is exercised too.
        for (name, password) in [("pgpass", PASSWORD), ("pgpass-wrong", WRONG)] {
            let text = format!(
                "# grantplan test\nother.host:*:*:*:{}\n127.0.0.1:*:*:{login}:{}\n",
                pgpass_escape(WRONG),
                pgpass_escape(password)
            );
            self.write_secret(name, &text);
        }
        for (home, file) in [("home", "pgpass"), ("home-wrong", "pgpass-wrong")] {
            let dir = self.secret.path().join(home);
            std::fs::create_dir(&dir).unwrap();
            std::fs::copy(self.secret.path().join(file), dir.join(".pgpass")).unwrap();
            set_mode(&dir.join(".pgpass"), 0o600);
        }
    }

    fn write_secret(&self, name: &str, text: &str) {
        let path = self.secret.path().join(name);
        std::fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
    }

    /// The database URL this source gives, with `password` where the source puts
    /// passwords in the URL.
    fn url(&self, password: &str, port: &str, db: &str) -> String {
        let login = &fixture().login;
        match self.source {
            Source::UrlFlag | Source::UrlEnv => format!(
                "postgres://{login}:{}@127.0.0.1:{port}/{db}",
                encode(password)
            ),
            Source::KeyValue => format!(
                "host=127.0.0.1 port={port} user={login} dbname={db} password='{}'",
                password.replace('\\', "\\\\").replace('\'', "\\'")
            ),
            _ => format!("postgres://{login}@127.0.0.1:{port}/{db}"),
        }
    }

    fn good_url(&self) -> String {
        self.url(PASSWORD, &fixture().server.port().to_string(), &self.db)
    }

    /// The binary in the work directory, with the password given the source's way
    /// (`password` for the environment and file sources; URLs carry their own).
    fn command(&self, password: &str) -> assert_cmd::Command {
        let mut cmd = common::grantplan();
        cmd.current_dir(self.work.path());
        let wrong = password == WRONG;
        match self.source {
            Source::PgPassword => {
                cmd.env("PGPASSWORD", password);
            }
            Source::PgPassFile => {
                let file = if wrong { "pgpass-wrong" } else { "pgpass" };
                cmd.env("PGPASSFILE", self.secret.path().join(file));
            }
            Source::HomePgPass => {
                let home = if wrong { "home-wrong" } else { "home" };
                cmd.env_remove("PGPASSFILE")
                    .env("HOME", self.secret.path().join(home));
            }
            _ => {}
        }
        cmd
    }

    /// Runs `args` against `url` (or without a database when `url` is `None`) and
    /// checks the outcome and that nothing printed holds a password.
    fn check(
        &mut self,
        what: &str,
        args: &[&str],
        url: Option<&str>,
        password: &str,
        expect: Expect,
    ) -> Run {
        let mut cmd = self.command(password);
        cmd.args(args);
        match (url, self.source) {
            (Some(u), Source::UrlEnv) => {
                cmd.env("GRANTPLAN_DATABASE_URL", u);
            }
            (Some(u), _) => {
                cmd.args(["--database-url", u]);
            }
            (None, Source::UrlEnv) => {
                // Commands without a database still run with the URL in the
                // environment: they must not print it either.
                cmd.env("GRANTPLAN_DATABASE_URL", self.good_url());
            }
            (None, _) => {}
        }
        let out = run(&mut cmd);
        let context = format!(
            "{:?} {what}: grantplan {}\n--- stdout\n{}\n--- stderr\n{}",
            self.source,
            args.join(" "),
            out.stdout,
            out.stderr
        );
        match expect {
            Expect::Code(code) => assert_eq!(out.code, code, "{context}"),
            Expect::Ran => assert!(out.code == 0 || out.code == 1, "{context}"),
            Expect::Fails(says) => {
                assert_eq!(out.code, 1, "{context}");
                assert!(
                    out.stderr.contains(says) || out.stdout.contains(says),
                    "expected `{says}`: {context}"
                );
            }
        }
        let found = leaks(&format!("{}\n{}", out.stdout, out.stderr));
        assert!(found.is_empty(), "LEAK of {found:?}: {context}");
        self.rows.push((what.to_string(), out.code));
        out
    }

    /// Every command and error path, then every file written.
    fn exercise(&mut self) {
        let good = self.good_url();
        let url = Some(good.as_str());
        let port = fixture().server.port().to_string();
        let pw = PASSWORD;
        use Expect::{Code, Fails, Ran};

        // Commands that need no database.
        self.check("validate", &["validate", "-f", "a.yaml"], None, pw, Code(0));
        self.check("schema", &["schema"], None, pw, Code(0));
        self.check("iam", &["iam", "-f", "iam.yaml"], None, pw, Code(0));
        self.check(
            "iam --out",
            &["iam", "-f", "iam.yaml", "--out", "iam-out"],
            None,
            pw,
            Code(0),
        );

        // Reading commands.
        let doctor = self.check("doctor", &["doctor", "-f", "a.yaml"], url, pw, Ran);
        assert!(
            !doctor
                .stdout
                .lines()
                .any(|l| l.starts_with("FAIL  connection")),
            "{}",
            doctor.stdout
        );
        self.check("plan", &["plan", "-f", "a.yaml"], url, pw, Code(0));
        self.check(
            "plan --format json",
            &["plan", "-f", "a.yaml", "--format", "json"],
            url,
            pw,
            Code(0),
        );
        self.check(
            "plan --format markdown",
            &["plan", "-f", "a.yaml", "--format", "markdown"],
            url,
            pw,
            Code(0),
        );
        self.check(
            "plan --detailed-exitcode",
            &["plan", "-f", "a.yaml", "--detailed-exitcode"],
            url,
            pw,
            Code(2),
        );
        self.check("diff", &["diff", "-f", "a.yaml"], url, pw, Code(0));
        self.check("snapshot", &["snapshot"], url, pw, Code(0));
        self.check(
            "snapshot --out",
            &["snapshot", "--out", "snap.json"],
            url,
            pw,
            Code(0),
        );
        self.check(
            "plan --catalog",
            &["plan", "-f", "a.yaml", "--catalog", "snap.json"],
            None,
            pw,
            Code(0),
        );
        self.check("export", &["export"], url, pw, Code(0));
        self.check(
            "export --out",
            &["export", "--out", "export.yaml"],
            url,
            pw,
            Code(0),
        );

        // Changing commands.
        let applied = self.check(
            "apply",
            &["apply", "-f", "a.yaml", "--yes"],
            url,
            pw,
            Code(0),
        );
        assert!(applied.stderr.contains("applied"), "{}", applied.stderr);
        self.check(
            "plan --out",
            &["plan", "-f", "b.yaml", "--out", "plans"],
            url,
            pw,
            Code(0),
        );
        let planfile = only_file(&self.work.path().join("plans"));
        let planfile = planfile.to_str().unwrap();
        let applied = self.check(
            "apply PLANFILE",
            &["apply", "-f", "b.yaml", "--yes", planfile],
            url,
            pw,
            Code(0),
        );
        assert!(applied.stderr.contains("applied"), "{}", applied.stderr);
        self.check(
            "apply, no terminal, no --yes",
            &["apply", "-f", "c.yaml"],
            url,
            pw,
            Fails("refusing to apply without confirmation"),
        );
        self.check(
            "apply, a statement fails",
            &["apply", "-f", "c.yaml", "--yes"],
            url,
            pw,
            Fails("42501"),
        );

        // Error paths.
        let wrong_url = self.url(WRONG, &port, &self.db);
        let wrong = self.check(
            "plan, wrong password",
            &["plan", "-f", "a.yaml"],
            Some(&wrong_url),
            WRONG,
            Fails("28P01"),
        );
        assert!(
            wrong.stderr.contains(self.source.named()),
            "{}",
            wrong.stderr
        );
        self.check(
            "snapshot, wrong password",
            &["snapshot"],
            Some(&wrong_url),
            WRONG,
            Fails("28P01"),
        );
        self.check(
            "doctor, wrong password",
            &["doctor", "-f", "a.yaml"],
            Some(&wrong_url),
            WRONG,
            Fails("28P01"),
        );
        self.check(
            "apply, wrong password",
            &["apply", "-f", "a.yaml", "--yes"],
            Some(&wrong_url),
            WRONG,
            Fails("28P01"),
        );
        let no_db = self.url(PASSWORD, &port, "no_such_database");
        self.check(
            "plan, wrong database",
            &["plan", "-f", "a.yaml"],
            Some(&no_db),
            pw,
            Fails("3D000"),
        );
        let refused = self.url(PASSWORD, &closed_port().to_string(), &self.db);
        self.check(
            "plan, refused",
            &["plan", "-f", "a.yaml"],
            Some(&refused),
            pw,
            Fails("connection refused"),
        );
        self.check(
            "export, refused",
            &["export"],
            Some(&refused),
            pw,
            Fails("connection refused"),
        );
        let silent = self.url(PASSWORD, &silent_server().port().to_string(), &self.db);
        self.check(
            "plan, connect timeout",
            &["plan", "-f", "a.yaml", "--connect-timeout", "1"],
            Some(&silent),
            pw,
            Fails("no answer within the connect timeout"),
        );
        let bad_syntax = self.url(PASSWORD, "notaport", &self.db);
        self.check(
            "plan, bad URL syntax",
            &["plan", "-f", "a.yaml"],
            Some(&bad_syntax),
            pw,
            Fails("the port in the database URL is not a port number"),
        );
        self.check(
            "plan, TLS required, server has none",
            &["plan", "-f", "a.yaml", "--sslmode", "require"],
            url,
            pw,
            Fails("does not support TLS"),
        );
        self.check(
            "plan, wrong kind of server",
            &["plan", "-f", "redshift.yaml", "--sslmode", "disable"],
            url,
            pw,
            Fails("declares target `redshift`"),
        );
        // Usage errors (exit 1, as every error: 2 is --detailed-exitcode's "changes"):
        // clap repeats what it did not expect.
        for (what, args) in [
            (
                "usage error, URL as an argument",
                vec!["snapshot", good.as_str()],
            ),
            (
                "usage error, URL with --catalog",
                vec![
                    "plan",
                    "-f",
                    "a.yaml",
                    "--catalog",
                    "snap.json",
                    "--database-url",
                    &good,
                ],
            ),
            (
                "usage error, URL after --",
                vec!["export", "--", good.as_str()],
            ),
        ] {
            let out = self.check(what, &args, None, pw, Code(1));
            assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
        }

        // Everything written.
        let mut files = Vec::new();
        walk(self.work.path(), &mut files);
        for expected in [
            "snap.json",
            "export.yaml",
            "iam-out/commands.sh",
            "iam-out/trust-policy.json",
        ] {
            assert!(
                files.iter().any(|f| f.ends_with(expected)),
                "{expected} was written: {files:?}"
            );
        }
        assert!(files
            .iter()
            .any(|f| f.starts_with(self.work.path().join("plans"))));
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let found = leaks(&String::from_utf8_lossy(&bytes));
            assert!(found.is_empty(), "LEAK of {found:?} in {}", file.display());
        }
        self.rows
            .push((format!("{} files written, searched", files.len()), 0));
    }

    /// The matrix, for the test log (`--nocapture`).
    fn report(&self) -> String {
        let mut s = format!("{:?}:\n", self.source);
        for (what, code) in &self.rows {
            let _ = writeln!(s, "  {code:>2}  {what}");
        }
        s
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

fn exercise(source: Source) {
    let mut case = Case::new(source);
    case.exercise();
    eprintln!("{}", case.report());
}

#[test]
fn the_search_finds_the_password_in_every_form_it_looks_for() {
    // The check itself can fail: each form of each password is found where planted.
    for n in needles() {
        assert!(leaks(&format!("x{n}y")).contains(&n), "{n}");
    }
    assert!(leaks("nothing secret here").is_empty());
    // The URL form really is encoded (it is not the raw password again).
    assert!(encode(PASSWORD).contains("%40") && encode(PASSWORD).contains("%3A"));
}

#[test]
fn the_server_demands_the_password() {
    let case = Case::new(Source::UrlFlag);
    let login = &fixture().login;
    let url = format!(
        "postgres://{login}@127.0.0.1:{}/{}",
        fixture().server.port(),
        case.db
    );
    let out = run(common::grantplan().current_dir(case.work.path()).args([
        "plan",
        "-f",
        "a.yaml",
        "--database-url",
        &url,
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the server asked for a password and none was given"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_password_file_others_can_read_is_not_used_and_says_so() {
    let case = Case::new(Source::PgPassFile);
    let file = case.secret.path().join("pgpass");
    set_mode(&file, 0o644);
    let out = run(case.command(PASSWORD).args([
        "plan",
        "-f",
        "a.yaml",
        "--database-url",
        &case.good_url(),
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("group or world access"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("chmod 0600"), "{}", out.stderr);
    assert!(
        out.stderr.contains("none was given"),
        "the file was not used: {}",
        out.stderr
    );
    assert!(leaks(&out.stderr).is_empty(), "{}", out.stderr);
}

#[test]
fn password_in_the_url_flag() {
    exercise(Source::UrlFlag);
}

#[test]
fn password_in_the_url_from_the_environment() {
    exercise(Source::UrlEnv);
}

#[test]
fn password_in_a_key_value_connection_string() {
    exercise(Source::KeyValue);
}

#[test]
fn password_in_pgpassword() {
    exercise(Source::PgPassword);
}

#[test]
fn password_in_pgpassfile() {
    exercise(Source::PgPassFile);
}

#[test]
fn password_in_home_pgpass() {
    exercise(Source::HomePgPass);
}

/// A password with an unencoded `@` (issue 15, point 6): with
/// `postgres://u:pa@x/S3cr3tQ@127.0.0.1:56700/pf` tokio-postgres (and libpq) end the
/// password at the first `@`, so the host is `x`, the rest of the password becomes the
/// database name, and `pa` is offered to `x`. grantplan refuses such a URL before any
/// name look-up or connection, and shows no part of it.
#[test]
fn a_url_with_an_unencoded_at_sign_is_refused_unseen_and_unconnected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grants.yaml"), "target: postgres\n").unwrap();
    // Where the tail of each URL points, and where its head points: nobody may connect
    // to either.
    let (tail, tail_listener) = common::untouched_listener();
    let (head, head_listener) = common::untouched_listener();
    let shapes = [
        // The campaign's own: host `x` would be looked up.
        format!("postgres://u:pa@x/S3cr3tQ@127.0.0.1:{tail}/pf"),
        // The head's host is a listener here: grantplan used to connect to it, as `u`,
        // with `S3cr3tQ@...` as the database name, ready to send `pa`.
        format!("postgres://u:pa@127.0.0.1:{head}/S3cr3tQ@127.0.0.1:{tail}/pf"),
        format!(
            "postgresql://u:pa@127.0.0.1:{head}/S3cr3tQ@127.0.0.1:{tail}/pf?sslmode=disable&connect_timeout=2"
        ),
        // Three `@`.
        format!("postgres://u:pa@S3cr3tQ@x@127.0.0.1:{tail}/pf"),
        // An `@` in the database name, no password: tokio-postgres would take
        // `127.0.0.1:HEAD/S3cr3tQ` for `user:password` and connect to the tail.
        format!("postgres://127.0.0.1:{head}/S3cr3tQ@127.0.0.1:{tail}"),
        // A `/` in the password: libpq ends the host at it, tokio-postgres does not.
        format!("postgres://u:pa/S3cr3tQ@127.0.0.1:{tail}/pf"),
    ];
    for url in &shapes {
        let runs: [(&str, Vec<&str>, Option<&str>); 5] = [
            (
                "plan --database-url",
                vec!["plan", "--database-url", url],
                None,
            ),
            (
                "snapshot --database-url",
                vec!["snapshot", "--database-url", url],
                None,
            ),
            (
                "doctor --database-url",
                vec!["doctor", "--database-url", url],
                None,
            ),
            (
                "apply, URL from the environment",
                vec!["apply", "--yes"],
                Some(url),
            ),
            // Usage error: clap repeats the argument, masked.
            ("snapshot URL (usage error)", vec!["snapshot", url], None),
        ];
        for (what, args, from_env) in runs {
            let mut cmd = common::grantplan();
            cmd.current_dir(dir.path())
                .env("PGCONNECT_TIMEOUT", "2")
                .env("PGPASSWORD", "unused");
            if let Some(u) = from_env {
                cmd.env("GRANTPLAN_DATABASE_URL", u);
            }
            let out = run(cmd.args(&args));
            let all = format!("{}\n{}", out.stdout, out.stderr);
            let context = format!("{what} with {url}:\n{all}");
            assert_eq!(out.code, 1, "{context}");
            for secret in ["S3cr3tQ", ":pa@", ":pa/", "pa@x", "u:pa"] {
                assert!(!all.contains(secret), "`{secret}` shown: {context}");
            }
            if !what.contains("usage error") {
                assert!(all.contains("%40"), "says what to do: {context}");
                assert!(
                    !all.contains("cannot be resolved") && !all.contains("cannot connect"),
                    "refused before connecting: {context}"
                );
            }
            common::assert_nobody_connected(&tail_listener, &context);
            common::assert_nobody_connected(&head_listener, &context);
        }
    }
    // Encoded, the same password is a password.
    let encoded = format!(
        "postgres://u:pa%40x%2FS3cr3tQ@127.0.0.1:{}/pf",
        closed_port()
    );
    let out =
        run(common::grantplan()
            .current_dir(dir.path())
            .args(["plan", "--database-url", &encoded]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
    assert!(!out.stderr.contains("S3cr3tQ"), "{}", out.stderr);
}
