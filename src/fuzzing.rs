//! The checks the fuzz targets (`fuzz/`) run on each input. They live here so that the
//! normal test suite runs the very same checks over the seed corpus and every reproducer
//! kept from a fuzzing run (`fuzz/seeds/*`, tests/hostile.rs): a finding, once fixed,
//! stays fixed. Each function panics when a property does not hold; that is what the
//! fuzzer reports.

use crate::model::Target;
use crate::{config, diag, planfile, sqlread, state};

/// grants.yaml: any text either loads, or fails with at least one error, every
/// diagnostic naming the file (with a line and column, or in its message); every
/// diagnostic renders without a raw control character.
pub fn config(data: &[u8]) {
    const FILE: &str = "fuzz.yaml";
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let diags = match config::parse(FILE, text) {
        Ok(c) => {
            assert_eq!(c.sha256, state::sha256(text.as_bytes()));
            assert!(c.warnings.iter().all(|w| !w.is_error()));
            c.warnings
        }
        Err(diags) => {
            assert!(diags.iter().any(diag::Diagnostic::is_error), "{diags:?}");
            diags
        }
    };
    for d in &diags {
        match &d.location {
            Some(l) => assert!(l.file == FILE && l.line >= 1 && l.column >= 1, "{d}"),
            None => assert!(d.message.contains(FILE), "{d}"),
        }
        let shown = diag::render(d, Some(text), false);
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{shown:?}"
        );
    }
}

/// Plan files: any text is read or refused with a message naming the file. When the
/// first byte is odd, the rest gets a correct seal first (anyone who can edit a plan file
/// can recompute it), so the header and statement readers behind the seal are reached.
/// A file that reads back writes back to a file that reads the same.
pub fn planfile(data: &[u8]) {
    const FILE: &str = "fuzz.sql";
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let text = if mode & 1 == 1 {
        reseal(text)
    } else {
        text.to_string()
    };
    match planfile::read(FILE, &text) {
        Err(e) => assert!(e.to_string().contains(FILE), "{e}"),
        Ok(file) => {
            let h = &file.header;
            let one_line = [
                &h.database,
                &h.config,
                &h.config_sha256,
                &h.grantplan,
                &h.catalog,
            ]
            .iter()
            .all(|v| !v.contains(['\r', '\n']));
            if one_line {
                let again = planfile::write(h, &file.statements);
                assert_eq!(planfile::read(FILE, &again), Ok(file.clone()), "{again}");
            }
        }
    }
}

/// The text with its first `-- seal:` line made to match the other lines, the way
/// [`planfile::write`] seals (lines split at `\n`, as the reader splits them).
pub fn reseal(text: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = body.split('\n').collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("-- seal: ")) else {
        return text.to_string();
    };
    // As the reader decides it: a first line of `FIRST_LINE\r` means CRLF line ends.
    let crlf = body.starts_with(&format!("{}\r", planfile::FIRST_LINE));
    let strip = |l: &&str| -> String {
        if crlf {
            l.strip_suffix('\r').unwrap_or(l).to_string()
        } else {
            l.to_string()
        }
    };
    let head: Vec<String> = lines[..at].iter().map(strip).collect();
    let tail: Vec<String> = lines[at + 1..].iter().map(strip).collect();
    let mut all = head.join("\n");
    all.push('\n');
    all.push_str(&tail.join("\n"));
    let seal = format!(
        "-- seal: {}{}",
        state::sha256(all.as_bytes()),
        if crlf { "\r" } else { "" }
    );
    let mut out: Vec<&str> = lines.clone();
    out[at] = &seal;
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// SQL reader: any text is read or refused, never a panic; whatever it accepts renders
/// to SQL that reads back as the same statement; and reading it in pieces (as large plan
/// files are read) gives exactly what reading it whole gives, statements or error. The
/// first byte picks the target (its low bit) and the piece size (the rest, in bytes).
pub fn sqlread(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let target = if mode & 1 == 1 {
        Target::Redshift
    } else {
        Target::Postgres
    };
    let whole = sqlread::read_whole(text, target);
    assert_eq!(
        sqlread::read_in_pieces(text, target, usize::from(mode >> 1)),
        whole,
        "read in pieces of {} bytes",
        mode >> 1
    );
    if let Ok(statements) = whole {
        for s in statements {
            let sql = s.render(target);
            assert_eq!(sqlread::read(&sql, target), Ok(vec![s.clone()]), "{sql}");
        }
    }
}
