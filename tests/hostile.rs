//! Hostile input against a real PostgreSQL (tests/common): files built to exhaust memory
//! or confuse the readers are refused with a clear error and exit 1 before any
//! connection, and identifiers made of quotes, `;`, keywords, blanks and unicode round
//! trip through plan, apply and the catalog exactly.

mod common;

use common::Run;
use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_postgres::Client;

fn grantplan(args: &[&str], file: &Path, url: Option<&str>) -> Run {
    let mut cmd = common::grantplan();
    cmd.args(args).arg("-f").arg(file);
    if let Some(url) = url {
        cmd.arg("--database-url").arg(url);
    }
    common::run(&mut cmd)
}

/// `(grantee, privilege)` of every ACL entry on `schema`, PUBLIC as "public".
async fn schema_acl(client: &Client, schema: &str) -> BTreeSet<(String, String)> {
    acl(
        client,
        "SELECT coalesce(r.rolname, 'public')::text, a.privilege_type::text
           FROM pg_namespace n,
                aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE n.nspname = $1",
        schema,
    )
    .await
}

/// `(grantee, privilege)` of every ACL entry on the functions called `name`.
async fn function_acl(client: &Client, name: &str) -> BTreeSet<(String, String)> {
    acl(
        client,
        "SELECT coalesce(r.rolname, 'public')::text, a.privilege_type::text
           FROM pg_proc p,
                aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE p.proname = $1",
        name,
    )
    .await
}

async fn acl(client: &Client, sql: &str, name: &str) -> BTreeSet<(String, String)> {
    client
        .query(sql, &[&name])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Every privilege in the database and every role whose name starts with `prefix`: what
/// a refused file must leave exactly as it was.
async fn dump(client: &Client, prefix: &str) -> Vec<String> {
    let rows = client
        .query(
            "SELECT 'schema ' || n.nspname || ' ' || coalesce(n.nspacl::text, '-')
               FROM pg_namespace n
             UNION ALL
             SELECT 'function ' || p.oid::regprocedure::text || ' ' || coalesce(p.proacl::text, '-')
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
             UNION ALL
             SELECT 'role ' || r.rolname || ' ' || r.rolcanlogin::text || ' '
                    || coalesce((SELECT string_agg(m.roleid::regrole::text, ',' ORDER BY 1)
                                   FROM pg_auth_members m WHERE m.member = r.oid), '')
               FROM pg_roles r
              WHERE starts_with(r.rolname, $1)
             ORDER BY 1",
            &[&prefix],
        )
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

/// A TCP port that counts the connections made to it (each is closed at once), to prove
/// that a command never connected.
struct Listener {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        // Blocks on accept until the test process ends.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Listener {
            url: format!("postgres://nobody@127.0.0.1:{port}/nothing?connect_timeout=5"),
            connections,
        }
    }

    fn connections(&self) -> usize {
        // A connection the kernel completed is counted once accept returns; give the
        // accepting thread a moment.
        std::thread::sleep(std::time::Duration::from_millis(200));
        self.connections.load(Ordering::SeqCst)
    }
}

/// What would be granted if the hostile part were not there: a group that does not exist
/// yet and USAGE on the schema `app` for it.
fn preamble(group: &str) -> String {
    format!("target: postgres\ngroups:\n  {group}: {{}}\nschemas:\n  app: {{usage: [{group}]}}\n")
}

/// The hostile files: (name, contents, what the error says).
fn hostile_files(dir: &Path, group: &str) -> Vec<(&'static str, PathBuf, &'static str)> {
    let mut out = Vec::new();
    let mut file = |name: &'static str, bytes: Vec<u8>, expect: &'static str| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        out.push((name, path, expect));
    };
    let pre = preamble(group);

    // Billion laughs: nine levels of nine aliases each, 9^10 values from 1 KB.
    let mut bomb = pre.replace(
        "schemas:",
        "ignore: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nschemas:",
    );
    bomb.push_str("roles:\n");
    for i in 1..=9 {
        let p = i - 1;
        bomb.push_str(&format!(
            "  r{i}: {{members: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]}}\n"
        ));
    }
    file(
        "bomb.yaml",
        bomb.into_bytes(),
        "more than 1,000,000 YAML values",
    );

    // One list of 2,000 names repeated by 2,000 aliases: 4 million values from 60 KB.
    let mut quad = pre.clone();
    quad.push_str("roles:\n  m0: {members: &m [");
    quad.push_str(
        &(0..2000)
            .map(|i| format!("u{i}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    quad.push_str("]}\n");
    for i in 1..2000 {
        quad.push_str(&format!("  m{i}: {{members: *m}}\n"));
    }
    file(
        "aliases.yaml",
        quad.into_bytes(),
        "more than 1,000,000 YAML values",
    );

    // 1.1 million values without any alias, in 2.2 MB.
    let mut flat = pre.replace("schemas:", "ignore: [");
    flat = flat[..flat.find("ignore: [").unwrap() + 9].to_string();
    flat.push_str(&vec!["a"; 1_100_000].join(","));
    flat.push_str("]\n");
    file(
        "values.yaml",
        flat.into_bytes(),
        "more than 1,000,000 YAML values",
    );

    // Nesting: 100,000 flow lists, and 2,000 block lists.
    let flow = format!(
        "{pre}ignore: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    file("flow.yaml", flow.into_bytes(), "levels deep");
    let mut block = format!("{pre}ignore:\n");
    for i in 0..2000 {
        block.push_str(&" ".repeat(i));
        block.push_str("-\n");
    }
    file("block.yaml", block.into_bytes(), "levels deep");

    // A raw NUL, a raw LINE SEPARATOR, a byte that is not UTF-8.
    file(
        "nul.yaml",
        format!("{pre}users:\n  ali\0ce: {{}}\n").into_bytes(),
        "the control character U+0000",
    );
    file(
        "separator.yaml",
        format!("{pre}users:\n  ali\u{2028}ce: {{}}\n").into_bytes(),
        "the character U+2028, a line break to some YAML readers",
    );
    let mut latin1 = pre.into_bytes();
    latin1.extend_from_slice(b"users:\n  caf\xe9: {}\n");
    file("latin1.yaml", latin1, "is not UTF-8 text: line 7, column 6");

    // 17 MiB, sparse: refused by its size before it is read.
    let path = dir.join("huge.yaml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    out.push((
        "huge.yaml",
        path,
        "is 17.0 MiB; grantplan reads files of at most 16.0 MiB",
    ));
    // A device that never ends: not a regular file, so never opened.
    out.push((
        "/dev/zero",
        PathBuf::from("/dev/zero"),
        "/dev/zero is a character device, not a regular file",
    ));
    out
}

#[tokio::test]
async fn hostile_files_are_refused_with_exit_1_before_any_connection() {
    let (db, client) = common::fresh_db("hostile_files").await;
    client.batch_execute("CREATE SCHEMA app").await.unwrap();
    let url = common::server().admin_url(&db);
    let group = common::unique("bombgrp");
    let before = dump(&client, "bombgrp").await;
    let listener = Listener::start();
    let dir = tempfile::tempdir().unwrap();

    let commands = [
        (&["validate"][..], None),
        (&["plan"][..], Some(url.as_str())),
        (&["apply", "--yes"][..], Some(url.as_str())),
        (&["plan"][..], Some(listener.url.as_str())),
        (&["apply", "--yes"][..], Some(listener.url.as_str())),
    ];
    for (name, path, expect) in hostile_files(dir.path(), &group) {
        // The million-value file takes seconds to scan in a debug build: two commands.
        let commands = if name == "values.yaml" {
            &commands[2..4]
        } else {
            &commands[..]
        };
        for &(args, url) in commands {
            let out = grantplan(args, &path, url);
            assert_eq!(
                out.code, 1,
                "{name} {args:?}: {}\n{}",
                out.stdout, out.stderr
            );
            assert!(
                out.stderr.contains(expect),
                "{name} {args:?}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{name} {args:?}: {}", out.stdout);
            // One error (and for a refused document, no cascade of follow-on errors).
            assert_eq!(
                out.stderr.matches("error:").count(),
                1,
                "{name}: {}",
                out.stderr
            );
        }
    }
    assert_eq!(
        listener.connections(),
        0,
        "a hostile file led to a connection"
    );
    assert_eq!(dump(&client, "bombgrp").await, before);
    assert!(schema_acl(&client, "app")
        .await
        .iter()
        .all(|(g, _)| g != &group));
}

#[tokio::test]
async fn the_connection_counter_sees_a_connection_from_a_valid_file() {
    // The control for the test above: the same command with a valid file does connect.
    let listener = Listener::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grants.yaml");
    std::fs::write(&path, preamble("g")).unwrap();
    let out = grantplan(&["plan"], &path, Some(&listener.url));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(listener.connections() >= 1, "{}", out.stderr);
}

/// The fuzz targets' seed corpus and every reproducer kept from a fuzzing run
/// (fuzz/seeds/TARGET/) pass the fuzz targets' own checks (grantplan::fuzzing).
#[test]
fn the_fuzz_seeds_and_reproducers_pass_the_fuzz_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 3] = [
        ("config", grantplan::fuzzing::config),
        ("planfile", grantplan::fuzzing::planfile),
        ("sqlread", grantplan::fuzzing::sqlread),
    ];
    for (target, check) in targets {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 4, "{target}: {files:?}");
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| check(&bytes)) {
                std::panic::resume_unwind(Box::new(format!(
                    "{}: {:?}",
                    file.display(),
                    panic.downcast_ref::<String>()
                )));
            }
        }
    }
}

// ---- hostile identifiers ------------------------------------------------------------------

/// Name material: quotes, statement and comment delimiters, blanks, keywords, glob and
/// key-grammar characters, letters whose case folding changes their length, invisible and
/// direction-changing characters, characters outside the BMP.
const PIECES: &[&str] = &[
    "\"",
    "\"\"",
    ";",
    " ",
    "  ",
    "--",
    "/*",
    "*/",
    "'",
    "\\",
    "$",
    "$1",
    "select",
    "DROP TABLE t",
    "public",
    "group",
    "user",
    "to",
    "cascade",
    "é",
    "ß",
    "İ",
    "ſ",
    "Σ",
    "日本",
    "🦀",
    "\u{202e}",
    "\u{200b}",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    ".",
    ",",
    "(",
    ")",
    "[",
    "]",
    "*",
    "?",
    "#",
    "@",
    ":",
    "%",
    "0",
    "1e5",
    "_",
    "A",
    "z",
    "U&\"",
    "E'",
];

/// A deterministic generator (xorshift), so a failure names the same names every run.
struct Names(u64);

impl Names {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A name of hostile pieces followed by `tag`, of at most `max` bytes; every third one
    /// exactly `max` bytes. Never `pg_...` (reserved by PostgreSQL).
    fn name(&mut self, tag: &str, max: usize) -> String {
        let room = max - tag.len();
        let mut s = String::new();
        let pieces = 1 + self.next() % 12;
        for _ in 0..pieces {
            let p = PIECES[(self.next() % PIECES.len() as u64) as usize];
            if s.len() + p.len() > room {
                break;
            }
            s.push_str(p);
        }
        if self.next().is_multiple_of(3) {
            while s.len() < room {
                s.push(if room - s.len() >= 2 { 'é' } else { '_' });
            }
        }
        if s.starts_with("pg_") {
            s.insert(0, 'x');
        }
        s.truncate(room.min(s.len()));
        while !s.is_char_boundary(s.len()) {
            s.pop();
        }
        format!("{s}{tag}")
    }
}

/// A YAML double-quoted string: `"` and `\` escaped, and the characters YAML readers
/// disagree about written as escapes.
fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{2028}' => out.push_str("\\u2028"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object key naming exactly `parts`: each part in double quotes, `"` doubled (the key
/// grammar of grants.yaml), so `.`, `*`, `?` and `[` are never a separator or a glob.
fn object_key(parts: &[&str]) -> String {
    let key: Vec<String> = parts
        .iter()
        .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
        .collect();
    yaml_str(&key.join("."))
}

#[tokio::test]
async fn hostile_identifiers_round_trip_through_postgres() {
    let (db, client) = common::fresh_db("hostile_idents").await;
    let url = common::server().admin_url(&db);
    let tag = common::unique("").replace('_', "~");
    let mut gen = Names(0x9e37_79b9_7f4a_7c15);
    let mut seen = BTreeSet::new();
    let mut fresh = |gen: &mut Names, tag: &str| loop {
        let n = gen.name(tag, 63);
        // `public` is a schema already (and no principal can have the name).
        if !n.trim().is_empty() && !n.eq_ignore_ascii_case("public") && seen.insert(n.clone()) {
            return n;
        }
    };
    // Roles the test creates (existing), and roles grantplan must create itself.
    let existing: Vec<String> = (0..10).map(|_| fresh(&mut gen, &tag)).collect();
    let created: Vec<String> = (0..4).map(|_| fresh(&mut gen, &tag)).collect();
    // Schemas and functions live in this test's database: no tag needed.
    let schemas: Vec<String> = (0..8).map(|_| fresh(&mut gen, "")).collect();
    let functions: Vec<String> = (0..3).map(|_| fresh(&mut gen, "")).collect();
    let q = common::quote_ident;
    for r in &existing {
        client
            .batch_execute(&format!("CREATE ROLE {} NOLOGIN", q(r)))
            .await
            .unwrap_or_else(|e| panic!("{r:?}: {}", common::describe(&e)));
    }
    for s in &schemas {
        client
            .batch_execute(&format!("CREATE SCHEMA {}", q(s)))
            .await
            .unwrap_or_else(|e| panic!("{s:?}: {}", common::describe(&e)));
    }
    for f in &functions {
        client
            .batch_execute(&format!(
                "CREATE FUNCTION {}.{}() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                q(&schemas[0]),
                q(f)
            ))
            .await
            .unwrap_or_else(|e| panic!("{f:?}: {}", common::describe(&e)));
    }

    // grants.yaml: existing roles under `groups:` and `roles:`, new ones under `roles:`.
    let all: Vec<&String> = existing.iter().chain(&created).collect();
    let grantee = |i: usize| format!("role:{}", all[i % all.len()]);
    let mut yaml = String::from("target: postgres\ngroups:\n");
    for r in &existing[..5] {
        yaml.push_str(&format!("  {}: {{}}\n", yaml_str(r)));
    }
    yaml.push_str("roles:\n");
    for r in existing[5..].iter().chain(&created) {
        yaml.push_str(&format!("  {}: {{}}\n", yaml_str(r)));
    }
    let mut want_schema: Vec<BTreeSet<(String, String)>> = Vec::new();
    yaml.push_str("schemas:\n");
    for (i, s) in schemas.iter().enumerate() {
        let usage = [i, i + 3];
        let create = i + 7;
        yaml.push_str(&format!(
            "  {}:\n    usage: [{}, {}{}]\n    create: [{}]\n",
            object_key(&[s]),
            yaml_str(&grantee(usage[0])),
            yaml_str(&grantee(usage[1])),
            if i % 3 == 0 { ", public" } else { "" },
            yaml_str(&grantee(create)),
        ));
        let mut want = BTreeSet::new();
        for u in usage {
            want.insert((all[u % all.len()].clone(), "USAGE".to_string()));
        }
        if i % 3 == 0 {
            want.insert(("public".to_string(), "USAGE".to_string()));
        }
        want.insert((all[create % all.len()].clone(), "CREATE".to_string()));
        want_schema.push(want);
    }
    yaml.push_str("functions:\n");
    for (i, f) in functions.iter().enumerate() {
        yaml.push_str(&format!(
            "  {}:\n    execute: [{}]\n",
            object_key(&[&schemas[0], f]),
            yaml_str(&grantee(i + 1))
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(yaml.as_bytes())
        .unwrap();

    let context = format!("grants.yaml:\n{yaml}");
    let validate = grantplan(&["validate"], &file, None);
    assert_eq!(validate.code, 0, "{}\n{context}", validate.stderr);
    let apply = grantplan(&["apply", "--yes"], &file, Some(&url));
    assert_eq!(
        apply.code, 0,
        "{}\n{}\n{context}",
        apply.stdout, apply.stderr
    );
    let again = grantplan(&["plan", "--detailed-exitcode"], &file, Some(&url));
    assert_eq!(
        again.code, 0,
        "second plan not empty:\n{}\n{}\n{context}",
        again.stdout, again.stderr
    );

    // The catalog holds exactly the intended grants, besides the owner's own.
    for r in &created {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_roles WHERE rolname = $1 AND NOT rolcanlogin",
                &[r],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "role {r:?} was not created as written");
    }
    for (s, want) in schemas.iter().zip(&want_schema) {
        let got: BTreeSet<_> = schema_acl(&client, s)
            .await
            .into_iter()
            .filter(|(g, _)| g != "postgres")
            .collect();
        assert_eq!(&got, want, "schema {s:?}\n{context}");
    }
    for (i, f) in functions.iter().enumerate() {
        let got: BTreeSet<_> = function_acl(&client, f)
            .await
            .into_iter()
            .filter(|(g, _)| g != "postgres")
            .collect();
        // PUBLIC's default EXECUTE was revoked: the file does not list it.
        let want = BTreeSet::from([(all[(i + 1) % all.len()].clone(), "EXECUTE".to_string())]);
        assert_eq!(got, want, "function {f:?}\n{context}");
    }
}

/// Every character that could rewrite what a reviewer sees, in a terminal or a rendered
/// page: ESC (terminal sequences), BEL, CR, a right-to-left override, a line separator.
const UNSHOWABLE: [char; 5] = ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{2028}'];

fn shows_none(what: &str, text: &str) {
    let found: Vec<char> = text.chars().filter(|c| UNSHOWABLE.contains(c)).collect();
    assert!(found.is_empty(), "{what} shows {found:?} raw:\n{text:?}");
}

/// Names holding terminal escapes and bidirectional overrides are shown escaped by
/// plan (sql and markdown), diff, the apply preview and its messages, and doctor; the
/// statements sent are exact, so the catalog ends with exactly the intended grants.
/// grants.yaml cannot name a control character (the config refuses it), so those names
/// come from the catalog: roles holding privileges the file does not list, revoked.
#[tokio::test]
async fn names_that_could_rewrite_the_screen_are_shown_escaped_and_applied_exactly() {
    let (db, client) = common::fresh_db("unshowable").await;
    let url = common::server().admin_url(&db);
    let tag = common::unique("");
    let erase = format!("a\u{1b}[2Kb{tag}");
    let bell = format!("r\u{7}\r\u{2028}x{tag}");
    let readers = format!("readers{tag}");
    let rlo = "report\u{202e}txt.exe";
    let q = common::quote_ident;
    client
        .batch_execute(&format!(
            "CREATE ROLE {e} NOLOGIN; CREATE ROLE {b} NOLOGIN; CREATE ROLE {readers} NOLOGIN;
             CREATE SCHEMA {s}; GRANT USAGE ON SCHEMA {s} TO {e}; GRANT CREATE ON SCHEMA {s} TO {b};",
            e = q(&erase),
            b = q(&bell),
            s = q(rlo)
        ))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    std::fs::write(
        &file,
        format!(
            "target: postgres\nroles:\n  {readers}: {{}}\nschemas:\n  {}: {{usage: [{readers}]}}\n",
            object_key(&[rlo]),
        ),
    )
    .unwrap();

    for format in ["sql", "markdown"] {
        let plan = grantplan(&["plan", "--format", format], &file, Some(&url));
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        shows_none(&format!("plan --format {format}"), &plan.stdout);
        shows_none("plan's warnings", &plan.stderr);
        assert!(plan.stdout.contains("\\u{1b}[2Kb"), "{}", plan.stdout);
        assert!(
            plan.stdout.contains("report\\u{202e}txt.exe"),
            "{}",
            plan.stdout
        );
    }
    let plan = grantplan(&["plan"], &file, Some(&url));
    assert!(
        plan.stdout.contains(grantplan::output::ESCAPED_NOTE),
        "{}",
        plan.stdout
    );
    // No plan file of them: a reviewer could not see what it runs.
    let out_dir = dir.path().join("migrations");
    let refused = grantplan(
        &["plan", "--out", &format!("{}/", out_dir.display())],
        &file,
        Some(&url),
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("names something holding a control or bidirectional character"),
        "{}",
        refused.stderr
    );
    shows_none("plan --out's refusal", &refused.stderr);
    assert!(std::fs::read_dir(&out_dir).map_or(true, |mut d| d.next().is_none()));
    let diff = grantplan(&["diff"], &file, Some(&url));
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    shows_none("diff", &diff.stdout);
    assert!(diff.stdout.contains("\\u{1b}[2Kb"), "{}", diff.stdout);
    let doctor = grantplan(&["doctor"], &file, Some(&url));
    shows_none("doctor", &doctor.stdout);

    let apply = grantplan(&["apply", "--yes"], &file, Some(&url));
    assert_eq!(apply.code, 0, "{}\n{}", apply.stdout, apply.stderr);
    shows_none("apply's preview", &apply.stdout);
    shows_none("apply's messages", &apply.stderr);
    // Sent exactly: only the file's role holds anything now.
    let got = schema_acl(&client, rlo).await;
    let want = BTreeSet::from([
        (readers.clone(), "USAGE".to_string()),
        ("postgres".to_string(), "USAGE".to_string()),
        ("postgres".to_string(), "CREATE".to_string()),
    ]);
    assert_eq!(got, want);
    let again = grantplan(&["plan", "--detailed-exitcode"], &file, Some(&url));
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

/// Ten thousand missing schemas are ten warnings and one count, not ten thousand
/// warnings (each of which also rescanned the whole file).
#[test]
fn thousands_of_alike_warnings_are_condensed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.yaml");
    let mut yaml = String::from("target: postgres\nroles:\n  readers: {}\nschemas:\n");
    for i in 0..10_000 {
        yaml.push_str(&format!("  s{i}: {{usage: [readers]}}\n"));
    }
    std::fs::write(&file, yaml).unwrap();
    let snapshot = dir.path().join("snapshot.json");
    let mut snap = grantplan::catalog::Snapshot::empty(grantplan::model::Target::Postgres);
    snap.principals.push(grantplan::catalog::PrincipalInfo {
        kind: grantplan::model::PrincipalKind::Role,
        name: "readers".into(),
        login: false,
        superuser: false,
    });
    std::fs::write(&snapshot, snap.to_json()).unwrap();
    let out = common::run(
        common::grantplan()
            .args(["plan", "-f"])
            .arg(&file)
            .arg("--catalog")
            .arg(&snapshot),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = out.stderr.matches("warning: schema `s").count();
    assert_eq!(shown, grantplan::diag::SHOWN_PER_KIND, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "warning: 9,990 more like this, not shown: schema `…` does not exist; its grants are left out of this plan"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.len() < 10_000, "{} bytes", out.stderr.len());
}
