//! Reviewed plan files: `plan --out` writes one, `apply PLANFILE` runs exactly it, or
//! nothing.
//!
//! Why the pieces:
//! - The **header** records what the plan was computed from: the target, the database
//!   (never a password), the SHA-256 of grants.yaml, the grantplan version, and the
//!   fingerprint of the catalog scope the plan depended on ([`crate::state`]). `apply`
//!   re-reads the catalog and refuses when the fingerprint no longer matches: the plan a
//!   person approved would no longer be the right one.
//! - The **seal**, a SHA-256 over every other line of the file, refuses a file edited
//!   after grantplan wrote it (a header changed to match a new catalog, a statement
//!   added). It is a checksum against edits and accidents, not a signature: whoever can
//!   edit the file can recompute it, which is why the body is also read back.
//! - The **body** is read with [`crate::sqlread`], which accepts only the statements
//!   grantplan writes: a `DROP TABLE` hidden in a reviewed file never runs.

use crate::model::Target;
use crate::sql::Statement;
use std::borrow::Cow;

/// The first line of every plan file; the number is the layout version.
pub const FIRST_LINE: &str = "-- grantplan plan file, format 1";

/// What a plan file's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub target: Target,
    /// `user@host:port/db` or `snapshot FILE`: where the catalog was read.
    pub database: String,
    /// The grants.yaml path as given, for messages.
    pub config: String,
    /// `sha256:...` of grants.yaml's bytes.
    pub config_sha256: String,
    /// The grantplan version that wrote the file.
    pub grantplan: String,
    /// [`crate::state::Scope::fingerprint`] of the catalog planned against.
    pub catalog: String,
}

/// A plan file read back and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFile {
    pub header: Header,
    pub statements: Vec<Statement>,
}

/// Writes a plan file: header, seal, then the statements as [`Statement::render`] lays
/// them out (one line each, or one object per line when a statement names several objects
/// or grantees).
pub fn write(header: &Header, statements: &[Statement]) -> String {
    let mut lines = vec![
        FIRST_LINE.to_string(),
        "-- Review it, then run exactly it: grantplan apply -f GRANTS.yaml THIS_FILE".to_string(),
        format!("-- target: {}", header.target),
        format!("-- database: {}", one_line(&header.database)),
        format!("-- config: {}", one_line(&header.config)),
        format!("-- config-sha256: {}", header.config_sha256),
        format!("-- grantplan: {}", header.grantplan),
        format!("-- catalog: {}", header.catalog),
        format!("-- statements: {}", statements.len()),
    ];
    let mut after = false;
    let mut body: Vec<String> = Vec::with_capacity(statements.len() + 1);
    for s in statements {
        if s.after_commit() && !std::mem::replace(&mut after, true) {
            body.push(crate::sql::AFTER_COMMIT_NOTE.to_string());
        }
        body.push(s.render(header.target));
    }
    let seal = seal_of(&lines, body.iter().map(String::as_str));
    lines.push(format!("-- seal: {seal}"));
    lines.extend(body);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Why a plan file was refused: what is wrong, where, and what to do.
///
/// A typed error rather than a sentence so that callers and tests can ask which check
/// failed, and at which line, without reading the message; its `Display` is the message
/// the CLI prints, word for word. `name` is the file as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The file could not be read (missing, not a regular file, too large, not UTF-8).
    #[error("{}", .error.describe(&format!("plan file {name}")))]
    Read {
        name: String,
        error: crate::input::ReadTextError,
    },
    /// The first line is not [`FIRST_LINE`]: some other file.
    #[error(
        "{name} is not a grantplan plan file (its first line is not `{FIRST_LINE}`); \
         write one with `grantplan plan --out DIR`"
    )]
    NotAPlanFile { name: String },
    #[error("{name} has no `-- seal:` line: it was not written whole by grantplan, or was edited")]
    NoSeal { name: String },
    /// The seal does not match the other lines.
    #[error(
        "{name} was edited after grantplan wrote it (its seal does not match its \
         content), so it is not the plan that was reviewed; plan again with \
         `grantplan plan --out DIR` and review the new file"
    )]
    Edited { name: String },
    /// A header field (`target`, `database`, ...) is missing.
    #[error("{name}: the header has no `{key}:` line")]
    MissingField { name: String, key: &'static str },
    /// A header field is given twice.
    #[error("{name}: the header has two `{key}:` lines")]
    DuplicateField { name: String, key: &'static str },
    #[error("{name}: unknown target `{target}` in the header")]
    UnknownTarget { name: String, target: String },
    #[error("{name}: the `statements:` line is not a number")]
    BadCount { name: String },
    /// A statement of the body is not one grantplan writes. `line` counts from the
    /// file's first line (the reader's own count starts at the body), `column` in
    /// characters.
    #[error("{name}: {kind} (line {line} of the file)")]
    Statement {
        name: String,
        line: usize,
        column: u64,
        kind: crate::sqlread::ReadErrorKind,
    },
    /// The header's `statements:` count is not the number of statements read.
    #[error("{name}: the header announces {announced} statements but the file holds {found}")]
    CountMismatch {
        name: String,
        announced: usize,
        found: usize,
    },
    /// Statement `statement` (1-based) names something a reviewer cannot see
    /// ([`unshowable`]); `shown` is its SQL with such characters escaped.
    #[error(
        "{name}: statement {statement} names something holding a control or bidirectional \
         character, which a reviewer cannot see in a file: {shown}; apply without a plan \
         file (its preview shows such names escaped)"
    )]
    Unshowable {
        name: String,
        statement: usize,
        shown: String,
    },
}

/// Reads a plan file, checking its first line, header, seal and every statement.
///
/// Errors say what is wrong and what to do; `name` is the file as the user gave it.
///
/// Nothing here is kept per line: a file of millions of blank or comment lines (the seal
/// can be recomputed by anyone) must cost no more memory than its text, so the lines are
/// walked as slices of it, the seal is hashed as they go by, and the body reaches
/// [`crate::sqlread::read`] as one slice of the file (a copy only for a CRLF file).
pub fn read(name: &str, text: &str) -> Result<PlanFile, Error> {
    let name_ = || name.to_string();
    let lines = Lines::of(text);
    if lines.iter().next() != Some(FIRST_LINE) {
        return Err(Error::NotAPlanFile { name: name_() });
    }
    let (seal_at, seal_line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.starts_with("-- seal: "))
        .ok_or_else(|| Error::NoSeal { name: name_() })?;
    let header_lines = || lines.iter().take(seal_at);
    let body_lines = || lines.iter().skip(seal_at + 1);
    let field = |key: &'static str| -> Result<String, Error> {
        let prefix = format!("-- {key}: ");
        let mut found = header_lines().filter_map(|l| l.strip_prefix(&prefix));
        match (found.next(), found.next()) {
            (Some(v), None) => Ok(v.to_string()),
            (None, _) => Err(Error::MissingField { name: name_(), key }),
            (Some(_), Some(_)) => Err(Error::DuplicateField { name: name_(), key }),
        }
    };
    // The header's and the body's lines, each joined by `\n`: slices of the text as it
    // stands, unless each line has a `\r` to take off.
    let (header_text, body) = match lines.around(seal_at) {
        Some((header, body)) => (Cow::Borrowed(header), Cow::Borrowed(body)),
        None => (
            Cow::Owned(join(header_lines())),
            Cow::Owned(join(body_lines())),
        ),
    };
    let seal = &seal_line["-- seal: ".len()..];
    if seal != seal_of([header_text], [body.as_ref()]) {
        return Err(Error::Edited { name: name_() });
    }
    let target = match field("target")?.as_str() {
        "redshift" => Target::Redshift,
        "postgres" => Target::Postgres,
        other => {
            return Err(Error::UnknownTarget {
                name: name_(),
                target: other.to_string(),
            })
        }
    };
    let header = Header {
        target,
        database: field("database")?,
        config: field("config")?,
        config_sha256: field("config-sha256")?,
        grantplan: field("grantplan")?,
        catalog: field("catalog")?,
    };
    let count: usize = field("statements")?
        .parse()
        .map_err(|_| Error::BadCount { name: name_() })?;
    // Line numbers in the reader's errors count from the body's first line.
    let statements = crate::sqlread::read(&body, target).map_err(|e| Error::Statement {
        name: name_(),
        line: e.line as usize + seal_at + 1,
        column: e.column,
        kind: e.kind,
    })?;
    if statements.len() != count {
        return Err(Error::CountMismatch {
            name: name_(),
            announced: count,
            found: statements.len(),
        });
    }
    if let Some((statement, shown)) = unshowable(&statements, target) {
        return Err(Error::Unshowable {
            name: name_(),
            statement,
            shown,
        });
    }
    Ok(PlanFile { header, statements })
}

/// The first statement (1-based, with its SQL escaped) that names something holding a
/// character a reviewer cannot see in a file ([`crate::diag::is_unshowable`]: ESC, CR,
/// a right-to-left override...). Such a plan is never written as a plan file, and one
/// made by hand is refused: a reviewed file must show what it runs.
pub fn unshowable(statements: &[Statement], target: Target) -> Option<(usize, String)> {
    // Line by line: the line breaks of the layout are not a name's (`crate::sql`).
    statements.iter().enumerate().find_map(|(i, s)| {
        let lines = s.render_lines(target);
        let (at, line) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.chars().any(crate::diag::is_unshowable))?;
        let shown = match lines.len() {
            1 => crate::diag::visible(line),
            _ => format!(
                "{}, in its line {}: {}",
                crate::sql::headline(&crate::output::shown(s, target).0),
                at + 1,
                crate::diag::visible(line.trim_start())
            ),
        };
        Some((i + 1, shown))
    })
}

/// The largest plan file `apply` reads: 64 MiB, about 1.2 million statements.
///
/// A plan for the largest grants.yaml grantplan accepts ([`crate::config::MAX_FILE_BYTES`])
/// can hold several statements per entry, so this is above that limit. Reading a plan
/// holds its text and the statements read, which are kept (they are compared with a plan
/// made in the transaction); blank lines and comments cost nothing more, whatever their
/// number, since the seal cannot keep anyone from adding them ([`read`],
/// [`crate::sqlread::read`]). The figures at the limit are in docs/benchmarks.md.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads the plan file at `path` and checks it with [`read`]. A file over
/// [`MAX_FILE_BYTES`] is refused before it is held in memory, and anything but a regular
/// file (a FIFO, a device) before it is opened ([`crate::input`]).
pub fn load(path: &std::path::Path) -> Result<PlanFile, Error> {
    let name = path.display().to_string();
    let text = match crate::input::read_text(path, MAX_FILE_BYTES) {
        Ok(text) => text,
        Err(error) => return Err(Error::Read { name, error }),
    };
    read(&name, &text)
}

/// The lines of a plan file, exactly as [`write()`] joined them: split at `\n` only, so a
/// `\r` inside a quoted name (a catalog can hold a function called `"a\r\nb"`) is kept
/// and the statement reads back as written. A file whose first line ends in `\r` was
/// converted to CRLF line ends (a checkout on Windows): one `\r` is taken off each line.
/// One final line break ends the last line rather than starting an empty one.
#[derive(Clone, Copy)]
struct Lines<'a> {
    text: &'a str,
    crlf: bool,
}

impl<'a> Lines<'a> {
    fn of(text: &'a str) -> Self {
        Lines {
            text: text.strip_suffix('\n').unwrap_or(text),
            crlf: text.starts_with(&format!("{FIRST_LINE}\r")),
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a str> {
        self.text.split('\n').map(move |l| {
            if self.crlf {
                l.strip_suffix('\r').unwrap_or(l)
            } else {
                l
            }
        })
    }

    /// The lines before line `index` (0-based, not the first) and the lines after it,
    /// each joined by `\n`, as slices of the text: `None` for a CRLF file, whose lines
    /// lose their `\r`.
    fn around(self, index: usize) -> Option<(&'a str, &'a str)> {
        if self.crlf {
            return None;
        }
        let mut starts =
            std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1));
        let start = starts.nth(index)?;
        let header = &self.text[..start.checked_sub(1)?];
        let body = starts.next().map_or("", |next| &self.text[next..]);
        Some((header, body))
    }
}

/// `lines` joined by `\n`.
fn join<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, line) in lines.enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// The seal: SHA-256 of the header lines (without the seal) and the body lines, each
/// group joined by `\n` and the two joined by `\n`. Hashed line by line, never joined.
fn seal_of<'a, S: AsRef<str>>(
    header: impl IntoIterator<Item = S>,
    body: impl IntoIterator<Item = &'a str>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (i, line) in header.into_iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(line.as_ref().as_bytes());
    }
    hasher.update(b"\n");
    for (i, line) in body.into_iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(line.as_bytes());
    }
    format!("sha256:{}", crate::state::hex(&hasher.finalize()))
}

/// A header value on one line (a database or file name holding a line break would
/// otherwise start a line that is not a comment).
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// The file name for a plan written into a directory: `<UTC time>_<slug>.sql`, the time
/// as `YYYYMMDDTHHMMSSZ` so names sort by time, the slug from the grants file's stem.
pub fn file_name(now: std::time::SystemTime, config_path: &std::path::Path) -> String {
    let stamp: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    let stem = config_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let slug: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    format!(
        "{stamp}_{}.sql",
        if slug.is_empty() { "grants" } else { slug }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grantee, PrincipalKind, Privilege, Securable};
    use crate::state::sha256;

    fn header() -> Header {
        Header {
            target: Target::Redshift,
            database: "admin@cluster:5439/dev".into(),
            config: "grants.yaml".into(),
            config_sha256: sha256(b"grants"),
            grantplan: "0.1.0".into(),
            catalog: sha256(b"catalog"),
        }
    }

    fn statements() -> Vec<Statement> {
        vec![
            Statement::Grant {
                privileges: vec![Privilege::CreateModel],
                on: vec![Securable::CreateModel],
                grantees: vec![Grantee::principal(
                    PrincipalKind::Group,
                    "retention_analyst_grp",
                )],
            },
            Statement::Grant {
                privileges: vec![Privilege::Execute],
                on: vec![Securable::Model {
                    schema: "demo_ml".into(),
                    name: "customer_churn_auto_model".into(),
                }],
                grantees: vec![Grantee::principal(
                    PrincipalKind::Group,
                    "marketing_analyst_grp",
                )],
            },
        ]
    }

    #[test]
    fn a_written_file_reads_back_whole() {
        let text = write(&header(), &statements());
        assert!(text.starts_with(FIRST_LINE));
        assert!(text.contains("\n-- catalog: sha256:"));
        assert!(text.ends_with(
            "\nGRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;\n"
        ));
        let read = read("p.sql", &text).unwrap();
        assert_eq!(read.header, header());
        assert_eq!(read.statements, statements());
    }

    /// A statement naming several objects or grantees is written one per line; the file
    /// reads back as the same statements, and so does the one-line form of before.
    #[test]
    fn grouped_statements_are_written_one_per_line_and_read_back() {
        let grouped = vec![
            Statement::Revoke {
                privileges: vec![Privilege::Usage],
                on: vec![
                    Securable::Schema { name: "a".into() },
                    Securable::Schema { name: "B c".into() },
                ],
                grantees: vec![
                    Grantee::principal(PrincipalKind::Group, "g"),
                    Grantee::Public,
                ],
            },
            statements()[1].clone(),
        ];
        let text = write(&header(), &grouped);
        assert!(
            text.contains("\n-- statements: 2\n-- seal: sha256:"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "\nREVOKE USAGE ON SCHEMA\n    a,\n    \"B c\"\n  FROM\n    GROUP g,\n    PUBLIC;\n\
                 GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;\n"
            ),
            "{text}"
        );
        assert_eq!(read("p.sql", &text).unwrap().statements, grouped);
        // Written before the layout: one line, sealed as it was then.
        let old = crate::fuzzing::reseal(&text.replace(
            "REVOKE USAGE ON SCHEMA\n    a,\n    \"B c\"\n  FROM\n    GROUP g,\n    PUBLIC;",
            "REVOKE USAGE ON SCHEMA a, \"B c\" FROM GROUP g, PUBLIC;",
        ));
        assert_ne!(old, text);
        assert_eq!(read("p.sql", &old).unwrap().statements, grouped);
        // A line of a grouped statement removed is an edit like any other.
        let edited = text.replace("    a,\n", "");
        let e = read("p.sql", &edited).unwrap_err().to_string();
        assert!(e.contains("was edited after grantplan wrote it"), "{e}");
    }

    #[test]
    fn an_edited_header_or_body_breaks_the_seal() {
        let text = write(&header(), &statements());
        let edits = [
            text.replace("-- target: redshift", "-- target: postgres"),
            text.replace("-- catalog: sha256:", "-- catalog: sha256:0"),
            text.replace(
                "marketing_analyst_grp;",
                "marketing_analyst_grp;\nDROP TABLE t;",
            ),
            text.replace("GROUP retention_analyst_grp", "GROUP interns"),
            text.replacen("\nGRANT", "\n\nGRANT", 1),
        ];
        for edited in edits {
            let e = read("p.sql", &edited).unwrap_err().to_string();
            assert!(e.contains("was edited after grantplan wrote it"), "{e}");
        }
    }

    #[test]
    fn a_resealed_smuggled_statement_is_still_refused() {
        // Someone edits the body and recomputes the seal: the reader still refuses
        // anything grantplan does not write.
        let text = write(&header(), &statements());
        let (head, body) = text.split_once("\n-- seal: ").unwrap();
        let body_lines: Vec<String> = body
            .lines()
            .skip(1)
            .map(String::from)
            .chain(["DROP TABLE t;".to_string()])
            .collect();
        let head_lines: Vec<String> = head
            .lines()
            .map(|l| l.replace("-- statements: 2", "-- statements: 3"))
            .collect();
        let seal = seal_of(&head_lines, body_lines.iter().map(String::as_str));
        let forged = format!(
            "{}\n-- seal: {seal}\n{}\n",
            head_lines.join("\n"),
            body_lines.join("\n")
        );
        let e = read("p.sql", &forged).unwrap_err();
        // The line is a field: the file's 13th line, the body's first after the seal
        // and the two statements.
        assert!(
            matches!(
                &e,
                Error::Statement { name, line: 13, column: 1, kind: crate::sqlread::ReadErrorKind::NotAStatement { .. } }
                    if name == "p.sql"
            ),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.contains("`DROP` is not a statement grantplan writes"),
            "{e}"
        );
        assert!(e.contains("(line 13 of the file)"), "{e}");
    }

    #[test]
    fn other_files_are_named_as_such() {
        let e = read("x.sql", "GRANT USAGE ON SCHEMA s TO g;\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.sql is not a grantplan plan file"), "{e}");
        let e = read(
            "x.sql",
            &format!("{FIRST_LINE}\nGRANT USAGE ON SCHEMA s TO g;\n"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no `-- seal:` line"), "{e}");
    }

    #[test]
    fn names_a_reviewer_cannot_see_are_refused_and_crlf_files_still_read() {
        for name in ["a\r\nb\r", "x\u{1b}[2Ky", "report\u{202e}txt"] {
            let s = vec![Statement::Grant {
                privileges: vec![Privilege::Execute],
                on: vec![Securable::Function {
                    schema: "s".into(),
                    name: name.into(),
                    args: None,
                }],
                grantees: vec![Grantee::Public],
            }];
            assert_eq!(unshowable(&s, Target::Postgres).map(|(n, _)| n), Some(1));
            let text = write(&header(), &s);
            let e = read("p.sql", &text).unwrap_err();
            assert!(matches!(e, Error::Unshowable { statement: 1, .. }), "{e:?}");
            let e = e.to_string();
            assert!(
                e.starts_with("p.sql: statement 1 names something holding a control or bidirectional character"),
                "{e}"
            );
            assert!(!e.chars().any(crate::diag::is_unshowable), "{e:?}");
        }
        // The same file with CRLF line ends, as a Windows checkout writes it.
        let crlf = write(&header(), &statements()).replace('\n', "\r\n");
        assert_eq!(read("p.sql", &crlf).unwrap().statements, statements());
        // No final line break.
        let text = write(&header(), &statements());
        assert_eq!(
            read("p.sql", text.trim_end()).unwrap().statements,
            statements()
        );
    }

    #[test]
    fn oversized_and_endless_plan_files_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.sql");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let shown = path.display().to_string();
        assert_eq!(
            load(&path).unwrap_err().to_string(),
            format!(
                "plan file {shown} is 64.0 MiB; grantplan reads files of at most 64.0 MiB \
                 and refused to read it"
            )
        );
        let e = load(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(
                &e,
                Error::Read { name, error: crate::input::ReadTextError::NotRegular { .. } }
                    if name == "/dev/zero"
            ),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.starts_with("plan file /dev/zero is a character device, not a regular file"),
            "{e}"
        );
        let written = dir.path().join("ok.sql");
        std::fs::write(&written, write(&header(), &statements())).unwrap();
        assert_eq!(load(&written).unwrap().statements, statements());
    }

    // ---- properties -------------------------------------------------------------------

    use crate::config::hostile::{apply_edit, edit};
    use crate::sqlread::tests::any_statement;
    use proptest::prelude::*;

    /// Pieces of plan files, for insertions.
    const PIECES: &[&str] = &[
        "\n",
        "\r",
        "\r\n",
        ";",
        "\"",
        "\"\"",
        "--",
        "/*",
        "*/",
        " ",
        "GRANT ",
        "REVOKE ",
        "CREATE ROLE ",
        "ALTER GROUP g ADD USER u;",
        "DROP TABLE t;",
        "USAGE",
        "ON SCHEMA ",
        "TO ",
        "FROM ",
        "GROUP ",
        "PUBLIC",
        "CASCADE",
        "-- seal: ",
        "-- target: postgres",
        "-- statements: 0",
        "-- statements: 99999999999999999999",
        "-- catalog: x",
        FIRST_LINE,
        "\u{202e}",
        "\0",
        "é",
    ];

    use crate::fuzzing::reseal;

    /// Every refusal names the file; a line it names is in the file.
    fn check(text: &str) -> Result<(), TestCaseError> {
        match read("plan.sql", text) {
            Ok(file) => {
                let announced = text
                    .lines()
                    .find_map(|l| l.strip_prefix("-- statements: "))
                    .and_then(|n| n.parse::<usize>().ok());
                prop_assert_eq!(announced, Some(file.statements.len()));
            }
            Err(e) => {
                let e = e.to_string();
                prop_assert!(e.contains("plan.sql"), "{}", e);
                if let Some(rest) = e.split("(line ").nth(1) {
                    let line: usize = rest.split(' ').next().unwrap().parse().unwrap();
                    prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{}", e);
                }
            }
        }
        Ok(())
    }

    fn any_header() -> impl Strategy<Value = Header> {
        (
            prop_oneof![Just(Target::Redshift), Just(Target::Postgres)],
            "\\PC{0,40}",
            "\\PC{0,40}",
            "[a-z0-9.+-]{0,12}",
        )
            .prop_map(|(target, database, config, version)| Header {
                target,
                database,
                config,
                config_sha256: sha256(b"grants"),
                grantplan: version,
                catalog: sha256(b"catalog"),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_is_read_or_refused_naming_the_file(
            body in "\\PC{0,300}",
            with_first_line in any::<bool>(),
            sealed in any::<bool>(),
        ) {
            let mut text = if with_first_line { format!("{FIRST_LINE}\n{body}") } else { body };
            if sealed {
                text = reseal(&text);
            }
            check(&text)?;
        }

        #[test]
        fn edited_plan_files_are_read_or_refused_naming_the_file(
            header in any_header(),
            statements in prop::collection::vec(any_statement(Target::Postgres), 0..6),
            edits in prop::collection::vec(edit(PIECES), 1..5),
            sealed in any::<bool>(),
        ) {
            let header = Header { target: Target::Postgres, ..header };
            let mut text = write(&header, &statements);
            for e in &edits {
                text = apply_edit(&text, e);
            }
            if sealed {
                text = reseal(&text);
            }
            check(&text)?;
        }

        #[test]
        fn every_written_file_reads_back(
            header in any_header(),
            statements in prop::collection::vec(any_statement(Target::Redshift), 0..8),
            pg_statements in prop::collection::vec(any_statement(Target::Postgres), 0..8),
        ) {
            let statements = match header.target {
                Target::Redshift => statements,
                Target::Postgres => pg_statements,
            };
            let text = write(&header, &statements);
            if let Some((n, _)) = unshowable(&statements, header.target) {
                // grantplan never writes such a file (plan --out refuses); one made by
                // hand is refused, naming the statement.
                let e = read("plan.sql", &text).unwrap_err().to_string();
                prop_assert!(e.starts_with(&format!("plan.sql: statement {n} names")), "{}", e);
                return Ok(());
            }
            let read = read("plan.sql", &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // Line breaks in the database and config names are written as spaces.
            let want = Header {
                database: one_line(&header.database),
                config: one_line(&header.config),
                ..header.clone()
            };
            prop_assert_eq!(read.header, want);
            let canonical: Vec<Statement> =
                statements.iter().map(|s| s.canonical(header.target)).collect();
            prop_assert_eq!(read.statements, canonical);
        }
    }

    #[test]
    fn file_names_sort_by_utc_time_and_carry_a_slug() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_600_000);
        assert_eq!(
            file_name(t, std::path::Path::new("conf/Grants ML.yaml")),
            "20261125T094640Z_grants-ml.sql"
        );
        assert_eq!(
            file_name(t, std::path::Path::new("grants.yaml")),
            "20261125T094640Z_grants.sql"
        );
    }
}
