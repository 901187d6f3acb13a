//! Diagnostics: findings as data, with a location in the user's file, rendered once.
//!
//! Nothing below the CLI prints. Config loading and planning return [`Diagnostic`]s; the
//! CLI renders them through [`render`], which shows the file, line and column, the YAML
//! path, the offending source line, and what to do.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use std::fmt;

/// Where in a file a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file as the user named it (`grants.yaml`, `conf/grants.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The YAML path of the node (`schemas.demo_ml.usage[1]`); empty for the document.
    pub path: String,
    /// Length in characters of the text to underline (at least 1 when shown).
    pub len: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, " ({})", self.path)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding: what is wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What to do: "did you mean `analysts`?", "declare it under `groups:`".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// A one-line form (`grants.yaml:7:15 (path): error: message`), for logs and tests.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " (help: {h})")?;
        }
        Ok(())
    }
}

/// Renders a diagnostic for a person: title, `--> file:line:col`, the source line with the
/// offending text underlined, the YAML path and the help. `source` is the text of the file
/// the location points into, when it is at hand; `color` turns on ANSI styling.
pub fn render(d: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut notes = Vec::new();
    if let Some(loc) = &d.location {
        if !loc.path.is_empty() {
            notes.push(format!("at YAML path `{}`", visible(&loc.path)));
        }
    }
    if let Some(h) = &d.help {
        notes.push(format!("help: {}", visible(h)));
    }

    let title = visible(&d.message);
    let mut group = Group::with_title(level.primary_title(title.as_str()));
    let line_text = match (&d.location, source) {
        (Some(loc), Some(src)) if loc.line >= 1 => {
            Some(src.lines().nth(loc.line - 1).unwrap_or(""))
        }
        _ => None,
    };
    let pictured = line_text
        .filter(|l| {
            l.len() <= MAX_SHOWN_LINE_BYTES && l.chars().any(|c| c.is_control() && c != '\t')
        })
        .map(pictures);
    let line_text = pictured.as_deref().or(line_text);
    match (&d.location, line_text) {
        // A very long line (a whole list on one line of a generated file) is not shown:
        // the renderer measures every character of it, for each diagnostic on it.
        (Some(loc), Some(line_text)) if line_text.len() <= MAX_SHOWN_LINE_BYTES => {
            let start = char_to_byte(line_text, loc.column.saturating_sub(1));
            let end = char_to_byte(line_text, loc.column.saturating_sub(1) + loc.len.max(1));
            let end = end.max(start + 1).min(line_text.len().max(start));
            let origin = visible(&loc.file);
            let snippet = Snippet::source(line_text)
                .line_start(loc.line)
                .path(origin)
                .annotation(AnnotationKind::Primary.span(start..end));
            group = group.element(snippet);
        }
        (Some(loc), _) => {
            group = group.element(Level::NOTE.message(format!("in {}", visible(&loc.to_string()))));
        }
        _ => {}
    }
    for n in &notes {
        group = group.element(Level::HELP.no_name().message(n.as_str()));
    }
    renderer.render(&[group]).to_string()
}

/// `text` with control characters written as escapes (`\0`, `\u{1b}`): messages quote
/// names from the user's file, and a name holding an escape sequence must not be able to
/// rewrite the user's terminal.
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// `line` with each control character but tab shown as one visible character (`␀` for
/// NUL, `␛` for ESC, `�` for C1 controls), so columns still line up.
fn pictures(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c,
            '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
            '\u{7f}' => '\u{2421}',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The longest source line a rendered diagnostic shows; longer ones are named by place.
const MAX_SHOWN_LINE_BYTES: usize = 1000;

fn char_to_byte(s: &str, chars: usize) -> usize {
    s.char_indices()
        .nth(chars)
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc() -> Location {
        Location {
            file: "grants.yaml".into(),
            line: 2,
            column: 12,
            path: "schemas.demo_ml.usage[0]".into(),
            len: 7,
        }
    }

    #[test]
    fn one_line_form_names_file_line_column_and_path() {
        let d = Diagnostic::error("group `analsts` is not declared")
            .at(Some(loc()))
            .help("did you mean `analysts`?");
        assert_eq!(
            d.to_string(),
            "grants.yaml:2:12 (schemas.demo_ml.usage[0]): error: group `analsts` is not declared (help: did you mean `analysts`?)"
        );
    }

    #[test]
    fn rendering_shows_the_source_line_and_underlines_the_token() {
        let src = "schemas:\n  x: {use: [analsts]}\n";
        let d = Diagnostic::error("group `analsts` is not declared")
            .at(Some(loc()))
            .help("did you mean `analysts`?");
        let out = render(&d, Some(src), false);
        assert!(
            out.contains("error: group `analsts` is not declared"),
            "{out}"
        );
        assert!(out.contains("grants.yaml:2:12"), "{out}");
        assert!(out.contains("x: {use: [analsts]}"), "{out}");
        assert!(out.contains("^^^^^^^"), "{out}");
        assert!(out.contains("schemas.demo_ml.usage[0]"), "{out}");
        assert!(out.contains("did you mean `analysts`?"), "{out}");
    }

    #[test]
    fn control_characters_in_messages_are_escaped() {
        let mut l = loc();
        l.path = "groups.\"a\u{1b}[2Jb\"".into();
        let d = Diagnostic::error("group `a\u{1b}[2Jb` has a \0 in it")
            .at(Some(l))
            .help("rename `a\u{1b}[2Jb`");
        let out = render(&d, None, false);
        assert!(!out.contains('\u{1b}') && !out.contains('\0'), "{out:?}");
        assert!(
            out.contains("group `a\\u{1b}[2Jb` has a \\0 in it"),
            "{out}"
        );
        assert!(out.contains("rename `a\\u{1b}[2Jb`"), "{out}");
        assert!(out.contains("groups.\"a\\u{1b}[2Jb\""), "{out}");
    }

    #[test]
    fn control_characters_in_the_source_line_are_pictured_in_place() {
        let src = "x\nab\u{9b}2J\u{1b}[0m\u{7f}\0: 1\n";
        let mut l = loc();
        (l.line, l.column, l.len) = (2, 10, 1);
        let out = render(&Diagnostic::error("bad").at(Some(l)), Some(src), false);
        assert!(
            out.contains("ab\u{fffd}2J\u{241b}[0m\u{2421}\u{2400}: 1"),
            "{out}"
        );
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        // The underline is under the 10th character, the DEL.
        let underline = out.lines().find(|l| l.contains('^')).unwrap();
        let source = out.lines().find(|l| l.contains("ab\u{fffd}")).unwrap();
        let col = |s: &str, c: char| s.chars().position(|x| x == c).unwrap();
        assert_eq!(col(underline, '^'), col(source, '\u{2421}'), "{out}");
    }

    #[test]
    fn a_very_long_line_is_named_not_shown() {
        let src = format!("schemas:\n  x: {{use: [{}]}}\n", "a, ".repeat(400));
        let d = Diagnostic::error("group `analsts` is not declared").at(Some(loc()));
        let out = render(&d, Some(&src), false);
        assert!(
            out.contains("in grants.yaml:2:12 (schemas.demo_ml.usage[0])"),
            "{out}"
        );
        assert!(!out.contains("a, a, "), "{out}");
    }

    #[test]
    fn rendering_without_source_still_names_the_place() {
        let d = Diagnostic::warning("schema `x` does not exist").at(Some(loc()));
        let out = render(&d, None, false);
        assert!(out.contains("warning: schema `x` does not exist"), "{out}");
        assert!(out.contains("grants.yaml:2:12"), "{out}");
    }
}
