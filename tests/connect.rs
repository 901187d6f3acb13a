//! Connecting never hangs silently: a host that drops packets, a server that accepts and
//! never answers, a refused port, an unknown host name, a peer that hangs up during
//! start-up and a server that declines TLS each end in ONE line on stderr that names
//! the host, the port and the cause, with exit 1, through the binary.
//!
//! No PostgreSQL is needed (except by the last test, which needs a real one without TLS):
//! each case is a socket on 127.0.0.1 that behaves the way the
//! failure looks from the client (TLS certificate failures, which need a real TLS
//! server, are in tests/tls.rs). The timeouts are set to 1 s so the tests are quick;
//! they check what is said and the exit code, never how long it took.

mod common;

use common::{run, Run};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;

/// A directory holding a grants.yaml for a PostgreSQL target.
fn grants_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grants.yaml"), "target: postgres\n").unwrap();
    dir
}

/// `grantplan ARGS --database-url URL`, run in `dir`.
fn grantplan(dir: &Path, args: &[&str], url: &str) -> Run {
    run(common::grantplan()
        .current_dir(dir)
        .args(args)
        .args(["--database-url", url]))
}

/// The one line a failed connection gives, checked: exit 1, nothing on stdout, one
/// line on stderr naming `host:port`, without the password.
fn one_line_error(out: &Run, host_port: &str) -> String {
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: cannot connect to "), "{err}");
    assert!(err.contains(host_port), "names {host_port}: {err}");
    assert!(!err.contains("hunter2"), "{err}");
    err.to_string()
}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that accepts connections and never says anything: a server stuck before
/// start-up, or a middlebox that completes the TCP handshake and drops the rest.
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

/// A listener whose accept queue is full, so the kernel drops further SYNs: from the
/// client, exactly a host behind a firewall that drops packets (the TCP handshake never
/// completes). A backlog of 0 admits one connection, which this function makes itself.
/// Needs a tokio runtime (the listener registers with it); the returned values must be
/// kept alive.
fn blackhole() -> (tokio::net::TcpListener, TcpStream, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let filler = TcpStream::connect(addr).unwrap();
    (listener, filler, addr)
}

/// A listener that reads the first packet and answers with `reply` (or with nothing)
/// and hangs up.
fn one_shot_server(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut sock in listener.incoming().flatten() {
            let mut buf = [0u8; 8];
            let _ = sock.read_exact(&mut buf);
            let _ = sock.write_all(reply);
            // With a reply, wait for the client to give up; without, hang up at once.
            if !reply.is_empty() {
                let _ = sock.read(&mut [0u8; 1]);
            }
        }
    });
    addr
}

#[test]
fn a_refused_connection_is_one_line_with_host_port_and_cause_in_every_command() {
    let dir = grants_dir();
    let port = closed_port();
    let url = format!("postgres://admin:hunter2@127.0.0.1:{port}/dev");
    for args in [
        &["plan"][..],
        &["diff"],
        &["apply", "--yes"],
        &["snapshot"],
        &["export"],
    ] {
        let out = grantplan(dir.path(), args, &url);
        let err = one_line_error(&out, &format!("127.0.0.1:{port}"));
        assert!(err.contains("connection refused"), "{args:?}: {err}");
    }
    // doctor reports it as its one failed check, on stdout.
    let out = grantplan(dir.path(), &["doctor"], &url);
    assert_eq!(out.code, 1);
    let fail: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert_eq!(fail.len(), 1, "{}", out.stdout);
    assert!(
        fail[0].contains(&format!("127.0.0.1:{port}")),
        "{}",
        fail[0]
    );
    assert!(fail[0].contains("connection refused"), "{}", fail[0]);
}

#[test]
fn an_unknown_host_name_is_one_line_naming_it() {
    let dir = grants_dir();
    // .invalid never resolves (RFC 6761). A generous timeout: a slow resolver must
    // still end in the resolver's answer, not in the connect timeout.
    let url = "postgres://admin:hunter2@grantplan-test.invalid:5439/dev";
    let out = grantplan(dir.path(), &["plan", "--connect-timeout", "60"], url);
    let err = one_line_error(&out, "grantplan-test.invalid:5439");
    assert!(
        err.contains("the host name `grantplan-test.invalid` cannot be resolved"),
        "{err}"
    );
}

#[tokio::test]
async fn a_host_that_drops_packets_ends_at_the_connect_timeout() {
    let (_listener, _filler, addr) = blackhole();
    let dir = grants_dir();
    let url = format!("postgres://admin:hunter2@127.0.0.1:{}/dev", addr.port());
    for args in [&["plan"][..], &["snapshot"], &["apply", "--yes"]] {
        let mut args = args.to_vec();
        args.extend(["--connect-timeout", "1"]);
        let out = grantplan(dir.path(), &args, &url);
        let err = one_line_error(&out, &format!("127.0.0.1:{}", addr.port()));
        assert!(
            err.contains("no answer within the connect timeout (1 s, from --connect-timeout)"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_server_that_never_answers_ends_at_the_connect_timeout_from_any_source() {
    let addr = silent_server();
    let dir = grants_dir();
    let base = format!("postgres://admin:hunter2@127.0.0.1:{}/dev", addr.port());
    let host_port = format!("127.0.0.1:{}", addr.port());

    let out = grantplan(dir.path(), &["plan", "--connect-timeout", "1"], &base);
    let err = one_line_error(&out, &host_port);
    assert!(err.contains("(1 s, from --connect-timeout)"), "{err}");

    // libpq's URL parameter, with TLS parameters beside it.
    let url = format!("{base}?sslmode=prefer&connect_timeout=1");
    let out = grantplan(dir.path(), &["snapshot"], &url);
    let err = one_line_error(&out, &host_port);
    assert!(
        err.contains("(1 s, from `connect_timeout` in the database URL)"),
        "{err}"
    );

    // libpq's environment variable.
    let out = run(common::grantplan()
        .current_dir(dir.path())
        .env("PGCONNECT_TIMEOUT", "1")
        .args(["export", "--database-url", &base]));
    let err = one_line_error(&out, &host_port);
    assert!(err.contains("(1 s, from $PGCONNECT_TIMEOUT)"), "{err}");

    // The flag beats the URL (which would wait as long as it takes).
    let url = format!("{base}?connect_timeout=0");
    let out = grantplan(dir.path(), &["diff", "--connect-timeout", "1"], &url);
    let err = one_line_error(&out, &host_port);
    assert!(err.contains("(1 s, from --connect-timeout)"), "{err}");
}

#[test]
fn a_peer_that_hangs_up_during_start_up_is_named_as_such() {
    let addr = one_shot_server(b"");
    let dir = grants_dir();
    let url = format!("postgres://admin:hunter2@127.0.0.1:{}/dev", addr.port());
    let out = grantplan(dir.path(), &["plan", "--sslmode", "disable"], &url);
    let err = one_line_error(&out, &format!("127.0.0.1:{}", addr.port()));
    assert!(
        err.contains("closed the connection during start-up"),
        "{err}"
    );
}

#[test]
fn a_server_that_declines_tls_when_it_is_required_is_one_line() {
    // PostgreSQL's answer to an SSLRequest when it has no TLS: a single `N`.
    let addr = one_shot_server(b"N");
    let dir = grants_dir();
    let host_port = format!("127.0.0.1:{}", addr.port());
    let url = format!("postgres://admin:hunter2@{host_port}/dev");
    let out = grantplan(dir.path(), &["plan", "--sslmode", "require"], &url);
    let err = one_line_error(&out, &host_port);
    assert!(err.contains("the server does not support TLS"), "{err}");
    assert!(err.contains("sslmode require (from --sslmode)"), "{err}");
    // The same from the URL. verify-full needs roots (as in libpq) before it asks the
    // server for TLS: any CA certificate does, the server never gets as far as showing one.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, params.self_signed(&key).unwrap().pem()).unwrap();
    let out = grantplan(
        dir.path(),
        &["snapshot"],
        &format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display()),
    );
    let err = one_line_error(&out, &host_port);
    assert!(err.contains("the server does not support TLS"), "{err}");
}

#[test]
fn a_connect_timeout_that_is_not_a_number_is_refused_before_connecting() {
    let addr = silent_server();
    let dir = grants_dir();
    let url = format!(
        "postgres://admin:hunter2@127.0.0.1:{}/dev?connect_timeout=soon",
        addr.port()
    );
    let out = grantplan(dir.path(), &["plan"], &url);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("connect timeout `soon`") && out.stderr.contains("whole number"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

/// A grants.yaml without `target:` is for Redshift, whose default sslmode is `require`;
/// a local PostgreSQL without TLS refuses that first, and a server reached anyway turns
/// out to be PostgreSQL. Either way the message says the target defaulted to redshift
/// and what to write; a file that says `target: redshift` is not told so. Against the
/// harness's PostgreSQL (no TLS), over TCP and over its Unix socket.
#[test]
fn a_grants_file_without_target_is_told_it_defaults_to_redshift() {
    let server = common::server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grants.yaml"), "mode: authoritative\n").unwrap();
    std::fs::write(dir.path().join("redshift.yaml"), "target: redshift\n").unwrap();
    let tcp = server.admin_url("postgres");
    let hint = "grants.yaml has no `target:`, so its target is redshift (the default)";
    let write = "write `target: postgres` in grants.yaml";
    for args in [&["plan"][..], &["diff"], &["apply", "--yes"]] {
        // TLS first: the server declines it.
        let out = grantplan(dir.path(), args, &tcp);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("the server does not support TLS"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(hint), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(write), "{args:?}: {}", out.stderr);
        // Past TLS: the server is PostgreSQL.
        let mut with_prefer = args.to_vec();
        with_prefer.extend(["--sslmode", "prefer"]);
        let out = grantplan(dir.path(), &with_prefer, &tcp);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(
                "grants.yaml has no `target:`, so its target is `redshift` (the default), but"
            ),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("Set `target: postgres` in grants.yaml"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // Over the Unix socket there is no TLS (as in libpq): straight to "it is PostgreSQL".
    let socket = format!(
        "postgres://postgres@{}:{}/postgres",
        server.dir().display().to_string().replace('/', "%2F"),
        server.port()
    );
    let out = grantplan(dir.path(), &["plan"], &socket);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("has no `target:`, so its target is `redshift` (the default), but"),
        "{}",
        out.stderr
    );
    // doctor says it on its failing line.
    let out = grantplan(dir.path(), &["doctor"], &tcp);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains(hint), "{}", out.stdout);
    let out = grantplan(dir.path(), &["doctor", "--sslmode", "prefer"], &tcp);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("grants.yaml has no `target:`, so its target is `redshift` (the default)"),
        "{}",
        out.stdout
    );
    // A file that says redshift is not told it defaulted.
    let out = grantplan(dir.path(), &["plan", "-f", "redshift.yaml"], &tcp);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("does not support TLS"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("no `target:`"), "{}", out.stderr);
    let out = grantplan(
        dir.path(),
        &["plan", "-f", "redshift.yaml", "--sslmode", "prefer"],
        &tcp,
    );
    assert!(
        out.stderr
            .contains("redshift.yaml declares target `redshift`"),
        "{}",
        out.stderr
    );
}

/// Every timeout option takes the same forms: a bare number is seconds, a number with a
/// unit (500ms, 10s, 2m) works for all of them; 0 means "as long as it takes" for
/// --connect-timeout only.
#[test]
fn every_timeout_option_takes_seconds_or_a_number_with_a_unit() {
    let addr = silent_server();
    let dir = grants_dir();
    let url = format!("postgres://admin:hunter2@127.0.0.1:{}/dev", addr.port());
    let host_port = format!("127.0.0.1:{}", addr.port());
    for (value, said) in [
        ("500ms", "(500 ms, from --connect-timeout)"),
        ("1", "(1 s, from --connect-timeout)"),
        ("1s", "(1 s, from --connect-timeout)"),
    ] {
        let out = grantplan(dir.path(), &["plan", "--connect-timeout", value], &url);
        let err = one_line_error(&out, &host_port);
        assert!(err.contains(said), "{value}: {err}");
    }
    // The apply timeouts take bare seconds too: the command line is read, and the run
    // ends at the (refused) connection, not at a usage error.
    let refused = format!("postgres://admin:hunter2@127.0.0.1:{}/dev", closed_port());
    for (flag, value) in [
        ("--lock-timeout", "10"),
        ("--statement-timeout", "300"),
        ("--idle-timeout", "2m"),
        ("--lock-timeout", "500ms"),
        ("--connect-timeout", "0"),
        ("--connect-timeout", "2m"),
    ] {
        let out = grantplan(dir.path(), &["apply", "--yes", flag, value], &refused);
        let err = one_line_error(&out, "127.0.0.1:");
        assert!(err.contains("connection refused"), "{flag} {value}: {err}");
    }
    // What is refused, as a usage error (exit 1) that says what to write.
    for (flag, value, said) in [
        ("--lock-timeout", "0", "must be more than zero"),
        ("--statement-timeout", "0s", "must be more than zero"),
        (
            "--connect-timeout",
            "soon",
            "a number with a unit (500ms, 10s, 2m)",
        ),
        (
            "--idle-timeout",
            "1.5",
            "a number with a unit (500ms, 10s, 2m)",
        ),
    ] {
        let out = grantplan(dir.path(), &["apply", "--yes", flag, value], &refused);
        assert_eq!(out.code, 1, "{flag} {value}");
        assert!(
            out.stderr
                .contains(&format!("invalid value '{value}' for '{flag}")),
            "{flag} {value}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(said), "{flag} {value}: {}", out.stderr);
    }
}

/// A URL grantplan cannot read is refused before any connection, naming the part that
/// is wrong, never the password.
#[test]
fn an_unreadable_url_names_the_part_that_is_wrong() {
    let (port, listener) = common::untouched_listener();
    let dir = grants_dir();
    for (url, part) in [
        (
            format!("postgress://admin:hunter2@127.0.0.1:{port}/dev"),
            "starts with `postgress:`",
        ),
        (
            format!("postgres://admin:hunter2@127.0.0.1:{port}x/dev"),
            "the port in the database URL",
        ),
        (
            "postgres://admin:hunter2@127.0.0.1".to_string() + ":99999/dev",
            "the port in the database URL",
        ),
        (
            format!("postgres://admin:hunter2@[::1:{port}/dev"),
            "the host in the database URL",
        ),
        (
            format!("postgres://adm%in:hunter2@127.0.0.1:{port}/dev"),
            "the user name in the database URL",
        ),
        (
            format!("postgres://admin:hunter2@127.0.0.1:{port}/d%zzev"),
            "the database name in the database URL",
        ),
        (
            format!("postgres://admin:hunter2@127.0.0.1:{port}/dev?sslmod=require"),
            "parameter `sslmod`",
        ),
        (
            format!("postgres://admin:hunter2@127.0.0.1:{port}/dev?sslcert=c.pem"),
            "parameter `sslcert`",
        ),
        (
            format!("host=127.0.0.1 port={port} password=hunter2 dbnme=dev"),
            "parameter `dbnme`",
        ),
        // No `@`: what stands where the port goes is the password.
        (
            "postgres://admin:hunter2".to_string(),
            "the port in the database URL",
        ),
    ] {
        let out = grantplan(dir.path(), &["plan"], &url);
        assert_eq!(out.code, 1, "{url}: {}", out.stderr);
        assert!(out.stderr.contains(part), "{url}: {}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "{url}: {}", out.stderr);
        common::assert_nobody_connected(&listener, &url);
    }
}
