//! TLS and authentication against real and fake servers.
//!
//! A PostgreSQL 15 with `ssl=on` serves a certificate for the DNS name `localhost` only,
//! signed by a test CA that rcgen makes at start-up; the plain shared server of
//! tests/common (ssl off) stands for a server without TLS. Fake servers on 127.0.0.1
//! play the parts PostgreSQL cannot: a server that asks for Redshift's authentication
//! methods (codes 13 and 14), and a Redshift that declines TLS.
//!
//! Most cases go through the library (`db::settings` + `db::connect`) and check the
//! server's own view of the session (`pg_stat_ssl`); the flags and the messages users
//! see go through the binary.

mod common;

use common::run;
use common::{Server, ServerOptions};
use grantplan::db::{self, ConnectFlags, Session};
use grantplan::model::Target;
use grantplan::tls::SslMode;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The TLS server and the CA files a client may trust.
struct TlsServer {
    server: Server,
    /// The CA that signed the server's certificate.
    ca_file: PathBuf,
    /// A CA that signed nothing the server shows.
    other_ca_file: PathBuf,
}

/// A CA certificate (PEM) and an issuer to sign with.
fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn tls_server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (ca_pem, ca) = make_ca("grantplan test CA");
        let (other_ca_pem, _) = make_ca("grantplan unrelated CA");
        // The DNS name localhost and nothing else: connecting to 127.0.0.1 is a name
        // mismatch.
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &ca).unwrap();
        let server = Server::start_with(&ServerOptions {
            settings: vec![
                ("ssl".into(), "on".into()),
                ("ssl_cert_file".into(), "server.crt".into()),
                ("ssl_key_file".into(), "server.key".into()),
            ],
            files: vec![
                ("server.crt".into(), cert.pem().into_bytes(), 0o644),
                ("server.key".into(), key.serialize_pem().into_bytes(), 0o600),
            ],
        });
        // The server's directory is removed with it at process exit.
        let ca_file = server.dir().join("ca.crt");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let other_ca_file = server.dir().join("other-ca.crt");
        std::fs::write(&other_ca_file, other_ca_pem).unwrap();
        TlsServer {
            server,
            ca_file,
            other_ca_file,
        }
    })
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// Connects through grantplan's own settings and connect, as the CLI does.
async fn connect(
    host: &str,
    port: u16,
    sslmode: Option<SslMode>,
    ca_file: Option<&Path>,
    expected: Option<Target>,
) -> Result<Session, String> {
    let url = format!("postgres://postgres@{host}:{port}/postgres");
    let flags = ConnectFlags {
        sslmode,
        ca_file,
        ..Default::default()
    };
    let settings = db::settings(&url, &flags, &no_env).map_err(|e| e.to_string())?;
    db::connect(&settings, expected)
        .await
        .map_err(|e| e.to_string())
}

/// The server's own word on whether this session is encrypted.
async fn server_says_ssl(session: &Session) -> bool {
    session
        .client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn verify_full_with_the_ca_file_and_the_certificates_host_name_is_encrypted() {
    let t = tls_server();
    let session = connect(
        "localhost",
        t.server.port(),
        Some(SslMode::VerifyFull),
        Some(&t.ca_file),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", t.server.log()));
    assert!(server_says_ssl(&session).await);
    assert!(session.encrypted);
    assert_eq!(session.target, Target::Postgres);
}

#[tokio::test]
async fn verify_full_refuses_a_name_mismatch_that_verify_ca_accepts() {
    let t = tls_server();
    let e = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::VerifyFull),
        Some(&t.ca_file),
        None,
    )
    .await
    .err()
    .expect("verify-full must refuse a certificate issued for localhost at 127.0.0.1");
    assert!(e.contains("not valid for name"), "{e}");
    assert!(e.contains("sslmode verify-full (from --sslmode)"), "{e}");
    assert!(e.contains("--sslmode verify-ca"), "{e}");

    let session = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::VerifyCa),
        Some(&t.ca_file),
        None,
    )
    .await
    .unwrap();
    assert!(server_says_ssl(&session).await);
}

#[tokio::test]
async fn verify_ca_still_refuses_a_certificate_from_another_ca() {
    let t = tls_server();
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        let e = connect(
            "localhost",
            t.server.port(),
            Some(mode),
            Some(&t.other_ca_file),
            None,
        )
        .await
        .err()
        .unwrap_or_else(|| panic!("{mode} accepted a certificate its CA did not sign"));
        assert!(e.contains("UnknownIssuer"), "{mode}: {e}");
        assert!(e.contains("other-ca.crt"), "{mode}: {e}");
    }
}

/// libpq refuses verify-ca and verify-full when it has no root certificates at all
/// (nothing named, no ~/.postgresql/root.crt); so does grantplan, before connecting,
/// instead of falling back to a list of public CAs nobody chose.
#[tokio::test]
async fn verifying_without_any_roots_is_refused_before_connecting() {
    let (port, listener) = common::untouched_listener();
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        let e = connect("localhost", port, Some(mode), None, None)
            .await
            .err()
            .expect("no roots: nothing to verify against");
        assert!(
            e.contains(&format!(
                "sslmode {mode} (from --sslmode) checks the server's certificate against CA \
                 certificates, and none were given"
            )),
            "{e}"
        );
        // The library test has no $HOME; the binary tests below name the file.
        assert!(e.contains("$HOME is not set"), "{e}");
        assert!(e.contains("--ca-file system"), "{e}");
        common::assert_nobody_connected(&listener, &e);
    }
}

#[tokio::test]
async fn require_without_a_ca_file_encrypts_without_verifying() {
    let t = tls_server();
    // 127.0.0.1 is not in the certificate and the CA is unknown: neither matters.
    let session = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::Require),
        None,
        None,
    )
    .await
    .unwrap();
    assert!(server_says_ssl(&session).await);
    assert!(session.encrypted);
}

#[tokio::test]
async fn require_with_a_ca_file_verifies_the_chain_as_libpq_does() {
    let t = tls_server();
    let e = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::Require),
        Some(&t.other_ca_file),
        None,
    )
    .await
    .err()
    .expect("require with a CA file must verify the chain");
    assert!(e.contains("UnknownIssuer"), "{e}");
    assert!(
        e.contains("sslmode verify-ca (require from --sslmode"),
        "{e}"
    );
    // With the right CA it connects, host name unchecked (verify-ca).
    let session = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::Require),
        Some(&t.ca_file),
        None,
    )
    .await
    .unwrap();
    assert!(server_says_ssl(&session).await);
}

#[tokio::test]
async fn prefer_the_default_uses_tls_when_the_server_offers_it() {
    let t = tls_server();
    let session = connect("127.0.0.1", t.server.port(), None, None, None)
        .await
        .unwrap();
    assert!(server_says_ssl(&session).await);
    assert!(session.encrypted);
    // The Redshift default (require) over the same server: encrypted too.
    let session = connect(
        "127.0.0.1",
        t.server.port(),
        None,
        None,
        Some(Target::Redshift),
    )
    .await
    .unwrap();
    assert!(server_says_ssl(&session).await);
}

#[tokio::test]
async fn disable_connects_in_plaintext() {
    let t = tls_server();
    let session = connect(
        "127.0.0.1",
        t.server.port(),
        Some(SslMode::Disable),
        Some(&t.other_ca_file),
        None,
    )
    .await
    .unwrap();
    assert!(!server_says_ssl(&session).await);
    assert!(!session.encrypted);
}

#[tokio::test]
async fn a_server_without_tls_is_refused_when_tls_is_required() {
    let plain = common::server();
    let e = connect(
        "127.0.0.1",
        plain.port(),
        Some(SslMode::Require),
        None,
        None,
    )
    .await
    .err()
    .expect("require against a server without TLS");
    assert!(e.contains("the server does not support TLS"), "{e}");
    assert!(e.contains("--sslmode prefer"), "{e}");
    // The Redshift default is require as well.
    let e = connect(
        "127.0.0.1",
        plain.port(),
        None,
        None,
        Some(Target::Redshift),
    )
    .await
    .err()
    .expect("the Redshift default requires TLS");
    assert!(e.contains("the server does not support TLS"), "{e}");
    assert!(e.contains("the default for target redshift"), "{e}");
    // prefer falls back to plaintext.
    let session = connect(
        "127.0.0.1",
        plain.port(),
        None,
        None,
        Some(Target::Postgres),
    )
    .await
    .unwrap();
    assert!(!server_says_ssl(&session).await);
    assert!(!session.encrypted);
}

/// A PostgreSQL whose certificate is self-signed and marked as a CA, for `localhost`:
/// what `openssl req -new -x509` makes, the way PostgreSQL's documentation sets up a
/// server certificate. Clients trust it by using that very certificate as their CA file.
struct SelfSignedServer {
    server: Server,
    /// The server's own certificate, as the CA file.
    cert_file: PathBuf,
}

fn self_signed_server() -> &'static SelfSignedServer {
    static SERVER: OnceLock<SelfSignedServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        // As `openssl req -x509` writes it: basicConstraints CA:TRUE.
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        let server = Server::start_with(&ServerOptions {
            settings: vec![
                ("ssl".into(), "on".into()),
                ("ssl_cert_file".into(), "server.crt".into()),
                ("ssl_key_file".into(), "server.key".into()),
            ],
            files: vec![
                ("server.crt".into(), cert.pem().into_bytes(), 0o644),
                ("server.key".into(), key.serialize_pem().into_bytes(), 0o600),
            ],
        });
        let cert_file = server.dir().join("self-signed.crt");
        std::fs::write(&cert_file, cert.pem()).unwrap();
        SelfSignedServer { server, cert_file }
    })
}

/// psql `verify-full` accepts a self-signed server certificate given as its root file
/// (OpenSSL trusts a certificate that is itself in the store); webpki alone refuses it as
/// `CaUsedAsEndEntity`. grantplan accepts it too, and still checks the host name.
#[tokio::test]
async fn a_self_signed_server_certificate_given_as_the_ca_file_verifies_as_in_psql() {
    let t = self_signed_server();
    let port = t.server.port();
    let session = connect(
        "localhost",
        port,
        Some(SslMode::VerifyFull),
        Some(&t.cert_file),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", t.server.log()));
    assert!(server_says_ssl(&session).await);
    assert!(session.encrypted);

    // The name is still checked under verify-full, and not under verify-ca.
    let e = connect(
        "127.0.0.1",
        port,
        Some(SslMode::VerifyFull),
        Some(&t.cert_file),
        None,
    )
    .await
    .err()
    .expect("the certificate is for localhost, not 127.0.0.1");
    assert!(e.contains("not valid for name"), "{e}");
    let session = connect(
        "127.0.0.1",
        port,
        Some(SslMode::VerifyCa),
        Some(&t.cert_file),
        None,
    )
    .await
    .unwrap();
    assert!(server_says_ssl(&session).await);

    // Another self-signed certificate is not this one: refused.
    let e = connect(
        "localhost",
        port,
        Some(SslMode::VerifyFull),
        Some(&tls_server().other_ca_file),
        None,
    )
    .await
    .err()
    .expect("a CA file without the server's certificate");
    assert!(e.contains("TLS handshake failed"), "{e}");
    // webpki stops at the CA flag before looking for an issuer: the message says what
    // that means here.
    assert!(e.contains("CaUsedAsEndEntity"), "{e}");
    assert!(
        e.contains("is marked as a CA certificate")
            && e.contains("pass that certificate itself as --ca-file"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// The binary.

/// The binary, run in `dir`, with a clean environment.
fn grantplan(dir: &Path) -> assert_cmd::Command {
    let mut cmd = common::grantplan();
    cmd.current_dir(dir);
    cmd
}

/// A directory holding a grants.yaml with `target`.
fn grants_dir(target: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grants.yaml"),
        format!("target: {target}\n"),
    )
    .unwrap();
    dir
}

#[test]
fn the_flags_reach_the_connection() {
    let t = tls_server();
    let dir = grants_dir("postgres");
    let url = format!("postgres://postgres@localhost:{}/postgres", t.server.port());
    let ca = t.ca_file.to_str().unwrap();
    let out = run(grantplan(dir.path()).args([
        "snapshot",
        "--database-url",
        &url,
        "--sslmode",
        "verify-full",
        "--ca-file",
        ca,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.trim_start().starts_with('{'), "{}", out.stdout);

    // The same through the URL: sslmode and sslrootcert are taken out before
    // tokio-postgres, which would reject them, parses the rest.
    let in_url = format!("{url}?sslmode=verify-full&sslrootcert={ca}");
    let out = run(grantplan(dir.path()).args(["plan", "--database-url", &in_url]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // And through the environment; the flag beats it.
    let out = run(grantplan(dir.path())
        .env("PGSSLMODE", "verify-full")
        .env("PGSSLROOTCERT", &t.other_ca_file)
        .args(["plan", "--database-url", &url]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("UnknownIssuer"), "{}", out.stderr);
    assert!(out.stderr.contains("from $PGSSLMODE"), "{}", out.stderr);
    let out = run(grantplan(dir.path())
        .env("PGSSLMODE", "verify-full")
        .env("PGSSLROOTCERT", &t.other_ca_file)
        .args(["plan", "--database-url", &url, "--ca-file", ca]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_missing_ca_file_is_named() {
    let t = tls_server();
    let dir = grants_dir("postgres");
    let url = format!(
        "postgres://postgres:hunter2@localhost:{}/postgres",
        t.server.port()
    );
    let out = run(grantplan(dir.path()).args([
        "plan",
        "--database-url",
        &url,
        "--sslmode",
        "verify-full",
        "--ca-file",
        "/nonexistent/amazon-trust-ca-bundle.crt",
    ]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("cannot read CA file /nonexistent/amazon-trust-ca-bundle.crt: No such file"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("from --ca-file"), "{}", out.stderr);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

/// A certificate that does not verify ends in one line naming the host, the port and
/// what failed, exit 1, and never the password.
#[test]
fn tls_failures_are_one_line_naming_host_port_and_cause() {
    let t = tls_server();
    let dir = grants_dir("postgres");
    let port = t.server.port();
    let cases = [
        // A CA that signed nothing the server shows.
        (
            "localhost",
            t.other_ca_file.to_str().unwrap(),
            "UnknownIssuer",
        ),
        // The right CA, but the certificate is for `localhost`, not 127.0.0.1.
        (
            "127.0.0.1",
            t.ca_file.to_str().unwrap(),
            "certificate not valid for name",
        ),
    ];
    for (host, ca, cause) in cases {
        let url = format!("postgres://postgres:hunter2@{host}:{port}/postgres");
        let out = run(grantplan(dir.path()).args([
            "snapshot",
            "--database-url",
            &url,
            "--sslmode",
            "verify-full",
            "--ca-file",
            ca,
        ]));
        assert_eq!(out.code, 1, "{host}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        let err = out.stderr.trim_end();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.starts_with(&format!("error: cannot connect to postgres@{host}:{port}/")),
            "{err}"
        );
        assert!(err.contains("TLS handshake failed"), "{err}");
        assert!(err.contains(cause), "{cause}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn a_redshift_grants_file_requires_tls_by_default() {
    let plain = common::server();
    let dir = grants_dir("redshift");
    let url = plain.admin_url("postgres");
    let out = run(grantplan(dir.path()).args(["plan", "--database-url", &url]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("the server does not support TLS"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("the default for target redshift"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

/// A home directory with `~/.postgresql/root.crt` holding `ca` (none when `None`).
fn home_with_root_crt(ca: Option<&Path>) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    if let Some(ca) = ca {
        std::fs::create_dir(home.path().join(".postgresql")).unwrap();
        std::fs::copy(ca, home.path().join(".postgresql/root.crt")).unwrap();
    }
    home
}

/// libpq reads `~/.postgresql/root.crt` when no root file is named, and under `require`
/// verifies the chain with it like verify-ca: with a wrong CA there, psql refuses the
/// server. So does grantplan, and it says which file it used and why.
#[test]
fn the_default_root_file_makes_require_verify_as_in_libpq() {
    let t = tls_server();
    let dir = grants_dir("postgres");
    let port = t.server.port();
    let url = format!("postgres://postgres:hunter2@127.0.0.1:{port}/postgres");
    let wrong = home_with_root_crt(Some(&t.other_ca_file));
    let root_crt = wrong.path().join(".postgresql/root.crt");
    let out = run(grantplan(dir.path()).env("HOME", wrong.path()).args([
        "snapshot",
        "--database-url",
        &url,
        "--sslmode",
        "require",
    ]));
    assert_eq!(out.code, 1, "a wrong CA in root.crt: {}", out.stderr);
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(
        err.contains(&format!(
            "the CA file {} (libpq's default root certificate file, used because it exists)",
            root_crt.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(
            "sslmode verify-ca (require from --sslmode, with libpq's default root \
             certificate file present)"
        ),
        "{err}"
    );
    assert!(err.contains("verifies with"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    // The Redshift default (require) is upgraded the same way.
    let redshift = grants_dir("redshift");
    let out = run(grantplan(redshift.path()).env("HOME", wrong.path()).args([
        "plan",
        "--database-url",
        &url,
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("UnknownIssuer"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("require is the default for target redshift, with libpq's default"),
        "{}",
        out.stderr
    );

    // A root file that is named wins over the default, as in libpq.
    let out = run(grantplan(dir.path())
        .env("HOME", wrong.path())
        .env("PGSSLROOTCERT", &t.ca_file)
        .args(["snapshot", "--database-url", &url, "--sslmode", "require"]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // prefer does not verify, even with the file there (see README: libpq would try to
    // verify and fall back to plaintext; grantplan stays encrypted and unverified).
    let out = run(grantplan(dir.path()).env("HOME", wrong.path()).args([
        "snapshot",
        "--database-url",
        &url,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The right CA there: require connects (verify-ca: 127.0.0.1 is not in the
    // certificate, and the name is not checked), and verify-full needs no --ca-file.
    let right = home_with_root_crt(Some(&t.ca_file));
    let out = run(grantplan(dir.path()).env("HOME", right.path()).args([
        "snapshot",
        "--database-url",
        &url,
        "--sslmode",
        "require",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // doctor says what verified the connection, and where that came from.
    let out = run(grantplan(dir.path()).env("HOME", right.path()).args([
        "doctor",
        "--database-url",
        &url,
        "--sslmode",
        "require",
    ]));
    assert!(
        out.stdout.contains(&format!(
            "over TLS (sslmode verify-ca (require from --sslmode, with libpq's default root \
             certificate file present): certificate chain checked against the CA file {} \
             (libpq's default root certificate file, used because it exists), host name not \
             checked)",
            right.path().join(".postgresql/root.crt").display()
        )),
        "{}",
        out.stdout
    );
    let localhost = format!("postgres://postgres@localhost:{port}/postgres");
    let out = run(grantplan(dir.path()).env("HOME", right.path()).args([
        "snapshot",
        "--database-url",
        &localhost,
        "--sslmode",
        "verify-full",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Without root.crt, require encrypts without verifying, as before.
    let none = home_with_root_crt(None);
    let out = run(grantplan(dir.path()).env("HOME", none.path()).args([
        "snapshot",
        "--database-url",
        &url,
        "--sslmode",
        "require",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Without any root file, libpq refuses verify-ca and verify-full ("root certificate file
/// ... does not exist"); so does grantplan, naming the file, before connecting.
#[test]
fn verifying_modes_without_a_root_file_are_refused_naming_the_default_file() {
    let dir = grants_dir("postgres");
    let home = home_with_root_crt(None);
    let (port, listener) = common::untouched_listener();
    let url = format!("postgres://postgres:hunter2@localhost:{port}/postgres");
    for mode in ["verify-ca", "verify-full"] {
        let out = run(grantplan(dir.path()).env("HOME", home.path()).args([
            "plan",
            "--database-url",
            &url,
            "--sslmode",
            mode,
        ]));
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "the root certificate file {} (libpq's default) does not exist",
                home.path().join(".postgresql/root.crt").display()
            )),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("--ca-file"), "{}", out.stderr);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        common::assert_nobody_connected(&listener, &out.stderr);
    }
}

/// The binary with `SSL_CERT_FILE`, which rustls-native-certs (like OpenSSL) reads as
/// the system's trust store.
fn with_system_store(dir: &Path, store: &Path) -> assert_cmd::Command {
    let mut cmd = grantplan(dir);
    cmd.env("SSL_CERT_FILE", store);
    cmd
}

/// `sslrootcert=system` (libpq 16) is the system's trust store, not a file named
/// `system`; it makes verify-full the default and refuses any weaker mode.
#[test]
fn sslrootcert_system_is_the_system_store_with_verify_full() {
    let t = tls_server();
    let dir = grants_dir("postgres");
    let port = t.server.port();
    let localhost = format!("postgres://postgres@localhost:{port}/postgres?sslrootcert=system");
    // The test CA stands in for the system's store: trusted, verify-full by default.
    let out = run(with_system_store(dir.path(), &t.ca_file).args([
        "snapshot",
        "--database-url",
        &localhost,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // verify-full really is the default: 127.0.0.1 is not the certificate's name.
    let by_address = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslrootcert=system");
    let out = run(with_system_store(dir.path(), &t.ca_file).args([
        "snapshot",
        "--database-url",
        &by_address,
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("not valid for name"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("sslmode verify-full (the default with sslrootcert=system)"),
        "{}",
        out.stderr
    );
    // A store without the server's CA: refused, naming the store.
    let out = run(with_system_store(dir.path(), &t.other_ca_file).args([
        "snapshot",
        "--database-url",
        &localhost,
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("UnknownIssuer"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "not signed by a CA in the system's trust store (from `sslrootcert` in the \
             database URL)"
        ),
        "{}",
        out.stderr
    );
    // The same from --ca-file system and from $PGSSLROOTCERT.
    let plain = format!("postgres://postgres@localhost:{port}/postgres");
    let out = run(with_system_store(dir.path(), &t.ca_file).args([
        "snapshot",
        "--database-url",
        &plain,
        "--ca-file",
        "system",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(with_system_store(dir.path(), &t.ca_file)
        .env("PGSSLROOTCERT", "system")
        .args(["snapshot", "--database-url", &plain]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    // Any weaker mode is refused before connecting, wherever it was set.
    let (port, listener) = common::untouched_listener();
    let url = format!("postgres://postgres@localhost:{port}/postgres?sslrootcert=system");
    for (mode, how) in [
        ("require", "--sslmode"),
        ("verify-ca", "--sslmode"),
        ("disable", "PGSSLMODE"),
        ("prefer", "PGSSLMODE"),
    ] {
        let mut cmd = with_system_store(dir.path(), &t.ca_file);
        cmd.args(["snapshot", "--database-url", &url]);
        if how == "--sslmode" {
            cmd.args(["--sslmode", mode]);
        } else {
            cmd.env(how, mode);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 1, "{mode}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "sslmode {mode} (from {}{how}) cannot be used with sslrootcert=system",
                if how == "--sslmode" { "" } else { "$" }
            )),
            "{}",
            out.stderr
        );
        common::assert_nobody_connected(&listener, &out.stderr);
    }
    // A file named `system` is still reachable as ./system.
    std::fs::copy(&t.ca_file, dir.path().join("system")).unwrap();
    let out = run(grantplan(dir.path()).args([
        "snapshot",
        "--database-url",
        &plain,
        "--sslmode",
        "verify-full",
        "--ca-file",
        "./system",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------
// Fake servers.

const SSL_REQUEST: [u8; 4] = 80877103u32.to_be_bytes();

/// One length-prefixed startup-phase packet (without its length).
fn read_packet(sock: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    sock.read_exact(&mut len)?;
    let n = u32::from_be_bytes(len) as usize;
    let mut body = vec![0u8; n.saturating_sub(4)];
    sock.read_exact(&mut body)?;
    Ok(body)
}

/// A backend message: tag, length, body.
fn message(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// AuthenticationRequest `R` with `code`.
fn auth_request(code: i32, payload: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(payload);
    message(b'R', &body)
}

/// Serves one connection on 127.0.0.1: answers an SSLRequest with `N` (no TLS), reads
/// the startup message, sends `reply`, then reads until the client hangs up (`linger`)
/// or hangs up itself. The handle gives back the startup message. Bounded: it gives up
/// after 30 seconds.
fn fake_server(reply: Vec<u8>, linger: bool) -> (u16, JoinHandle<Result<Vec<u8>, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let io = |e: std::io::Error| e.to_string();
        listener.set_nonblocking(true).map_err(io)?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut sock = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err("no client within 30 s".to_string());
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        sock.set_nonblocking(false).map_err(io)?;
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let mut startup = read_packet(&mut sock).map_err(io)?;
        if startup == SSL_REQUEST {
            sock.write_all(b"N").map_err(io)?;
            startup = read_packet(&mut sock).map_err(io)?;
        }
        sock.write_all(&reply).map_err(io)?;
        if linger {
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest);
        }
        Ok(startup)
    });
    (port, handle)
}

/// `plan` (with a `target: postgres` file) and `snapshot` against a server that asks
/// for authentication method `code`: exit 1, the explanation, and never the password.
fn assert_auth_method_explained(code: i32, expect: &str) {
    let dir = grants_dir("postgres");
    let commands: [&[&str]; 2] = [&["plan"], &["snapshot"]];
    for (i, command) in commands.into_iter().enumerate() {
        // Redshift's code-13 request carries more than the code; the client never gets
        // past the code, so a few bytes stand in for the rest.
        let (port, server) = fake_server(auth_request(code, &[0, 0, 0, 4, 1, 2, 3, 4]), true);
        let url = format!("postgres://u:secret@127.0.0.1:{port}/db");
        let mut cmd = grantplan(dir.path());
        cmd.args(command).args(["--database-url", &url]);
        // plan asks for disable; snapshot leaves the default (prefer), so the fake
        // server also sees, and declines, an SSLRequest.
        if i == 0 {
            cmd.args(["--sslmode", "disable"]);
        }
        let out = run(&mut cmd);
        let startup = server.join().unwrap().unwrap();
        let all = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(out.code, 1, "{command:?}: {all}");
        assert!(
            out.stderr.contains(&format!(
                "cannot connect to u@127.0.0.1:{port}/db: the server asked for an \
                 authentication method grantplan cannot use"
            )),
            "{command:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(expect), "{command:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("get-cluster-credentials") && out.stderr.contains("MD5"),
            "{command:?}: {}",
            out.stderr
        );
        assert!(!all.contains("secret"), "{command:?}: {all}");
        assert!(!all.contains("unknown authentication tag"), "{all}");
        // The startup message named the user and no password ever left the client.
        assert!(startup.windows(7).any(|w| w == b"user\0u\0"), "{startup:?}");
        assert!(!startup.windows(6).any(|w| w == b"secret"));
    }
}

#[test]
fn redshift_sha256_password_digest_is_explained() {
    assert_auth_method_explained(13, "code 13, Redshift's salted SHA-256 password digest");
}

#[test]
fn redshift_identity_provider_login_is_explained() {
    assert_auth_method_explained(
        14,
        "code 14, Redshift's identity-provider (IdP) token login",
    );
}

/// A Redshift (it says padb_version at start-up) that declines TLS: with no sslmode
/// set anywhere the connection is refused once the server is known to be Redshift; an
/// explicit mode is obeyed.
#[test]
fn redshift_over_plaintext_is_refused_unless_asked_for() {
    let mut startup_reply = auth_request(0, &[]);
    startup_reply.extend(message(b'S', b"server_version\x008.0.2\x00"));
    startup_reply.extend(message(b'S', b"padb_version\x001.0.77467\x00"));
    startup_reply.extend(message(b'Z', b"I"));

    let (port, server) = fake_server(startup_reply.clone(), true);
    let url = format!("postgres://u:secret@127.0.0.1:{port}/db");
    let dir = tempfile::tempdir().unwrap();
    let out = run(grantplan(dir.path()).args(["snapshot", "--database-url", &url]));
    server.join().unwrap().unwrap();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "u@127.0.0.1:{port}/db is a Redshift server (it reported padb_version 1.0.77467 \
             at start-up) but the connection is not encrypted"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("TLS is required for Redshift"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--sslmode disable"), "{}", out.stderr);
    assert!(!out.stderr.contains("secret"), "{}", out.stderr);

    // Asked for explicitly: no refusal; the fake server then hangs up, so the catalog
    // read fails instead.
    let (port, server) = fake_server(startup_reply, false);
    let url = format!("postgres://u:secret@127.0.0.1:{port}/db");
    let out = run(grantplan(dir.path()).args([
        "snapshot",
        "--database-url",
        &url,
        "--sslmode",
        "disable",
    ]));
    server.join().unwrap().unwrap();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("not encrypted"), "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot read the catalog"),
        "{}",
        out.stderr
    );
}
