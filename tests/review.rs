//! The review workflow against a real PostgreSQL: `plan --out` writes a plan file,
//! `apply PLANFILE` runs exactly it, or refuses (changing nothing) when the file was
//! edited, grants.yaml changed, or the catalog moved; `diff` shows states.

mod common;

use common::exec;

use common::Run;
use std::path::{Path, PathBuf};
use tokio_postgres::Client;

fn run(args: &[&str], extra: &[&Path]) -> Run {
    common::run(common::grantplan().args(args).args(extra))
}

/// `(grantee, privilege)` rows of a schema's ACL, PUBLIC as `public`.
async fn acl(c: &Client, schema: &str) -> Vec<(String, String)> {
    let rows = c
        .query(
            "SELECT coalesce(r.rolname, 'public')::text, a.privilege_type::text
               FROM pg_namespace n,
                    aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
               LEFT JOIN pg_roles r ON r.oid = a.grantee
              WHERE n.nspname = $1 ORDER BY 1, 2",
            &[&schema],
        )
        .await
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// A database with schema `app`, an analysts role to create, a reader role holding
/// USAGE already, and a grants.yaml for it.
struct Setup {
    db: String,
    url: String,
    client: Client,
    dir: tempfile::TempDir,
    config: PathBuf,
    analysts: String,
    readers: String,
}

async fn setup(hint: &str) -> Setup {
    let (db, client) = common::fresh_db(hint).await;
    let analysts = common::unique("analysts");
    let readers = common::unique("readers");
    exec(
        &client,
        &format!(
            "CREATE SCHEMA app; CREATE ROLE {readers}; GRANT USAGE ON SCHEMA app TO {readers};"
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grants.yaml");
    std::fs::write(
        &config,
        format!(
            "target: postgres\ngroups:\n  {analysts}: {{}}\n  {readers}: {{}}\nschemas:\n  app:\n    create: [{analysts}]\n    usage: [{analysts}, {readers}]\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    Setup {
        url: common::server().admin_url(&db),
        db,
        client,
        dir,
        config,
        analysts,
        readers,
    }
}

impl Setup {
    fn plan_out(&self) -> PathBuf {
        let migrations = self.dir.path().join("migrations");
        let out = run(
            &["plan", "--database-url", &self.url, "-f"],
            &[&self.config, Path::new("--out"), &migrations],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let files: Vec<_> = std::fs::read_dir(&migrations)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(out.stderr.contains("wrote "), "{}", out.stderr);
        files[0].clone()
    }

    fn diff(&self) -> Run {
        run(
            &[
                "diff",
                "--detailed-exitcode",
                "--database-url",
                &self.url,
                "-f",
            ],
            &[&self.config],
        )
    }

    fn apply_file(&self, file: &Path) -> Run {
        run(
            &["apply", "--yes", "--database-url", &self.url, "-f"],
            &[&self.config, file],
        )
    }
}

#[tokio::test]
async fn a_reviewed_plan_file_applies_exactly_and_converges() {
    let s = setup("review_ok").await;
    let file = s.plan_out();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.len() == "YYYYMMDDTHHMMSSZ_grants.sql".len() && name.ends_with("Z_grants.sql"),
        "{name}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("-- grantplan plan file, format 1\n"),
        "{text}"
    );
    assert!(text.contains("-- target: postgres\n"), "{text}");
    assert!(text.contains("-- config-sha256: sha256:"), "{text}");
    assert!(text.contains("-- catalog: sha256:"), "{text}");
    assert!(!text.contains("password"), "{text}");
    assert!(
        text.ends_with(&format!(
            "CREATE ROLE {a} NOLOGIN;\nGRANT CREATE, USAGE ON SCHEMA app TO {a};\n",
            a = s.analysts
        )),
        "{text}"
    );

    let out = s.apply_file(&file);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("applied 2 statements"),
        "{}",
        out.stderr
    );
    let acl = acl(&s.client, "app").await;
    assert!(
        acl.contains(&(s.analysts.clone(), "CREATE".into())),
        "{acl:?}"
    );

    let again = run(
        &[
            "plan",
            "--detailed-exitcode",
            "--database-url",
            &s.url,
            "-f",
        ],
        &[&s.config],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// Someone grants by hand after review: the fingerprint moved, so the reviewed plan is
/// refused, the difference is shown, and nothing changes.
#[tokio::test]
async fn a_catalog_changed_since_review_is_refused_with_the_difference() {
    let s = setup("review_drift").await;
    let file = s.plan_out();
    let intruder = common::unique("intruder");
    exec(
        &s.client,
        &format!("CREATE ROLE {intruder}; GRANT CREATE ON SCHEMA app TO {intruder};"),
    )
    .await;
    let before = acl(&s.client, "app").await;

    let out = s.apply_file(&file);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the catalog changed since"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was applied"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("+REVOKE CREATE ON SCHEMA app FROM {intruder};")),
        "the diff shows the new revoke: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--- reviewed: "), "{}", out.stderr);
    assert_eq!(acl(&s.client, "app").await, before, "nothing changed");
    let exists = s
        .client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&s.analysts])
        .await
        .unwrap();
    assert!(exists.is_none(), "the role was not created");
}

/// Edits are refused before any connection: an extra statement, an edited header, a
/// changed grants.yaml, a plan file of the other target.
#[tokio::test]
async fn tampered_plan_files_and_changed_grants_files_are_refused() {
    let s = setup("review_tamper").await;
    let file = s.plan_out();
    let text = std::fs::read_to_string(&file).unwrap();
    let before = acl(&s.client, "app").await;

    let write = |name: &str, body: &str| {
        let p = s.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let smuggled = write("smuggled.sql", &format!("{text}DROP SCHEMA app CASCADE;\n"));
    let header = write(
        "header.sql",
        &text.replace("-- catalog: sha256:", "-- catalog: sha256:f"),
    );
    for tampered in [&smuggled, &header] {
        let out = s.apply_file(tampered);
        assert_eq!(out.code, 1, "{}", out.stdout);
        assert!(
            out.stderr.contains("was edited after grantplan wrote it"),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "nothing planned or printed");
    }

    std::fs::write(
        &s.config,
        std::fs::read_to_string(&s.config).unwrap().replace(
            &format!("usage: [{}, {}]", s.analysts, s.readers),
            &format!("usage: [{}]", s.analysts),
        ),
    )
    .unwrap();
    let out = s.apply_file(&file);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("changed since") && out.stderr.contains("was planned"),
        "{}",
        out.stderr
    );
    assert_eq!(acl(&s.client, "app").await, before, "nothing changed");

    let not_a_plan = write("other.sql", "GRANT USAGE ON SCHEMA app TO x;\n");
    let out = s.apply_file(&not_a_plan);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("is not a grantplan plan file"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_offline_plan_is_never_written_as_a_plan_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(
        &["plan", "-f"],
        &[&root.join("grants.yaml"), Path::new("--out"), dir.path()],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("an offline plan knows no catalog"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `grantplan diff`: who holds what on the managed scope, now and with the file.
#[tokio::test]
async fn diff_shows_states_before_and_after() {
    let s = setup("review_diff").await;
    let intruder = common::unique("intruder");
    exec(
        &s.client,
        &format!("CREATE ROLE {intruder}; GRANT CREATE ON SCHEMA app TO {intruder};"),
    )
    .await;
    let out = s.diff();
    assert_eq!(out.code, 2, "{}", out.stderr);
    let port = common::server().port();
    // Per-run parts: the temp path, role names, port and database.
    let stable = out
        .stdout
        .replace(&s.config.display().to_string(), "grants.yaml")
        .replace(&s.analysts, "ANALYSTS")
        .replace(&s.readers, "READERS")
        .replace(&intruder, "INTRUDER")
        .replace(&format!(":{port}/{}", s.db), ":PORT/DB");
    insta::assert_snapshot!("diff_postgres", stable);

    // After apply, no difference.
    let out = run(
        &["apply", "--yes", "--database-url", &s.url, "-f"],
        &[&s.config],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = s.diff();
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.starts_with("-- no difference"), "{}", out.stdout);
}

/// A plan made from a snapshot (where the reviewer had no database access) applies to
/// the server the snapshot was taken from: same scope, same fingerprint; the difference
/// in where it was planned is said.
#[tokio::test]
async fn a_plan_file_made_from_a_snapshot_applies_to_its_server() {
    let s = setup("review_snap").await;
    let snapshot = s.dir.path().join("snapshot.json");
    let out = run(
        &["snapshot", "--database-url", &s.url, "--out"],
        &[&snapshot],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let migrations = s.dir.path().join("migrations");
    let out = run(
        &["plan", "-f"],
        &[
            &s.config,
            Path::new("--catalog"),
            &snapshot,
            Path::new("--out"),
            &migrations,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let file = std::fs::read_dir(&migrations)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("-- database: snapshot "));
    let out = s.apply_file(&file);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("was planned against snapshot")
            && out.stderr.contains("whose managed grants are the same"),
        "{}",
        out.stderr
    );
    assert!(acl(&s.client, "app")
        .await
        .contains(&(s.analysts.clone(), "USAGE".into())));
}

/// The README's pull-request workflow in a fresh checkout: `plan --out migrations/`
/// creates the directory (a path ending in `/` is a directory); a path without the slash
/// that does not exist is the file itself. `apply PLANFILE` without `-f`, where there is
/// no ./grants.yaml, applies with the grants file the plan file names.
#[tokio::test]
async fn plan_out_creates_a_missing_directory_and_apply_finds_the_grants_file() {
    let s = setup("review_dirs").await;
    let cwd = tempfile::tempdir().unwrap();
    let plan = |out: &str| {
        common::run(
            common::grantplan()
                .current_dir(cwd.path())
                .args(["plan", "--database-url", &s.url, "-f"])
                .arg(&s.config)
                .args(["--out", out]),
        )
    };
    let out = plan("migrations/");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let dir = cwd.path().join("migrations");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().ends_with("Z_grants.sql"));

    let out = plan("reviewed.sql");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(cwd.path().join("reviewed.sql").is_file());
    // `-o` is `--out`, and an existing file is refused.
    let again = common::run(
        common::grantplan()
            .current_dir(cwd.path())
            .args(["plan", "--database-url", &s.url, "-f"])
            .arg(&s.config)
            .args(["-o", "reviewed.sql"]),
    );
    assert_eq!(again.code, 1, "{}", again.stderr);

    // No ./grants.yaml in cwd and no -f: the plan file's own grants file is used.
    assert!(!cwd.path().join("grants.yaml").exists());
    let applied = common::run(
        common::grantplan()
            .current_dir(cwd.path())
            .args(["apply", "--yes", "--database-url", &s.url])
            .arg(&files[0]),
    );
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stderr.contains(&format!(
            "using {}, the grants file the plan file was made from",
            s.config.display()
        )),
        "{}",
        applied.stderr
    );
    assert!(acl(&s.client, "app")
        .await
        .contains(&(s.analysts.clone(), "CREATE".to_string())));
}

/// A CI job re-run: the plan file was applied already, so the server holds what it
/// produces: "already applied", exit 0. Pointed at another database, the plan file says
/// whose it is before reading any grant, and is refused when the grants differ there.
#[tokio::test]
async fn an_applied_plan_file_is_already_applied_and_another_database_is_named() {
    let s = setup("review_twice").await;
    let file = s.plan_out();
    let first = s.apply_file(&file);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let again = s.apply_file(&file);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert!(
        again.stderr.contains(&format!(
            "already applied: postgres@127.0.0.1:{}/{} already holds what {} produces",
            common::server().port(),
            s.db,
            file.display()
        )),
        "{}",
        again.stderr
    );
    assert!(
        !again.stderr.contains("catalog changed"),
        "{}",
        again.stderr
    );

    // Another database, without the roles' grants: named first, then refused.
    let (other, _c) = common::fresh_db("review_other").await;
    let other_url = common::server().admin_url(&other);
    let out = run(
        &["apply", "--yes", "--database-url", &other_url, "-f"],
        &[&s.config, &file],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let made_for = out
        .stderr
        .find(&format!(
            "was made for postgres@127.0.0.1:{}/{}",
            common::server().port(),
            s.db
        ))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let this_is = out.stderr.find(&format!(
        "this is postgres@127.0.0.1:{}/{other}",
        common::server().port()
    ));
    assert!(this_is.is_some_and(|i| i > made_for), "{}", out.stderr);
}

/// Schemas `a1`..`a3` and two existing roles, and a grants.yaml granting USAGE on every
/// `a*` schema to both: a plan of one statement naming three objects and two grantees,
/// which grantplan lays out one per line. `analysts` and `readers` are the two roles.
async fn grouped_setup(hint: &str) -> Setup {
    let (db, client) = common::fresh_db(hint).await;
    let analysts = common::unique("analysts");
    let readers = common::unique("readers");
    exec(
        &client,
        &format!(
            "CREATE SCHEMA a1; CREATE SCHEMA a2; CREATE SCHEMA a3; \
             CREATE ROLE {analysts}; CREATE ROLE {readers};"
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("grants.yaml");
    std::fs::write(
        &config,
        format!(
            "target: postgres\nroles:\n  {analysts}: {{}}\n  {readers}: {{}}\nschemas:\n  \"a*\": {{usage: [{analysts}, {readers}]}}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    Setup {
        url: common::server().admin_url(&db),
        db,
        client,
        dir,
        config,
        analysts,
        readers,
    }
}

impl Setup {
    /// The grouped statement of [`grouped_setup`]'s plan, as grantplan writes it.
    fn grouped_statement(&self) -> String {
        format!(
            "GRANT USAGE ON SCHEMA\n    a1,\n    a2,\n    a3\n  TO\n    {},\n    {};",
            self.analysts, self.readers
        )
    }

    async fn holds_usage_on_every_schema(&self) {
        for schema in ["a1", "a2", "a3"] {
            let acl = acl(&self.client, schema).await;
            for role in [&self.analysts, &self.readers] {
                assert!(acl.contains(&(role.clone(), "USAGE".into())), "{acl:?}");
            }
        }
    }
}

/// A plan file holds a statement naming several objects one object per line; the file
/// applies exactly that text (the JSON document says so); when the catalog gains an
/// object the statement would name, the refusal's diff shows it as one added line.
#[tokio::test]
async fn a_plan_file_with_grouped_statements_applies_one_object_per_line() {
    let s = grouped_setup("review_layout").await;
    let file = s.plan_out();
    let text = std::fs::read_to_string(&file).unwrap();
    let grouped = s.grouped_statement();
    assert!(text.ends_with(&format!("\n{grouped}\n")), "{text}");
    assert!(text.contains("\n-- statements: 1\n"), "{text}");
    // The reader of plan files gives back the statement, which renders as the file's text.
    let read = grantplan::planfile::load(&file).unwrap();
    assert_eq!(read.statements.len(), 1);
    assert_eq!(
        read.statements[0].render(grantplan::model::Target::Postgres),
        grouped
    );

    // A schema the glob matches appears after review: refused, and the difference is
    // the one line that names it (it sorts first, so no other line changes).
    exec(&s.client, "CREATE SCHEMA a0").await;
    let out = s.apply_file(&file);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the catalog changed since"),
        "{}",
        out.stderr
    );
    let changed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed, ["+    a0,"], "{}", out.stderr);
    exec(&s.client, "DROP SCHEMA a0").await;

    let out = run(
        &[
            "apply",
            "--yes",
            "--format",
            "json",
            "--database-url",
            &s.url,
            "-f",
        ],
        &[&s.config, &file],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    common::assert_matches_schema(&out.stdout, "apply");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["result"], "applied");
    assert_eq!(doc["statements"], serde_json::json!([grouped]));
    s.holds_usage_on_every_schema().await;
    let again = run(
        &[
            "plan",
            "--detailed-exitcode",
            "--database-url",
            &s.url,
            "-f",
        ],
        &[&s.config],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// A plan file written before statements were laid out one object per line (the grouped
/// statement on one line) still applies: the reader takes both forms, and what runs is
/// the statements it holds.
#[tokio::test]
async fn a_plan_file_written_with_one_line_statements_still_applies() {
    let s = grouped_setup("review_old_layout").await;
    let file = s.plan_out();
    let text = std::fs::read_to_string(&file).unwrap();
    let one_line = format!(
        "GRANT USAGE ON SCHEMA a1, a2, a3 TO {}, {};",
        s.analysts, s.readers
    );
    let old = text.replace(&s.grouped_statement(), &one_line);
    assert_ne!(old, text);
    // Sealed as grantplan sealed it then (the seal covers the body's lines).
    let old = grantplan::fuzzing::reseal(&old);
    let old_file = s.dir.path().join("migrations").join("old_layout.sql");
    std::fs::write(&old_file, &old).unwrap();
    assert!(old.ends_with(&format!("\n{one_line}\n")), "{old}");
    assert_eq!(
        grantplan::planfile::load(&old_file).unwrap().statements,
        grantplan::planfile::load(&file).unwrap().statements
    );
    std::fs::remove_file(&file).unwrap();

    let out = s.apply_file(&old_file);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("applied 1 statement"), "{}", out.stderr);
    s.holds_usage_on_every_schema().await;
}
