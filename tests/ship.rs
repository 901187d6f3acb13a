//! Shipping grantplan: the GitHub Action's comment script, run here against a stand-in
//! `gh` that records its arguments (GitHub itself cannot be reached from here), and the
//! consistency of action.yml, the workflow in docs/ci and the Dockerfile (which cannot be
//! built here: no Docker engine runs on this machine).
//!
//! The stand-in answers `gh api --jq EXPR` by running EXPR through jq over the comments a
//! test gives it, as gh's built-in jq would, so the script's filter (the marker, the
//! author) is checked for real: jq must be installed (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SCRIPT: &str = ".github/grantplan-comment.sh";

/// `gh`, as far as the script uses it: each call is appended to `calls` as a JSON array of
/// its arguments; `api --jq EXPR` on a GET answers with EXPR over `comments.json`; a
/// PATCH or POST copies the `-F body=@FILE` file to `body` and answers `{html_url}`
/// through EXPR, or fails like a refused request when `fail` exists.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
dir=$FAKE_GH_DIR
for arg in "$@"; do printf '%s' "$arg" | jq -Rsc .; done | jq -sc . >> "$dir/calls"
method=GET expr=. body=
while [ $# -gt 0 ]; do
    case $1 in
        --jq) expr=$2; shift ;;
        --method) method=$2; shift ;;
        -F) case $2 in body=@*) body=${2#body=@} ;; esac; shift ;;
    esac
    shift
done
case $method in
    GET) jq -r "$expr" "$dir/comments.json" ;;
    *)
        if [ -e "$dir/fail" ]; then echo 'HTTP 403: Resource not accessible by integration' >&2; exit 1; fi
        cp "$body" "$dir/body"
        echo '{"html_url": "https://github.example/acme/grants/pull/7#issuecomment-99"}' | jq -r "$expr"
        ;;
esac
"#;

/// One run of the script.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The arguments of each `gh` call, in order.
    calls: Vec<Vec<String>>,
    /// The comment body sent, if any.
    body: Option<String>,
    /// `GITHUB_OUTPUT` as name → value.
    outputs: Vec<(String, String)>,
    /// The files in the plan directory.
    planned: Vec<String>,
}

impl Run {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }
}

/// A temporary repository checkout with the stand-in gh: runs the script with `env` on
/// top of what GitHub Actions would set.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// `comments`: the pull request's comments as the REST API lists them.
    fn new(comments: serde_json::Value) -> Fixture {
        assert!(
            Command::new("jq").arg("--version").output().is_ok(),
            "jq is needed by the stand-in gh (apt-get install jq; .ci/run installs it)"
        );
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("gh"), FAKE_GH).unwrap();
        let mut perms = std::fs::metadata(bin.join("gh")).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(bin.join("gh"), perms).unwrap();
        let gh = dir.path().join("gh");
        std::fs::create_dir(&gh).unwrap();
        std::fs::write(gh.join("comments.json"), comments.to_string()).unwrap();
        // The seed's grants.yaml and a cluster that drifted from it: a plan with changes.
        let case = root().join("tests/data/plans/03_seed_drift_authoritative");
        std::fs::copy(case.join("grants.yaml"), dir.path().join("grants.yaml")).unwrap();
        std::fs::copy(case.join("catalog.json"), dir.path().join("catalog.json")).unwrap();
        Fixture { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, env: &[(&str, &str)]) -> Run {
        let gh = self.path().join("gh");
        let output = self.path().join("github_output");
        let _ = std::fs::remove_file(&output);
        let _ = std::fs::remove_file(gh.join("calls"));
        let _ = std::fs::remove_file(gh.join("body"));
        let path = format!(
            "{}:{}",
            self.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(root().join(SCRIPT))
            .current_dir(self.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .env("FAKE_GH_DIR", &gh)
            .env("GRANTPLAN_BIN", env!("CARGO_BIN_EXE_grantplan"))
            .env("GITHUB_REPOSITORY", "acme/grants")
            .env("GITHUB_OUTPUT", &output)
            .env("GRANTPLAN_PR", "7")
            .env("GRANTPLAN_CATALOG", "catalog.json");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let calls = std::fs::read_to_string(gh.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let outputs = std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        let planned = std::fs::read_dir(self.path().join("planned"))
            .map(|d| {
                let mut names: Vec<String> = d
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            })
            .unwrap_or_default();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            calls,
            body: std::fs::read_to_string(gh.join("body")).ok(),
            outputs,
            planned,
        }
    }
}

/// A comment as GET /repos/{owner}/{repo}/issues/{n}/comments lists it.
fn comment(id: u64, login: &str, body: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "user": {"login": login, "type": if login.ends_with("[bot]") { "Bot" } else { "User" }},
        "body": body,
        "html_url": format!("https://github.example/acme/grants/pull/7#issuecomment-{id}"),
    })
}

const BOT: &str = "github-actions[bot]";
const MARKER: &str = "<!-- grantplan-plan -->";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The call that lists the comments: paginated, filtered by gh's jq on the author and the
/// marker at the start of the body.
fn assert_lists_comments(call: &[String], marker: &str) {
    assert_eq!(
        call[..4],
        strings(&[
            "api",
            "--paginate",
            "repos/acme/grants/issues/7/comments",
            "--jq"
        ])
    );
    assert_eq!(
        call[4],
        format!(
            ".[] | select(.user.login == \"{BOT}\" and (.body | startswith(\"{marker}\"))) | .id"
        )
    );
}

/// No comment of ours yet: the plan is posted as a new comment whose first line is the
/// marker, and the plan file is written; outputs say so.
#[test]
fn the_first_plan_creates_a_comment() {
    let fixture = Fixture::new(serde_json::json!([
        comment(11, "alice", "Looks good to me"),
        comment(12, BOT, "some other bot message"),
    ]));
    let run = fixture.run(&[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.calls.len(), 2, "{:?}", run.calls);
    assert_lists_comments(&run.calls[0], MARKER);
    let body_file = run.calls[1][5].strip_prefix("body=@").unwrap().to_string();
    assert_eq!(
        run.calls[1],
        strings(&[
            "api",
            "--method",
            "POST",
            "repos/acme/grants/issues/7/comments",
            "-F",
            &format!("body=@{body_file}"),
            "--jq",
            ".html_url"
        ])
    );
    let body = run.body.clone().unwrap();
    let (first, plan) = body.split_once('\n').unwrap();
    assert_eq!(first, MARKER);
    assert!(plan.starts_with("**grantplan: 7 statements"), "{plan}");
    assert!(
        plan.contains("REVOKE CREATE MODEL\n  FROM\n    PUBLIC,\n"),
        "{plan}"
    );
    assert_eq!(run.output("changes"), "true");
    assert_eq!(run.planned.len(), 1, "{:?}", run.planned);
    assert_eq!(
        run.output("plan-file"),
        format!("planned/{}", run.planned[0])
    );
    assert!(run.planned[0].ends_with("_grants.sql"));
    assert_eq!(
        run.output("comment-url"),
        "https://github.example/acme/grants/pull/7#issuecomment-99"
    );
    assert!(
        run.stdout.contains("created a comment on #7"),
        "{}",
        run.stdout
    );
    // The temporary body file is gone with the script.
    assert!(!Path::new(&body_file).exists());
}

/// Our comment exists: it is edited in place (PATCH on its id), nothing is posted. A
/// comment by someone else that carries the marker, or quotes it further down, is never
/// the one edited; of two of ours, the oldest is.
#[test]
fn a_later_plan_updates_the_comment_it_finds_by_the_marker() {
    let fixture = Fixture::new(serde_json::json!([
        comment(20, "mallory", &format!("{MARKER}\nnot the bot's")),
        comment(21, BOT, &format!("quoting:\n{MARKER}")),
        comment(42, BOT, &format!("{MARKER}\n**grantplan: old plan**")),
        comment(43, BOT, &format!("{MARKER}\n**grantplan: a duplicate**")),
    ]));
    let run = fixture.run(&[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.calls.len(), 2, "{:?}", run.calls);
    assert_lists_comments(&run.calls[0], MARKER);
    assert_eq!(
        run.calls[1][..4],
        strings(&[
            "api",
            "--method",
            "PATCH",
            "repos/acme/grants/issues/comments/42"
        ])
    );
    assert!(run.calls[1][5].starts_with("body=@"));
    assert!(run
        .body
        .clone()
        .unwrap()
        .starts_with(&format!("{MARKER}\n**grantplan: 7")));
    assert!(
        run.stdout.contains("updated comment 42 on #7"),
        "{}",
        run.stdout
    );
    assert!(!run.calls.iter().any(|c| c.contains(&"POST".to_string())));
}

/// With GRANTPLAN_COMMENT_ID, the marker names it: the default plan's comment is left
/// alone and this plan gets (and later updates) its own.
#[test]
fn a_comment_id_keeps_two_plans_in_two_comments() {
    let other = "<!-- grantplan-plan: warehouse/grants.yaml -->";
    let fixture = Fixture::new(serde_json::json!([comment(
        42,
        BOT,
        &format!("{MARKER}\nthe default plan")
    )]));
    let env = [("GRANTPLAN_COMMENT_ID", "warehouse/grants.yaml")];
    let run = fixture.run(&env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_lists_comments(&run.calls[0], other);
    assert_eq!(run.calls[1][2], "POST");
    assert!(run.body.clone().unwrap().starts_with(&format!("{other}\n")));

    let fixture = Fixture::new(serde_json::json!([
        comment(42, BOT, &format!("{MARKER}\nthe default plan")),
        comment(50, BOT, &format!("{other}\nthe warehouse plan")),
    ]));
    let run = fixture.run(&env);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.calls[1][3], "repos/acme/grants/issues/comments/50");
}

/// A server that matches the file: the comment still says so (updating an old plan's
/// comment), `changes` is false and no plan file is written.
#[test]
fn no_changes_is_commented_too_and_writes_no_plan_file() {
    let fixture = Fixture::new(serde_json::json!([comment(
        42,
        BOT,
        &format!("{MARKER}\nan old plan")
    )]));
    let converged = root().join("tests/data/plans/02_seed_converged");
    std::fs::copy(
        converged.join("grants.yaml"),
        fixture.path().join("grants.yaml"),
    )
    .unwrap();
    std::fs::copy(
        converged.join("catalog.json"),
        fixture.path().join("catalog.json"),
    )
    .unwrap();
    let run = fixture.run(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.output("changes"), "false");
    assert_eq!(run.output("plan-file"), "");
    assert!(run.planned.is_empty(), "{:?}", run.planned);
    assert_eq!(run.calls[1][2], "PATCH");
    assert!(run.body.clone().unwrap().contains("no changes"));
}

/// Outside a pull request (a push), it plans and writes the plan file but calls no gh.
#[test]
fn without_a_pull_request_it_plans_and_never_calls_gh() {
    let fixture = Fixture::new(serde_json::json!([]));
    let run = fixture.run(&[("GRANTPLAN_PR", "")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.calls.is_empty(), "{:?}", run.calls);
    assert_eq!(run.output("changes"), "true");
    assert_eq!(run.planned.len(), 1);
    assert_eq!(run.output("comment-url"), "");
}

/// A plan that fails (here, an invalid grants file) exits 1 and touches no comment; so
/// does a refused comment (gh failing) end the step with a failure.
#[test]
fn failures_fail_the_step() {
    let fixture = Fixture::new(serde_json::json!([]));
    std::fs::write(
        fixture.path().join("grants.yaml"),
        "groups: [not, a, map]\n",
    )
    .unwrap();
    let run = fixture.run(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(run.calls.is_empty(), "{:?}", run.calls);
    assert!(
        run.stderr
            .contains("grantplan plan failed (exit 1); no comment was written"),
        "{}",
        run.stderr
    );

    let fixture = Fixture::new(serde_json::json!([]));
    std::fs::write(fixture.path().join("gh/fail"), "").unwrap();
    let run = fixture.run(&[]);
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("HTTP 403"), "{}", run.stderr);
}

/// What ends up inside the jq program or the API path is checked first: a pull request
/// "number", a login or a comment id that could break out of them stops the script before
/// grantplan or gh runs.
#[test]
fn inputs_that_could_change_the_api_calls_are_refused() {
    let fixture = Fixture::new(serde_json::json!([]));
    for (var, value) in [
        ("GRANTPLAN_PR", "7/../../orgs"),
        ("GRANTPLAN_COMMENT_AUTHOR", "x\") or true or (\""),
        ("GRANTPLAN_COMMENT_ID", "a\" -->"),
        ("GITHUB_REPOSITORY", "acme"),
    ] {
        let run = fixture.run(&[(var, value)]);
        assert_eq!(run.code, Some(1), "{var}");
        assert!(run.calls.is_empty(), "{var}");
        assert!(run.planned.is_empty(), "{var}: planned before refusing");
        assert!(
            run.stderr.starts_with("grantplan-comment: "),
            "{var}: {}",
            run.stderr
        );
    }
}

fn yaml(path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// action.yml is a composite action whose every `inputs.X` is declared, whose run steps
/// name a shell, which runs the script above and gives it every variable the script
/// reads; the workflow in docs/ci uses it only with declared inputs and outputs.
#[test]
fn the_action_and_the_workflow_agree_with_the_script() {
    let action = yaml("action.yml");
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let inputs: Vec<String> = action["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let outputs: Vec<String> = action["outputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    for used in text.split("inputs.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(inputs.contains(&name), "inputs.{name} is not declared");
    }
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    for step in steps {
        assert!(
            step["shell"].is_string(),
            "composite run steps need a shell"
        );
    }
    let plan = steps.iter().find(|s| s["id"] == "plan").unwrap();
    assert!(plan["run"].as_str().unwrap().contains(SCRIPT));
    let script = std::fs::read_to_string(root().join(SCRIPT)).unwrap();
    for (var, _) in plan["env"].as_mapping().unwrap() {
        let var = var.as_str().unwrap();
        assert!(
            var == "GH_TOKEN" || script.contains(&format!("${{{var}")),
            "{var} is not read by the script"
        );
    }
    for line in script.lines().filter(|l| l.contains("${GRANTPLAN_")) {
        let var = line.split("${").nth(1).unwrap();
        let var: String = var
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || *c == '_')
            .collect();
        assert!(
            plan["env"][var.as_str()].is_string(),
            "the action does not set {var}"
        );
    }
    for output in &outputs {
        assert!(
            script.contains(&format!("echo \"{output}=")),
            "the script never writes the output {output}"
        );
    }

    // The workflow: both jobs use the action (from a submodule at ./grantplan), with
    // declared inputs; the outputs it reads are declared.
    let workflow = yaml("docs/ci/github-actions.yml");
    let workflow_text = std::fs::read_to_string(root().join("docs/ci/github-actions.yml")).unwrap();
    assert!(!workflow_text.contains("OWNER"));
    for job in ["plan", "apply"] {
        let steps = workflow["jobs"][job]["steps"].as_sequence().unwrap();
        let uses: Vec<&serde_yaml::Value> = steps
            .iter()
            .filter(|s| s["uses"] == "./grantplan")
            .collect();
        assert_eq!(uses.len(), 1, "{job} uses the action once");
        if let Some(with) = uses[0]["with"].as_mapping() {
            for key in with.keys() {
                let key = key.as_str().unwrap();
                assert!(inputs.iter().any(|i| i == key), "{job}: no input {key}");
            }
        }
        let checkout = &steps[0];
        assert!(checkout["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/checkout@"));
        assert_eq!(checkout["with"]["submodules"], true, "{job}");
    }
    for used in workflow_text.split("steps.grantplan.outputs.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(outputs.contains(&name), "output {name} is not declared");
    }
}

/// The Dockerfile (not built here) builds with the lock file in a Rust stage and ships a
/// final stage from scratch holding the binary, the CA bundle for `sslrootcert=system`
/// and nothing else, run as an unprivileged user.
#[test]
fn the_dockerfile_ships_only_the_binary() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let stages: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("FROM "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(stages.len(), 2, "two stages");
    assert!(
        lines[stages[0]].starts_with("FROM rust:"),
        "{}",
        lines[stages[0]]
    );
    assert!(text.contains("--locked"));
    let last = &lines[stages[1]..];
    assert_eq!(last[0], "FROM scratch");
    let copies: Vec<&&str> = last.iter().filter(|l| l.starts_with("COPY")).collect();
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert!(copies.iter().all(|c| c.starts_with("COPY --from=build ")));
    assert!(last
        .iter()
        .any(|l| l.starts_with("USER ") && !l.contains("root")));
    assert!(last.contains(&"ENTRYPOINT [\"/usr/local/bin/grantplan\"]"));
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l == "target"),
        "the build cache stays out"
    );
}
