//! Connection strings read the way libpq reads them, and the `PG*` variables applied the
//! way libpq applies them.
//!
//! Why grantplan reads them itself instead of handing them to tokio-postgres: its
//! reader does not say what the string left out, and it fills some gaps with fixed
//! values. `postgres://u@localhost/shop` comes back with port 5432 written in, so
//! `PGPORT=56600` could not apply, while psql connects to 56600; `postgres://@h/db` comes
//! back with the user name `""`, so `PGUSER` could not apply either. A person who checks
//! a URL with psql and then gives it to grantplan must reach the same server, database
//! and login, so every rule here is libpq's (PostgreSQL 15's `fe-connect.c`, and the
//! documentation's "Connection Strings", "Parameter Key Words" and "Environment
//! Variables" sections), checked against psql 15 by `tests/libpq.rs`:
//!
//! - A URI part that is empty (`postgres://@:/?`) was not given: its variable applies.
//! - A parameter written with an empty value (`?port=`, `port=''`) was given: its
//!   variable does not apply, and the empty value means the built-in default.
//! - The last of a repeated parameter wins, also over the URI part
//!   (`postgres://h:1/db?port=2` is port 2).
//! - Every keyword libpq does not know is an error; the ones libpq knows that grantplan
//!   cannot honour (client certificates, service files, GSSAPI, ...) are errors too,
//!   naming the keyword, rather than silently ignored.
//!
//! Errors name the part that is wrong (the scheme, the user name, the host, the port,
//! the database name, a parameter's name) and never repeat the string, which may hold
//! a password.

use std::fmt;

/// A parameter grantplan reads: its libpq keyword and the variable that supplies it
/// when the connection string does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    pub name: &'static str,
    pub env: Option<&'static str>,
}

/// The parameters grantplan takes, in libpq's spelling, with libpq's variables. Each is
/// applied as libpq applies it (see `db::settings`); `fallback_application_name` has no
/// variable in libpq either.
pub const KEYWORDS: &[Keyword] = &[
    kw("host", Some("PGHOST")),
    kw("hostaddr", Some("PGHOSTADDR")),
    kw("port", Some("PGPORT")),
    kw("user", Some("PGUSER")),
    kw("password", Some("PGPASSWORD")),
    kw("passfile", Some("PGPASSFILE")),
    kw("dbname", Some("PGDATABASE")),
    kw("options", Some("PGOPTIONS")),
    kw("application_name", Some("PGAPPNAME")),
    kw("fallback_application_name", None),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    kw("sslmode", Some("PGSSLMODE")),
    kw("sslrootcert", Some("PGSSLROOTCERT")),
    kw("sslnegotiation", Some("PGSSLNEGOTIATION")),
    kw("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    kw("channel_binding", Some("PGCHANNELBINDING")),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS")),
    kw("keepalives", None),
    kw("keepalives_idle", None),
    kw("keepalives_interval", None),
    kw("keepalives_count", None),
    kw("tcp_user_timeout", None),
    // IAM login (src/iam_login.rs), named as AWS's redshift_connector names them.
    kw("iam", None),
    kw("cluster_identifier", None),
    kw("serverless_work_group", None),
    kw("region", None),
    kw("db_groups", None),
    kw("auto_create", None),
];

const fn kw(name: &'static str, env: Option<&'static str>) -> Keyword {
    Keyword { name, env }
}

/// Keywords libpq knows and grantplan does not honour, with what they are for: refused,
/// because ignoring them would connect in another way than psql does with the same
/// string.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("sslcert", "client certificates are not supported"),
    ("sslkey", "client certificates are not supported"),
    ("sslpassword", "client certificates are not supported"),
    ("sslcertmode", "client certificates are not supported"),
    ("sslcrl", "certificate revocation lists are not supported"),
    (
        "sslcrldir",
        "certificate revocation lists are not supported",
    ),
    (
        "sslsni",
        "it is not supported (SNI is always sent for host names)",
    ),
    ("sslcompression", "TLS compression is not supported"),
    (
        "ssl_min_protocol_version",
        "TLS protocol versions are not configurable",
    ),
    (
        "ssl_max_protocol_version",
        "TLS protocol versions are not configurable",
    ),
    ("requiressl", "it is obsolete: write sslmode=require"),
    ("service", "connection service files are not read"),
    ("gssencmode", "GSSAPI is not supported"),
    ("gsslib", "GSSAPI is not supported"),
    ("gssdelegation", "GSSAPI is not supported"),
    ("krbsrvname", "Kerberos is not supported"),
    ("requirepeer", "it is not supported"),
    ("require_auth", "it is not supported"),
    (
        "replication",
        "replication connections are not what grantplan makes",
    ),
    (
        "client_encoding",
        "grantplan always uses UTF8, which its client requires",
    ),
    ("tty", "it is obsolete"),
];

/// tokio-postgres' spelling of `keepalives_count`, accepted because grantplan accepted it
/// before it read URLs itself.
const KEEPALIVES_RETRIES: &str = "keepalives_retries";

/// What a connection string said, keyword by keyword (the last of a repeated one),
/// before any variable or default. A value may be empty: given, and empty.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Given {
    values: Vec<(&'static str, String)>,
}

/// Shows keywords, never values: the password is one of them.
impl fmt::Debug for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.values.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Given {
    /// The value written for `keyword`, if one was.
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| *k == keyword)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, keyword: &'static str, value: String) {
        match self.values.iter_mut().find(|(k, _)| *k == keyword) {
            Some(slot) => slot.1 = value,
            None => self.values.push((keyword, value)),
        }
    }

    /// Stores a parameter written as `name=value`, or says why it cannot be: an unknown
    /// keyword, or one grantplan does not honour. `place` says where it was
    /// (`the database URL`), for the message.
    fn store(&mut self, name: &str, value: String, place: &'static str) -> Result<(), Error> {
        let keyword = match name {
            KEEPALIVES_RETRIES => "keepalives_count",
            name => name,
        };
        if let Some(k) = KEYWORDS.iter().find(|k| k.name == keyword) {
            self.set(k.name, value);
            return Ok(());
        }
        let shown = shown_name(name);
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(k, _)| *k == name) {
            return Err(Error::Unsupported { place, shown, why });
        }
        // A near keyword is suggested only for a name shown as written.
        let nearest = KEYWORDS
            .iter()
            .map(|k| (strsim::levenshtein(k.name, name), k.name))
            .min()
            .filter(|(d, _)| *d <= 2 && shown.starts_with('`'))
            .map(|(_, k)| k);
        Err(Error::Unknown {
            place,
            shown,
            nearest,
        })
    }
}

/// Why a connection string cannot be read. Its `Display` is the message the CLI prints.
///
/// No variant holds any part of the string as written, except a URL's scheme: the
/// string may hold a password, and so may whatever stands where a name is expected.
/// Names appear as [`shown_name`] shows them (a word that is not a keyword is not
/// shown); `place` is `the database URL` or `the database settings`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A URL of another scheme (`mysql:`).
    #[error(
        "the database URL starts with `{scheme}:`, and grantplan reads only postgres:// \
         and postgresql:// URLs (or key=value settings such as `host=H dbname=D`): write \
         postgres://USER@HOST:PORT/DATABASE"
    )]
    Scheme { scheme: String },
    /// A parameter libpq knows and grantplan does not honour, and `why`.
    #[error(
        "{place} has the parameter {shown}, which libpq knows but grantplan does not \
         honour: {why}. Remove it"
    )]
    Unsupported {
        place: &'static str,
        shown: String,
        why: &'static str,
    },
    /// Not a libpq keyword; `nearest`: the keyword it is likely a misspelling of.
    #[error(
        "{place} has the parameter {shown}, which is not a libpq connection parameter \
         (\"Parameter Key Words\" in libpq's documentation): {}",
        match .nearest {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "grantplan reads {}",
                KEYWORDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
            ),
        }
    )]
    Unknown {
        place: &'static str,
        shown: String,
        nearest: Option<&'static str>,
    },
    #[error(
        "the host in the database URL starts an IPv6 address with `[` and has no `]` to \
         end it"
    )]
    UnclosedIpv6,
    #[error("the host in the database URL is an empty IPv6 address `[]`")]
    EmptyIpv6,
    #[error(
        "the host in the database URL has something other than `:PORT`, `/`, `?` or `,` \
         after its IPv6 address's `]`"
    )]
    AfterIpv6,
    /// URL parameter `n` (1-based) has no `=`.
    #[error(
        "parameter {n} of {place} has no `=` (parameters are written \
         ?name=value&name=value)"
    )]
    ParameterWithoutValue { place: &'static str, n: usize },
    #[error("the value of {shown} in {place} holds a second `=`: write it as %3D")]
    SecondEquals { place: &'static str, shown: String },
    /// `key=value` settings whose word `n` (1-based) has no `=` after it.
    #[error(
        "the database settings are neither a postgres:// URL nor key=value pairs: word {n} \
         has no `=` after it (write postgres://USER@HOST:PORT/DATABASE, or host=H port=P \
         dbname=D user=U)"
    )]
    WordWithoutValue { n: usize },
    #[error("the value of {shown} in the database settings opens a quote `'` and never closes it")]
    UnclosedQuote { shown: String },
    /// A percent-encoded part cannot be decoded; `what` names the part
    /// (`the password in the database URL`).
    #[error("{what} {problem}")]
    Decode {
        what: String,
        problem: DecodeProblem,
    },
}

/// What is wrong with a percent-encoded part, after the part's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeProblem {
    #[error("has a `%` that is not followed by two hexadecimal digits: write a `%` itself as %25")]
    BadPercent,
    #[error("holds %00, which libpq refuses")]
    Nul,
    #[error("is not valid UTF-8 once decoded")]
    NotUtf8,
}

/// A parameter's name for a message: as written when it looks like a keyword, else
/// only that it is not one (a word that is not a keyword may be a misplaced password).
fn shown_name(name: &str) -> String {
    let keyword_like = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if keyword_like {
        format!("`{name}`")
    } else {
        "whose name is not a keyword (not shown)".to_string()
    }
}

/// Reads a connection string: a `postgres://` or `postgresql://` URI, or `key=value`
/// pairs. Anything else that starts like a URL (`mysql://`, `postgres:/h`) is refused,
/// naming its scheme.
pub fn parse(s: &str) -> Result<Given, Error> {
    for prefix in ["postgresql://", "postgres://"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return parse_uri(rest);
        }
    }
    if let Some(scheme) = url_scheme(s) {
        return Err(Error::Scheme { scheme });
    }
    parse_keywords(s)
}

/// The scheme of `s` when it starts like a URL (`word:` with no `=` or space before the
/// `:`): what a `key=value` string never does. Shown only when it is short and made of
/// scheme characters.
fn url_scheme(s: &str) -> Option<String> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let is_scheme = scheme.len() <= 20
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    is_scheme.then(|| scheme.to_string())
}

/// libpq's `conninfo_uri_parse_options`: `[user[:password]@][host[:port][,...]][/dbname][?params]`,
/// after the scheme. The credentials end at the first `@` (looked for before any `/`);
/// a host ends at `:`, `/`, `?` or `,`; a port at `/`, `?` or `,`; the database name at
/// `?`. Every part is percent-decoded; an empty one is not stored.
fn parse_uri(rest: &str) -> Result<Given, Error> {
    const PLACE: &str = "the database URL";
    let mut given = Given::default();
    let b = rest.as_bytes();
    let mut p = 0;
    let cred_end = rest.find(['@', '/']).unwrap_or(rest.len());
    if b.get(cred_end) == Some(&b'@') {
        let creds = &rest[..cred_end];
        let (user, password) = match creds.split_once(':') {
            Some((u, pw)) => (u, Some(pw)),
            None => (creds, None),
        };
        if !user.is_empty() {
            given.set("user", decode(user, "the user name in the database URL")?);
        }
        if let Some(pw) = password.filter(|pw| !pw.is_empty()) {
            given.set("password", decode(pw, "the password in the database URL")?);
        }
        p = cred_end + 1;
    }
    let mut hosts = String::new();
    let mut ports = String::new();
    let mut terminator;
    loop {
        if b.get(p) == Some(&b'[') {
            let start = p + 1;
            let close = rest[start..]
                .find(']')
                .map(|i| start + i)
                .ok_or(Error::UnclosedIpv6)?;
            if close == start {
                return Err(Error::EmptyIpv6);
            }
            hosts.push_str(&rest[start..close]);
            p = close + 1;
            if !matches!(b.get(p), None | Some(b':' | b'/' | b'?' | b',')) {
                return Err(Error::AfterIpv6);
            }
        } else {
            let end = rest[p..]
                .find([':', '/', '?', ','])
                .map_or(rest.len(), |i| p + i);
            hosts.push_str(&rest[p..end]);
            p = end;
        }
        terminator = b.get(p).copied();
        if terminator == Some(b':') {
            let start = p + 1;
            let end = rest[start..]
                .find(['/', '?', ','])
                .map_or(rest.len(), |i| start + i);
            ports.push_str(&rest[start..end]);
            p = end;
            terminator = b.get(p).copied();
        }
        if terminator != Some(b',') {
            break;
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
    if !hosts.is_empty() {
        given.set("host", decode(&hosts, "the host in the database URL")?);
    }
    if !ports.is_empty() {
        given.set("port", decode(&ports, "the port in the database URL")?);
    }
    if terminator == Some(b'/') {
        let start = p + 1;
        let end = rest[start..].find('?').map_or(rest.len(), |i| start + i);
        let dbname = &rest[start..end];
        if !dbname.is_empty() {
            given.set(
                "dbname",
                decode(dbname, "the database name in the database URL")?,
            );
        }
        p = end;
        terminator = b.get(p).copied();
    }
    if terminator == Some(b'?') {
        parse_uri_params(&rest[p + 1..], &mut given, PLACE)?;
    }
    Ok(given)
}

/// libpq's `conninfo_uri_parse_params`: `key=value` pairs joined by `&`, each
/// percent-decoded, `ssl=true` read as `sslmode=require` (libpq's nod to JDBC).
fn parse_uri_params(params: &str, given: &mut Given, place: &'static str) -> Result<(), Error> {
    // libpq stops at the end of the text: nothing after `?`, or after a last `&`, is
    // no parameter.
    let params = params.strip_suffix('&').unwrap_or(params);
    if params.is_empty() {
        return Ok(());
    }
    for (n, pair) in params.split('&').enumerate() {
        let n = n + 1;
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::ParameterWithoutValue { place, n });
        };
        let key = decode(key, &format!("the name of parameter {n} of {place}"))?;
        if value.contains('=') {
            return Err(Error::SecondEquals {
                place,
                shown: shown_name(&key),
            });
        }
        let value = decode(value, &format!("the value of {}", shown_name(&key)))?;
        if key == "ssl" && value == "true" {
            given.set("sslmode", "require".into());
            continue;
        }
        given.store(&key, value, place)?;
    }
    Ok(())
}

/// libpq's `conninfo_parse`: `name = value` pairs separated by white space; a value is
/// quoted with `'...'` or ends at white space, and `\` escapes the next character.
fn parse_keywords(s: &str) -> Result<Given, Error> {
    const PLACE: &str = "the database settings";
    let mut given = Given::default();
    let mut it = s.chars().peekable();
    let mut n = 0;
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.peek().is_none() {
            return Ok(given);
        }
        n += 1;
        let mut name = String::new();
        while let Some(c) = it.next_if(|c| *c != '=' && !c.is_whitespace()) {
            name.push(c);
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        if it.next_if_eq(&'=').is_none() {
            return Err(Error::WordWithoutValue { n });
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if_eq(&'\'').is_some() {
            loop {
                match it.next() {
                    None => {
                        return Err(Error::UnclosedQuote {
                            shown: shown_name(&name),
                        })
                    }
                    Some('\\') => value.extend(it.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = it.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(it.next());
                } else {
                    value.push(c);
                }
            }
        }
        given.store(&name, value, PLACE)?;
    }
}

/// libpq's `conninfo_uri_decode`: `%XX` with two hex digits, never `%00`; the result
/// must be UTF-8. The error names `what`, never the text.
fn decode(s: &str, what: &str) -> Result<String, Error> {
    let error = |problem| Error::Decode {
        what: what.to_string(),
        problem,
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            let (Some(h), Some(l)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
                return Err(error(DecodeProblem::BadPercent));
            };
            let byte = (h * 16 + l) as u8;
            if byte == 0 {
                return Err(error(DecodeProblem::Nul));
            }
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| error(DecodeProblem::NotUtf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(&'static str, String)> {
        parse(s).unwrap().values
    }

    fn p(k: &'static str, v: &str) -> (&'static str, String) {
        (k, v.to_string())
    }

    #[test]
    fn uri_parts_as_libpq_splits_them() {
        assert_eq!(
            pairs("postgres://u:pw@h:5439/db?sslmode=require"),
            [
                p("user", "u"),
                p("password", "pw"),
                p("host", "h"),
                p("port", "5439"),
                p("dbname", "db"),
                p("sslmode", "require"),
            ]
        );
        // A host without a port leaves the port out: PGPORT applies (tokio-postgres
        // wrote 5432 in).
        assert_eq!(
            pairs("postgres://postgres@localhost/shop"),
            [
                p("user", "postgres"),
                p("host", "localhost"),
                p("dbname", "shop")
            ]
        );
        // Empty parts are not given.
        assert_eq!(pairs("postgresql://"), []);
        assert_eq!(pairs("postgres://@:/"), []);
        assert_eq!(pairs("postgres://:@/?"), []);
        assert_eq!(pairs("postgres:///shop"), [p("dbname", "shop")]);
        assert_eq!(pairs("postgres://:5433"), [p("port", "5433")]);
        // Several hosts, IPv6, a socket directory, a `/` in the database name.
        assert_eq!(
            pairs("postgres://h1:1,[::1]:2,h3/a/b"),
            [
                p("host", "h1,::1,h3"),
                p("port", "1,2,"),
                p("dbname", "a/b")
            ]
        );
        assert_eq!(
            pairs("postgres://%2Ftmp%2Fpg/db"),
            [p("host", "/tmp/pg"), p("dbname", "db")]
        );
        // The last value wins, over the URI's part too; an empty value is given.
        assert_eq!(
            pairs("postgres://h:1/d?port=2&port=3&host="),
            [p("host", ""), p("port", "3"), p("dbname", "d")]
        );
        assert_eq!(
            pairs("postgres://h/d?ssl=true"),
            [p("host", "h"), p("dbname", "d"), p("sslmode", "require")]
        );
        assert_eq!(
            pairs("postgres://h/d?keepalives_retries=3"),
            [p("host", "h"), p("dbname", "d"), p("keepalives_count", "3")]
        );
    }

    #[test]
    fn keyword_value_pairs_as_libpq_tokenises_them() {
        assert_eq!(
            pairs("host=h port = 5 password='a b\\'c' dbname=x\\ y user="),
            [
                p("host", "h"),
                p("port", "5"),
                p("password", "a b'c"),
                p("dbname", "x y"),
                p("user", ""),
            ]
        );
        assert_eq!(pairs("host=''"), [p("host", "")]);
        assert_eq!(pairs(""), []);
        assert_eq!(pairs("  "), []);
    }

    #[test]
    fn errors_name_the_part_and_never_repeat_the_password() {
        let cases: &[(&str, &str)] = &[
            ("mysql://u:hunter2@h/db", "starts with `mysql:`"),
            ("postgres:/u:hunter2@h/db", "starts with `postgres:`"),
            ("POSTGRES://u:hunter2@h/db", "starts with `POSTGRES:`"),
            ("postgres://u:hunter2@[::1/db", "IPv6"),
            ("postgres://u:hunter2@[::1]x/db", "after its IPv6"),
            ("postgres://u%zz:hunter2@h/db", "the user name"),
            ("postgres://u:hunter2%@h/db", "the password"),
            ("postgres://u:hunter2@h%4/db", "the host"),
            ("postgres://u:hunter2@h:5%/db", "the port"),
            ("postgres://u:hunter2@h/d%00b", "the database name"),
            (
                "postgres://u:hunter2@h/db?sslmod=require",
                "did you mean `sslmode`?",
            ),
            ("postgres://u:hunter2@h/db?sslcert=x", "client certificates"),
            ("postgres://u:hunter2@h/db?hunter2", "parameter 1"),
            ("postgres://u:hunter2@h/db?a=b=c", "second `=`"),
            ("postgres://u:hunter2@h/db?Hunter2=x", "not a keyword"),
            ("host=h password=hunter2 sslmod=x", "`sslmod`"),
            ("host=h password='hunter2", "never closes"),
            ("hunter2", "word 1 has no `=`"),
            ("host=h hunter2", "word 2 has no `=`"),
        ];
        for (s, part) in cases {
            let e = parse(s).unwrap_err();
            // Not in the message, nor in the error's data.
            let debug = format!("{e:?}");
            assert!(!debug.to_lowercase().contains("hunter2"), "{s}: {debug}");
            let e = e.to_string();
            assert!(e.contains(part), "{s}: {e}");
            assert!(!e.to_lowercase().contains("hunter2"), "{s}: {e}");
        }
    }

    #[test]
    fn errors_carry_what_is_wrong_and_where() {
        assert_eq!(
            parse("postgres://u@h/db?sslmod=x").unwrap_err(),
            Error::Unknown {
                place: "the database URL",
                shown: "`sslmod`".into(),
                nearest: Some("sslmode"),
            }
        );
        assert_eq!(
            parse("host=h hunter2").unwrap_err(),
            Error::WordWithoutValue { n: 2 }
        );
        assert_eq!(
            parse("postgres://u:a%zz@h/db").unwrap_err(),
            Error::Decode {
                what: "the password in the database URL".into(),
                problem: DecodeProblem::BadPercent,
            }
        );
        assert_eq!(
            parse("mysql://h/db").unwrap_err(),
            Error::Scheme {
                scheme: "mysql".into()
            }
        );
    }

    #[test]
    fn debug_shows_keywords_only() {
        let g = parse("postgres://u:hunter2@h/db").unwrap();
        let debug = format!("{g:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("password"), "{debug}");
    }
}
