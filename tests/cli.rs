//! The binary as users run it: arguments, exit codes, what goes to stdout and stderr.
//! No database here (see tests/apply.rs for those); where a database URL is given, it
//! points at a listener of this test that counts connection attempts.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the repository root, with a clean environment.
fn grantplan() -> assert_cmd::Command {
    let mut cmd = common::grantplan();
    cmd.current_dir(root());
    cmd
}

const SEED_PLAN: &str = "GRANT CREATE MODEL TO GROUP retention_analyst_grp;
GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;
GRANT USAGE ON SCHEMA demo_ml TO GROUP marketing_analyst_grp;
GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;
";

#[test]
fn offline_plan_of_the_shipped_file_is_the_seed() {
    let out = grantplan().arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (first, rest) = stdout.split_once('\n').unwrap();
    assert!(first.starts_with("-- offline plan: "), "{first}");
    assert_eq!(rest, SEED_PLAN);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn detailed_exitcode_is_2_when_there_are_changes() {
    grantplan()
        .args(["plan", "--detailed-exitcode"])
        .assert()
        .code(2);
    // Converged: the matching snapshot gives no changes, exit 0.
    grantplan()
        .args([
            "plan",
            "--detailed-exitcode",
            "--catalog",
            "tests/data/plans/02_seed_converged/catalog.json",
        ])
        .assert()
        .code(0)
        .stdout(contains("-- no changes"));
}

#[test]
fn a_command_line_that_cannot_be_read_exits_1_not_the_changes_code() {
    // 2 means "changes present" under --detailed-exitcode: a misspelt option, a missing
    // subcommand or an unknown one must not look like a plan to review.
    for args in [
        &["plan", "--detailed-exitcode", "--bogus"][..],
        &["plan", "--format", "yaml"],
        &["frobnicate"],
        &[],
    ] {
        let out = grantplan().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    for args in [["--help"], ["--version"]] {
        grantplan().args(args).assert().code(0);
    }
}

fn contains(s: &'static str) -> impl predicates::Predicate<[u8]> {
    predicates::function::function(move |out: &[u8]| String::from_utf8_lossy(out).contains(s))
}

#[test]
fn json_format_is_a_document_with_every_statement() {
    let out = grantplan()
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "grantplan-plan");
    assert_eq!(v["source"]["kind"], "offline");
    assert_eq!(v["summary"]["grant"], 4);
    let sql: String = v["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}\n", s["sql"].as_str().unwrap()))
        .collect();
    assert_eq!(sql, SEED_PLAN);
    assert_eq!(v["statements"][1]["privileges"][0], "CREATE");
    assert_eq!(
        v["statements"][1]["grantees"],
        serde_json::json!(["group:retention_analyst_grp"])
    );
    assert_eq!(v["statements"][1]["on"][0]["name"], "demo_ml");
    assert_eq!(v["version"], 2);
    assert_eq!(v["summary"]["privilege_changes"], 5);
}

#[test]
fn validate_accepts_the_shipped_file() {
    grantplan().arg("validate").assert().code(0).stdout(
        "grants.yaml is valid (target redshift, mode authoritative): 2 groups, 0 roles, \
             0 users, 1 schema, 1 model, 0 functions, 0 tables, 0 procedures\n",
    );
}

#[test]
fn validate_counts_the_kinds_of_the_target_and_names_the_database_when_written() {
    grantplan()
        .args(["validate", "-f", "-"])
        .write_stdin(
            "target: postgres\nroles: {app: {}}\ntables: {s.t: {select: [app]}}\n\
             database: {connect: [app]}\n\
             default_privileges: [{for: app, tables: {select: [app]}, functions: {}}]\n",
        )
        .assert()
        .code(0)
        .stdout(
            "<stdin> is valid (target postgres, mode authoritative): 0 groups, 1 role, 0 users, \
             0 schemas, 0 functions, 1 table, 0 sequences, 0 procedures, the database, \
             2 default privileges (principal, schema and kind)\n",
        );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = grantplan()
        .args(["validate", "-f", "nope/grants.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read nope/grants.yaml"), "{err}");
}

/// Every invalid input: exit 1, a message naming the file and line, and not a single
/// connection attempt even when a database URL is given.
#[test]
fn invalid_inputs_exit_1_with_a_location_and_never_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "postgres://admin:hunter2@127.0.0.1:{}/dev",
        listener.local_addr().unwrap().port()
    );
    let dir = root().join("tests/data/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    for file in files {
        let rel = file.strip_prefix(root()).unwrap().to_path_buf();
        let name = file.file_stem().unwrap().to_string_lossy().to_string();

        let out = grantplan()
            .args(["validate", "-f"])
            .arg(&rel)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!("{}:", rel.display())),
            "{name}: message must name the file and line:\n{stderr}"
        );
        insta::assert_snapshot!(format!("invalid_{name}"), stderr);

        for command in [&["plan"][..], &["apply", "--yes"][..]] {
            let out = grantplan()
                .args(command)
                .args(["--database-url", &url, "-f"])
                .arg(&rel)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{command:?} {name}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("hunter2"), "{name}: password printed");
        }
        match listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("{name}: a connection was attempted: {other:?}"),
        }
    }
}

#[test]
fn apply_without_a_database_says_how_to_give_one() {
    let out = grantplan().args(["apply", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apply needs a database"), "{err}");
    assert!(err.contains("--database-url"), "{err}");
}

#[test]
fn an_unreachable_server_is_reported_without_the_password() {
    // Bind then drop: nothing listens on this port.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = grantplan()
        .args(["plan", "--database-url"])
        .arg(format!("postgres://admin:hunter2@127.0.0.1:{port}/dev"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("admin@127.0.0.1:{port}/dev")),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

/// A snapshot of a version this build does not read is refused naming the file, the
/// line and column of its `version`, the version and the versions read.
#[test]
fn a_snapshot_of_an_unknown_version_is_refused_where_it_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("snap.json");
    let v1 = std::fs::read_to_string("tests/data/plans/02_seed_converged/catalog.json").unwrap();
    std::fs::write(&bad, v1.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let out = grantplan()
        .args([
            "plan",
            "-f",
            "tests/data/plans/02_seed_converged/grants.yaml",
            "--catalog",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}: line 3, column 15: snapshot version 99 is not supported by this grantplan (it \
         reads versions 1 and 2); take a new snapshot with this version",
        bad.display()
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn a_snapshot_of_the_wrong_kind_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("snap.json");
    std::fs::write(&bad, "{\"schemas\": []}").unwrap();
    let out = grantplan()
        .args(["plan", "--catalog"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a grantplan snapshot"), "{err}");
    assert!(err.contains(&bad.display().to_string()), "{err}");
}

/// `grantplan schema` prints the JSON Schema of grants.yaml; the copy shipped beside
/// grants.yaml (which the shipped file's `yaml-language-server` comment points at) must
/// be the current one, and the schema must refuse what the loader refuses.
#[test]
fn the_shipped_json_schema_is_current() {
    let out = grantplan().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let generated = String::from_utf8(out.stdout).unwrap();
    let shipped = std::fs::read_to_string(root().join("grants.schema.json")).unwrap();
    assert_eq!(
        shipped, generated,
        "grants.schema.json is stale: run `cargo run -- schema > grants.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown keys refused"
    );
    for def in ["GroupOrRole", "User", "Schema", "Execute", "Cluster"] {
        assert_eq!(
            schema["$defs"][def]["additionalProperties"], false,
            "{def}: unknown keys refused"
        );
    }
    let text = schema.to_string();
    for word in [
        "\"redshift\"",
        "\"postgres\"",
        "\"authoritative\"",
        "\"additive\"",
    ] {
        assert!(text.contains(word), "{word}");
    }
    let shipped_yaml = std::fs::read_to_string(root().join("grants.yaml")).unwrap();
    assert!(shipped_yaml.starts_with("# yaml-language-server: $schema=grants.schema.json\n"));
}

/// The CI recipe in docs/ is YAML, and every grantplan command it runs uses a
/// subcommand and flags this binary has (so the docs cannot drift from the CLI); so does
/// the command line the GitHub Action's script builds (`args=(plan ...)`).
#[test]
fn the_ci_recipe_uses_only_commands_and_flags_that_exist() {
    let text = std::fs::read_to_string(root().join("docs/ci/github-actions.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert!(doc["jobs"]["plan"].is_mapping() && doc["jobs"]["apply"].is_mapping());
    let mut commands: Vec<(String, Vec<String>, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let Some(at) = line.find("grantplan ") else {
            continue;
        };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        commands.push((
            words[1].to_string(),
            words[2..].iter().map(|w| w.to_string()).collect(),
            line.to_string(),
        ));
    }
    let script = std::fs::read_to_string(root().join(".github/grantplan-comment.sh")).unwrap();
    for line in script.lines().map(str::trim) {
        if let Some(args) = line.strip_prefix("args=(") {
            let words: Vec<String> = args.split_whitespace().map(str::to_string).collect();
            commands.push((words[0].clone(), words[1..].to_vec(), line.to_string()));
        } else if let Some(args) = line.strip_prefix("args+=(") {
            let (sub, mut words, _) = commands.last().cloned().expect("args=( first");
            words.extend(args.split_whitespace().map(str::to_string));
            commands.push((sub, words, line.to_string()));
        }
    }
    let mut checked = 0;
    for (sub, words, line) in &commands {
        if !["validate", "plan", "apply", "diff", "snapshot", "schema"].contains(&sub.as_str()) {
            continue; // `cargo install ... grantplan`, prose
        }
        let help = grantplan().args([sub, "--help"]).output().unwrap();
        assert_eq!(help.status.code(), Some(0), "{sub}");
        let help = String::from_utf8(help.stdout).unwrap();
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            let flag = flag.trim_end_matches(')');
            assert!(
                help.contains(flag),
                "`grantplan {sub}` has no {flag}: {line}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} flags checked");
}

/// A device given as a plan file or a snapshot is refused unopened (it is not a regular
/// file), before any connection: exit 1, one error line. (FIFOs, sockets and directories
/// everywhere a file is read: tests/files.rs.)
#[test]
fn endless_plan_files_and_snapshots_are_refused_unread() {
    let apply = common::run(
        grantplan()
            .args(["apply", "/dev/zero", "--database-url"])
            .arg("postgres://nobody@127.0.0.1:1/none"),
    );
    assert_eq!(apply.code, 1, "{}", apply.stderr);
    assert!(
        apply
            .stderr
            .contains("plan file /dev/zero is a character device, not a regular file"),
        "{}",
        apply.stderr
    );
    assert!(!apply.stderr.contains("connect"), "{}", apply.stderr);
    let plan = common::run(grantplan().args(["plan", "--catalog", "/dev/zero"]));
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert!(
        plan.stderr
            .contains("snapshot /dev/zero is a character device, not a regular file"),
        "{}",
        plan.stderr
    );
    assert!(plan.stdout.is_empty());
}

/// `plan --format markdown` fits a pull-request comment: a plan of 3,000 statements stays
/// under the limit, and the note names the plan file `--out` wrote, which holds them all.
#[test]
fn markdown_stays_under_the_comment_limit_and_names_the_plan_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("target: postgres\nroles:\n  readers: {}\nschemas:\n");
    let mut snap = grantplan::catalog::Snapshot::empty(grantplan::model::Target::Postgres);
    snap.server.login_superuser = true;
    snap.principals.push(grantplan::catalog::PrincipalInfo {
        kind: grantplan::model::PrincipalKind::Role,
        name: "readers".into(),
        login: false,
        superuser: false,
    });
    for i in 0..3_000 {
        yaml.push_str(&format!("  schema_{i:04}: {{usage: [readers]}}\n"));
        snap.objects.push(grantplan::catalog::ObjectInfo::new(
            grantplan::model::Securable::Schema {
                name: format!("schema_{i:04}"),
            },
            "postgres",
            Vec::new(),
        ));
    }
    let file = dir.path().join("grants.yaml");
    std::fs::write(&file, yaml).unwrap();
    let catalog = dir.path().join("snapshot.json");
    std::fs::write(&catalog, snap.to_json()).unwrap();
    let out = grantplan()
        .current_dir(dir.path())
        .args(["plan", "--format", "markdown", "--catalog", "snapshot.json"])
        .args(["--markdown-limit", "20000", "--out", "migrations/"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.chars().count() <= 20_000, "{}", md.len());
    let written: Vec<PathBuf> = std::fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1);
    let name = written[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        md.contains("statements are not shown** (this comment is kept under 20000 characters): the whole plan is in `migrations/"),
        "{}",
        &md[md.len().saturating_sub(500)..]
    );
    assert!(md.contains(&name), "{name}");
}

/// `-f -` reads grants.yaml from standard input, bounded like a file; its errors point
/// at `<stdin>` with the line shown.
#[test]
fn dash_reads_the_grants_file_from_standard_input() {
    let out = grantplan()
        .args(["plan", "-f", "-"])
        .write_stdin("target: postgres\nroles:\n  r: {}\nschemas:\n  s: {usage: [r]}\n")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("GRANT USAGE ON SCHEMA s TO r;"));
    let out = grantplan()
        .args(["validate", "-f", "-"])
        .write_stdin("target: postgres\nroles:\n  r: {}\nschemas:\n  s: {usage: [x]}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--> <stdin>:5:15") && err.contains("s: {usage: [x]}"),
        "{err}"
    );
    let big = "#".repeat(grantplan::config::MAX_FILE_BYTES as usize + 1);
    let out = grantplan()
        .args(["validate", "-f", "-"])
        .write_stdin(big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("<stdin> holds more than"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The published JSON Schemas (docs/schemas/) are what `grantplan schema OUTPUT` prints,
/// and the plan and diff documents validate against them; a document that breaks the
/// schema is caught.
#[test]
fn json_outputs_match_their_published_schemas() {
    for name in ["plan", "diff", "doctor", "apply"] {
        let out = grantplan().args(["schema", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let published =
            std::fs::read_to_string(root().join(format!("docs/schemas/{name}.schema.json")))
                .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            published,
            "docs/schemas/{name}.schema.json is stale: write it with `grantplan schema {name}`"
        );
    }
    let plan = grantplan()
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0));
    let plan = String::from_utf8(plan.stdout).unwrap();
    common::assert_matches_schema(&plan, "plan");

    let dir = tempfile::tempdir().unwrap();
    let mut snap = grantplan::catalog::Snapshot::empty(grantplan::model::Target::Redshift);
    snap.server.login_superuser = true;
    snap.objects.push(grantplan::catalog::ObjectInfo::new(
        grantplan::model::Securable::Schema {
            name: "demo_ml".into(),
        },
        "admin",
        Vec::new(),
    ));
    let catalog = dir.path().join("snapshot.json");
    std::fs::write(&catalog, snap.to_json()).unwrap();
    let diff = grantplan()
        .args([
            "diff",
            "--format",
            "json",
            "--detailed-exitcode",
            "--catalog",
        ])
        .arg(&catalog)
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    let diff = String::from_utf8(diff.stdout).unwrap();
    common::assert_matches_schema(&diff, "diff");
    let doc: serde_json::Value = serde_json::from_str(&diff).unwrap();
    assert!(
        doc["added"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("demo_ml")),
        "{diff}"
    );
    // The schema is strict enough to catch a wrong document.
    let broken = diff.replace("\"grantplan-diff\"", "\"grantplan-plan\"");
    let caught = std::panic::catch_unwind(|| common::assert_matches_schema(&broken, "diff"));
    assert!(
        caught.is_err(),
        "a document of another format passed the diff schema"
    );
}

/// build.rs, included to test where the commit in `--version` comes from.
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

/// `git ARGS` in `dir`; panics when git fails (the tests that call it need git).
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `grantplan --version` is `grantplan VERSION (COMMIT)`, COMMIT being what
/// `git rev-parse --short HEAD` says in the repository the binary was built from (this
/// one: the tests run from a clone), or `$GRANTPLAN_COMMIT` when the build was given it.
#[test]
fn version_names_the_commit_it_was_built_from() {
    for flag in ["--version", "-V"] {
        let out = common::run(grantplan().arg(flag));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let rest = out
            .stdout
            .strip_prefix(&format!("grantplan {} (", env!("CARGO_PKG_VERSION")))
            .unwrap_or_else(|| panic!("{:?}", out.stdout));
        let commit = rest
            .strip_suffix(")\n")
            .unwrap_or_else(|| panic!("{:?}", out.stdout));
        let expected = match option_env!("GRANTPLAN_COMMIT") {
            Some(given) => given.trim().to_ascii_lowercase(),
            None if root().join(".git").exists() => git(&root(), &["rev-parse", "--short", "HEAD"]),
            None => build_script::UNKNOWN.to_string(),
        };
        assert_eq!(commit, expected, "{flag}");
    }
}

/// Without a `.git` in the package's own directory (a source tarball, a crate unpacked
/// inside another repository) the commit is `unknown commit`; with one it is HEAD's,
/// and the files watched for a rebuild are HEAD and the branch's ref; `$GRANTPLAN_COMMIT`
/// wins when it is a commit id and is ignored when it is not.
#[test]
fn the_build_script_finds_the_commit_or_says_it_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let package = repo.join("vendored");
    std::fs::create_dir_all(&package).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(package.join("Cargo.toml"), "").unwrap();
    git(&repo, &["add", "."]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "-q",
            "-m",
            "one",
        ],
    );
    let head = git(&repo, &["rev-parse", "--short", "HEAD"]);

    // A package inside a repository that is not its own: no commit.
    let inside = build_script::commit(&package, None);
    assert_eq!(inside.commit, build_script::UNKNOWN);
    assert!(inside.watch.is_empty());
    // No repository at all.
    let plain = tempfile::tempdir().unwrap();
    assert_eq!(
        build_script::commit(plain.path(), None).commit,
        build_script::UNKNOWN
    );

    let found = build_script::commit(&repo, None);
    assert_eq!(found.commit, head);
    let canonical = |p: &std::path::Path| p.canonicalize().unwrap();
    let watched: Vec<PathBuf> = found.watch.iter().map(|p| canonical(p)).collect();
    assert!(
        watched.contains(&canonical(&repo.join(".git/HEAD"))),
        "{watched:?}"
    );
    assert!(
        watched.contains(&canonical(&repo.join(".git/refs/heads/main"))),
        "{watched:?}"
    );

    let given = build_script::commit(plain.path(), Some("ABC1234\n"));
    assert_eq!(given.commit, "abc1234");
    let bad = build_script::commit(&repo, Some("$(reboot)"));
    assert_eq!(bad.commit, head);
    assert_eq!(bad.ignored_override.as_deref(), Some("$(reboot)"));
}

/// The subcommands of the command line's definition (clap's own `help` left out), each
/// with the long names of its options (the program-wide `--color` left out).
fn commands_and_options() -> Vec<(String, Vec<String>)> {
    use clap::CommandFactory;
    let mut cli = grantplan::cli::Cli::command();
    cli.build();
    let commands: Vec<(String, Vec<String>)> = cli
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| {
            let longs = c
                .get_arguments()
                .filter(|a| !a.is_global_set() && !a.is_hide_set())
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect();
            (c.get_name().to_string(), longs)
        })
        .collect();
    let names: Vec<&str> = commands.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["validate", "plan", "apply", "diff", "completions", "man"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    commands
}

/// `grantplan completions bash` is a script bash completes the command line with:
/// sourced in a bash, its function offers the subcommands, a command's options and an
/// option's values; it names every subcommand and every option of every command.
#[test]
fn bash_completions_offer_the_commands_and_their_options() {
    let out = common::run(grantplan().args(["completions", "bash"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let script = out.stdout;
    for (command, options) in commands_and_options() {
        assert!(
            script.contains(&format!("grantplan,{command})")),
            "{command}"
        );
        for option in options {
            assert!(
                script.contains(&format!("--{option}")),
                "{command} --{option}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grantplan.bash");
    std::fs::write(&path, &script).unwrap();
    // What bash's programmable completion would call: the function with the command's
    // name, the word being completed and the word before it, COMP_WORDS and COMP_CWORD
    // set; COMPREPLY holds the offers.
    let complete = |words: &[&str]| -> Vec<String> {
        let cword = words.len() - 1;
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}' && COMP_WORDS=({}) && COMP_CWORD={cword} && \
             _grantplan grantplan '{}' '{}' && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            quoted.join(" "),
            words[cword],
            words[cword - 1],
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "{words:?}: {out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(complete(&["grantplan", "pl"]), ["plan"]);
    assert!(complete(&["grantplan", ""]).contains(&"completions".to_string()));
    assert_eq!(
        complete(&["grantplan", "plan", "--det"]),
        ["--detailed-exitcode"]
    );
    assert_eq!(
        complete(&["grantplan", "plan", "--format", ""]),
        ["sql", "json", "markdown"]
    );
    assert_eq!(
        complete(&["grantplan", "completions", "z"]),
        ["zsh"],
        "the shells themselves"
    );
}

/// Every shell clap_complete offers gets a script that names the commands and their
/// options; an unknown shell is a usage error (exit 1) listing them.
#[test]
fn every_shell_gets_a_completion_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = common::run(grantplan().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stderr.is_empty(), "{shell}: {}", out.stderr);
        for needle in [
            "grantplan",
            "validate",
            "detailed-exitcode",
            "markdown-limit",
        ] {
            assert!(out.stdout.contains(needle), "{shell}: {needle}");
        }
    }
    let out = common::run(grantplan().args(["completions", "tcsh"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("[possible values: bash, elvish, fish, powershell, zsh]"),
        "{}",
        out.stderr
    );
}

/// `grantplan man` is one roff page, grantplan(1): a section per command with its
/// synopsis and every option (roff writes `-` as `\-`), the program-wide options once,
/// the exit codes and the version.
#[test]
fn the_man_page_documents_every_command_and_option() {
    let out = common::run(grantplan().arg("man"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout;
    let roff = |text: &str| text.replace('-', "\\-");
    assert!(page.contains("\n.TH GRANTPLAN 1 "), "{}", &page[..200]);
    assert!(page.contains(".SH NAME\ngrantplan \\- Amazon Redshift ML permissions"));
    assert_eq!(page.matches(".ds Aq").count(), 2, "one apostrophe preamble");
    for (command, options) in commands_and_options() {
        let heading = format!(".SH \"GRANTPLAN {}\"\n", command.to_uppercase());
        let at = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no section for {command}"));
        // The section runs to the next section.
        let section = &page[at + heading.len()..];
        let section = &section[..section.find(".SH ").unwrap_or(section.len())];
        assert!(
            section.contains(&format!("\\fBgrantplan {command}\\fR")),
            "{command}: synopsis"
        );
        for option in options {
            assert!(
                section.contains(&roff(&format!("\\fB--{option}\\fR"))),
                "{command}: --{option} not in\n{section}"
            );
        }
        assert!(!section.contains("\\-\\-color"), "{command}: --color once");
    }
    assert!(page.contains(".SH OPTIONS\n.TP\n\\fB\\-\\-color\\fR"));
    assert!(page.contains("\\fB\\-\\-detailed\\-exitcode\\fR"));
    assert!(page.contains(".SH \"EXIT STATUS\""));
    assert!(page.contains(&format!(
        ".SH VERSION\nv{}",
        grantplan::cli::VERSION.replace('-', "\\-")
    )));
    assert!(
        !page.contains("grantplan\\-plan(1)"),
        "no pages that are not installed"
    );
}

/// `--color always` colours the summary line even through a pipe; `never` (and a pipe
/// under `auto`) prints no colour, and no summary through a pipe.
#[test]
fn color_always_and_never_are_obeyed() {
    let always = grantplan()
        .args(["--color", "always", "plan"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&always.stderr);
    assert!(err.contains("\u{1b}[32m4 grants\u{1b}[0m"), "{err:?}");
    let never = grantplan()
        .args(["--color", "never", "plan"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&never.stderr).contains('\u{1b}'));
    let auto = grantplan()
        .arg("plan")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&auto.stderr).contains("grants"),
        "no summary through a pipe"
    );
}
