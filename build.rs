//! Build script: the git commit the binary is built from, for `grantplan --version`
//! (`grantplan 0.1.0 (abc1234)`), as the compile-time variable `GRANTPLAN_BUILD_COMMIT`.
//!
//! Where it comes from, first match wins:
//! 1. `$GRANTPLAN_COMMIT`, when it is 4 to 40 hex digits: for builds whose source has no
//!    `.git` but whose builder knows the commit (the Dockerfile's `--build-arg`);
//! 2. `git rev-parse --short HEAD`, run in this package's directory, when that directory
//!    holds a `.git` (a directory, or the file of a `git worktree`). The check keeps a
//!    package unpacked inside someone else's repository (`cargo install` from crates.io
//!    under a home directory kept in git) from naming that repository's commit;
//! 3. `unknown commit`: no `.git` (a source tarball, `cargo package`), no git, or git
//!    refused (a repository owned by another user, say).
//!
//! No build dependency: `git` is run as a command when it is there. Cargo runs this again
//! when HEAD or the branch it names moves (a commit, a checkout), and not on other
//! edits; only that branch's own ref is watched, so commits on other branches of a
//! shared repository do not rebuild this one. The working tree's uncommitted changes are
//! not shown.
//!
//! `tests/cli.rs` includes this file as a module and calls [`commit`] on directories with
//! and without a repository.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GRANTPLAN_COMMIT");
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let found = commit(&dir, std::env::var("GRANTPLAN_COMMIT").ok().as_deref());
    if let Some(ignored) = &found.ignored_override {
        println!("cargo:warning=GRANTPLAN_COMMIT={ignored:?} is not 4 to 40 hex digits; ignored");
    }
    for path in &found.watch {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rustc-env=GRANTPLAN_BUILD_COMMIT={}", found.commit);
}

/// What `--version` shows when the commit cannot be known.
pub const UNKNOWN: &str = "unknown commit";

/// The commit found, and the files whose change means it may have moved.
pub struct Found {
    /// Abbreviated hex, or [`UNKNOWN`].
    pub commit: String,
    /// Files for `cargo:rerun-if-changed` (each exists: cargo reruns a script every build
    /// for a path that does not).
    pub watch: Vec<PathBuf>,
    /// A `$GRANTPLAN_COMMIT` that was not a commit id.
    pub ignored_override: Option<String>,
}

/// The commit of the package in `dir`; `given` is `$GRANTPLAN_COMMIT`.
pub fn commit(dir: &Path, given: Option<&str>) -> Found {
    let mut found = Found {
        commit: UNKNOWN.to_string(),
        watch: Vec::new(),
        ignored_override: None,
    };
    if let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) {
        if is_commit_id(given) {
            found.commit = given.to_ascii_lowercase();
            return found;
        }
        found.ignored_override = Some(given.to_string());
    }
    if !dir.join(".git").exists() {
        return found;
    }
    let Some(short) = git(dir, &["rev-parse", "--short", "HEAD"]).filter(|c| is_commit_id(c))
    else {
        return found;
    };
    found.commit = short;
    found.watch = watched_files(dir);
    found
}

/// 4 to 40 hex digits (git abbreviates to at least 4; SHA-1 ids are 40).
fn is_commit_id(s: &str) -> bool {
    (4..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// HEAD, and the ref it names: its loose file when there is one, else `packed-refs` and
/// the folder the loose file would be created in. In a worktree HEAD is in the worktree's
/// git directory and the branches in the common one.
fn watched_files(dir: &Path) -> Vec<PathBuf> {
    let Some(out) = git(
        dir,
        &[
            "rev-parse",
            "--git-dir",
            "--git-common-dir",
            "--symbolic-full-name",
            "HEAD",
        ],
    ) else {
        return Vec::new();
    };
    let lines: Vec<&str> = out.lines().collect();
    let [git_dir, common_dir, head_ref] = lines[..] else {
        return Vec::new();
    };
    let git_dir = dir.join(git_dir);
    let common_dir = dir.join(common_dir);
    let mut watch = vec![git_dir.join("HEAD")];
    if head_ref.starts_with("refs/") {
        let loose = common_dir.join(head_ref);
        if loose.is_file() {
            watch.push(loose);
        } else {
            watch.push(common_dir.join("packed-refs"));
            if let Some(parent) = loose.parent() {
                watch.push(parent.to_path_buf());
            }
        }
    }
    watch.retain(|p| p.exists());
    watch
}

/// `git ARGS` in `dir`, its trimmed standard output when it succeeds. `GIT_DIR` and
/// `GIT_WORK_TREE` are dropped so that a build started from a git hook reads this
/// package's repository.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}
