//! Connecting: where the connection settings come from, how a server is named in output
//! (never with its password), and how server errors are explained.
//!
//! Settings are resolved once, in a fixed order: `--database-url`, then
//! `GRANTPLAN_DATABASE_URL`, then `DATABASE_URL`; the usual `PG*` variables fill in what
//! the URL leaves out, the way libpq users expect. TLS settings ([`settings`]) come from
//! `--sslmode` / `--ca-file`, then `sslmode=` / `sslrootcert=` in the URL, then
//! `PGSSLMODE` / `PGSSLROOTCERT`; what they mean is in [`crate::tls`].

use crate::model::Target;
use crate::tls::{self, SslMode};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};

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
/// The error never repeats the URL, which may hold a password. TLS parameters are not
/// handled here (tokio-postgres rejects `verify-ca`, `verify-full`, `sslrootcert`): the
/// CLI goes through [`settings`], which takes them out first.
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

/// Where a TLS setting came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, named without its dashes.
    Flag(&'static str),
    /// A parameter of the database URL.
    Url(&'static str),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(n) => write!(f, "from --{n}"),
            Origin::Url(k) => write!(f, "from `{k}` in the database URL"),
            Origin::Env(v) => write!(f, "from ${v}"),
        }
    }
}

/// The TLS flags of the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct TlsFlags<'a> {
    pub sslmode: Option<SslMode>,
    pub ca_file: Option<&'a Path>,
}

/// TLS settings as they were given. The mode is resolved at [`connect`], because its
/// default depends on the expected kind of server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// The mode that was set, and where; `None` when nothing set one.
    pub mode: Option<(SslMode, Origin)>,
    /// The CA roots file that was named, and where; `None`: Mozilla's roots.
    pub ca_file: Option<(PathBuf, Origin)>,
}

/// Everything needed to connect: tokio-postgres's settings (without the TLS parameters
/// it cannot parse) and grantplan's TLS settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub tls: TlsSettings,
}

/// [`resolve`] plus TLS: takes `sslmode` and `sslrootcert` out of the URL (tokio-postgres
/// rejects `verify-ca`, `verify-full` and `sslrootcert`), then picks each TLS setting
/// from the strongest source: the flag, the URL, the environment.
///
/// Errors never repeat the URL, which may hold a password.
pub fn settings(
    url: &str,
    flags: &TlsFlags<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, String> {
    let (rest, in_url) = strip_tls_params(url)?;
    let config = resolve(&rest, env)?;
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    let mode = if let Some(m) = flags.sslmode {
        Some((m, Origin::Flag("sslmode")))
    } else if let Some(v) = in_url.sslmode {
        let m = v
            .parse()
            .map_err(|e| format!("the database URL's sslmode: {e}"))?;
        Some((m, Origin::Url("sslmode")))
    } else if let Some(v) = get("PGSSLMODE") {
        let m = v.parse().map_err(|e| format!("PGSSLMODE: {e}"))?;
        Some((m, Origin::Env("PGSSLMODE")))
    } else {
        None
    };
    let ca_file = if let Some(p) = flags.ca_file {
        Some((p.to_path_buf(), Origin::Flag("ca-file")))
    } else if let Some(p) = in_url.sslrootcert.filter(|p| !p.is_empty()) {
        Some((PathBuf::from(p), Origin::Url("sslrootcert")))
    } else {
        get("PGSSLROOTCERT").map(|p| (PathBuf::from(p), Origin::Env("PGSSLROOTCERT")))
    };
    Ok(Settings {
        config,
        tls: TlsSettings { mode, ca_file },
    })
}

/// The TLS parameters found in a database URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UrlTls {
    pub sslmode: Option<String>,
    pub sslrootcert: Option<String>,
}

/// Splits `sslmode` and `sslrootcert` off a database URL (`postgres://...?sslmode=...`)
/// or `key=value` connection string; the rest is returned unchanged for tokio-postgres.
///
/// The URL form is split the way tokio-postgres splits it (credentials end at the first
/// `@`, parameters start at the next `?`, `&` between them, keys and values
/// percent-decoded); the `key=value` form is tokenised with libpq's quoting (`'...'`,
/// backslash escapes), so a password that contains `sslmode=` is never mistaken for a
/// parameter. A string this cannot tokenise is returned whole, for tokio-postgres to
/// reject. The last of repeated parameters wins, as in libpq. Errors never repeat the URL.
pub fn strip_tls_params(url: &str) -> Result<(String, UrlTls), String> {
    let mut found = UrlTls::default();
    let prefix = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|p| url.starts_with(p));
    if let Some(prefix) = prefix {
        let after = &url[prefix.len()..];
        let host_start = after.find('@').map_or(0, |i| i + 1);
        let Some(q) = after[host_start..].find('?') else {
            return Ok((url.to_string(), found));
        };
        let query_at = prefix.len() + host_start + q;
        let mut kept = Vec::new();
        for part in url[query_at + 1..].split('&') {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            match percent_decode(key).as_deref() {
                Ok("sslmode") => found.sslmode = Some(percent_decode(value)?),
                Ok("sslrootcert") => found.sslrootcert = Some(percent_decode(value)?),
                _ => kept.push(part),
            }
        }
        let kept: Vec<&str> = kept.into_iter().filter(|p| !p.is_empty()).collect();
        let mut rest = url[..query_at].to_string();
        if !kept.is_empty() {
            rest.push('?');
            rest.push_str(&kept.join("&"));
        }
        return Ok((rest, found));
    }
    let Some(params) = keyword_params(url) else {
        return Ok((url.to_string(), found));
    };
    let mut rest = String::new();
    let mut last = 0;
    for (range, key, value) in params {
        let slot = match key {
            "sslmode" => &mut found.sslmode,
            "sslrootcert" => &mut found.sslrootcert,
            _ => continue,
        };
        *slot = Some(value);
        rest.push_str(&url[last..range.start]);
        last = range.end;
    }
    rest.push_str(&url[last..]);
    Ok((rest, found))
}

/// `%XX`-decoding as tokio-postgres does it. The error names no part of the URL.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| "a TLS parameter in the database URL is not valid UTF-8".to_string())
}

/// The parameters of a `key=value` connection string with their byte ranges, tokenised
/// as tokio-postgres (and libpq) do; `None` when the string is malformed.
fn keyword_params(s: &str) -> Option<Vec<(std::ops::Range<usize>, &str, String)>> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    let skip_ws = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while it.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    };
    loop {
        skip_ws(&mut it);
        let start = match it.peek() {
            Some(&(i, _)) => i,
            None => return Some(out),
        };
        let mut key_end = start;
        while let Some((i, c)) = it.next_if(|(_, c)| !c.is_whitespace() && *c != '=') {
            key_end = i + c.len_utf8();
        }
        if key_end == start {
            return None;
        }
        skip_ws(&mut it);
        it.next_if(|(_, c)| *c == '=')?;
        skip_ws(&mut it);
        let mut value = String::new();
        let end;
        if it.next_if(|(_, c)| *c == '\'').is_some() {
            loop {
                match it.next()? {
                    (i, '\'') => {
                        end = i + 1;
                        break;
                    }
                    (_, '\\') => value.push(it.next()?.1),
                    (_, c) => value.push(c),
                }
            }
        } else {
            let mut last = None;
            while let Some((i, c)) = it.next_if(|(_, c)| !c.is_whitespace()) {
                last = Some(i + c.len_utf8());
                if c == '\\' {
                    if let Some((j, c2)) = it.next() {
                        value.push(c2);
                        last = Some(j + c2.len_utf8());
                    }
                } else {
                    value.push(c);
                }
            }
            end = last?;
        }
        out.push((start..end, &s[start..key_end], value));
    }
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
    /// Whether the connection runs over TLS.
    pub encrypted: bool,
    /// The TLS settings the connection was made with: a cancel request
    /// (`client.cancel_token()`) opens a second connection and needs them too.
    pub tls: tls::Connector,
}

/// Opens a connection and finds out which kind of server answered; the connection task
/// runs on the current runtime.
///
/// `expected` is the kind of server the grants file names (`target:`), when there is
/// one: it decides the TLS default ([`tls::default_mode`]: `require` for Redshift,
/// `prefer` otherwise). When no mode was set anywhere and the server turns out to be
/// Redshift over an unencrypted connection, it is refused.
pub async fn connect(settings: &Settings, expected: Option<Target>) -> Result<Session, String> {
    let asked = settings.tls.mode.map(|(m, _)| m);
    let ca_file = settings.tls.ca_file.as_ref();
    let mode = tls::effective_mode(asked, ca_file.is_some(), expected);
    let connector =
        tls::Connector::new(mode, ca_file.map(|(p, _)| p.as_path())).map_err(
            |e| match ca_file {
                Some((_, origin)) => format!("{e} (CA file {origin})"),
                None => e,
            },
        )?;
    let mut config = settings.config.clone();
    config.ssl_mode(mode.for_tokio_postgres());
    let (client, connection) = config
        .connect(connector.clone())
        .await
        .map_err(|e| explain_connect_error(&e, settings, mode, expected))?;
    let encrypted = connector.encrypted();
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
                describe_target(&settings.config),
                describe_error(&e)
            )
        })?)
    };
    let (target, evidence) = detect_target(padb_version.as_deref(), version.as_deref());
    if asked.is_none() && target == Target::Redshift && !encrypted {
        return Err(format!(
            "{} is a Redshift server ({evidence}) but the connection is not encrypted: \
             the server declined TLS, and TLS is required for Redshift unless you say \
             otherwise; nothing was read or changed. To connect without TLS anyway, pass \
             --sslmode disable",
            describe_target(&settings.config)
        ));
    }
    Ok(Session {
        client,
        target,
        evidence,
        encrypted,
        tls: connector,
    })
}

/// The text tokio-postgres gives when the server asks for an authentication method it
/// does not know. tokio-postgres has no typed error for this: the message comes from
/// postgres-protocol's backend message parser (`unknown authentication tag `13``, an
/// `io::Error` inside a tokio-postgres I/O error), so it is recognised by its text.
/// Checked against tokio-postgres 0.7.18 / postgres-protocol 0.6.12.
pub const UNKNOWN_AUTH_TAG: &str = "unknown authentication tag";

/// Recognises the unknown-authentication-method error in an error's text: `None` when
/// it is not that error, `Some(code)` when it is, with the code when the text carries it.
pub fn unknown_auth_method(text: &str) -> Option<Option<i32>> {
    let at = text.find(UNKNOWN_AUTH_TAG)?;
    let after = text[at + UNKNOWN_AUTH_TAG.len()..].trim_start();
    let code = after
        .strip_prefix('`')
        .and_then(|a| a.split('`').next())
        .and_then(|c| c.trim().parse().ok());
    Some(code)
}

/// What to say when the server asks for an authentication method tokio-postgres does
/// not speak. Redshift's codes: 13 (salted SHA-256 password digest, for passwords set as
/// `sha256|...`) and 14 (identity-provider token); when the code is unknown both are
/// named, because the error alone cannot tell them apart.
pub fn explain_auth_method(code: Option<i32>) -> String {
    let which = match code {
        Some(13) => "authentication request code 13, Redshift's salted SHA-256 password \
                     digest (used for users whose password was set as `sha256|...`)"
            .to_string(),
        Some(14) => "authentication request code 14, Redshift's identity-provider (IdP) \
                     token login"
            .to_string(),
        Some(n) => format!(
            "authentication request code {n}; Redshift uses 13 for its SHA-256 password \
             digest and 14 for identity-provider login"
        ),
        None => "either Redshift's SHA-256 password digest (code 13) or its \
                 identity-provider login (code 14); the error does not say which"
            .to_string(),
    };
    format!(
        "the server asked for an authentication method grantplan cannot use: {which}. \
         grantplan's PostgreSQL client (tokio-postgres) speaks only cleartext, MD5 and \
         SCRAM-SHA-256 passwords. What to do: connect as a database user whose password is \
         stored as MD5 (ALTER USER name PASSWORD 'md5...', the MD5 hex digest of the \
         password followed by the user name), or use IAM temporary credentials from \
         `aws redshift get-cluster-credentials` (user `IAM:name`, password valid 15-60 \
         minutes), which log in with an ordinary password over TLS"
    )
}

/// A failed connection explained: authentication methods grantplan cannot use, TLS
/// failures with what to change, bad passwords; anything else as [`describe_error`].
/// Never shows the password or the URL.
fn explain_connect_error(
    e: &tokio_postgres::Error,
    settings: &Settings,
    mode: SslMode,
    expected: Option<Target>,
) -> String {
    let server = describe_target(&settings.config);
    let text = describe_error(e);
    if let Some(code) = unknown_auth_method(&text) {
        return format!("cannot connect to {server}: {}", explain_auth_method(code));
    }
    let mode_said = describe_mode(settings, mode, expected);
    if text.contains("server does not support TLS") {
        return format!(
            "cannot connect to {server}: the server does not support TLS (it declined the \
             TLS request), and {mode_said} requires TLS. Pass --sslmode prefer or \
             --sslmode disable to connect without it"
        );
    }
    if let Some(tls_error) = tls::rustls_error(e) {
        use rustls::CertificateError as C;
        let roots = tls::describe_roots(settings.tls.ca_file.as_ref());
        let what_to_do = match tls_error {
            rustls::Error::InvalidCertificate(C::UnknownIssuer) => format!(
                "the server's certificate is not signed by a CA in {roots}. Pass --ca-file \
                 with the CA certificate(s) that signed it (for Redshift, AWS's \
                 amazon-trust-ca-bundle.crt); to encrypt without verifying the certificate, \
                 use --sslmode require and no CA file"
            ),
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => "connect with the host name the certificate was issued for, or pass \
                  --sslmode verify-ca to verify the certificate chain but not the name"
                .to_string(),
            _ => format!("the certificate was checked against {roots}"),
        };
        return format!(
            "cannot connect to {server}: TLS handshake failed ({mode_said}): {tls_error}; \
             {what_to_do}"
        );
    }
    if e.as_db_error().map(|d| d.code().code()) == Some("28P01") {
        return format!(
            "cannot connect to {server}: {text}\n  hint: check the password (in the URL or \
             $PGPASSWORD); IAM temporary credentials from get-cluster-credentials expire \
             after 15-60 minutes"
        );
    }
    if text.contains("password missing") {
        return format!(
            "cannot connect to {server}: the server asked for a password and none was \
             given: put it in the URL or set PGPASSWORD"
        );
    }
    format!("cannot connect to {server}: {text}")
}

/// `sslmode verify-full (from --sslmode)`, for messages.
fn describe_mode(settings: &Settings, mode: SslMode, expected: Option<Target>) -> String {
    match settings.tls.mode {
        Some((asked, origin)) if asked == mode => format!("sslmode {mode} ({origin})"),
        Some((asked, origin)) => {
            format!("sslmode {mode} ({asked} {origin}, with a CA file given)")
        }
        None => {
            let whose = match expected {
                Some(Target::Redshift) => "the default for target redshift",
                _ => "the default",
            };
            if mode == tls::default_mode(expected) {
                format!("sslmode {mode} ({whose})")
            } else {
                format!(
                    "sslmode {mode} ({} is {whose}, with a CA file given)",
                    tls::default_mode(expected)
                )
            }
        }
    }
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

    fn flags(mode: Option<SslMode>, ca: Option<&'static str>) -> TlsFlags<'static> {
        TlsFlags {
            sslmode: mode,
            ca_file: ca.map(Path::new),
        }
    }

    #[test]
    fn sslmode_flag_beats_url_beats_pgsslmode_beats_nothing() {
        let env = env_of(&[("PGSSLMODE", "require")]);
        let url = "postgres://u@h/db?sslmode=verify-ca";
        let s = settings(url, &flags(Some(SslMode::VerifyFull), None), &env).unwrap();
        assert_eq!(
            s.tls.mode,
            Some((SslMode::VerifyFull, Origin::Flag("sslmode")))
        );
        let s = settings(url, &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.mode,
            Some((SslMode::VerifyCa, Origin::Url("sslmode")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.mode,
            Some((SslMode::Require, Origin::Env("PGSSLMODE")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env_of(&[])).unwrap();
        assert_eq!(s.tls.mode, None);
        // An empty PGSSLMODE is unset, as with the other PG variables.
        let s = settings(
            "postgres://u@h/db",
            &flags(None, None),
            &env_of(&[("PGSSLMODE", "")]),
        )
        .unwrap();
        assert_eq!(s.tls.mode, None);
    }

    #[test]
    fn ca_file_flag_beats_sslrootcert_beats_pgsslrootcert() {
        let env = env_of(&[("PGSSLROOTCERT", "/env/ca.pem")]);
        let url = "postgres://u@h/db?sslrootcert=%2Furl%2Fca.pem";
        let s = settings(url, &flags(None, Some("/flag/ca.pem")), &env).unwrap();
        assert_eq!(
            s.tls.ca_file,
            Some((PathBuf::from("/flag/ca.pem"), Origin::Flag("ca-file")))
        );
        let s = settings(url, &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.ca_file,
            Some((PathBuf::from("/url/ca.pem"), Origin::Url("sslrootcert")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.ca_file,
            Some((PathBuf::from("/env/ca.pem"), Origin::Env("PGSSLROOTCERT")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env_of(&[])).unwrap();
        assert_eq!(s.tls.ca_file, None);
    }

    #[test]
    fn tls_parameters_are_taken_out_of_urls_before_tokio_postgres_sees_them() {
        // tokio-postgres itself rejects these: the reason for stripping.
        assert!("postgres://u@h/db?sslmode=verify-full"
            .parse::<Config>()
            .is_err());
        assert!("postgres://u@h/db?sslrootcert=x".parse::<Config>().is_err());

        let (rest, tls) = strip_tls_params(
            "postgres://u:pw@h:5439/db?sslmode=verify-full&connect_timeout=5&sslrootcert=%2Fa%20b.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u:pw@h:5439/db?connect_timeout=5");
        assert_eq!(tls.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(tls.sslrootcert.as_deref(), Some("/a b.pem"));
        let c: Config = rest.parse().unwrap();
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(5)));

        // Only TLS parameters: the `?` goes too.
        let (rest, tls) = strip_tls_params("postgresql://u@h/db?sslmode=require").unwrap();
        assert_eq!(rest, "postgresql://u@h/db");
        assert_eq!(tls.sslmode.as_deref(), Some("require"));

        // A `?` in the password is not the start of the parameters.
        let (rest, tls) = strip_tls_params("postgres://u:p?w@h/db?sslmode=disable").unwrap();
        assert_eq!(rest, "postgres://u:p?w@h/db");
        assert_eq!(tls.sslmode.as_deref(), Some("disable"));

        // No parameters: unchanged.
        let (rest, tls) = strip_tls_params("postgres://u@h/db").unwrap();
        assert_eq!(rest, "postgres://u@h/db");
        assert_eq!(tls, UrlTls::default());
    }

    #[test]
    fn tls_parameters_are_taken_out_of_key_value_strings_respecting_quotes() {
        let (rest, tls) = strip_tls_params(
            "host=h user=u sslmode = verify-ca password='a sslmode=disable \\' b' sslrootcert=/ca\\ 1.pem dbname=d",
        )
        .unwrap();
        assert_eq!(tls.sslmode.as_deref(), Some("verify-ca"));
        assert_eq!(tls.sslrootcert.as_deref(), Some("/ca 1.pem"));
        let c: Config = rest.parse().unwrap();
        assert_eq!(c.get_password(), Some(&b"a sslmode=disable ' b"[..]));
        assert_eq!(c.get_dbname(), Some("d"));
        assert_eq!(c.get_user(), Some("u"));

        let (rest, tls) = strip_tls_params("host=h sslmode=require").unwrap();
        assert_eq!(rest.trim(), "host=h");
        assert_eq!(tls.sslmode.as_deref(), Some("require"));

        // Malformed: left for tokio-postgres to reject, nothing taken out.
        let (rest, tls) = strip_tls_params("host=h password='unterminated sslmode=x").unwrap();
        assert_eq!(rest, "host=h password='unterminated sslmode=x");
        assert_eq!(tls, UrlTls::default());
    }

    #[test]
    fn bad_tls_settings_are_errors_that_never_show_the_password() {
        let env = env_of(&[]);
        let e = settings(
            "postgres://me:hunter2@h/db?sslmode=verify_full",
            &flags(None, None),
            &env,
        )
        .unwrap_err();
        assert!(e.contains("sslmode `verify_full` is not known"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "host=h user=me password=hunter2 sslmode=allow",
            &flags(None, None),
            &env,
        )
        .unwrap_err();
        assert!(e.contains("`allow` is not supported"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "postgres://me:hunter2@h/db?sslrootcert=%FF",
            &flags(None, None),
            &env,
        )
        .unwrap_err();
        assert!(e.contains("not valid UTF-8"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "postgres://me:hunter2@h/db",
            &flags(None, None),
            &env_of(&[("PGSSLMODE", "sometimes")]),
        )
        .unwrap_err();
        assert!(e.starts_with("PGSSLMODE: "), "{e}");
        // The rest of the URL still goes through resolve's password-free errors.
        let e = settings(
            "postgres://me:hunter2@h:notaport/db?sslmode=require",
            &flags(None, None),
            &env,
        )
        .unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn unknown_authentication_tags_are_recognised_with_their_code() {
        // The exact text of tokio-postgres 0.7.18 (postgres-protocol 0.6.12), as
        // describe_error renders it.
        let text = "error communicating with the server: unknown authentication tag `13`";
        assert_eq!(unknown_auth_method(text), Some(Some(13)));
        assert_eq!(
            unknown_auth_method("unknown authentication tag `14`"),
            Some(Some(14))
        );
        assert_eq!(
            unknown_auth_method("unknown authentication tag"),
            Some(None)
        );
        assert_eq!(unknown_auth_method("db error: FATAL 28P01"), None);
    }

    #[test]
    fn the_auth_explanation_names_the_method_and_what_to_do() {
        let m13 = explain_auth_method(Some(13));
        assert!(m13.contains("SHA-256 password digest"), "{m13}");
        assert!(!m13.contains("identity-provider (IdP)"), "{m13}");
        let m14 = explain_auth_method(Some(14));
        assert!(m14.contains("identity-provider"), "{m14}");
        let unknown = explain_auth_method(None);
        assert!(
            unknown.contains("code 13") && unknown.contains("code 14"),
            "{unknown}"
        );
        for m in [m13, m14, unknown] {
            assert!(m.contains("grantplan cannot use"), "{m}");
            assert!(m.contains("MD5"), "{m}");
            assert!(m.contains("get-cluster-credentials"), "{m}");
            assert!(m.contains("IAM:name"), "{m}");
        }
    }

    #[test]
    fn descriptions_and_errors_never_show_the_password() {
        let c = resolve("postgres://me:hunter2@h/db", &env_of(&[])).unwrap();
        assert!(!describe_target(&c).contains("hunter2"));
        let e = resolve("postgres://me:hunter2@h:notaport/db", &env_of(&[])).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
