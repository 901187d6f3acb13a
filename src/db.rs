//! Connecting: where the connection settings come from, how a server is named in output
//! (never with its password), and how server errors are explained.
//!
//! Settings are resolved once, in a fixed order: `--database-url`, then
//! `GRANTPLAN_DATABASE_URL`, then `DATABASE_URL`; the usual `PG*` variables fill in what
//! the URL leaves out, the way libpq users expect.

use crate::model::Target;
use std::time::Duration;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

/// Where the URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    Flag,
    GrantplanEnv,
    DatabaseUrlEnv,
}

/// The database URL from the flag or the environment, if any. `env` is a lookup so tests
/// can pass their own environment.
pub fn url_from(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, UrlSource)> {
    if let Some(u) = flag {
        return Some((u.to_string(), UrlSource::Flag));
    }
    let nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(u) = nonempty("GRANTPLAN_DATABASE_URL") {
        return Some((u, UrlSource::GrantplanEnv));
    }
    nonempty("DATABASE_URL").map(|u| (u, UrlSource::DatabaseUrlEnv))
}

/// Parses `url` (a `postgres://` URL or a `key=value` string) and fills what it leaves
/// out from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`; the user defaults
/// to the OS user as with libpq.
///
/// The error never repeats the URL, which may hold a password.
pub fn resolve(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let mut config: Config = url.parse().map_err(|e| {
        format!("the database URL is not valid ({e}); expected postgres://USER@HOST:PORT/DATABASE")
    })?;
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        let host = get("PGHOST").unwrap_or_else(|| "localhost".to_string());
        for h in host.split(',') {
            config.host(h);
        }
    }
    if config.get_ports().is_empty() {
        if let Some(p) = get("PGPORT") {
            let port: u16 = p
                .parse()
                .map_err(|_| format!("PGPORT `{p}` is not a port number"))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        match get("PGUSER").or_else(|| get("USER")) {
            Some(u) => {
                config.user(u);
            }
            None => {
                return Err(
                    "no user: put one in the URL (postgres://USER@HOST/DB) or set PGUSER".into(),
                )
            }
        }
    }
    if config.get_password().is_none() {
        if let Some(p) = get("PGPASSWORD") {
            config.password(p);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(d) = get("PGDATABASE") {
            config.dbname(d);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(15));
    }
    config.application_name("grantplan");
    Ok(config)
}

/// `user@host:port/database`, for output: the password is never shown.
pub fn describe_target(config: &Config) -> String {
    let user = config.get_user().unwrap_or("?");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{db}")
}

/// An open connection and what kind of server is at the other end.
pub struct Session {
    pub client: Client,
    /// Redshift or PostgreSQL, decided by [`detect_target`].
    pub target: Target,
    /// Why: what the server reported, quoted in messages (`it reported padb_version
    /// 1.0.77467 at start-up`).
    pub evidence: String,
}

/// Opens a connection and finds out which kind of server answered; the connection task
/// runs on the current runtime.
pub async fn connect(config: &Config) -> Result<Session, String> {
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        format!(
            "cannot connect to {}: {}",
            describe_target(config),
            describe_error(&e)
        )
    })?;
    // Start-up parameters live on the connection object, which is moved into its task
    // below: read what detection needs first.
    let padb_version = connection.parameter("padb_version").map(str::to_string);
    tokio::spawn(async move {
        // Errors after start-up surface on the next query; nothing to do here.
        let _ = connection.await;
    });
    let version = if padb_version.is_some() {
        None
    } else {
        Some(server_version_text(&client).await.map_err(|e| {
            format!(
                "cannot ask {} for its version: {}",
                describe_target(config),
                describe_error(&e)
            )
        })?)
    };
    let (target, evidence) = detect_target(padb_version.as_deref(), version.as_deref());
    Ok(Session {
        client,
        target,
        evidence,
    })
}

/// `SELECT version()` over the simple query protocol (text, no type introspection).
async fn server_version_text(client: &Client) -> Result<String, tokio_postgres::Error> {
    let rows = client.simple_query("SELECT version()").await?;
    Ok(rows
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap_or_default())
}

/// Decides the kind of server from what it said about itself.
///
/// Redshift announces `padb_version` (and `padb_revision`) in its start-up parameters,
/// which PostgreSQL never does: that settles it without a query. Connection poolers may
/// not pass unknown start-up parameters on, so when it is absent the text of `version()`
/// decides (Redshift's contains `Redshift`). `version` is `None` only when the start-up
/// parameter already settled it.
pub fn detect_target(padb_version: Option<&str>, version: Option<&str>) -> (Target, String) {
    if let Some(v) = padb_version {
        return (
            Target::Redshift,
            format!("it reported padb_version {v} at start-up"),
        );
    }
    match version {
        Some(v) if v.contains("Redshift") => (
            Target::Redshift,
            format!("its version() mentions Redshift: {}", first_words(v)),
        ),
        Some(v) => (
            Target::Postgres,
            format!(
                "it reported no padb_version at start-up and its version() is {}",
                first_words(v)
            ),
        ),
        None => (
            Target::Postgres,
            "it reported no padb_version at start-up".to_string(),
        ),
    }
}

/// The first words of a version string: enough to recognise it in a message.
fn first_words(v: &str) -> String {
    let words: Vec<&str> = v.split_whitespace().take(2).collect();
    format!("`{}`", words.join(" ").trim_end_matches(','))
}

/// A server error with everything the server said: SQLSTATE, message, detail, hint and
/// position. tokio-postgres' own Display prints only "db error".
pub fn describe_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!("\n  detail: {d}"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("\n  hint: {h}"));
        }
        if let Some(tokio_postgres::error::ErrorPosition::Original(p)) = db.position() {
            s.push_str(&format!("\n  at character {p}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_beats_grantplan_env_beats_database_url() {
        let env = env_of(&[
            ("GRANTPLAN_DATABASE_URL", "postgres://a@h/g"),
            ("DATABASE_URL", "postgres://b@h/d"),
        ]);
        assert_eq!(
            url_from(Some("postgres://f@h/x"), &env).unwrap().1,
            UrlSource::Flag
        );
        assert_eq!(url_from(None, &env).unwrap().0, "postgres://a@h/g");
        let env = env_of(&[("DATABASE_URL", "postgres://b@h/d")]);
        assert_eq!(url_from(None, &env).unwrap().1, UrlSource::DatabaseUrlEnv);
        assert!(url_from(None, &env_of(&[])).is_none());
    }

    #[test]
    fn pg_variables_fill_what_the_url_leaves_out() {
        let env = env_of(&[
            ("PGHOST", "db.internal"),
            ("PGPORT", "6543"),
            ("PGUSER", "admin"),
            ("PGPASSWORD", "s3cret"),
            ("PGDATABASE", "dev"),
        ]);
        let c = resolve("postgres://", &env).unwrap();
        assert_eq!(describe_target(&c), "admin@db.internal:6543/dev");
        assert_eq!(c.get_password(), Some(&b"s3cret"[..]));
        // The URL wins where it says something.
        let c = resolve("postgres://me:pw@127.0.0.1:5439/prod", &env).unwrap();
        assert_eq!(describe_target(&c), "me@127.0.0.1:5439/prod");
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn padb_version_at_start_up_means_redshift_whatever_version_says() {
        let (t, why) = detect_target(Some("1.0.77467"), None);
        assert_eq!(t, Target::Redshift);
        assert!(why.contains("padb_version 1.0.77467"), "{why}");
        let (t, _) = detect_target(Some("1.0.1"), Some("PostgreSQL 15.18"));
        assert_eq!(t, Target::Redshift);
    }

    #[test]
    fn without_padb_version_the_version_text_decides() {
        let redshift = "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467";
        let (t, why) = detect_target(None, Some(redshift));
        assert_eq!(t, Target::Redshift);
        assert!(why.contains("`PostgreSQL 8.0.2`"), "{why}");
        let pg = "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu";
        let (t, why) = detect_target(None, Some(pg));
        assert_eq!(t, Target::Postgres);
        assert!(why.contains("no padb_version"), "{why}");
        assert!(why.contains("`PostgreSQL 15.18`"), "{why}");
        assert_eq!(detect_target(None, None).0, Target::Postgres);
    }

    #[test]
    fn descriptions_and_errors_never_show_the_password() {
        let c = resolve("postgres://me:hunter2@h/db", &env_of(&[])).unwrap();
        assert!(!describe_target(&c).contains("hunter2"));
        let e = resolve("postgres://me:hunter2@h:notaport/db", &env_of(&[])).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
