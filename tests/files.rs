//! The files grantplan reads and writes, through the binary.
//!
//! Inputs: every file it reads (grants.yaml through `-f`, a plan file, a `--catalog`
//! snapshot, a CA file, the password file) must be a regular file. A named pipe (FIFO)
//! used to hang it forever (even `open` waits for a writer); a FIFO, a directory, a socket
//! and a device are each refused at once, exit 1, with a message that names the file.

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
