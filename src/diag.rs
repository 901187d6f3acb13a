//! Diagnostics: findings as data, with a location in the user's file, rendered once.
//!
//! Nothing below the CLI prints. Config loading and planning return [`Diagnostic`]s; the
//! CLI renders them through [`render`], which shows the file, line and column, the YAML
//! path, the offending source line, and what to do.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;
use std::fmt;

/// Where in a file a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding: what is wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    let line = match (&d.location, source) {
        (Some(loc), Some(src)) if loc.line >= 1 => {
            Some(src.lines().nth(loc.line - 1).unwrap_or(""))
        }
        _ => None,
    };
    render_line(d, line, color)
}

/// [`render`] given the one source line the location points at (`None`: not at hand),
/// as [`SourceLines::line`] finds it without rescanning the file for every diagnostic.
pub fn render_line(d: &Diagnostic, line: Option<&str>, color: bool) -> String {
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
    let line_text = line.filter(|_| d.location.as_ref().is_some_and(|l| l.line >= 1));
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

/// `text` with every character that could rewrite what a person sees written as an
/// escape (`\0`, `\u{1b}`, `\u{202e}`): control characters (ESC starts terminal
/// sequences, CR and BEL rewrite or ring the line), the bidirectional controls (a right-to-
/// left override makes a name read backwards) and the line and paragraph separators.
/// Messages, plans, diffs and previews quote names from the user's file and the catalog,
/// and a name must not be able to disguise what the reviewer is approving. Everything
/// else, including all printable Unicode, is kept.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            c if is_unshowable(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// [`visible`] line by line: line breaks are kept as line breaks (for multi-line
/// messages), everything else is escaped.
pub fn visible_lines(text: &str) -> String {
    text.split('\n').map(visible).collect::<Vec<_>>().join("\n")
}

/// Whether [`visible`] escapes `c`.
pub fn is_unshowable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// A source file's text with the start of each line indexed once, so that rendering many
/// diagnostics into one file costs one scan, not one per diagnostic.
pub struct SourceLines {
    text: String,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl SourceLines {
    pub fn new(text: String) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i < text.len())
            .collect();
        SourceLines { text, starts }
    }

    /// Line `n` (1-based) without its line ending, as `str::lines` gives it.
    pub fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).map_or(self.text.len(), |&e| e);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// How a long list of diagnostics is shown: the first [`SHOWN_PER_KIND`] of each kind
/// (the same message but for the names in backticks), then one line with how many more
/// there are. Ten thousand missing schemas are ten warnings and a count, not a screenful
/// per second.
pub const SHOWN_PER_KIND: usize = 10;

/// One entry of [`condense`]'s result.
pub enum Shown<'a> {
    One(&'a Diagnostic),
    /// `count` more diagnostics like this one were not shown.
    More {
        count: usize,
        like: &'a Diagnostic,
    },
}

/// `diags` in order, at most `per_kind` of each kind, each kind's last one shown followed
/// by how many more of it were left out.
pub fn condense(diags: &[Diagnostic], per_kind: usize) -> Vec<Shown<'_>> {
    let kinds: Vec<String> = diags.iter().map(kind).collect();
    let mut totals: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for k in &kinds {
        *totals.entry(k.as_str()).or_default() += 1;
    }
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (d, k) in diags.iter().zip(&kinds) {
        let n = seen.entry(k.as_str()).or_default();
        *n += 1;
        if *n <= per_kind {
            out.push(Shown::One(d));
        }
        let total = totals[k.as_str()];
        if *n == per_kind && total > per_kind {
            out.push(Shown::More {
                count: total - per_kind,
                like: d,
            });
        }
    }
    out
}

/// What makes two diagnostics alike: severity, and message and help with every
/// backticked part (a name) left out.
fn kind(d: &Diagnostic) -> String {
    let blank = |s: &str| -> String {
        s.split('`')
            .enumerate()
            .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
            .collect::<Vec<_>>()
            .join("`")
    };
    format!(
        "{:?}\u{0}{}\u{0}{}",
        d.severity,
        blank(&d.message),
        d.help.as_deref().map(blank).unwrap_or_default()
    )
}

/// The line that stands for the diagnostics [`condense`] left out.
pub fn render_more(count: usize, like: &Diagnostic) -> String {
    let sev = match like.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let what = kind(like);
    let message = what.split('\u{0}').nth(1).unwrap_or_default();
    format!(
        "{sev}: {} more like this, not shown: {}",
        thousands(count),
        visible(message)
    )
}

/// `3998` as `3,998`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
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
    fn bidi_controls_and_separators_are_escaped_too() {
        let out = visible("a\u{202e}b\u{2066}c\u{2028}d\u{7}e\rf é 日本");
        assert_eq!(out, "a\\u{202e}b\\u{2066}c\\u{2028}d\\u{7}e\\rf é 日本");
        assert_eq!(visible_lines("x\u{1b}\ny"), "x\\u{1b}\ny");
    }

    #[test]
    fn source_lines_are_those_of_str_lines() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n x\n", "é\nü\r\n"] {
            let idx = SourceLines::new(text.to_string());
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                assert_eq!(idx.line(i + 1), Some(*l), "{text:?} line {}", i + 1);
            }
            assert_eq!(idx.line(lines.len() + 1), None, "{text:?}");
            assert_eq!(idx.line(0), None);
        }
    }

    #[test]
    fn many_alike_diagnostics_are_condensed_per_kind() {
        let mut diags: Vec<Diagnostic> = (0..25)
            .map(|i| Diagnostic::warning(format!("schema `s{i}` does not exist")).help("create it"))
            .collect();
        diags.insert(3, Diagnostic::warning("`x` matches no schema"));
        let shown = condense(&diags, 10);
        assert_eq!(shown.len(), 12);
        let Shown::More { count, like } = &shown[11] else {
            panic!("the count comes last");
        };
        assert_eq!(*count, 15);
        assert_eq!(
            render_more(*count, like),
            "warning: 15 more like this, not shown: schema `…` does not exist"
        );
        assert!(matches!(shown[3], Shown::One(d) if d.message.contains("matches no")));
        assert_eq!(thousands(3998), "3,998");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        // Few of a kind: all shown, no count.
        assert!(condense(&diags[..5], 10)
            .iter()
            .all(|s| matches!(s, Shown::One(_))));
    }

    #[test]
    fn rendering_without_source_still_names_the_place() {
        let d = Diagnostic::warning("schema `x` does not exist").at(Some(loc()));
        let out = render(&d, None, false);
        assert!(out.contains("warning: schema `x` does not exist"), "{out}");
        assert!(out.contains("grants.yaml:2:12"), "{out}");
    }
}
