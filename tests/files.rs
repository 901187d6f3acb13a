//! The files grantplan reads and writes, through the binary.
//!
//! Inputs: every file it reads (grants.yaml through `-f`, a plan file, a `--catalog`
//! snapshot, a CA file, the password file) must be a regular file. A named pipe (FIFO)
//! used to hang it forever (even `open` waits for a writer); a FIFO, a directory, a socket
//! and a device are each refused at once, exit 1, with a message that names the file.
//!
//! Outputs: every `--out` creates its file new and never writes through a symbolic
//! link; `--force` replaces the name, not what a link points to (the second half).

mod common;

use common::Run;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A command that must not hang is given this long: a hang fails the test in seconds,
/// where a refusal takes milliseconds.
const LIMIT: Duration = Duration::from_secs(20);

/// A server that is not there (nothing listens on port 1): commands that get past their
/// input files would fail to connect, and the tests check that they never try.
const NOWHERE: &str = "postgres://nobody@127.0.0.1:1/none?connect_timeout=2";

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(path)
}

/// A working directory with a valid grants.yaml and the snapshot it plans against (with
/// changes to plan).
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let case = data("plans/03_seed_drift_authoritative");
    std::fs::copy(case.join("grants.yaml"), dir.path().join("grants.yaml")).unwrap();
    std::fs::copy(case.join("catalog.json"), dir.path().join("catalog.json")).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// `grantplan ARGS` in `dir`, within [`LIMIT`].
fn grantplan_in(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut cmd = common::grantplan();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run_within(&mut cmd, LIMIT)
}

/// One way of handing grantplan an input file: the arguments (with `{}` where the file
/// goes), or the variable that names it; and how its messages name the file.
struct Input {
    what: &'static str,
    args: &'static [&'static str],
    env: Option<&'static str>,
    shown: &'static str,
}

const INPUTS: &[Input] = &[
    Input {
        what: "validate -f",
        args: &["validate", "-f", "{}"],
        env: None,
        shown: "",
    },
    Input {
        what: "plan -f",
        args: &["plan", "-f", "{}"],
        env: None,
        shown: "",
    },
    Input {
        what: "diff -f",
        args: &["diff", "-f", "{}"],
        env: None,
        shown: "",
    },
    Input {
        what: "iam -f",
        args: &["iam", "-f", "{}"],
        env: None,
        shown: "",
    },
    Input {
        what: "doctor -f",
        args: &["doctor", "-f", "{}", "--database-url", NOWHERE],
        env: None,
        shown: "",
    },
    Input {
        what: "apply -f",
        args: &["apply", "--yes", "-f", "{}", "--database-url", NOWHERE],
        env: None,
        shown: "",
    },
    Input {
        what: "apply PLANFILE",
        args: &["apply", "--yes", "{}", "--database-url", NOWHERE],
        env: None,
        shown: "plan file ",
    },
    Input {
        what: "plan --catalog",
        args: &["plan", "--catalog", "{}"],
        env: None,
        shown: "snapshot ",
    },
    Input {
        what: "diff --catalog",
        args: &["diff", "--catalog", "{}"],
        env: None,
        shown: "snapshot ",
    },
    Input {
        what: "export --catalog",
        args: &["export", "--catalog", "{}"],
        env: None,
        shown: "snapshot ",
    },
    Input {
        what: "plan --ca-file",
        args: &[
            "plan",
            "--database-url",
            NOWHERE,
            "--sslmode",
            "verify-full",
            "--ca-file",
            "{}",
        ],
        env: None,
        shown: "CA file ",
    },
    Input {
        what: "snapshot --ca-file",
        args: &[
            "snapshot",
            "--database-url",
            NOWHERE,
            "--sslmode",
            "verify-full",
            "--ca-file",
            "{}",
        ],
        env: None,
        shown: "CA file ",
    },
    Input {
        what: "PGSSLROOTCERT",
        args: &[
            "plan",
            "--database-url",
            NOWHERE,
            "--sslmode",
            "verify-full",
        ],
        env: Some("PGSSLROOTCERT"),
        shown: "CA file ",
    },
];

/// Every input file refused as `kind` when it is `path`; each run within [`LIMIT`].
fn refused_as(dir: &Path, path: &Path, kind: &str) {
    let file = path.to_str().unwrap();
    for input in INPUTS {
        let args: Vec<&str> = input
            .args
            .iter()
            .map(|a| if *a == "{}" { file } else { a })
            .collect();
        let env: Vec<(&str, &Path)> = input.env.iter().map(|k| (*k, path)).collect();
        let out = grantplan_in(dir, &args, &env);
        let context = format!(
            "{} with {kind} {file} (exit {}, -1: killed after {LIMIT:?}, it hung):\n{}",
            input.what, out.code, out.stderr
        );
        assert_eq!(out.code, 1, "{context}");
        let says = format!("{}{file} is {kind}, not a regular file", input.shown);
        assert!(out.stderr.contains(&says), "expected `{says}`: {context}");
        assert!(!out.stderr.contains("cannot connect"), "{context}");
        assert!(!out.stderr.contains("panicked"), "{context}");
        assert!(out.stdout.is_empty(), "{context}\n{}", out.stdout);
    }
}

#[test]
fn a_fifo_is_refused_at_once_wherever_a_file_is_read() {
    let dir = workdir();
    let fifo = dir.path().join("input.fifo");
    mkfifo(&fifo);
    refused_as(dir.path(), &fifo, "a named pipe (FIFO)");
}

#[test]
fn a_directory_is_refused_wherever_a_file_is_read() {
    let dir = workdir();
    let sub = dir.path().join("input.d");
    std::fs::create_dir(&sub).unwrap();
    refused_as(dir.path(), &sub, "a directory");
}

#[test]
fn sockets_and_devices_are_refused_wherever_a_file_is_read() {
    let dir = workdir();
    let socket = dir.path().join("input.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    refused_as(dir.path(), &socket, "a socket");
    refused_as(dir.path(), Path::new("/dev/null"), "a character device");
}

/// The password file was already refused when it was not a regular file; it is now
/// opened the same non-blocking way (a FIFO swapped in after the check cannot hang it).
#[test]
fn a_fifo_password_file_is_not_used_and_does_not_hang() {
    let dir = workdir();
    let fifo = dir.path().join("pgpass");
    mkfifo(&fifo);
    let out = grantplan_in(
        dir.path(),
        &["plan", "--database-url", NOWHERE],
        &[("PGPASSFILE", &fifo)],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "the password file {} is not a plain file; it was not used",
            fifo.display()
        )),
        "{}",
        out.stderr
    );
}

/// Standard input redirected from a regular file is still read through /dev/stdin (it
/// is that file); a symbolic link to a regular file is read too.
#[test]
fn a_regular_file_behind_dev_stdin_or_a_link_is_read() {
    let dir = workdir();
    let grants = dir.path().join("grants.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_grantplan"))
        .args(["validate", "-f", "/dev/stdin"])
        .stdin(std::fs::File::open(&grants).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&grants, &link).unwrap();
    let out = grantplan_in(dir.path(), &["validate", "-f", "link.yaml"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// Outputs: every `--out` (plan, snapshot, export, iam) creates its file new. An existing
// path is refused, naming it, whatever it is: a file (a hand-edited grants.yaml was lost
// to `export --out`), a symbolic link to a file (`snapshot --out` overwrote the link's
// target), a dangling link (whose target would have been created). `--force` (not on
// plan: a reviewed plan file is never replaced) replaces the path itself, never what a
// link points to, and never a directory.

/// One command that writes with `--out`: how to run it so that it writes `dest` (iam
/// writes several files into a directory: `dest` is one of them).
struct Output {
    what: &'static str,
    run: fn(dir: &Path, dest: &Path, force: bool) -> Run,
    /// Whether it has `--force`.
    force: bool,
}

fn with_force(mut args: Vec<String>, force: bool) -> Vec<String> {
    if force {
        args.push("--force".into());
    }
    args
}

fn run_strings(dir: &Path, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    grantplan_in(dir, &args, &[])
}

fn s(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

const OUTPUTS: &[Output] = &[
    Output {
        what: "plan --out FILE",
        run: |dir, dest, _| {
            run_strings(
                dir,
                &[
                    "plan".into(),
                    "--catalog".into(),
                    "catalog.json".into(),
                    "--out".into(),
                    s(dest),
                ],
            )
        },
        force: false,
    },
    Output {
        what: "export --out",
        run: |dir, dest, force| {
            run_strings(
                dir,
                &with_force(
                    vec![
                        "export".into(),
                        "--catalog".into(),
                        "catalog.json".into(),
                        "--out".into(),
                        s(dest),
                    ],
                    force,
                ),
            )
        },
        force: true,
    },
    Output {
        what: "snapshot --out",
        run: |dir, dest, force| {
            let url = common::server().admin_url("postgres");
            run_strings(
                dir,
                &with_force(
                    vec![
                        "snapshot".into(),
                        "--database-url".into(),
                        url,
                        "--out".into(),
                        s(dest),
                    ],
                    force,
                ),
            )
        },
        force: true,
    },
    Output {
        what: "iam --out DIR",
        run: |dir, dest, force| {
            run_strings(
                dir,
                &with_force(
                    vec![
                        "iam".into(),
                        "-f".into(),
                        s(&data("iam/03_managed_vpc/grants.yaml")),
                        "--out".into(),
                        s(dest.parent().unwrap()),
                    ],
                    force,
                ),
            )
        },
        force: true,
    },
];

/// Where each output writes in `dir`: its own subdirectory, so that what it leaves
/// behind (temporary files) can be seen.
fn destination(dir: &Path, output: &Output) -> PathBuf {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    out.join(if output.what.starts_with("iam") {
        "trust-policy.json"
    } else {
        "written"
    })
}

/// The names in the destination's directory, sorted.
fn names(dest: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn context(output: &Output, case: &str, out: &Run) -> String {
    format!(
        "{} ({case}): exit {}\n--- stderr\n{}",
        output.what, out.code, out.stderr
    )
}

#[test]
fn a_new_file_is_written_by_every_out() {
    for output in OUTPUTS {
        let dir = workdir();
        let dest = destination(dir.path(), output);
        let out = (output.run)(dir.path(), &dest, false);
        assert_eq!(out.code, 0, "{}", context(output, "new", &out));
        assert!(std::fs::symlink_metadata(&dest).unwrap().is_file());
        assert!(std::fs::metadata(&dest).unwrap().len() > 0);
    }
}

#[test]
fn an_existing_file_is_refused_unless_forced() {
    for output in OUTPUTS {
        let dir = workdir();
        let dest = destination(dir.path(), output);
        std::fs::write(&dest, "hand-edited\n").unwrap();
        let before = names(&dest);
        let out = (output.run)(dir.path(), &dest, false);
        let ctx = context(output, "existing file", &out);
        assert_eq!(out.code, 1, "{ctx}");
        assert!(
            out.stderr
                .contains(&format!("{} already exists", dest.display())),
            "{ctx}"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"hand-edited\n", "{ctx}");
        assert_eq!(names(&dest), before, "nothing else written: {ctx}");
        if output.force {
            assert!(out.stderr.contains("pass --force"), "{ctx}");
            let out = (output.run)(dir.path(), &dest, true);
            let ctx = context(output, "existing file, --force", &out);
            assert_eq!(out.code, 0, "{ctx}");
            assert!(std::fs::symlink_metadata(&dest).unwrap().is_file(), "{ctx}");
            assert_ne!(std::fs::read(&dest).unwrap(), b"hand-edited\n", "{ctx}");
            assert!(
                !names(&dest).iter().any(|n| n.starts_with(".grantplan-")),
                "a temporary file was left: {:?}",
                names(&dest)
            );
        } else {
            assert!(!out.stderr.contains("--force"), "{ctx}");
        }
    }
}

#[test]
fn a_symbolic_link_is_never_written_through() {
    for output in OUTPUTS {
        let dir = workdir();
        let victim = dir.path().join("victim.txt");
        let precious = b"precious: written by someone else\n".to_vec();
        std::fs::write(&victim, &precious).unwrap();
        let dest = destination(dir.path(), output);
        std::os::unix::fs::symlink(&victim, &dest).unwrap();
        let before = names(&dest);

        let out = (output.run)(dir.path(), &dest, false);
        let ctx = context(output, "symbolic link to a file", &out);
        assert_eq!(out.code, 1, "{ctx}");
        assert!(
            out.stderr.contains(&format!(
                "{} already exists as a symbolic link",
                dest.display()
            )),
            "{ctx}"
        );
        assert_eq!(std::fs::read(&victim).unwrap(), precious, "{ctx}");
        assert!(std::fs::symlink_metadata(&dest).unwrap().is_symlink());
        assert_eq!(names(&dest), before, "nothing else written: {ctx}");

        if output.force {
            let out = (output.run)(dir.path(), &dest, true);
            let ctx = context(output, "symbolic link to a file, --force", &out);
            assert_eq!(out.code, 0, "{ctx}");
            // The link itself was replaced by the new file; its target kept every byte.
            assert!(std::fs::symlink_metadata(&dest).unwrap().is_file(), "{ctx}");
            assert_ne!(std::fs::read(&dest).unwrap(), precious, "{ctx}");
            assert_eq!(std::fs::read(&victim).unwrap(), precious, "{ctx}");
            assert!(
                !names(&dest).iter().any(|n| n.starts_with(".grantplan-")),
                "a temporary file was left: {:?}",
                names(&dest)
            );
        }
    }
}

#[test]
fn a_dangling_symbolic_link_is_not_followed() {
    for output in OUTPUTS {
        let dir = workdir();
        let ghost = dir.path().join("ghost.txt");
        let dest = destination(dir.path(), output);
        std::os::unix::fs::symlink(&ghost, &dest).unwrap();

        let out = (output.run)(dir.path(), &dest, false);
        let ctx = context(output, "dangling symbolic link", &out);
        assert_eq!(out.code, 1, "{ctx}");
        assert!(
            out.stderr.contains(&format!(
                "{} already exists as a symbolic link",
                dest.display()
            )),
            "{ctx}"
        );
        assert!(!ghost.exists(), "the link's target was created: {ctx}");

        if output.force {
            let out = (output.run)(dir.path(), &dest, true);
            let ctx = context(output, "dangling symbolic link, --force", &out);
            assert_eq!(out.code, 0, "{ctx}");
            assert!(!ghost.exists(), "the link's target was created: {ctx}");
            assert!(std::fs::symlink_metadata(&dest).unwrap().is_file(), "{ctx}");
        }
    }
}

#[test]
fn force_never_replaces_a_directory() {
    for output in OUTPUTS.iter().filter(|o| o.force) {
        let dir = workdir();
        let dest = destination(dir.path(), output);
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("inside"), "kept\n").unwrap();
        let before = names(&dest);
        let out = (output.run)(dir.path(), &dest, true);
        let ctx = context(output, "directory, --force", &out);
        assert_eq!(out.code, 1, "{ctx}");
        assert!(
            out.stderr
                .contains(&format!("{} is a directory", dest.display())),
            "{ctx}"
        );
        assert_eq!(std::fs::read(dest.join("inside")).unwrap(), b"kept\n");
        assert_eq!(names(&dest), before, "nothing else written: {ctx}");
    }
}

#[test]
fn force_needs_out() {
    for args in [
        &["export", "--catalog", "catalog.json", "--force"][..],
        &["snapshot", "--database-url", NOWHERE, "--force"],
        &["iam", "-f", "grants.yaml", "--force"],
    ] {
        let dir = workdir();
        let out = grantplan_in(dir.path(), args, &[]);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("--out"), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
}
