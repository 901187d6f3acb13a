//! Connecting: where the connection settings come from, how a server is named in output
//! (never with its password), and how server errors are explained.
//!
//! Settings are resolved once, in a fixed order: `--database-url`, then
//! `GRANTPLAN_DATABASE_URL`, then `DATABASE_URL`. The URL (or `key=value` string) is
//! read as libpq reads it ([`crate::conninfo`]), and each parameter it leaves out comes
//! from its `PG*` variable, then libpq's default ([`settings`]): someone who checked a URL
//! with psql reaches the same server, database and login with grantplan. TLS settings ([`settings`]) come from
//! `--sslmode` / `--ca-file`, then `sslmode=` / `sslrootcert=` in the URL, then
//! `PGSSLMODE` / `PGSSLROOTCERT`, and for the roots last libpq's default file
//! `$HOME/.postgresql/root.crt` when it exists; what they mean is in [`crate::tls`].
//!
//! The password comes from the URL, then `PGPASSWORD`, then the password file
//! ([`crate::pgpass`]), as in libpq. It is never shown: messages name the server as
//! `user@host:port/db` ([`describe_target`]), name where the password came from
//! ([`PasswordSource`]) but never the password, and never repeat the URL.
//!
//! Connecting never hangs: every attempt is bounded by a connect timeout
//! ([`ConnectTimeout`]), which covers the whole start-up (name lookup, TCP, TLS,
//! authentication), not only the TCP handshake that tokio-postgres' own
//! `connect_timeout` bounds.

use crate::model::Target;
use crate::tls::{self, Roots, SslMode};
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

/// Parses `url` (a `postgres://` URL or a `key=value` string, read as libpq reads it:
/// [`crate::conninfo`]) and fills what it leaves out as libpq does: from the `PG*`
/// variable of each parameter, then libpq's defaults (a Unix socket in the default
/// directory, port 5432, the operating system's user name, a database named after the
/// user).
///
/// The error never repeats the URL, which may hold a password. TLS parameters are not
/// used here: the CLI goes through [`settings`], which reads them too. Only the tests
/// call it.
#[cfg(test)]
fn resolve(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, SettingsError> {
    refuse_unencoded_at(url)?;
    let given = crate::conninfo::parse(url)?;
    resolve_given(&given, env).map(|(config, _)| config)
}

/// Why the connection settings cannot be made from a URL, the flags and the environment.
/// Its `Display` is the message the CLI prints.
///
/// No variant holds the URL, nor any part of it that may be a password: a port is kept
/// only when it came from a variable (in a URL, what stands where the port goes may be a
/// password, as in `postgres://user:secret`), and the connection string's own errors
/// ([`crate::conninfo::Error`]) hold none either. Where a setting came from is kept as an
/// [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The connection string cannot be read.
    #[error(transparent)]
    Conninfo(#[from] crate::conninfo::Error),
    /// More than one unencoded `@` before the parameters ([`refuse_unencoded_at`]).
    #[error(
        "the database URL holds more than one `@` before its parameters: an `@` in the \
         user name, password or database name must be written as %40, or the URL is read \
         with part of the password as the host and the rest as the database name. \
         {UNENCODED_URL_ADVICE}"
    )]
    SeveralAts,
    /// A `/` before the `@` ([`refuse_unencoded_at`]).
    #[error(
        "the database URL has a `/` before its `@`: either the user name or password holds \
         a `/`, which must be written as %2F, or the database name holds an `@`, which must \
         be written as %40 (libpq and grantplan's client read such a URL differently). \
         {UNENCODED_URL_ADVICE}"
    )]
    SlashBeforeAt,
    /// `--iam` without the cluster to ask.
    #[error(
        "an IAM login needs the cluster's identifier or the Serverless workgroup's name: pass \
         --cluster-id ID or --workgroup NAME, or write cluster_identifier=ID or \
         serverless_work_group=NAME in the database URL"
    )]
    IamNoCluster,
    /// `--db-groups` or `--auto-create` with a workgroup.
    #[error(
        "--db-groups and --auto-create are GetClusterCredentials' (a provisioned cluster's): \
         a Serverless workgroup's GetCredentials takes the groups from the AWS identity's \
         RedshiftDbGroups tag and creates the user itself"
    )]
    IamClusterOnly,
    /// Both a cluster and a workgroup.
    #[error(
        "an IAM login goes to a provisioned cluster or to a Serverless workgroup, not both: \
         give --cluster-id or --workgroup"
    )]
    IamBoth,
    /// An IAM login's setting (cluster, workgroup, region, groups) without `--iam`.
    #[error(
        "an IAM login setting (cluster, workgroup, region, db groups or auto-create) was given \
         but no IAM login was asked for: pass --iam (or write iam=true in the database URL) \
         to log in with temporary credentials, or remove the setting"
    )]
    IamNotAsked,
    /// A host decoded from `%40` holds an `@`.
    #[error(
        "the database URL's host contains `@`: write an `@` in the user name or password as \
         %40 (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
    )]
    AtInHost,
    #[error(
        "{} is not a list of numeric IP addresses (hostaddr takes IP addresses; a host name \
         goes in host)",
        named("hostaddr", *.origin)
    )]
    Hostaddr { origin: Origin },
    #[error(
        "the database settings name {hosts} host(s) and {addrs} hostaddr value(s): give one \
         address per host, as libpq requires"
    )]
    HostaddrCount { hosts: usize, addrs: usize },
    /// A port that is not a number from 1 to 65535. `value`: the list as written, kept
    /// only when it came from a variable.
    #[error("{} is not a port number from 1 to 65535", port_named(.value.as_deref(), *.origin))]
    Port {
        origin: Origin,
        value: Option<String>,
    },
    /// `listed` ports for `hosts` hosts: neither one nor one per host.
    #[error(
        "{} lists {listed} ports for {hosts} host(s): give one port for all hosts, or one \
         per host, as libpq requires",
        port_named(.value.as_deref(), *.origin)
    )]
    PortCount {
        origin: Origin,
        value: Option<String>,
        listed: usize,
        hosts: usize,
    },
    #[error(
        "no user name: put one in the URL (postgres://USER@HOST/DB) or set PGUSER (the \
         operating system's user name, libpq's default, could not be read)"
    )]
    NoUser,
    /// A keyword that takes one of a few words.
    #[error("{} must be one of {}", named(.keyword, *.origin), .choices.join(", "))]
    Choice {
        keyword: &'static str,
        origin: Origin,
        choices: &'static [&'static str],
    },
    /// `keepalives` and the like.
    #[error("{keyword} in the database URL is not a whole number")]
    NotWholeNumber { keyword: &'static str },
    #[error(
        "connect timeout `{value}` ({origin}) is not a whole number of seconds; 0 waits as \
         long as it takes"
    )]
    ConnectTimeout { value: String, origin: Origin },
    #[error(
        "{}{error}",
        match .origin {
            Origin::Env(var) => format!("{var}: "),
            _ => "the database URL's sslmode: ".to_string(),
        }
    )]
    SslMode {
        origin: Origin,
        error: tls::SslModeError,
    },
}

/// `the port in the database URL` / `the port `5432x` (from $PGPORT)`.
fn port_named(value: Option<&str>, origin: Origin) -> String {
    match (origin, value) {
        (Origin::Url(_), _) | (_, None) => named("the port", origin),
        (origin, Some(list)) => format!("the port `{list}` ({origin})"),
    }
}

/// A parameter's value and where it came from, libpq's way: the value the connection
/// string gives (even empty: given empty, it means the default), else its variable.
///
/// An empty variable counts as unset. For the parameters that name the server, the
/// login and the database this is libpq's behaviour too (empty means the default there
/// as well); for `PGSSLMODE`, `PGCONNECT_TIMEOUT` and the other enumerations, where
/// libpq refuses an empty value, grantplan ignores it (an exported but empty variable
/// in a CI job should not stop it).
fn pick(
    given: &crate::conninfo::Given,
    keyword: &'static str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Origin)> {
    if let Some(v) = given.get(keyword) {
        return Some((v.to_string(), Origin::Url(keyword)));
    }
    let var = crate::conninfo::KEYWORDS
        .iter()
        .find(|k| k.name == keyword)?
        .env?;
    env(var)
        .filter(|v| !v.is_empty())
        .map(|v| (v, Origin::Env(var)))
}

/// [`pick`], with an empty value taken as not given (the parameter's default).
fn pick_nonempty(
    given: &crate::conninfo::Given,
    keyword: &'static str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Origin)> {
    pick(given, keyword, env).filter(|(v, _)| !v.is_empty())
}

/// Where libpq connects when no host is given: a Unix socket in the directory its build
/// names (`DEFAULT_PGSOCKET_DIR`). That is `/var/run/postgresql` in the PostgreSQL
/// packages of Debian, Ubuntu, Fedora and Red Hat, and `/tmp` in PostgreSQL's own
/// build. grantplan has no build of libpq to ask, so it takes the first when that
/// directory exists and the second otherwise.
pub fn default_socket_dir() -> std::path::PathBuf {
    let packaged = Path::new("/var/run/postgresql");
    if packaged.is_dir() {
        packaged.to_path_buf()
    } else {
        PathBuf::from("/tmp")
    }
}

/// The name of the operating system user this process runs as (the effective user's
/// entry in the password database), libpq's default user name. Not `$USER`: libpq
/// ignores it, and psql with `USER=someone` still logs in as the real user.
pub fn os_user() -> Option<String> {
    #[cfg(unix)]
    {
        // getpwuid_r(geteuid()), the entry's pw_name, as libpq's pg_fe_getauthname.
        whoami::username().ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `the port (from $PGPORT)` / `the port in the database URL`, for messages.
fn named(what: &str, origin: Origin) -> String {
    match origin {
        Origin::Url(_) => format!("{what} in the database URL"),
        origin => format!("{what} ({origin})"),
    }
}

/// The tokio-postgres settings of a connection string and the environment, and where the
/// password came from (the URL or `PGPASSWORD`), if any: libpq's rules, parameter by
/// parameter.
fn resolve_given(
    given: &crate::conninfo::Given,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, Option<PasswordSource>), SettingsError> {
    let mut config = Config::new();
    // Hosts: a comma-separated list; an empty entry, or no host at all, is the default
    // Unix socket directory; an entry starting with `/` is a socket directory. With
    // `hostaddr`, the host names are only names (for TLS and the password file).
    let addrs = match pick_nonempty(given, "hostaddr", env) {
        Some((list, origin)) => list
            .split(',')
            .map(|a| {
                a.trim()
                    .parse::<std::net::IpAddr>()
                    .map_err(|_| SettingsError::Hostaddr { origin })
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let hosts: Vec<String> = match pick_nonempty(given, "host", env) {
        Some((list, _)) => list.split(',').map(str::to_string).collect(),
        None if addrs.is_empty() => vec![String::new()],
        None => Vec::new(),
    };
    if !addrs.is_empty() && !hosts.is_empty() && addrs.len() != hosts.len() {
        return Err(SettingsError::HostaddrCount {
            hosts: hosts.len(),
            addrs: addrs.len(),
        });
    }
    for host in &hosts {
        if host.is_empty() {
            config.host_path(default_socket_dir());
        } else if host.starts_with('/') {
            config.host_path(host);
        } else if host.contains('@') {
            // A host name never contains `@`; one decoded from `%40` in the host part is
            // refused without repeating it, like the raw ones in refuse_unencoded_at.
            return Err(SettingsError::AtInHost);
        } else {
            config.host(host);
        }
    }
    for addr in &addrs {
        config.hostaddr(*addr);
    }
    let count = hosts.len().max(addrs.len());
    if let Some((list, origin)) = pick_nonempty(given, "port", env) {
        // The value is kept only when it comes from a variable: in a URL, what stands
        // where the port goes may be a password (`postgres://user:secret` without `@`).
        let value = match origin {
            Origin::Url(_) => None,
            _ => Some(list.clone()),
        };
        let ports: Vec<u16> =
            list.split(',')
                .map(|p| match p.trim() {
                    "" => Ok(5432),
                    p => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                        SettingsError::Port {
                            origin,
                            value: value.clone(),
                        }
                    }),
                })
                .collect::<Result<_, _>>()?;
        if ports.len() != 1 && ports.len() != count {
            return Err(SettingsError::PortCount {
                origin,
                value,
                listed: ports.len(),
                hosts: count,
            });
        }
        for port in ports {
            config.port(port);
        }
    }
    let user = match pick_nonempty(given, "user", env) {
        Some((user, _)) => user,
        None => os_user().ok_or(SettingsError::NoUser)?,
    };
    config.user(&user);
    let mut password = None;
    if let Some((pw, origin)) = pick_nonempty(given, "password", env) {
        config.password(pw);
        password = Some(match origin {
            Origin::Url(_) => PasswordSource::Url,
            _ => PasswordSource::Env,
        });
    }
    let dbname = pick_nonempty(given, "dbname", env).map_or(user, |(d, _)| d);
    config.dbname(dbname);
    if let Some((options, _)) = pick_nonempty(given, "options", env) {
        config.options(options);
    }
    // `grantplan` is the fallback, as `psql` is psql's: the user's own name wins.
    let application_name = pick_nonempty(given, "application_name", env)
        .map(|(a, _)| a)
        .or_else(|| {
            given
                .get("fallback_application_name")
                .filter(|a| !a.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "grantplan".to_string());
    config.application_name(application_name);
    use tokio_postgres::config::{
        ChannelBinding, LoadBalanceHosts, SslNegotiation, TargetSessionAttrs,
    };
    let choice = |keyword: &'static str,
                  choices: &'static [&'static str]|
     -> Result<Option<usize>, SettingsError> {
        match pick_nonempty(given, keyword, env) {
            Some((v, origin)) => {
                choices
                    .iter()
                    .position(|c| *c == v)
                    .map(Some)
                    .ok_or(SettingsError::Choice {
                        keyword,
                        origin,
                        choices,
                    })
            }
            None => Ok(None),
        }
    };
    if let Some(i) = choice("target_session_attrs", &["any", "read-write", "read-only"])? {
        config.target_session_attrs(
            [
                TargetSessionAttrs::Any,
                TargetSessionAttrs::ReadWrite,
                TargetSessionAttrs::ReadOnly,
            ][i],
        );
    }
    if let Some(i) = choice("channel_binding", &["disable", "prefer", "require"])? {
        config.channel_binding(
            [
                ChannelBinding::Disable,
                ChannelBinding::Prefer,
                ChannelBinding::Require,
            ][i],
        );
    }
    if let Some(i) = choice("load_balance_hosts", &["disable", "random"])? {
        config.load_balance_hosts([LoadBalanceHosts::Disable, LoadBalanceHosts::Random][i]);
    }
    if let Some(i) = choice("sslnegotiation", &["postgres", "direct"])? {
        config.ssl_negotiation([SslNegotiation::Postgres, SslNegotiation::Direct][i]);
    }
    let seconds = |keyword: &'static str| -> Result<Option<i64>, SettingsError> {
        match given.get(keyword).filter(|v| !v.is_empty()) {
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| SettingsError::NotWholeNumber { keyword }),
            None => Ok(None),
        }
    };
    if let Some(on) = seconds("keepalives")? {
        config.keepalives(on != 0);
    }
    if let Some(s) = seconds("keepalives_idle")?.filter(|s| *s > 0) {
        config.keepalives_idle(Duration::from_secs(s.unsigned_abs()));
    }
    if let Some(s) = seconds("keepalives_interval")?.filter(|s| *s > 0) {
        config.keepalives_interval(Duration::from_secs(s.unsigned_abs()));
    }
    if let Some(n) = seconds("keepalives_count")? {
        config.keepalives_retries(u32::try_from(n.max(0)).unwrap_or(u32::MAX));
    }
    // Milliseconds, as libpq reads it (tokio-postgres' own reader took seconds).
    if let Some(ms) = seconds("tcp_user_timeout")?.filter(|ms| *ms > 0) {
        config.tcp_user_timeout(Duration::from_millis(ms.unsigned_abs()));
    }
    Ok((config, password))
}

/// Refuses a `postgres://` URL whose user name, password or database name holds an `@`
/// (or whose credentials hold a `/`) that is not percent-encoded, before anything reads
/// it, and says so without repeating any of it.
///
/// Why: tokio-postgres and libpq end the credentials at the first `@`. With
/// `postgres://u:pa@x/S3cr3tQ@127.0.0.1:56700/pf` the password is `pa`, the host `x` and
/// `S3cr3tQ@127.0.0.1:56700/pf`, the real password's tail, the database name: `x` would
/// be looked up and sent `pa`, and every message naming the server (`u@x:5432/...`)
/// would show the rest. The two readers also part ways on a `/` before the `@`: libpq
/// ends the host there (so the `@` is in the database name), tokio-postgres takes it for
/// part of the password. Either way what the URL means is not what was meant, so it is
/// not used at all.
///
/// What counts: the text after the scheme up to the parameters (which start at the first
/// `?` after the first `@`, where tokio-postgres starts them; an `@` in a parameter value
/// stays allowed) must hold at most one `@`, with no `/` before it. Percent-encoded
/// (`%40`, `%2F`), everything works as before. A `key=value` string is quoted, not
/// split at `@`, and is left alone.
fn refuse_unencoded_at(url: &str) -> Result<(), SettingsError> {
    let Some(rest) = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|p| url.strip_prefix(p))
    else {
        return Ok(());
    };
    let Some(first_at) = rest.find('@') else {
        return Ok(());
    };
    let params = rest[first_at..]
        .find('?')
        .map_or(rest.len(), |q| first_at + q);
    if rest[..params].matches('@').count() > 1 {
        return Err(SettingsError::SeveralAts);
    }
    if rest[..first_at].contains('/') {
        return Err(SettingsError::SlashBeforeAt);
    }
    Ok(())
}

/// The end of [`refuse_unencoded_at`]'s messages.
const UNENCODED_URL_ADVICE: &str = "The URL was not used: no host was looked up or \
     connected to. Percent-encode the user name, password and database name \
     (postgres://USER:PASSWORD@HOST:PORT/DATABASE, `@` as %40, `/` as %2F, `:` as %3A), \
     or put the password in $PGPASSWORD or the password file instead";

/// Where the password came from, for messages (never the password itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Url,
    Env,
    /// A temporary password from the IAM login's API for `endpoint`.
    Iam {
        endpoint: crate::iam_login::Endpoint,
    },
    /// The password file, and the line that matched.
    File {
        path: PathBuf,
        line: usize,
    },
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::Url => f.write_str("from the database URL"),
            PasswordSource::Env => f.write_str("from $PGPASSWORD"),
            PasswordSource::Iam { endpoint } => write!(
                f,
                "a temporary password from {} for {endpoint} (IAM login)",
                endpoint.call()
            ),
            PasswordSource::File { path, line } => {
                write!(f, "from the password file {} line {line}", path.display())
            }
        }
    }
}

/// How long one connection attempt may take, from the first name lookup to the end of
/// authentication, per host named.
///
/// The default is 10 s: pgJDBC's default `connectTimeout`, enough for a TLS handshake
/// and a SCRAM exchange across regions many times over, and short enough that a CI job
/// pointed at a wrong or firewalled host fails before anyone wonders whether it hangs.
/// libpq waits forever by default; grantplan does not, because it runs unattended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTimeout {
    /// `None`: wait as long as it takes (`0` asked for it, as in libpq).
    pub limit: Option<Duration>,
    /// Where it was set; `None`: the default.
    pub origin: Option<Origin>,
}

/// See [`ConnectTimeout`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for ConnectTimeout {
    fn default() -> Self {
        ConnectTimeout {
            limit: Some(DEFAULT_CONNECT_TIMEOUT),
            origin: None,
        }
    }
}

impl ConnectTimeout {
    /// A number of seconds as libpq reads `connect_timeout`: a whole number, where zero
    /// or less means no limit. (libpq also raises 1 to 2 s; grantplan takes 1 as 1.)
    fn parse(value: &str, origin: Origin) -> Result<Self, SettingsError> {
        let secs: i64 = value
            .trim()
            .parse()
            .map_err(|_| SettingsError::ConnectTimeout {
                value: value.to_string(),
                origin,
            })?;
        Ok(ConnectTimeout {
            limit: u64::try_from(secs)
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs),
            origin: Some(origin),
        })
    }

    /// `10 s, the default` or `5 s, from --connect-timeout`, for messages.
    fn describe(&self) -> String {
        let limit = match self.limit {
            Some(d) if d.subsec_nanos() == 0 => format!("{} s", d.as_secs()),
            Some(d) => format!("{} ms", d.as_millis()),
            None => "no limit".to_string(),
        };
        match self.origin {
            Some(origin) => format!("{limit}, {origin}"),
            None => format!("{limit}, the default"),
        }
    }
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
    /// libpq's default root CA file, `$HOME/.postgresql/root.crt`, which exists.
    DefaultFile,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(n) => write!(f, "from --{n}"),
            Origin::Url(k) => write!(f, "from `{k}` in the database URL"),
            Origin::Env(v) => write!(f, "from ${v}"),
            Origin::DefaultFile => write!(
                f,
                "libpq's default root certificate file, used because it exists"
            ),
        }
    }
}

/// The connection flags of the command line (they beat the URL and the environment).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectFlags<'a> {
    pub sslmode: Option<SslMode>,
    /// `--ca-file PEM`, or `--ca-file system` for the system's trust store.
    pub ca_file: Option<&'a Path>,
    /// `--connect-timeout`; zero waits as long as it takes.
    pub connect_timeout: Option<Duration>,
    /// `--iam`: log in with temporary credentials from GetClusterCredentials.
    pub iam: bool,
    /// `--cluster-id` or `--workgroup`, `--region`, `--db-groups` (comma-separated),
    /// `--auto-create`.
    pub cluster_id: Option<&'a str>,
    pub workgroup: Option<&'a str>,
    pub region: Option<&'a str>,
    pub db_groups: Option<&'a str>,
    pub auto_create: bool,
}

/// TLS settings as they were given. The mode is resolved at [`connect`], because its
/// default depends on the expected kind of server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// The mode that was set, and where; `None` when nothing set one.
    pub mode: Option<(SslMode, Origin)>,
    /// The roots that were named, and where; else libpq's default root CA file when it
    /// exists ([`Origin::DefaultFile`]); `None`: no roots, so nothing can be verified.
    pub roots: Option<(Roots, Origin)>,
    /// Where libpq's default root CA file is looked for (`$HOME/.postgresql/root.crt`),
    /// whether or not it exists; `None` without `$HOME`. Named when a verifying mode is
    /// refused for want of roots, as libpq names it.
    pub default_root_file: Option<PathBuf>,
}

/// Everything needed to connect: tokio-postgres's settings (without the parameters it
/// cannot parse) and grantplan's own.
///
/// `Debug` shows no password: tokio-postgres' `Config` prints it redacted, and the
/// other fields hold none.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub tls: TlsSettings,
    pub connect_timeout: ConnectTimeout,
    /// Where the password came from; `None`: no password was given.
    pub password: Option<PasswordSource>,
    /// An IAM login: the password is asked of Redshift when connecting.
    pub iam: Option<crate::iam_login::IamLogin>,
    /// Things to tell the user that do not stop the connection: a password file that was
    /// not used, and why. Typed, so a caller can tell which; shown as their `Display`.
    pub warnings: Vec<crate::pgpass::Unused>,
}

/// The settings as libpq resolves them, plus what tokio-postgres does not do: `sslmode`, `sslrootcert` and
/// `connect_timeout`, each from the strongest source (the flag, the connection string,
/// its variable), and the password from the password file (`passfile=`, else
/// `$PGPASSFILE`, else `~/.pgpass`) when neither the string nor `PGPASSWORD` gave one.
///
/// Errors never repeat the URL, which may hold a password.
pub fn settings(
    url: &str,
    flags: &ConnectFlags<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, SettingsError> {
    refuse_unencoded_at(url)?;
    let given = crate::conninfo::parse(url)?;
    let (mut config, mut password) = resolve_given(&given, env)?;
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    let mut warnings = Vec::new();
    if password.is_none() {
        let file = match pick_nonempty(&given, "passfile", env) {
            Some((p, _)) => Some(PathBuf::from(p)),
            None => crate::pgpass::path(env),
        };
        if let Some(file) = file {
            let mut addr = String::new();
            let found = crate::pgpass::lookup(&file, &pgpass_target(&config, &mut addr));
            match found {
                Ok(Some(found)) => {
                    config.password(found.password);
                    password = Some(PasswordSource::File {
                        path: found.path,
                        line: found.line,
                    });
                }
                Ok(None) => {}
                Err(warning) => warnings.push(warning),
            }
        }
    }
    let iam = iam_login(&given, flags)?;
    if let Some(login) = &iam {
        // The password is Redshift's to give: any other is not used.
        password = Some(PasswordSource::Iam {
            endpoint: login.endpoint.clone(),
        });
    }
    let connect_timeout = if let Some(limit) = flags.connect_timeout {
        ConnectTimeout {
            limit: Some(limit).filter(|l| !l.is_zero()),
            origin: Some(Origin::Flag("connect-timeout")),
        }
    } else if let Some((v, origin)) = pick(&given, "connect_timeout", env) {
        ConnectTimeout::parse(&v, origin)?
    } else {
        ConnectTimeout::default()
    };
    if let Some(limit) = connect_timeout.limit {
        // tokio-postgres bounds each TCP handshake with it, so that with several hosts
        // (or addresses) a silent one does not use up the whole budget; [`connect`]
        // bounds the rest of the start-up.
        config.connect_timeout(limit);
    }
    let mode = if let Some(m) = flags.sslmode {
        Some((m, Origin::Flag("sslmode")))
    } else if let Some((v, origin)) = pick(&given, "sslmode", env) {
        let m = v
            .parse()
            .map_err(|error| SettingsError::SslMode { origin, error })?;
        Some((m, origin))
    } else {
        None
    };
    // `sslrootcert=` written empty names no file, and keeps $PGSSLROOTCERT out, as in
    // libpq: the default file is looked for instead.
    let named = if let Some(p) = flags.ca_file {
        Some((Roots::from_setting(p), Origin::Flag("ca-file")))
    } else {
        pick_nonempty(&given, "sslrootcert", env)
            .map(|(p, origin)| (Roots::from_setting(Path::new(&p)), origin))
    };
    // libpq's default, looked for only when nothing was named. Its mere existence
    // matters (libpq stat()s it): a file that exists but cannot be read is an error when
    // a mode verifies with it, not a reason to connect unverified.
    let default_root_file = get("HOME").map(|h| Path::new(&h).join(tls::DEFAULT_ROOT_CERT));
    let roots = named.or_else(|| {
        default_root_file
            .as_ref()
            .filter(|p| p.exists())
            .map(|p| (Roots::File(p.clone()), Origin::DefaultFile))
    });
    Ok(Settings {
        config,
        tls: TlsSettings {
            mode,
            roots,
            default_root_file,
        },
        connect_timeout,
        password,
        iam,
        warnings,
    })
}

/// The IAM login the flags or the connection string ask for (`--iam`, `iam=true`), with
/// its cluster, region, groups and auto-create; the flag beats the string.
fn iam_login(
    given: &crate::conninfo::Given,
    flags: &ConnectFlags<'_>,
) -> Result<Option<crate::iam_login::IamLogin>, SettingsError> {
    let truthy = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on");
    let wanted = flags.iam || given.get("iam").is_some_and(truthy);
    if !wanted {
        let iam_only = [
            "cluster_identifier",
            "serverless_work_group",
            "region",
            "db_groups",
        ];
        if iam_only.iter().any(|k| given.get(k).is_some())
            || given.get("auto_create").is_some_and(truthy)
            || flags.cluster_id.is_some()
            || flags.workgroup.is_some()
            || flags.region.is_some()
            || flags.db_groups.is_some()
            || flags.auto_create
        {
            return Err(SettingsError::IamNotAsked);
        }
        return Ok(None);
    }
    let pick = |flag: Option<&str>, key: &str| {
        flag.map(str::to_string)
            .or_else(|| given.get(key).map(str::to_string))
            .filter(|v| !v.is_empty())
    };
    let endpoint = match (
        pick(flags.cluster_id, "cluster_identifier"),
        pick(flags.workgroup, "serverless_work_group"),
    ) {
        (Some(c), None) => crate::iam_login::Endpoint::Cluster(c),
        (None, Some(w)) => crate::iam_login::Endpoint::Workgroup(w),
        (None, None) => return Err(SettingsError::IamNoCluster),
        (Some(_), Some(_)) => return Err(SettingsError::IamBoth),
    };
    let db_groups: Vec<String> = pick(flags.db_groups, "db_groups")
        .map(|g| {
            g.split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let auto_create = flags.auto_create || given.get("auto_create").is_some_and(truthy);
    if matches!(endpoint, crate::iam_login::Endpoint::Workgroup(_))
        && (auto_create || !db_groups.is_empty())
    {
        return Err(SettingsError::IamClusterOnly);
    }
    Ok(Some(crate::iam_login::IamLogin {
        endpoint,
        region: pick(flags.region, "region"),
        db_groups,
        auto_create,
    }))
}

/// What a password file line is matched against, as libpq matches it: the first host
/// (tokio-postgres holds one password for all), a Unix socket in a default directory
/// as `localhost`, the address when only `hostaddr` was given (held in `addr`), the
/// database defaulting to the user name.
fn pgpass_target<'a>(config: &'a Config, addr: &'a mut String) -> crate::pgpass::Target<'a> {
    let user = config.get_user().unwrap_or("");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.as_str(),
        Some(Host::Unix(p)) => match p.to_str() {
            Some("/tmp" | "/var/run/postgresql" | "/run/postgresql") | None => "localhost",
            Some(dir) => dir,
        },
        None => match config.get_hostaddrs().first() {
            Some(a) => {
                *addr = a.to_string();
                addr.as_str()
            }
            None => "localhost",
        },
    };
    crate::pgpass::Target {
        host,
        port: config.get_ports().first().copied().unwrap_or(5432),
        database: config.get_dbname().unwrap_or(user),
        user,
    }
}

/// `%XX`-decoding as tokio-postgres does it; `None` when the result is not UTF-8 (the
/// one caller, [`passwords_in`], then keeps the text as written only).
fn percent_decode(s: &str) -> Option<String> {
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
    String::from_utf8(out).ok()
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

/// The passwords a piece of text may carry, as written and as decoded: the
/// `user:PASSWORD@` part of each `postgres://` URL in it, both up to the first `@`
/// (where tokio-postgres and libpq end it) and up to the URL's last `@` (where the user
/// meant it to end, when the password holds an unencoded `@`), and the value of each
/// `password=` of a `key=value` string. For masking text that repeats what the user
/// typed.
pub fn passwords_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for prefix in ["postgres://", "postgresql://"] {
        for (at, _) in text.match_indices(prefix) {
            let rest = &text[at + prefix.len()..];
            let Some(first) = rest.find('@') else {
                continue;
            };
            for end in [first, last_at_in_url(rest).unwrap_or(first)] {
                if let Some((_, written)) = rest[..end].split_once(':') {
                    found.push(written.to_string());
                    if let Some(decoded) = percent_decode(written) {
                        found.push(decoded);
                    }
                }
            }
        }
    }
    // `key=value` form: what tokio-postgres would read as the password, and, in case the
    // string does not tokenise, everything up to the next space after `password=`.
    for (range, key, value) in keyword_params(text).unwrap_or_default() {
        if key == "password" {
            found.push(value);
            let written = text[range].split_once('=').map_or("", |(_, v)| v);
            found.push(written.trim_start().to_string());
        }
    }
    for (at, _) in text.match_indices("password") {
        let rest = text[at + "password".len()..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            let end = value.find(char::is_whitespace).unwrap_or(value.len());
            found.push(value[..end].to_string());
            found.push(value[..end].trim_matches('\'').to_string());
        }
    }
    found.retain(|p| !p.is_empty());
    found
}

/// `text` with the passwords of `sources` ([`passwords_in`]) replaced by `***`, for
/// messages that repeat what the user typed (clap's). Masking is by position where the
/// text shows a password's place (a URL's `user:PASSWORD@`, a `password=VALUE`), each
/// source first where it appears whole, then the text itself; a password of 4 or more
/// characters is also masked wherever else it appears. (Masking every `e` of a
/// one-letter password would leave nothing readable; a short one is masked wherever it
/// stands as a password.)
pub fn redact(text: &str, sources: &[String]) -> String {
    let mut passwords: Vec<String> = sources.iter().flat_map(|s| passwords_in(s)).collect();
    passwords.sort_by_key(|p| std::cmp::Reverse(p.len()));
    passwords.dedup();
    let mask = |t: &str| {
        // Whole passwords first: a quoted one may hold spaces, where masking by
        // position stops.
        let mut t = t.to_string();
        for p in passwords.iter().filter(|p| p.chars().count() >= 4) {
            t = t.replace(p.as_str(), "***");
        }
        mask_in_place(&t)
    };
    let mut out = text.to_string();
    for source in sources {
        if !passwords_in(source).is_empty() {
            out = out.replace(source.as_str(), &mask(source));
        }
    }
    mask(&out)
}

/// The last `@` of the URL that `rest` (what follows `postgres://`) starts with, the
/// URL ending at the first whitespace: how far a password with unencoded `@` reaches.
fn last_at_in_url(rest: &str) -> Option<usize> {
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    rest[..end].rfind('@')
}

/// Masks the `PASSWORD` of every `postgres://USER:PASSWORD@` (up to the URL's last `@`,
/// which covers a password with an unencoded `@`) and the value of every
/// `password=VALUE` (up to the next space) where it stands.
fn mask_in_place(text: &str) -> String {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    for prefix in ["postgres://", "postgresql://"] {
        for (at, _) in text.match_indices(prefix) {
            let start = at + prefix.len();
            let Some(end) = last_at_in_url(&text[start..])
                .or_else(|| text[start..].find('@'))
                .map(|e| start + e)
            else {
                continue;
            };
            if let Some(colon) = text[start..end].find(':') {
                spans.push(start + colon + 1..end);
            }
        }
    }
    for (at, _) in text.match_indices("password") {
        let after = at + "password".len();
        let rest = &text[after..];
        let value_at = rest.len() - rest.trim_start().len();
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let skip = value.len() - value.trim_start().len();
        let start = after + value_at + 1 + skip;
        let end = text[start..]
            .find(char::is_whitespace)
            .map_or(text.len(), |e| start + e);
        spans.push(start..end);
    }
    spans.retain(|r| !r.is_empty());
    spans.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in spans {
        if r.start < last {
            continue;
        }
        out.push_str(&text[last..r.start]);
        out.push_str("***");
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

/// `user@host:port/database`, for output: the password is never shown.
pub fn describe_target(config: &Config) -> String {
    let user = config.get_user().unwrap_or("?");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => match config.get_hostaddrs().first() {
            Some(addr) => addr.to_string(),
            None => "localhost".to_string(),
        },
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
    /// How the server's certificate was checked, and against which roots from where
    /// (`sslmode verify-ca: certificate chain checked against the CA file ... (libpq's
    /// default ...)`), for doctor: with `~/.postgresql/root.crt` read as libpq reads it,
    /// what verified a connection is not always what was typed.
    pub certificate_check: String,
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
pub async fn connect(
    settings: &Settings,
    expected: Option<Target>,
) -> Result<Session, ConnectError> {
    connect_detailed(settings, expected).await
}

/// Why [`connect_detailed`] failed. Its `Display` is the message the CLI prints; which
/// variant it is says whether TLS is what failed ([`ConnectError::is_tls`]), for callers
/// that add advice of their own to a TLS failure.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The TLS settings were refused before anything was sent.
    #[error(transparent)]
    TlsMode(#[from] TlsModeError),
    /// TLS could not be set up (the roots could not be read, say); `origin`: where the
    /// roots were named, when they were. (Boxed, like [`ConnectError::Failed`]'s
    /// attempt: errors travel by value through every `Result`, so they stay small.)
    #[error("{error}{}", .origin.map(|o| format!(" ({o})")).unwrap_or_default())]
    TlsSetup {
        error: Box<tls::Error>,
        origin: Option<Origin>,
    },
    /// No answer within the connect timeout.
    #[error("cannot connect to {server}: {}", timed_out(.timeout))]
    TimedOut {
        server: String,
        timeout: ConnectTimeout,
    },
    /// The attempt failed, explained ([`explain_connect_error`]); `tls`: the server
    /// declined TLS, or the handshake or the certificate check failed.
    #[error("{attempt}")]
    Failed { attempt: Box<Attempt>, tls: bool },
    /// Connected, but the server did not say its version.
    #[error("cannot ask {server} for its version: {error}")]
    Version { server: String, error: String },
    /// No sslmode was set and a Redshift server declined TLS.
    /// The IAM login's credentials could not be had (nothing was sent to the database).
    #[error("{0}\n  help: {help}", help = .0.help())]
    Iam(Box<crate::iam_login::IamError>),
    #[error(
        "{server} is a Redshift server ({evidence}) but the connection is not encrypted: the \
         server declined TLS, and TLS is required for Redshift unless you say otherwise; \
         nothing was read or changed. To connect without TLS anyway, pass --sslmode disable"
    )]
    RedshiftUnencrypted { server: String, evidence: String },
}

/// Why a connection attempt failed, as [`explain_connect_error`] reads tokio-postgres'
/// error: what went wrong, and what to do. Its `Display` is the message the CLI prints,
/// `cannot connect to {server}: ` and then [`Attempt::reason`]. `server` is the server as
/// [`describe_target`] names it (never with a password); `text` is the error as
/// [`describe_error`] renders it.
#[derive(Debug)]
pub enum Attempt {
    /// tokio-postgres' own bound on the TCP handshake fired: the connect timeout.
    TimedOut {
        server: String,
        timeout: ConnectTimeout,
    },
    Refused {
        server: String,
    },
    /// The host name does not resolve; `reason` is the resolver's last word.
    UnknownHost {
        server: String,
        host: String,
        reason: String,
    },
    /// The server asked for an authentication method tokio-postgres does not speak
    /// ([`explain_auth_method`]); `code`, when the error carries it.
    AuthMethod {
        server: String,
        code: Option<i32>,
    },
    /// The server declined TLS, which `mode` (the mode used, described) requires.
    NoTls {
        server: String,
        mode: String,
    },
    /// The TLS handshake failed with rustls' `error`; `advice`: what to change.
    Handshake {
        server: String,
        mode: String,
        error: rustls::Error,
        advice: String,
    },
    /// The server refused the password (28P01); `password`: where it came from.
    BadPassword {
        server: String,
        text: String,
        password: Option<PasswordSource>,
    },
    NoPassword {
        server: String,
    },
    /// The other end closed the connection during start-up: not a PostgreSQL server?
    HungUp {
        server: String,
        text: String,
    },
    /// Anything else, as tokio-postgres says it.
    Other {
        server: String,
        text: String,
    },
}

impl Attempt {
    /// The server the attempt was made to.
    pub fn server(&self) -> &str {
        match self {
            Attempt::TimedOut { server, .. }
            | Attempt::Refused { server }
            | Attempt::UnknownHost { server, .. }
            | Attempt::AuthMethod { server, .. }
            | Attempt::NoTls { server, .. }
            | Attempt::Handshake { server, .. }
            | Attempt::BadPassword { server, .. }
            | Attempt::NoPassword { server }
            | Attempt::HungUp { server, .. }
            | Attempt::Other { server, .. } => server,
        }
    }

    /// What went wrong and what to do, without the server: for a caller that names the
    /// server itself (doctor says it once, on a line of its own).
    pub fn reason(&self) -> String {
        match self {
            Attempt::TimedOut { timeout, .. } => timed_out(timeout),
            Attempt::Refused { .. } => String::from(
                "connection refused: nothing accepts connections on that host and port; is the \
                 server running, and are the host and port right?",
            ),
            Attempt::UnknownHost { host, reason, .. } => format!(
                "the host name `{host}` cannot be resolved ({reason}); check its spelling, and \
                 the DNS or VPN needed to reach it"
            ),
            Attempt::AuthMethod { code, .. } => explain_auth_method(*code),
            Attempt::NoTls { mode, .. } => format!(
                "the server does not support TLS (it declined the TLS request), and {mode} \
                 requires TLS. Pass --sslmode prefer or --sslmode disable to connect without it"
            ),
            Attempt::Handshake {
                mode,
                error,
                advice,
                ..
            } => format!("TLS handshake failed ({mode}): {error}; {advice}"),
            Attempt::BadPassword { text, password, .. } => format!(
                "{text}\n  hint: check {}; IAM temporary credentials from \
                 get-cluster-credentials expire after 15-60 minutes",
                match password {
                    Some(source) => format!("the password ({source})"),
                    None => "the password".to_string(),
                }
            ),
            Attempt::NoPassword { .. } => String::from(
                "the server asked for a password and none was given: put it in the URL, set \
                 PGPASSWORD, or add a line for this server to the password file ($PGPASSFILE, \
                 else ~/.pgpass)",
            ),
            Attempt::HungUp { text, .. } => format!(
                "the other end closed the connection during start-up ({text}); is a PostgreSQL \
                 or Redshift server listening on that host and port?"
            ),
            Attempt::Other { text, .. } => text.clone(),
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to {}: {}", self.server(), self.reason())
    }
}

impl std::error::Error for Attempt {}

impl ConnectError {
    /// Whether TLS is what failed: the server declined it, the handshake or the
    /// certificate check failed, or the TLS settings were refused before connecting.
    pub fn is_tls(&self) -> bool {
        match self {
            ConnectError::TlsMode(_)
            | ConnectError::TlsSetup { .. }
            | ConnectError::RedshiftUnencrypted { .. } => true,
            ConnectError::Failed { tls, .. } => *tls,
            ConnectError::TimedOut { .. } | ConnectError::Version { .. } | ConnectError::Iam(_) => {
                false
            }
        }
    }

    /// What went wrong and what to do, without the `cannot connect to {server}: ` that
    /// opens the message of a failed attempt: for a caller that names the server itself
    /// (doctor). The messages that do not open so are whole.
    pub fn reason(&self) -> String {
        match self {
            ConnectError::TimedOut { timeout, .. } => timed_out(timeout),
            ConnectError::Failed { attempt, .. } => attempt.reason(),
            ConnectError::Iam(e) => format!("{e}\n  help: {}", e.help()),
            ConnectError::TlsMode(_)
            | ConnectError::TlsSetup { .. }
            | ConnectError::Version { .. }
            | ConnectError::RedshiftUnencrypted { .. } => self.to_string(),
        }
    }
}

/// Why [`open`] gave no session: the connection failed, or the server is of another kind
/// than the grants file's `target`.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The connection failed. `hint`: why a grants file without `target:` may be the
    /// cause (see [`OpenError::connect`]).
    #[error("{}{}", .error, hint_line(.hint.as_deref()))]
    Connect {
        error: ConnectError,
        hint: Option<String>,
    },
    /// The server is not of the kind the grants file names: nothing was read or changed.
    #[error("{} but {server} is a {found} server ({evidence}); nothing was read or changed. Set `target: {found}` in {file} if this is the right server, or connect to a {expected} server", if *.target_given { format!("{file} declares target `{expected}`") } else { format!("{file} has no `target:`, so its target is `{expected}` (the default),") })]
    OtherKind {
        /// The grants file, as its messages name it.
        file: String,
        /// Its target, and whether it says `target:` or takes the default.
        expected: Target,
        target_given: bool,
        /// The server, as [`describe_target`] names it.
        server: String,
        /// What the server is, and why grantplan thinks so ([`Session::evidence`]).
        found: Target,
        evidence: String,
    },
}

impl OpenError {
    /// A failed connection, with the reason a grants file without `target:` may be the
    /// cause: it is taken for Redshift, whose default sslmode `require` is what a
    /// PostgreSQL without TLS refuses first, before grantplan can see it is PostgreSQL.
    pub fn connect(error: ConnectError, expected: Option<&crate::config::Config>) -> Self {
        let hint = expected
            .and_then(crate::config::Config::default_target_hint)
            .filter(|_| error.is_tls());
        OpenError::Connect { error, hint }
    }

    /// [`ConnectError::reason`] with the hint, for a caller that names the server itself
    /// (doctor); a server of another kind, whole.
    pub fn reason(&self) -> String {
        match self {
            OpenError::Connect { error, hint } => {
                format!("{}{}", error.reason(), hint_line(hint.as_deref()))
            }
            OpenError::OtherKind { .. } => self.to_string(),
        }
    }
}

/// A hint on a line of its own, after a message; nothing when there is none.
fn hint_line(hint: Option<&str>) -> String {
    hint.map(|h| format!("\n  hint: {h}")).unwrap_or_default()
}

/// Connects, and refuses a server of another kind than the grants file's `target` before
/// reading or changing anything on it. The expected target also picks the TLS default
/// (`require` for Redshift).
pub async fn open(
    settings: &Settings,
    expected: Option<&crate::config::Config>,
) -> Result<Session, OpenError> {
    let session = connect_detailed(settings, expected.map(|c| c.target))
        .await
        .map_err(|e| OpenError::connect(e, expected))?;
    if let Some(config) = expected {
        if session.target != config.target {
            return Err(OpenError::OtherKind {
                file: config.file.clone(),
                expected: config.target,
                target_given: config.target_given,
                server: describe_target(&settings.config),
                found: session.target,
                evidence: session.evidence,
            });
        }
    }
    Ok(session)
}

/// Whether every host the settings name is a Unix socket, with no `hostaddr`: libpq
/// never uses TLS there (the server would decline it, and nothing crosses a network),
/// whatever sslmode says.
pub fn unix_socket_only(config: &Config) -> bool {
    config.get_hostaddrs().is_empty()
        && !config.get_hosts().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|h| matches!(h, Host::Unix(_)))
}

/// [`connect`], saying whether it failed on TLS ([`ConnectError`]).
pub async fn connect_detailed(
    settings: &Settings,
    expected: Option<Target>,
) -> Result<Session, ConnectError> {
    let asked = settings.tls.mode.map(|(m, _)| m);
    let socket = unix_socket_only(&settings.config);
    let mode = if socket {
        SslMode::Disable
    } else {
        tls_mode(settings, expected)?
    };
    let roots = settings.tls.roots.as_ref();
    let connector = tls::Connector::new(mode, roots.map(|(r, _)| r)).map_err(|error| {
        ConnectError::TlsSetup {
            error: Box::new(error),
            origin: roots.map(|(_, origin)| *origin),
        }
    })?;
    let mut config = settings.config.clone();
    config.ssl_mode(mode.for_tokio_postgres());
    if let Some(login) = &settings.iam {
        let user = config.get_user().unwrap_or_default().to_string();
        let dbname = config
            .get_dbname()
            .map_or_else(|| user.clone(), str::to_string);
        let temporary = crate::iam_login::temporary_user(login, &user, &dbname)
            .await
            .map_err(|e| ConnectError::Iam(Box::new(e)))?;
        config.user(&temporary.user);
        config.password(temporary.password.as_bytes());
    }
    let attempt = config.connect(connector.clone());
    let connected = match settings.connect_timeout.limit {
        // tokio-postgres tries the hosts one after the other: each gets the limit.
        Some(limit) => {
            let hosts = u32::try_from(config.get_hosts().len().max(1)).unwrap_or(u32::MAX);
            tokio::time::timeout(limit.saturating_mul(hosts), attempt)
                .await
                .map_err(|_| ConnectError::TimedOut {
                    server: describe_target(&settings.config),
                    timeout: settings.connect_timeout,
                })?
        }
        None => attempt.await,
    };
    let (client, connection) = connected.map_err(|e| ConnectError::Failed {
        attempt: Box::new(explain_connect_error(&e, settings, mode, expected)),
        tls: is_tls_failure(&e),
    })?;
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
        Some(
            server_version_text(&client)
                .await
                .map_err(|e| ConnectError::Version {
                    server: describe_target(&settings.config),
                    error: describe_error(&e),
                })?,
        )
    };
    let (target, evidence) = detect_target(padb_version.as_deref(), version.as_deref());
    if asked.is_none() && target == Target::Redshift && !encrypted {
        return Err(ConnectError::RedshiftUnencrypted {
            server: describe_target(&settings.config),
            evidence,
        });
    }
    let roots = tls::describe_roots(settings.tls.roots.as_ref());
    let certificate_check = match mode {
        _ if socket => {
            "over a Unix socket, where libpq uses no TLS whatever sslmode says".to_string()
        }
        SslMode::VerifyFull => format!(
            "{}: certificate and host name checked against {roots}",
            describe_mode(settings, mode, expected)
        ),
        SslMode::VerifyCa => format!(
            "{}: certificate chain checked against {roots}, host name not checked",
            describe_mode(settings, mode, expected)
        ),
        _ => format!(
            "{}: certificate not verified",
            describe_mode(settings, mode, expected)
        ),
    };
    Ok(Session {
        client,
        target,
        evidence,
        encrypted,
        certificate_check,
        tls: connector,
    })
}

/// The mode a connection uses ([`tls::effective_mode`]), or libpq's refusal, before
/// anything is sent:
/// - `sslrootcert=system` with any mode but `verify-full`: the system's store holds public
///   CAs, which issue a certificate for a host name to whoever controls it, so a check
///   that ignores the name proves nothing (libpq: `weak sslmode "..." may not be used with
///   sslrootcert=system`);
/// - `verify-ca` / `verify-full` with no roots at all (nothing named, and no
///   `~/.postgresql/root.crt`): libpq refuses this too (`root certificate file ... does not
///   exist`), rather than trust a list of CAs nobody chose.
pub fn tls_mode(settings: &Settings, expected: Option<Target>) -> Result<SslMode, TlsModeError> {
    let asked = settings.tls.mode;
    let roots = settings.tls.roots.as_ref();
    let mode = tls::effective_mode(asked.map(|(m, _)| m), roots.map(|(r, _)| r), expected);
    match (roots, asked) {
        (Some((Roots::System, roots_origin)), Some((asked, origin)))
            if mode != SslMode::VerifyFull =>
        {
            return Err(TlsModeError::WeakWithSystem {
                asked,
                origin,
                roots_origin: *roots_origin,
            })
        }
        _ => {}
    }
    if mode.verifies() && roots.is_none() {
        return Err(TlsModeError::NoRoots {
            mode,
            described: describe_mode(settings, mode, expected),
            default_root_file: settings.tls.default_root_file.clone(),
        });
    }
    Ok(mode)
}

/// Why [`tls_mode`] refuses the TLS settings before anything is sent (libpq refuses
/// both). Its `Display` is the message the CLI prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsModeError {
    /// `sslrootcert=system` with a mode that does not check the host name.
    #[error(
        "sslmode {asked} ({origin}) cannot be used with sslrootcert=system (the system's \
         trust store, {roots_origin}): anyone can get a certificate from a public CA for a \
         host name they control, so only verify-full, which checks the host name, proves \
         which server answers (libpq refuses this too). Use --sslmode verify-full, or name \
         the CA file that signed the server's certificate with --ca-file"
    )]
    WeakWithSystem {
        asked: SslMode,
        origin: Origin,
        roots_origin: Origin,
    },
    /// A verifying mode and no roots at all. `described`: the mode and why it is the
    /// one used (`sslmode verify-full (from --sslmode)`); `default_root_file`: libpq's
    /// default file, which does not exist (`None`: no `$HOME`).
    #[error(
        "{described} checks the server's certificate against CA certificates, and none \
         were given: {}; no connection was made. Pass --ca-file with the CA \
         certificate(s) that signed the server's certificate (for Redshift, AWS's \
         amazon-trust-ca-bundle.crt), or --ca-file system (sslrootcert=system) to use the \
         system's trust store with verify-full, or --sslmode require to encrypt without \
         verifying",
        match .default_root_file {
            Some(path) => format!(
                "the root certificate file {} (libpq's default) does not exist",
                path.display()
            ),
            None => "$HOME is not set, so there is no default root certificate file \
                     (~/.postgresql/root.crt)"
                .to_string(),
        }
    )]
    NoRoots {
        mode: SslMode,
        described: String,
        default_root_file: Option<PathBuf>,
    },
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

/// Whether a failed connection failed on TLS: the server declined it, or the handshake
/// (the certificate check among it) failed.
fn is_tls_failure(e: &tokio_postgres::Error) -> bool {
    let text = describe_error(e);
    tls::rustls_error(e).is_some()
        || text.contains("server does not support TLS")
        || text.contains("no hostname provided for TLS")
}

/// The connect timeout ran out: the host may be down, unreachable, or behind a firewall
/// that drops packets; or something accepted the connection and never answered.
fn timed_out(timeout: &ConnectTimeout) -> String {
    format!(
        "no answer within the connect timeout ({}): the host may be down or unreachable, a \
         firewall may drop the connection, or the server does not answer; check the host \
         and port, or allow longer with --connect-timeout (e.g. 30s)",
        timeout.describe()
    )
}

/// The operating system's error under a tokio-postgres error, if there is one.
fn io_error(e: &tokio_postgres::Error) -> Option<&std::io::Error> {
    let mut link = std::error::Error::source(e);
    while let Some(err) = link {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        link = err.source();
    }
    None
}

/// A failed connection explained: the network (refused, unknown host, closed during
/// start-up), authentication methods grantplan cannot use, TLS failures with what to
/// change, bad passwords; anything else as [`describe_error`]. One line, except for
/// hints after a server's error. Never shows the password or the URL.
fn explain_connect_error(
    e: &tokio_postgres::Error,
    settings: &Settings,
    mode: SslMode,
    expected: Option<Target>,
) -> Attempt {
    let server = describe_target(&settings.config);
    let text = describe_error(e);
    let io_kind = io_error(e).map(std::io::Error::kind);
    // tokio-postgres' own bound on the TCP handshake (set to the same limit) may fire
    // first: it is the same timeout.
    if io_kind == Some(std::io::ErrorKind::TimedOut) {
        return Attempt::TimedOut {
            server,
            timeout: settings.connect_timeout,
        };
    }
    if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        return Attempt::Refused { server };
    }
    if text.contains("failed to lookup address information") {
        let host = match settings.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.as_str(),
            _ => "",
        };
        return Attempt::UnknownHost {
            server,
            host: host.to_string(),
            reason: text.rsplit(": ").next().unwrap_or(&text).to_string(),
        };
    }
    if let Some(code) = unknown_auth_method(&text) {
        return Attempt::AuthMethod { server, code };
    }
    let mode_said = describe_mode(settings, mode, expected);
    if text.contains("server does not support TLS") {
        return Attempt::NoTls {
            server,
            mode: mode_said,
        };
    }
    if let Some(tls_error) = tls::rustls_error(e) {
        use rustls::CertificateError as C;
        let roots = tls::describe_roots(settings.tls.roots.as_ref());
        let system = matches!(settings.tls.roots, Some((Roots::System, _)));
        let what_to_do = match tls_error {
            rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
                // libpq's default file makes `require` verify as well: say so, or the
                // advice to use `require` would not help.
                let unverified = match &settings.tls.roots {
                    Some((Roots::File(path), Origin::DefaultFile)) => format!(
                        "--sslmode require verifies with {} too while it exists, as libpq \
                         does; only prefer does not",
                        path.display()
                    ),
                    _ => "to encrypt without verifying the certificate, use --sslmode \
                          require and no CA file"
                        .to_string(),
                };
                format!(
                    "the server's certificate is not signed by a CA in {roots}. Pass \
                     --ca-file with the CA certificate(s) that signed it (for Redshift, \
                     AWS's amazon-trust-ca-bundle.crt); {unverified}"
                )
            }
            e if tls::is_ca_used_as_end_entity(e) => format!(
                "the server's certificate is marked as a CA certificate, as a self-signed \
                 certificate made with `openssl req -x509` is, and it is not one of the \
                 certificates in {roots}. If the server's certificate is self-signed, pass \
                 that certificate itself as --ca-file; else pass the CA that signed it"
            ),
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) if system => format!(
                "connect with the host name the certificate was issued for (it was checked \
                 against {roots}, which allows verify-full only)"
            ),
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => "connect with the host name the certificate was issued for, or pass \
                  --sslmode verify-ca to verify the certificate chain but not the name"
                .to_string(),
            _ => format!("the certificate was checked against {roots}"),
        };
        return Attempt::Handshake {
            server,
            mode: mode_said,
            error: tls_error.clone(),
            advice: what_to_do,
        };
    }
    if e.as_db_error().map(|d| d.code().code()) == Some("28P01") {
        return Attempt::BadPassword {
            server,
            text,
            password: settings.password.clone(),
        };
    }
    if text.contains("password missing") {
        return Attempt::NoPassword { server };
    }
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, UnexpectedEof};
    let hung_up = matches!(
        io_kind,
        Some(ConnectionReset | ConnectionAborted | UnexpectedEof)
    ) || [
        "bytes remaining on stream",
        "unexpected EOF",
        "connection closed",
    ]
    .iter()
    .any(|t| text.contains(t));
    if e.as_db_error().is_none() && hung_up {
        return Attempt::HungUp { server, text };
    }
    Attempt::Other { server, text }
}

/// `sslmode verify-full (from --sslmode)`, for messages: the mode used and why, when it
/// is not the one asked for (a CA file turned `require` into `verify-ca`;
/// `sslrootcert=system` made `verify-full` the default).
fn describe_mode(settings: &Settings, mode: SslMode, expected: Option<Target>) -> String {
    let because = match &settings.tls.roots {
        Some((Roots::System, _)) => "with sslrootcert=system",
        Some((Roots::File(_), Origin::DefaultFile)) => {
            "with libpq's default root certificate file present"
        }
        _ => "with a CA file given",
    };
    match settings.tls.mode {
        Some((asked, origin)) if asked == mode => format!("sslmode {mode} ({origin})"),
        Some((asked, origin)) => format!("sslmode {mode} ({asked} {origin}, {because})"),
        None => {
            let whose = match expected {
                Some(Target::Redshift) => "the default for target redshift",
                _ => "the default",
            };
            if mode == tls::default_mode(expected) {
                format!("sslmode {mode} ({whose})")
            } else if matches!(settings.tls.roots, Some((Roots::System, _))) {
                format!("sslmode {mode} (the default {because})")
            } else {
                format!(
                    "sslmode {mode} ({} is {whose}, {because})",
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

    #[test]
    fn a_server_of_another_kind_is_named_with_what_the_file_says() {
        let other = |target_given| OpenError::OtherKind {
            file: "grants.yaml".into(),
            expected: Target::Redshift,
            target_given,
            server: "u@h:5432/d".into(),
            found: Target::Postgres,
            evidence: "it reported no padb_version".into(),
        };
        assert_eq!(
            other(true).to_string(),
            "grants.yaml declares target `redshift` but u@h:5432/d is a postgres server (it \
             reported no padb_version); nothing was read or changed. Set `target: postgres` in \
             grants.yaml if this is the right server, or connect to a redshift server"
        );
        assert!(other(false).to_string().starts_with(
            "grants.yaml has no `target:`, so its target is `redshift` (the default), but \
             u@h:5432/d is a postgres server"
        ));
        // The hint that the missing `target:` may be why: for a TLS failure only.
        let untargeted = crate::config::parse("grants.yaml", "groups:\n  g: {}\n").unwrap();
        let refused = || {
            Box::new(Attempt::Refused {
                server: "u@h:5432/d".into(),
            })
        };
        let said = refused().to_string();
        assert!(said.starts_with("cannot connect to u@h:5432/d: connection refused"));
        let failed = |tls| {
            let error = ConnectError::Failed {
                attempt: refused(),
                tls,
            };
            OpenError::connect(error, Some(&untargeted)).to_string()
        };
        assert_eq!(failed(false), said);
        assert_eq!(
            failed(true),
            format!(
                "{said}\n  hint: {}",
                untargeted.default_target_hint().unwrap()
            )
        );
        let targeted = crate::config::parse("grants.yaml", "target: redshift\n").unwrap();
        let error = ConnectError::Failed {
            attempt: refused(),
            tls: true,
        };
        assert_eq!(OpenError::connect(error, Some(&targeted)).to_string(), said);
    }

    #[test]
    fn settings_errors_carry_where_a_value_came_from_and_no_password() {
        // A port from the URL is not kept (it may be a password); from a variable it is.
        assert_eq!(
            resolve("postgres://u:hunter2", &env_of(&[])).unwrap_err(),
            SettingsError::Port {
                origin: Origin::Url("port"),
                value: None
            }
        );
        assert_eq!(
            resolve("postgres://u@h/d", &env_of(&[("PGPORT", "5432x")])).unwrap_err(),
            SettingsError::Port {
                origin: Origin::Env("PGPORT"),
                value: Some("5432x".into())
            }
        );
        assert_eq!(
            resolve("postgres://u:pa@x/S3cr3tQ@h/db", &env_of(&[])).unwrap_err(),
            SettingsError::SeveralAts
        );
        assert!(matches!(
            resolve("postgres://u@h/d?sslmod=x", &env_of(&[])).unwrap_err(),
            SettingsError::Conninfo(crate::conninfo::Error::Unknown {
                nearest: Some("sslmode"),
                ..
            })
        ));
        assert_eq!(
            settings(
                "postgres://u@h/db",
                &flags(None, None),
                &env_of(&[("PGSSLMODE", "allow")])
            )
            .unwrap_err(),
            SettingsError::SslMode {
                origin: Origin::Env("PGSSLMODE"),
                error: tls::SslModeError::Allow
            }
        );
    }

    #[test]
    fn connect_errors_say_whether_tls_failed() {
        let timed_out = ConnectError::TimedOut {
            server: "u@h:5432/d".into(),
            timeout: ConnectTimeout::default(),
        };
        assert!(!timed_out.is_tls());
        assert!(timed_out.to_string().starts_with(
            "cannot connect to u@h:5432/d: no answer within the connect timeout (10 s, the \
             default): the host may be down"
        ));
        let refused = ConnectError::from(TlsModeError::NoRoots {
            mode: SslMode::VerifyFull,
            described: "sslmode verify-full (from --sslmode)".into(),
            default_root_file: None,
        });
        assert!(refused.is_tls());
        assert!(refused.to_string().starts_with(
            "sslmode verify-full (from --sslmode) checks the server's certificate against CA \
             certificates, and none were given: $HOME is not set"
        ));
        let setup = ConnectError::TlsSetup {
            error: Box::new(tls::Error::CaFileEmpty {
                path: PathBuf::from("/ca.pem"),
            }),
            origin: Some(Origin::Flag("ca-file")),
        };
        assert!(setup.is_tls());
        assert!(
            setup
                .to_string()
                .ends_with("-----BEGIN CERTIFICATE----- (from --ca-file)"),
            "{setup}"
        );
    }

    #[test]
    fn a_failed_attempt_keeps_its_parts_and_says_them_as_before() {
        let attempt = Attempt::BadPassword {
            server: "u@h:5432/d".into(),
            text: "FATAL 28P01: password authentication failed for user \"u\"".into(),
            password: Some(PasswordSource::File {
                path: PathBuf::from("/home/u/.pgpass"),
                line: 3,
            }),
        };
        assert_eq!(
            attempt.to_string(),
            "cannot connect to u@h:5432/d: FATAL 28P01: password authentication failed for \
             user \"u\"\n  hint: check the password (from the password file /home/u/.pgpass \
             line 3); IAM temporary credentials from get-cluster-credentials expire after \
             15-60 minutes"
        );
        let failed = ConnectError::Failed {
            attempt: Box::new(attempt),
            tls: false,
        };
        assert!(!failed.is_tls());
        assert!(matches!(
            &failed,
            ConnectError::Failed { attempt, .. }
                if matches!(**attempt, Attempt::BadPassword { password: Some(PasswordSource::File { line: 3, .. }), .. })
        ));
        assert_eq!(
            Attempt::UnknownHost {
                server: "u@nowhere:5432/d".into(),
                host: "nowhere".into(),
                reason: "Name or service not known".into(),
            }
            .to_string(),
            "cannot connect to u@nowhere:5432/d: the host name `nowhere` cannot be resolved \
             (Name or service not known); check its spelling, and the DNS or VPN needed to \
             reach it"
        );
    }

    /// Doctor names the server once and then the reason: that must read as the message
    /// the other commands print, whichever error it is.
    #[test]
    fn the_reason_is_the_message_after_the_server() {
        let server = "u@h:5432/d";
        let opened = |error: ConnectError| OpenError::Connect {
            error,
            hint: Some("a hint".into()),
        };
        let attempts = [
            Attempt::Refused {
                server: server.into(),
            },
            Attempt::NoPassword {
                server: server.into(),
            },
            Attempt::TimedOut {
                server: server.into(),
                timeout: ConnectTimeout::default(),
            },
            Attempt::Other {
                server: server.into(),
                text: "db error".into(),
            },
        ];
        for attempt in attempts {
            let error = opened(ConnectError::Failed {
                attempt: Box::new(attempt),
                tls: false,
            });
            assert_eq!(
                format!("cannot connect to {server}: {}", error.reason()),
                error.to_string()
            );
        }
        let error = opened(ConnectError::TimedOut {
            server: server.into(),
            timeout: ConnectTimeout::default(),
        });
        assert_eq!(
            format!("cannot connect to {server}: {}", error.reason()),
            error.to_string()
        );
        // A message that does not open with the server is the reason whole.
        let error = opened(ConnectError::Version {
            server: server.into(),
            error: "closed".into(),
        });
        assert_eq!(error.reason(), error.to_string());
    }

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

    /// The issue's case: psql reads `postgres://postgres@localhost/shop` with
    /// `PGPORT=56600` as port 56600; tokio-postgres wrote 5432 in.
    #[test]
    fn a_variable_fills_what_the_url_leaves_out_and_nothing_it_gives() {
        let env = env_of(&[
            ("PGHOST", "db.internal"),
            ("PGPORT", "56600"),
            ("PGUSER", "admin"),
            ("PGDATABASE", "dev"),
        ]);
        let target = |url: &str| describe_target(&resolve(url, &env).unwrap());
        assert_eq!(
            target("postgres://postgres@localhost/shop"),
            "postgres@localhost:56600/shop"
        );
        // Empty URI parts are not given: the variables apply.
        assert_eq!(target("postgres://@:/"), "admin@db.internal:56600/dev");
        assert_eq!(
            target("postgresql://:@localhost:/"),
            "admin@localhost:56600/dev"
        );
        assert_eq!(target("postgres:///shop"), "admin@db.internal:56600/shop");
        assert_eq!(target("dbname=shop"), "admin@db.internal:56600/shop");
        // A parameter written empty is given: its default, not its variable.
        assert_eq!(target("postgres://h/shop?port="), "admin@h:5432/shop");
        assert_eq!(target("host=h port='' user='' dbname=''"), {
            let me = os_user().unwrap();
            format!("{me}@h:5432/{me}")
        });
        // The last value wins, over the URI's own part too.
        assert_eq!(target("postgres://h:1/d?port=2&port=3"), "admin@h:3/d");
        // An empty variable is unset.
        let env = env_of(&[("PGPORT", ""), ("PGHOST", ""), ("PGUSER", "")]);
        let c = resolve("postgres:///d", &env).unwrap();
        assert_eq!(c.get_ports(), &[] as &[u16]);
        assert_eq!(c.get_hosts(), [Host::Unix(default_socket_dir())]);
        assert_eq!(c.get_user(), os_user().as_deref());
    }

    #[test]
    fn defaults_are_libpqs_a_unix_socket_the_os_user_and_a_database_named_after_it() {
        // `USER` is not libpq's: the password database's entry for this process is.
        let env = env_of(&[("USER", "somebody-else")]);
        let c = resolve("postgres://", &env).unwrap();
        let me = os_user().expect("this process's user has a name");
        assert_ne!(me, "somebody-else");
        assert_eq!(c.get_user(), Some(me.as_str()));
        assert_eq!(c.get_dbname(), Some(me.as_str()));
        assert_eq!(c.get_hosts(), [Host::Unix(default_socket_dir())]);
        assert!(unix_socket_only(&c));
        // A directory as the host, in the URL or the variable, is a socket directory.
        let c = resolve("postgres://%2Ftmp%2Fsock/db", &env).unwrap();
        assert_eq!(c.get_hosts(), [Host::Unix(PathBuf::from("/tmp/sock"))]);
        let c = resolve("postgres:///db", &env_of(&[("PGHOST", "/run/pg")])).unwrap();
        assert_eq!(c.get_hosts(), [Host::Unix(PathBuf::from("/run/pg"))]);
        // hostaddr alone: no default socket, the address is dialled.
        let c = resolve("hostaddr=127.0.0.1 port=6000 user=u", &env).unwrap();
        assert!(c.get_hosts().is_empty());
        assert_eq!(
            c.get_hostaddrs(),
            ["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert!(!unix_socket_only(&c));
    }

    #[test]
    fn the_other_parameters_follow_libpq_too() {
        let env = env_of(&[
            ("PGAPPNAME", "from-env"),
            ("PGOPTIONS", "-c search_path=x"),
            ("PGTARGETSESSIONATTRS", "read-write"),
            ("PGPASSWORD", "from-env"),
        ]);
        let c = resolve("postgres://u@h/d", &env).unwrap();
        assert_eq!(c.get_application_name(), Some("from-env"));
        assert_eq!(c.get_options(), Some("-c search_path=x"));
        assert_eq!(
            c.get_target_session_attrs(),
            tokio_postgres::config::TargetSessionAttrs::ReadWrite
        );
        assert_eq!(c.get_password(), Some(&b"from-env"[..]));
        let c = resolve(
            "postgres://u:pw@h/d?application_name=mine&options=-c%20a%3Db",
            &env,
        )
        .unwrap();
        assert_eq!(c.get_application_name(), Some("mine"));
        assert_eq!(c.get_options(), Some("-c a=b"));
        assert_eq!(c.get_password(), Some(&b"pw"[..]));
        // grantplan is only the fallback, as psql is psql's.
        let c = resolve("postgres://u@h/d", &env_of(&[])).unwrap();
        assert_eq!(c.get_application_name(), Some("grantplan"));
        let c = resolve(
            "postgres://u@h/d?fallback_application_name=ci",
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(c.get_application_name(), Some("ci"));
        // libpq reads tcp_user_timeout in milliseconds.
        let c = resolve("postgres://u@h/d?tcp_user_timeout=1500", &env_of(&[])).unwrap();
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_millis(1500)));
        // Several hosts: one port for all, or one each.
        let c = resolve("postgres://u@h1,h2:7/d", &env_of(&[])).unwrap();
        assert_eq!(c.get_ports(), [5432, 7]);
        let c = resolve("host=h1,h2 user=u", &env_of(&[("PGPORT", "7")])).unwrap();
        assert_eq!(c.get_ports(), [7]);
        // libpq's own quirk, kept: a URI with several hosts writes an (empty) port for
        // each, so PGPORT does not apply and each is 5432 (psql 15 does this).
        let c = resolve("postgres://u@h1,h2/d", &env_of(&[("PGPORT", "7")])).unwrap();
        assert_eq!(c.get_ports(), [5432, 5432]);
    }

    #[test]
    fn bad_values_name_the_parameter_and_never_the_password() {
        let env = env_of(&[]);
        for (url, part) in [
            ("postgres://u:hunter2@h:0/d", "the port in the database URL"),
            (
                "postgres://u:hunter2@h:99999/d",
                "the port in the database URL",
            ),
            ("postgres://u:hunter2@h1,h2,h3/d?port=1,2", "3 host(s)"),
            ("postgres://u:hunter2@h/d?hostaddr=db.example", "hostaddr"),
            (
                "postgres://u:hunter2@h/d?target_session_attrs=primary",
                "target_session_attrs",
            ),
            (
                "postgres://u:hunter2@h/d?channel_binding=maybe",
                "channel_binding",
            ),
            (
                "postgres://u:hunter2@h/d?keepalives_idle=soon",
                "keepalives_idle",
            ),
            // No `@`: libpq takes `u` for the host and `hunter2` for the port.
            ("postgres://u:hunter2", "the port in the database URL"),
        ] {
            let e = resolve(url, &env).unwrap_err().to_string();
            assert!(e.contains(part), "{url}: {e}");
            assert!(!e.contains("hunter2"), "{url}: {e}");
        }
        // A variable's value is shown: it holds nothing else.
        let e = resolve("postgres://u@h/d", &env_of(&[("PGPORT", "5432x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("the port `5432x` (from $PGPORT)"), "{e}");
    }

    #[test]
    fn a_connect_timeout_under_a_second_is_described_in_milliseconds() {
        let s = settings(
            "postgres://u@h/d",
            &ConnectFlags {
                connect_timeout: Some(Duration::from_millis(500)),
                ..Default::default()
            },
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_millis(500)));
        assert_eq!(
            s.connect_timeout.describe(),
            "500 ms, from --connect-timeout"
        );
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

    fn flags(mode: Option<SslMode>, ca: Option<&'static str>) -> ConnectFlags<'static> {
        ConnectFlags {
            sslmode: mode,
            ca_file: ca.map(Path::new),
            ..Default::default()
        }
    }

    #[test]
    fn an_iam_login_is_asked_by_flag_or_url_and_needs_its_cluster() {
        let env = env_of(&[]);
        let url = "postgres://alice@ml.example.com:5439/dev?iam=true&cluster_identifier=ml\
                   &region=eu-west-1&db_groups=a,%20b&auto_create=1";
        let s = settings(url, &ConnectFlags::default(), &env).unwrap();
        assert_eq!(
            s.iam,
            Some(crate::iam_login::IamLogin {
                endpoint: crate::iam_login::Endpoint::Cluster("ml".into()),
                region: Some("eu-west-1".into()),
                db_groups: vec!["a".into(), "b".into()],
                auto_create: true,
            })
        );
        assert_eq!(
            s.password,
            Some(PasswordSource::Iam {
                endpoint: crate::iam_login::Endpoint::Cluster("ml".into())
            })
        );
        // The flags beat the URL.
        let flags = ConnectFlags {
            iam: true,
            cluster_id: Some("other"),
            ..Default::default()
        };
        let s = settings(url, &flags, &env).unwrap();
        assert_eq!(
            s.iam.unwrap().endpoint,
            crate::iam_login::Endpoint::Cluster("other".into())
        );
        let s = settings(
            "postgres://alice@wg.example.com:5439/dev?iam=1&serverless_work_group=wg",
            &ConnectFlags::default(),
            &env,
        )
        .unwrap();
        assert_eq!(
            s.iam.unwrap().endpoint,
            crate::iam_login::Endpoint::Workgroup("wg".into())
        );
        let both = ConnectFlags {
            iam: true,
            workgroup: Some("wg"),
            ..Default::default()
        };
        let e = settings(url, &both, &env).unwrap_err();
        assert!(matches!(e, SettingsError::IamBoth), "{e}");
        let e = settings(
            "postgres://alice@wg/dev?iam=1&serverless_work_group=wg&db_groups=a",
            &ConnectFlags::default(),
            &env,
        )
        .unwrap_err();
        assert!(matches!(e, SettingsError::IamClusterOnly), "{e}");
        // No IAM login asked: none, and a cluster alone is refused.
        let plain = "postgres://alice@ml.example.com:5439/dev";
        assert_eq!(
            settings(plain, &ConnectFlags::default(), &env).unwrap().iam,
            None
        );
        let e = settings(
            &format!("{plain}?cluster_identifier=ml"),
            &ConnectFlags::default(),
            &env,
        )
        .unwrap_err();
        assert!(matches!(e, SettingsError::IamNotAsked), "{e}");
        // So is any other IAM setting: it would be silently ignored.
        let region = ConnectFlags {
            region: Some("us-east-1"),
            ..Default::default()
        };
        let e = settings(plain, &region, &env).unwrap_err();
        assert!(matches!(e, SettingsError::IamNotAsked), "{e}");
        let e = settings(&format!("{plain}?iam=true"), &ConnectFlags::default(), &env).unwrap_err();
        assert!(matches!(e, SettingsError::IamNoCluster), "{e}");
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
        // Keywords that take one of a few words name the keyword, its origin and the words.
        let e = settings(
            "postgres://u@h/db?target_session_attrs=primary",
            &flags(None, None),
            &env_of(&[]),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "target_session_attrs in the database URL must be one of any, read-write, read-only"
        );
        let s = settings(
            "postgres://u@h/db?load_balance_hosts=random&channel_binding=require",
            &flags(None, None),
            &env_of(&[]),
        );
        assert!(s.is_ok(), "{:?}", s.err());

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
        let file = |p: &str| Roots::File(PathBuf::from(p));
        let url = "postgres://u@h/db?sslrootcert=%2Furl%2Fca.pem";
        let s = settings(url, &flags(None, Some("/flag/ca.pem")), &env).unwrap();
        assert_eq!(
            s.tls.roots,
            Some((file("/flag/ca.pem"), Origin::Flag("ca-file")))
        );
        let s = settings(url, &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.roots,
            Some((file("/url/ca.pem"), Origin::Url("sslrootcert")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env).unwrap();
        assert_eq!(
            s.tls.roots,
            Some((file("/env/ca.pem"), Origin::Env("PGSSLROOTCERT")))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env_of(&[])).unwrap();
        assert_eq!(s.tls.roots, None);
        assert_eq!(s.tls.default_root_file, None);
    }

    #[test]
    fn system_means_the_system_store_from_every_source() {
        let s = settings(
            "postgres://u@h/db",
            &flags(None, Some("system")),
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(s.tls.roots, Some((Roots::System, Origin::Flag("ca-file"))));
        let s = settings(
            "postgres://u@h/db?sslrootcert=system",
            &flags(None, None),
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(
            s.tls.roots,
            Some((Roots::System, Origin::Url("sslrootcert")))
        );
        let s = settings(
            "host=h user=u sslrootcert=system",
            &flags(None, None),
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(
            s.tls.roots,
            Some((Roots::System, Origin::Url("sslrootcert")))
        );
        let s = settings(
            "postgres://u@h/db",
            &flags(None, None),
            &env_of(&[("PGSSLROOTCERT", "system")]),
        )
        .unwrap();
        assert_eq!(
            s.tls.roots,
            Some((Roots::System, Origin::Env("PGSSLROOTCERT")))
        );
        // A file of that name, as in libpq.
        let s = settings(
            "postgres://u@h/db?sslrootcert=.%2Fsystem",
            &flags(None, None),
            &env_of(&[]),
        )
        .unwrap();
        assert_eq!(
            s.tls.roots,
            Some((
                Roots::File(PathBuf::from("./system")),
                Origin::Url("sslrootcert")
            ))
        );
    }

    /// An environment whose `$HOME` is `home`, plus `pairs`.
    fn env_with_home(
        home: &Path,
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        let home = home.to_str().unwrap().to_string();
        move |k| {
            if k == "HOME" {
                return Some(home.clone());
            }
            env_of(pairs)(k)
        }
    }

    #[test]
    fn the_default_root_file_in_home_is_used_when_it_exists_and_nothing_is_named() {
        let home = tempfile::tempdir().unwrap();
        let default = home.path().join(".postgresql/root.crt");
        let url = "postgres://u@h/db";
        let s = settings(url, &flags(None, None), &env_with_home(home.path(), &[])).unwrap();
        assert_eq!(s.tls.roots, None, "absent: not used");
        assert_eq!(s.tls.default_root_file.as_ref(), Some(&default));

        std::fs::create_dir(home.path().join(".postgresql")).unwrap();
        std::fs::write(&default, "not even PEM").unwrap();
        let s = settings(url, &flags(None, None), &env_with_home(home.path(), &[])).unwrap();
        // Present: used (and read only when a mode verifies with it).
        assert_eq!(
            s.tls.roots,
            Some((Roots::File(default.clone()), Origin::DefaultFile))
        );
        // Anything named wins over it.
        let s = settings(
            url,
            &flags(None, None),
            &env_with_home(home.path(), &[("PGSSLROOTCERT", "/env/ca.pem")]),
        )
        .unwrap();
        assert_eq!(
            s.tls.roots,
            Some((
                Roots::File(PathBuf::from("/env/ca.pem")),
                Origin::Env("PGSSLROOTCERT")
            ))
        );
        let s = settings(
            url,
            &flags(None, Some("system")),
            &env_with_home(home.path(), &[]),
        )
        .unwrap();
        assert_eq!(s.tls.roots, Some((Roots::System, Origin::Flag("ca-file"))));
    }

    fn mode_for(
        url: &str,
        mode: Option<SslMode>,
        ca: Option<&'static str>,
        home: Option<&Path>,
        expected: Option<Target>,
    ) -> Result<SslMode, TlsModeError> {
        let s = match home {
            Some(h) => settings(url, &flags(mode, ca), &env_with_home(h, &[])),
            None => settings(url, &flags(mode, ca), &env_of(&[])),
        }
        .unwrap();
        tls_mode(&s, expected)
    }

    #[test]
    fn libpq_rules_for_modes_and_roots() {
        let url = "postgres://me:hunter2@h/db";
        let home = tempfile::tempdir().unwrap();
        let h = Some(home.path());
        // No roots anywhere: the verifying modes are refused, naming the default file.
        for m in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let e = mode_for(url, Some(m), None, h, None)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!(
                    "the root certificate file {} (libpq's default) does not exist",
                    home.path().join(".postgresql/root.crt").display()
                )),
                "{e}"
            );
            assert!(e.contains(&format!("sslmode {m} (from --sslmode)")), "{e}");
            assert!(e.contains("--ca-file system"), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
            let e = mode_for(url, Some(m), None, None, None)
                .unwrap_err()
                .to_string();
            assert!(e.contains("$HOME is not set"), "{e}");
        }
        // The others go ahead unverified.
        assert_eq!(
            mode_for(url, Some(SslMode::Require), None, h, None),
            Ok(SslMode::Require)
        );
        assert_eq!(
            mode_for(url, None, None, h, Some(Target::Redshift)),
            Ok(SslMode::Require)
        );
        assert_eq!(mode_for(url, None, None, h, None), Ok(SslMode::Prefer));

        // With the default file present, require verifies like verify-ca.
        std::fs::create_dir(home.path().join(".postgresql")).unwrap();
        std::fs::write(home.path().join(".postgresql/root.crt"), "x").unwrap();
        assert_eq!(
            mode_for(url, Some(SslMode::Require), None, h, None),
            Ok(SslMode::VerifyCa)
        );
        assert_eq!(
            mode_for(url, None, None, h, Some(Target::Redshift)),
            Ok(SslMode::VerifyCa)
        );
        assert_eq!(mode_for(url, None, None, h, None), Ok(SslMode::Prefer));
        assert_eq!(
            mode_for(url, Some(SslMode::VerifyFull), None, h, None),
            Ok(SslMode::VerifyFull)
        );

        // system: verify-full by default, every other mode refused.
        assert_eq!(
            mode_for(url, None, Some("system"), None, Some(Target::Redshift)),
            Ok(SslMode::VerifyFull)
        );
        assert_eq!(
            mode_for(url, Some(SslMode::VerifyFull), Some("system"), None, None),
            Ok(SslMode::VerifyFull)
        );
        for m in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
        ] {
            let e = mode_for(url, Some(m), Some("system"), None, None)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!(
                    "sslmode {m} (from --sslmode) cannot be used with sslrootcert=system"
                )),
                "{e}"
            );
            assert!(e.contains("--sslmode verify-full"), "{e}");
        }
        // Also when the mode and `system` come from the URL or the environment.
        let s = settings(
            "postgres://u@h/db?sslrootcert=system&sslmode=require",
            &flags(None, None),
            &env_of(&[]),
        )
        .unwrap();
        let e = tls_mode(&s, None).unwrap_err().to_string();
        assert!(
            e.contains("sslmode require (from `sslmode` in the database URL)")
                && e.contains("from `sslrootcert` in the database URL"),
            "{e}"
        );
        let s = settings(
            "postgres://u@h/db",
            &flags(None, None),
            &env_of(&[("PGSSLROOTCERT", "system"), ("PGSSLMODE", "verify-ca")]),
        )
        .unwrap();
        let e = tls_mode(&s, None).unwrap_err().to_string();
        assert!(e.contains("from $PGSSLMODE"), "{e}");
    }

    #[test]
    fn tls_parameters_are_read_from_urls_and_key_value_strings_respecting_quotes() {
        let env = env_of(&[]);
        let s = settings(
            "postgres://u:pw@h:5439/db?sslmode=verify-full&connect_timeout=5&sslrootcert=%2Fa%20b.pem",
            &flags(None, None),
            &env,
        )
        .unwrap();
        assert_eq!(
            s.tls.mode,
            Some((SslMode::VerifyFull, Origin::Url("sslmode")))
        );
        assert_eq!(
            s.tls.roots,
            Some((
                Roots::File(PathBuf::from("/a b.pem")),
                Origin::Url("sslrootcert")
            ))
        );
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_secs(5)));
        assert_eq!(describe_target(&s.config), "u@h:5439/db");
        // A `?` in the password is not the start of the parameters.
        let s = settings(
            "postgres://u:p?w@h/db?sslmode=disable",
            &flags(None, None),
            &env,
        )
        .unwrap();
        assert_eq!(s.config.get_password(), Some(&b"p?w"[..]));
        assert_eq!(s.tls.mode, Some((SslMode::Disable, Origin::Url("sslmode"))));
        // key=value: a quoted password that holds `sslmode=` is a password.
        let s = settings(
            "host=h user=u sslmode = verify-ca password='a sslmode=disable \\' b' sslrootcert=/ca\\ 1.pem dbname=d",
            &flags(None, None),
            &env,
        )
        .unwrap();
        assert_eq!(
            s.tls.mode,
            Some((SslMode::VerifyCa, Origin::Url("sslmode")))
        );
        assert_eq!(
            s.tls.roots,
            Some((
                Roots::File(PathBuf::from("/ca 1.pem")),
                Origin::Url("sslrootcert")
            ))
        );
        assert_eq!(s.config.get_password(), Some(&b"a sslmode=disable ' b"[..]));
        assert_eq!(describe_target(&s.config), "u@h:5432/d");
        // Malformed: refused, naming what is wrong and not the password.
        let e = settings(
            "host=h password='unterminated sslmode=x",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`password`") && e.contains("never closes"),
            "{e}"
        );
        assert!(!e.contains("unterminated"), "{e}");
        // `sslrootcert=` written empty names no file and keeps $PGSSLROOTCERT out.
        let s = settings(
            "postgres://u@h/db?sslrootcert=",
            &flags(None, None),
            &env_of(&[("PGSSLROOTCERT", "/env/ca.pem")]),
        )
        .unwrap();
        assert_eq!(s.tls.roots, None);
    }

    #[test]
    fn bad_tls_settings_are_errors_that_never_show_the_password() {
        let env = env_of(&[]);
        let e = settings(
            "postgres://me:hunter2@h/db?sslmode=verify_full",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("sslmode `verify_full` is not known"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "host=h user=me password=hunter2 sslmode=allow",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`allow` is not supported"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "postgres://me:hunter2@h/db?sslrootcert=%FF",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not valid UTF-8"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "postgres://me:hunter2@h/db",
            &flags(None, None),
            &env_of(&[("PGSSLMODE", "sometimes")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("PGSSLMODE: "), "{e}");
        // The rest of the URL still goes through resolve's password-free errors.
        let e = settings(
            "postgres://me:hunter2@h:notaport/db?sslmode=require",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
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
    fn connect_timeout_flag_beats_url_beats_pgconnect_timeout_beats_the_default() {
        let env = env_of(&[("PGCONNECT_TIMEOUT", "7")]);
        let url = "postgres://u@h/db?connect_timeout=3";
        let with_flag = ConnectFlags {
            connect_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        };
        let s = settings(url, &with_flag, &env).unwrap();
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_secs(5)));
        assert_eq!(
            s.connect_timeout.origin,
            Some(Origin::Flag("connect-timeout"))
        );
        // tokio-postgres bounds each TCP handshake with the same limit.
        assert_eq!(
            s.config.get_connect_timeout(),
            Some(&Duration::from_secs(5))
        );
        let s = settings(url, &flags(None, None), &env).unwrap();
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_secs(3)));
        let s = settings("host=h user=u connect_timeout=4", &flags(None, None), &env).unwrap();
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_secs(4)));
        let s = settings("postgres://u@h/db", &flags(None, None), &env).unwrap();
        assert_eq!(s.connect_timeout.limit, Some(Duration::from_secs(7)));
        assert_eq!(
            s.connect_timeout.origin,
            Some(Origin::Env("PGCONNECT_TIMEOUT"))
        );
        let s = settings("postgres://u@h/db", &flags(None, None), &env_of(&[])).unwrap();
        assert_eq!(s.connect_timeout, ConnectTimeout::default());
        assert_eq!(s.connect_timeout.limit, Some(DEFAULT_CONNECT_TIMEOUT));
        // 0 (or less) waits as long as it takes, as in libpq.
        for zero in [
            "postgres://u@h/db?connect_timeout=0",
            "postgres://u@h/db?connect_timeout=-1",
        ] {
            let s = settings(zero, &flags(None, None), &env).unwrap();
            assert_eq!(s.connect_timeout.limit, None, "{zero}");
            assert_eq!(s.config.get_connect_timeout(), None, "{zero}");
        }
        let zero_flag = ConnectFlags {
            connect_timeout: Some(Duration::ZERO),
            ..Default::default()
        };
        let s = settings(url, &zero_flag, &env).unwrap();
        assert_eq!(s.connect_timeout.limit, None);
        // Not a number: an error naming where it came from, never the URL.
        let e = settings(
            "postgres://me:hunter2@h/db?connect_timeout=soon",
            &flags(None, None),
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`soon`") && e.contains("connect_timeout"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = settings(
            "postgres://u@h/db",
            &flags(None, None),
            &env_of(&[("PGCONNECT_TIMEOUT", "1.5")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("$PGCONNECT_TIMEOUT"), "{e}");
    }

    #[test]
    fn the_password_comes_from_the_url_then_pgpassword_then_the_password_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "other:*:*:*:no\nh:5439:dev:admin:from-file\n*:*:*:*:fallback\n",
        )
        .unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = file.to_str().unwrap().to_string();
        let env = move |k: &str| match k {
            "PGPASSFILE" => Some(path.clone()),
            "PGPASSWORD" => Some("from-env".to_string()),
            _ => None,
        };
        let no_pgpassword = {
            let env = env.clone();
            move |k: &str| if k == "PGPASSWORD" { None } else { env(k) }
        };
        let f = flags(None, None);
        let s = settings("postgres://admin:in-url@h:5439/dev", &f, &env).unwrap();
        assert_eq!(s.config.get_password(), Some(&b"in-url"[..]));
        assert_eq!(s.password, Some(PasswordSource::Url));
        let s = settings("postgres://admin@h:5439/dev", &f, &env).unwrap();
        assert_eq!(s.config.get_password(), Some(&b"from-env"[..]));
        assert_eq!(s.password, Some(PasswordSource::Env));
        let s = settings("postgres://admin@h:5439/dev", &f, &no_pgpassword).unwrap();
        assert_eq!(s.config.get_password(), Some(&b"from-file"[..]));
        assert_eq!(
            s.password,
            Some(PasswordSource::File {
                path: file.clone(),
                line: 2
            })
        );
        // The database defaults to the user name when matching, as in libpq.
        let s = settings("postgres://admin@h:5439", &f, &no_pgpassword).unwrap();
        assert_eq!(s.config.get_password(), Some(&b"fallback"[..]));
        // A file others may read is not used, and says so.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = settings("postgres://admin@h:5439/dev", &f, &no_pgpassword).unwrap();
        assert_eq!(s.config.get_password(), None);
        assert_eq!(s.password, None);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert_eq!(
            s.warnings[0],
            crate::pgpass::Unused::Permissions {
                path: file.clone(),
                mode: 0o644
            }
        );
        let warning = s.warnings[0].to_string();
        assert!(warning.contains("group or world access"));
        assert!(!warning.contains("from-file"));
    }

    #[test]
    fn a_password_with_an_unencoded_at_sign_is_refused_without_repeating_it() {
        let e = resolve("postgres://admin:hun@ter2@h/db", &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("%40"), "{e}");
        assert!(!e.contains("ter2") && !e.contains("hun"), "{e}");
        // Encoded, it is the password.
        let c = resolve("postgres://admin:hun%40ter2@h/db", &env_of(&[])).unwrap();
        assert_eq!(c.get_password(), Some(&b"hun@ter2"[..]));
    }

    #[test]
    fn an_unencoded_at_or_slash_before_the_host_ends_is_refused_before_parsing() {
        let env = env_of(&[]);
        for url in [
            // The attack campaign's: host `x`, database `S3cr3tQ@127.0.0.1:56700/pf`.
            "postgres://u:pa@x/S3cr3tQ@127.0.0.1:56700/pf",
            "postgresql://u:pa@x/S3cr3tQ@127.0.0.1:56700/pf?sslmode=require",
            "postgres://u:pa@S3cr3tQ@h/db",
            // An `@` in the database name, without credentials.
            "postgres://h/S3cr3tQ@h2/db",
            "postgres://h:5432/S3cr3tQ@h2",
            // A `/` in the password: libpq ends the host there.
            "postgres://u:pa/S3cr3tQ@h/db",
            // An `@` in a parameter of a URL without credentials: tokio-postgres would
            // take everything before it for `user:password`.
            "postgres://h/db?application_name=S3cr3tQ@x",
        ] {
            for e in [
                resolve(url, &env).unwrap_err().to_string(),
                settings(url, &flags(None, None), &env)
                    .unwrap_err()
                    .to_string(),
            ] {
                assert!(e.contains("%40"), "{url}: {e}");
                assert!(
                    e.contains("no host was looked up or connected to"),
                    "{url}: {e}"
                );
                for part in ["S3cr3tQ", ":pa", "pa@", "pa/", "u:", "h2", "x/"] {
                    assert!(!e.contains(part), "{url}: `{part}` in {e}");
                }
            }
        }
        // What stays allowed: one `@`, `?` and `:` in the password, `@` in a parameter
        // after the credentials, encoded `@` and `/` anywhere, no credentials at all,
        // and key=value strings (quoted, never split at `@`).
        for url in [
            "postgres://u:p?w:x@h/db?sslmode=disable",
            "postgres://u@h/db?application_name=a@b",
            "postgres://u:pa%40x%2FS3cr3tQ@h/d%40b",
            "postgres://h:5432/db",
            "postgres://",
            "host=h user=u password=pa@x/S3cr3tQ@y dbname=d@b",
        ] {
            let env = env_of(&[("PGUSER", "me")]);
            let s = settings(url, &flags(None, None), &env);
            assert!(s.is_ok(), "{url}: {:?}", s.err());
        }
        let c = resolve("postgres://u:pa%40x%2FS3cr3tQ@h/d%40b", &env).unwrap();
        assert_eq!(c.get_password(), Some(&b"pa@x/S3cr3tQ"[..]));
        assert_eq!(c.get_dbname(), Some("d@b"));
    }

    #[test]
    fn a_password_with_unencoded_at_signs_is_masked_whole() {
        let url = "postgres://u:pa@x/S3cr3tQ@127.0.0.1:56700/pf".to_string();
        let shown = redact(
            &format!("error: unexpected argument '{url}' found"),
            std::slice::from_ref(&url),
        );
        assert_eq!(
            shown,
            "error: unexpected argument 'postgres://u:***@127.0.0.1:56700/pf' found"
        );
        // Masked where it stands even when the text repeats it without the source.
        let shown = redact(&format!("'{url}'"), &[]);
        assert!(
            !shown.contains("S3cr3tQ") && !shown.contains("pa@"),
            "{shown}"
        );
        assert!(passwords_in(&url).contains(&"pa@x/S3cr3tQ".to_string()));
    }

    #[test]
    fn passwords_in_urls_and_key_value_strings_are_found_and_masked() {
        let url = "postgres://admin:S3cr%2Ft@h:5439/dev?sslmode=require";
        let found = passwords_in(url);
        assert!(found.contains(&"S3cr%2Ft".to_string()), "{found:?}");
        assert!(found.contains(&"S3cr/t".to_string()), "{found:?}");
        assert_eq!(
            redact(
                &format!("unexpected argument '{url}' found"),
                &[url.to_string()]
            ),
            "unexpected argument 'postgres://admin:***@h:5439/dev?sslmode=require' found"
        );
        // In a `--flag=URL` argument, and decoded elsewhere in the text.
        let arg = format!("--database-url={url}");
        let out = redact(&format!("'{arg}' and S3cr/t"), std::slice::from_ref(&arg));
        assert!(!out.contains("S3cr"), "{out}");
        // key=value, quoted or not, and a string that does not tokenise.
        for (arg, secret) in [
            ("host=h password=Sekr1t user=u", "Sekr1t"),
            ("host=h password = 'Se kr\\'1t' user=u", "Se kr'1t"),
            ("host=h password='Sekr1t", "Sekr1t"),
        ] {
            let out = redact(&format!("error: '{arg}'"), &[arg.to_string()]);
            assert!(!out.contains(secret), "{arg}: {out}");
            assert!(
                !out.contains("Sekr1t") && !out.contains("1t"),
                "{arg}: {out}"
            );
            assert!(out.starts_with("error: '"), "{out}");
        }
        // Echoed in part (pass 2): masked where it stands, even when short.
        let arg = "--database-url=postgres://u:e@h/db".to_string();
        assert_eq!(
            redact("error: invalid value 'postgres://u:e@h/db' here", &[arg]),
            "error: invalid value 'postgres://u:***@h/db' here"
        );
        // No password: unchanged.
        let plain = "postgres://admin@h/db";
        assert!(passwords_in(plain).is_empty());
        assert_eq!(redact(plain, &[plain.to_string()]), plain);
        // A short password does not garble the words around the argument.
        let short = "postgres://u:e@h/db".to_string();
        assert_eq!(
            redact(
                &format!("error: unexpected '{short}'"),
                std::slice::from_ref(&short)
            ),
            "error: unexpected 'postgres://u:***@h/db'"
        );
    }

    #[test]
    fn debug_output_of_the_settings_holds_no_password() {
        let env = env_of(&[("PGPASSWORD", "Env-S3cret")]);
        for url in [
            "postgres://admin:Url-S3cret@h/db?sslmode=require",
            "postgres://admin@h/db",
            "host=h user=admin password=Url-S3cret",
        ] {
            let s = settings(url, &flags(None, None), &env).unwrap();
            let debug = format!("{s:?} {s:#?}");
            assert!(!debug.contains("S3cret"), "{debug}");
            assert!(s.config.get_password().is_some());
        }
    }

    #[test]
    fn descriptions_and_errors_never_show_the_password() {
        let c = resolve("postgres://me:hunter2@h/db", &env_of(&[])).unwrap();
        assert!(!describe_target(&c).contains("hunter2"));
        let e = resolve("postgres://me:hunter2@h:notaport/db", &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
