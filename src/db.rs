//! Connecting: where the connection settings come from, how a server is named in output
//! (never with its password), and how server errors are explained.
//!
//! Settings are resolved once, in a fixed order: `--database-url`, then
//! `GRANTPLAN_DATABASE_URL`, then `DATABASE_URL`; the usual `PG*` variables fill in what
//! the URL leaves out, the way libpq users expect.

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

/// Opens a connection; the connection task runs on the current runtime.
pub async fn connect(config: &Config) -> Result<Client, String> {
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        format!(
            "cannot connect to {}: {}",
            describe_target(config),
            describe_error(&e)
        )
    })?;
    tokio::spawn(async move {
        // Errors after start-up surface on the next query; nothing to do here.
        let _ = connection.await;
    });
    Ok(client)
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
    fn descriptions_and_errors_never_show_the_password() {
        let c = resolve("postgres://me:hunter2@h/db", &env_of(&[])).unwrap();
        assert!(!describe_target(&c).contains("hunter2"));
        let e = resolve("postgres://me:hunter2@h:notaport/db", &env_of(&[])).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
