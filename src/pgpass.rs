//! The libpq password file (`~/.pgpass`, or `$PGPASSFILE`), read the way libpq reads it
//! (<https://www.postgresql.org/docs/current/libpq-pgpass.html>), because people who
//! already keep their passwords there expect every PostgreSQL client to find them, and
//! because it keeps passwords out of command lines and shell history.
//!
//! - One entry per line, `hostname:port:database:username:password`; lines starting
//!   with `#` and empty lines are skipped.
//! - Each of the first four fields is a literal or `*` (the whole field), which matches
//!   anything; `\` escapes the next character, so `\:` and `\\` put a colon or a
//!   backslash into a field. The password ends at the first unescaped `:`.
//! - The first matching line wins.
//! - A file that others may read or write (any group or world permission bit), or that
//!   is not a regular file, is not used, with a warning. A missing file is silently
//!   skipped, as in libpq.
//!
//! It is consulted only when neither the URL nor `$PGPASSWORD` gives a password. The
//! password never leaves this module in a message: [`Found`] has no `Debug`, and the
//! warnings name the file, never its contents.

use std::path::{Path, PathBuf};

/// A matching entry: the password, and where it was found (for messages).
pub struct Found {
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    pub password: String,
}

/// What the lookup is matched against: the values of the connection about to be made.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The host as given (a name or an address), `localhost` for the default Unix
    /// socket, or a socket directory.
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// The largest password file read. It holds a line per server, a few KiB in practice;
/// the bound is there so that a file that never ends is not read forever.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The password file: `$PGPASSFILE` when set, else `$HOME/.pgpass`; `None` when neither
/// can be named.
pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(p) = get("PGPASSFILE") {
        return Some(PathBuf::from(p));
    }
    get("HOME").map(|h| Path::new(&h).join(".pgpass"))
}

/// Why a password file that exists was not used. It does not stop the connection: the
/// caller shows it as a warning, whose text is this error's `Display`. Like every
/// message of this module it names the file, never its contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unused {
    /// Not a regular file (a directory, a FIFO, a device): not even opened.
    #[error("the password file {} is not a plain file; it was not used", .path.display())]
    NotPlain { path: PathBuf },
    /// Group or world permission bits are set; `mode` is the file's permission bits.
    #[error(
        "the password file {} has group or world access (mode {mode:04o}); it was not \
         used. Permissions should be u=rw (0600) or less: chmod 0600 {}",
        .path.display(),
        .path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    /// It could not be read (no permission, too large).
    #[error("{}", .error.describe(&format!("the password file {}", .path.display())))]
    Unreadable {
        path: PathBuf,
        error: crate::input::ReadTextError,
    },
}

/// Looks `target` up in the file at `path`. `Ok(None)`: no file, or no matching line.
/// `Err`: why the file was not used, for a warning.
pub fn lookup(path: &Path, target: &Target<'_>) -> Result<Option<Found>, Unused> {
    use crate::input::ReadTextError;
    if let Err(e) = std::fs::metadata(path) {
        if e.kind() == std::io::ErrorKind::NotFound {
            return Ok(None);
        }
    }
    // Opened only if it is a regular file, never blocking (crate::input): a FIFO put in
    // its place would otherwise hang every connection. Its mode is read from the open
    // handle, so the file checked is the file read.
    let (file, meta) = crate::input::open_regular(path).map_err(|error| match error {
        ReadTextError::NotRegular { .. } => Unused::NotPlain {
            path: path.to_path_buf(),
        },
        error => Unused::Unreadable {
            path: path.to_path_buf(),
            error,
        },
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Unused::Permissions {
                path: path.to_path_buf(),
                mode: mode & 0o7777,
            });
        }
    }
    let text = crate::input::read_open(file, &meta, MAX_FILE_BYTES).map_err(|error| {
        Unused::Unreadable {
            path: path.to_path_buf(),
            error,
        }
    })?;
    // Not UTF-8 as a whole (a Latin-1 comment, say): lines are decoded one by one, and a
    // line that does not decode cannot match a connection's UTF-8 values anyway.
    let text = String::from_utf8_lossy(&text);
    Ok(find(&text, target).map(|(line, password)| Found {
        path: path.to_path_buf(),
        line,
        password,
    }))
}

/// The first line of `text` that matches `target`: its 1-based number and password.
pub fn find(text: &str, target: &Target<'_>) -> Option<(usize, String)> {
    let port = target.port.to_string();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let found = field(line, target.host)
            .and_then(|rest| field(rest, &port))
            .and_then(|rest| field(rest, target.database))
            .and_then(|rest| field(rest, target.user))
            .map(password);
        if let Some(p) = found {
            return Some((i + 1, p));
        }
    }
    None
}

/// Matches one `:`-terminated field at the start of `rest` against `value`; the rest of
/// the line after its `:` when it matches. `*` alone matches anything; `\` escapes.
fn field<'a>(rest: &'a str, value: &str) -> Option<&'a str> {
    if let Some(after) = rest.strip_prefix("*:") {
        return Some(after);
    }
    let mut want = value.chars();
    let mut it = rest.char_indices();
    while let Some((i, c)) = it.next() {
        let (c, escaped) = match c {
            '\\' => (it.next()?.1, true),
            c => (c, false),
        };
        if c == ':' && !escaped {
            return want.next().is_none().then(|| &rest[i + 1..]);
        }
        if want.next() != Some(c) {
            return None;
        }
    }
    None
}

/// The password field: up to the first unescaped `:` (or the end), backslashes removed.
fn password(rest: &str) -> String {
    let mut out = String::new();
    let mut it = rest.chars();
    while let Some(c) = it.next() {
        match c {
            ':' => break,
            '\\' => out.push(it.next().unwrap_or('\\')),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target<'static> = Target {
        host: "db.internal",
        port: 5439,
        database: "dev",
        user: "admin",
    };

    #[test]
    fn the_first_matching_line_wins_and_stars_match_anything() {
        let text = "\
# a comment: db.internal:5439:dev:admin:not-this
other.host:5439:dev:admin:wrong-host
db.internal:5432:dev:admin:wrong-port
db.internal:5439:prod:admin:wrong-db
db.internal:5439:dev:someone:wrong-user

db.internal:5439:dev:admin:first
*:*:*:*:second
";
        assert_eq!(find(text, &T), Some((7, "first".to_string())));
        assert_eq!(find("*:*:*:*:any\n", &T), Some((1, "any".to_string())));
        assert_eq!(
            find("db.internal:*:*:admin:some\r\n", &T),
            Some((1, "some".to_string()))
        );
        assert_eq!(
            find("db.internal:5439:dev:admin\n", &T),
            None,
            "no password field"
        );
        assert_eq!(find("", &T), None);
    }

    #[test]
    fn backslash_escapes_colons_and_backslashes_in_every_field() {
        let t = Target {
            host: "h",
            port: 1,
            database: "a:b",
            user: "c\\d",
        };
        assert_eq!(
            find(r"h:1:a\:b:c\\d:p\:w\\d\x:ignored", &t),
            Some((1, r"p:w\dx".to_string()))
        );
        // An unescaped colon inside a field ends it: no match.
        assert_eq!(find("h:1:a:b:c\\\\d:pw", &t), None);
        // `*` is a wildcard only as the whole field; `\*` is a literal star.
        let star = Target { host: "*", ..T };
        assert_eq!(
            find(r"\*:5439:dev:admin:lit", &star),
            Some((1, "lit".into()))
        );
        assert_eq!(find(r"\*:5439:dev:admin:lit", &T), None);
        assert_eq!(find("db*:5439:dev:admin:x", &T), None);
        // A trailing backslash is kept, as libpq keeps it.
        assert_eq!(find("*:*:*:*:pw\\", &T), Some((1, "pw\\".into())));
        // Prefixes do not match.
        assert_eq!(find("db.internal:5439:de:admin:x", &T), None);
        assert_eq!(find("db.internal:5439:devx:admin:x", &T), None);
    }

    #[test]
    fn pgpassfile_beats_home() {
        let env = |k: &str| match k {
            "PGPASSFILE" => Some("/etc/grantplan.pgpass".to_string()),
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        assert_eq!(path(&env), Some(PathBuf::from("/etc/grantplan.pgpass")));
        let env = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        assert_eq!(path(&env), Some(PathBuf::from("/home/me/.pgpass")));
        assert_eq!(path(&|_| None), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_not_used_and_the_warning_names_only_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:Hunter2-in-file\n").unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = lookup(&file, &T).err().expect("refused");
            assert_eq!(
                e,
                Unused::Permissions {
                    path: file.clone(),
                    mode
                }
            );
            let e = e.to_string();
            assert!(e.contains("group or world access"), "{mode:o}: {e}");
            assert!(e.contains(&file.display().to_string()), "{e}");
            assert!(!e.contains("Hunter2"), "{e}");
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let found = lookup(&file, &T).unwrap().expect("used");
            assert_eq!(found.password, "Hunter2-in-file");
            assert_eq!(found.line, 1);
        }
        // Missing: silently nothing, as in libpq.
        assert!(lookup(&dir.path().join("nope"), &T).unwrap().is_none());
        // A directory is not a password file, nor is a FIFO, which is not even opened
        // (opening it would wait for a writer).
        let e = lookup(dir.path(), &T).err().expect("refused");
        assert!(matches!(e, Unused::NotPlain { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.contains("not a plain file"), "{e}");
        let fifo = dir.path().join("fifo");
        use rustix::fs::{mknodat, FileType, Mode, CWD};
        mknodat(CWD, &fifo, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
        let e = lookup(&fifo, &T).err().expect("refused");
        assert_eq!(e, Unused::NotPlain { path: fifo.clone() });
        let e = e.to_string();
        assert!(e.contains("not a plain file"), "{e}");
    }
}
