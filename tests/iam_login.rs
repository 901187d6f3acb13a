//! IAM login end to end on this machine (issue 21): moto's server (PyPI `moto[server]`,
//! which implements Redshift's GetClusterCredentials) on loopback, started here like
//! PostgreSQL; grantplan pointed at it through the AWS SDK's own `AWS_ENDPOINT_URL`; and
//! the temporary user it returns created in a PostgreSQL that demands SCRAM passwords, so
//! the whole path (credential chain, API call, login) runs over real sockets.
//!
//! moto draws the temporary password at random; `/moto-api/seed` makes its draws
//! repeatable, so the test asks once itself, seeds again, and creates the user with that
//! password before grantplan asks. Under `CI=true` a test that cannot start moto fails.

mod common;

use common::{Server, ServerOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// moto's server, stopped when the test binary ends (the child is killed on drop of the
/// process; the harness keeps it for the binary's life).
struct Moto {
    port: u16,
    _child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 request to moto; the response body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    // moto takes the region from the signature's credential scope; it checks nothing
    // else of it.
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 \
         Credential=test/20261206/us-east-1/redshift/aws4_request, SignedHeaders=host, \
         Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto's server (pip install 'moto[server]'): {e}"));
        let start = Instant::now();
        while http(port, "GET", "/moto-api/", "").is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto's server did not answer on port {port} within 60 s (pip install 'moto[server]')"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Moto {
            port,
            _child: child,
        }
    })
}

/// A PostgreSQL that demands SCRAM passwords of everyone but its `postgres` superuser.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\n\
                   host all all 127.0.0.1/32 scram-sha-256\n";
        Server::start_with(&ServerOptions {
            settings: vec![("password_encryption".into(), "scram-sha-256".into())],
            files: vec![("pg_hba.conf".into(), hba.as_bytes().to_vec(), 0o600)],
        })
    })
}

/// The `<name>` element's text in moto's XML answer.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_string())
}

const SEED: &str = "/moto-api/seed?a=42";

/// Held by each test for its whole run: moto draws request ids from the same seeded
/// random numbers as passwords, so another test's call between a seed and grantplan's
/// would change the password grantplan gets.
fn moto_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Creates `cluster` in moto, and the password its GetClusterCredentials will give next
/// for `db_user` (moto seeded again before returning, so grantplan's call draws it).
fn cluster_and_next_password(cluster: &str, db_user: &str) -> (String, String) {
    let m = moto();
    let created = http(
        m.port,
        "POST",
        "/",
        &format!(
            "Action=CreateCluster&Version=2012-12-01&ClusterIdentifier={cluster}&NodeType=ra3.xlplus\
             &MasterUsername=admin&MasterUserPassword=Passw0rd1&DBName=dev"
        ),
    )
    .unwrap();
    assert!(created.contains("<ClusterIdentifier>"), "{created}");
    http(m.port, "POST", SEED, "").unwrap();
    let answer = http(
        m.port,
        "POST",
        "/",
        &format!(
            "Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier={cluster}\
             &DbUser={db_user}&DbName=dev"
        ),
    )
    .unwrap();
    http(m.port, "POST", SEED, "").unwrap();
    (
        element(&answer, "DbUser").unwrap_or_else(|| panic!("{answer}")),
        element(&answer, "DbPassword").unwrap_or_else(|| panic!("{answer}")),
    )
}

fn grantplan_iam(url: &str, cluster: &str, env: &[(&str, &str)]) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let file = common::write(&dir, "grants.yaml", "target: postgres\nroles: {}\n");
    let mut cmd = common::grantplan();
    cmd.env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", moto().port),
        )
        .args(["plan", "-f"])
        .arg(&file)
        .args([
            "--database-url",
            url,
            "--iam",
            "--cluster-id",
            cluster,
            "--region",
            "us-east-1",
        ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run(&mut cmd)
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYS3cr3tKEY",
    ),
];

// The lock only orders this test against the other one of this binary, which runs on its
// own thread and never waits on this test's runtime: no deadlock.
#[allow(clippy::await_holding_lock)]
#[tokio::test]
async fn the_temporary_user_redshift_gives_logs_in_and_nothing_secret_is_printed() {
    let _moto = moto_lock();
    let pg = server();
    let db = common::unique("iamdb");
    let admin = common::connect(&pg.admin_url("postgres")).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let (user, password) = cluster_and_next_password("ml-cluster", "alice");
    assert_eq!(user, "IAM:alice");
    admin
        .batch_execute(&format!(
            "CREATE ROLE \"IAM:alice\" LOGIN PASSWORD '{}'",
            password.replace('\'', "''")
        ))
        .await
        .unwrap();
    let url = format!(
        "postgres://alice@127.0.0.1:{}/{db}?sslmode=disable",
        pg.port()
    );
    let out = grantplan_iam(&url, "ml-cluster", &KEYS);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("-- plan for alice@127.0.0.1"),
        "{}",
        out.stdout
    );
    for secret in [password.as_str(), KEYS[1].1] {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    }

    // doctor says how it logged in, and what the temporary user is.
    http(moto().port, "POST", SEED, "").unwrap();
    let mut cmd = common::grantplan();
    cmd.env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", moto().port),
        )
        .current_dir(std::env::temp_dir())
        .args([
            "doctor",
            "--database-url",
            &url,
            "--iam",
            "--cluster-id",
            "ml-cluster",
        ])
        .args(["--region", "us-east-1"]);
    for (k, v) in KEYS {
        cmd.env(k, v);
    }
    let doc = common::run(&mut cmd);
    assert!(
        doc.stdout.contains(
            "`IAM:alice` (logged in with a temporary password from GetClusterCredentials for \
             cluster `ml-cluster` (IAM login)) is not a superuser"
        ),
        "{}\n{}",
        doc.stdout,
        doc.stderr
    );
    assert!(!doc.stdout.contains(&password) && !doc.stderr.contains(&password));

    // The database refusing the temporary user: said as such.
    http(moto().port, "POST", SEED, "").unwrap();
    admin
        .batch_execute("ALTER ROLE \"IAM:alice\" PASSWORD 'another'")
        .await
        .unwrap();
    let out = grantplan_iam(&url, "ml-cluster", &KEYS);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("a temporary password from GetClusterCredentials for cluster `ml-cluster`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(&password), "{}", out.stderr);
}

#[test]
fn each_failing_step_is_named_with_what_to_do() {
    let _moto = moto_lock();
    let url = format!(
        "postgres://alice@127.0.0.1:{}/postgres?sslmode=disable",
        server().port()
    );
    // The API refuses: its error code, and what to check.
    let out = grantplan_iam(&url, "no-such-cluster", &KEYS);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "IAM login: Redshift refused GetClusterCredentials for cluster `no-such-cluster` \
             and user `alice`: ClusterNotFound"
        ) && out.stderr.contains("check --cluster-id"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(KEYS[1].1) && !out.stdout.contains(KEYS[1].1));
    // No credentials anywhere in the chain.
    let out = grantplan_iam(&url, "ml-cluster", &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("IAM login: no AWS credentials found")
            && out.stderr.contains("AWS_PROFILE"),
        "{}",
        out.stderr
    );
    // --iam without a cluster: refused before anything is asked.
    let out = common::run(common::grantplan().args([
        "plan",
        "-f",
        "grants.yaml",
        "--database-url",
        &url,
        "--iam",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("an IAM login needs the cluster's identifier"),
        "{}",
        out.stderr
    );
}
