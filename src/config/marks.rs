//! The marks pass: one walk over the YAML events of grants.yaml, before any typed
//! deserialization.
//!
//! serde_yaml knows line and column only for the first error it meets, and it silently
//! keeps the last of two duplicate map keys (a schema block pasted twice would lose the
//! first block's grants, which the planner would then revoke). So this pass, over
//! yaml-rust2's event parser:
//!
//! - maps every YAML path (`schemas.demo_ml.usage[1]`) to where its key and its value are
//!   (1-based line and column, in characters), so later stages can point at the exact
//!   token that asked for something;
//! - reports YAML syntax errors, duplicate keys at any depth and unknown keys (with the
//!   nearest valid key), collecting all of them;
//! - records the character ranges of the offending entries (a duplicate, an unknown key),
//!   so the caller can blank them out of the text (keeping every other position intact)
//!   and still deserialize and validate the rest of the file in the same run.
//!
//! yaml-rust2 facts this relies on (checked by tests): `Marker::line()` is 1-based,
//! `Marker::col()` 0-based, and `Marker::index()` counts characters (not bytes, whatever
//! its documentation says). The marker of a *block* mapping's `MappingStart` is not the
//! position of the mapping (it lands after the first key), so a block mapping is located
//! at its first key instead. A `MappingEnd` is marked at the next token (the next
//! less-indented key, `}` or the end of the stream).

use std::collections::HashMap;
use std::ops::Range;

use indexmap::IndexMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{Diagnostic, Location};
use crate::model::PrincipalKind;

/// Top-level keys of grants.yaml, in the order the documentation lists them.
pub(crate) const TOP_KEYS: &[&str] = &[
    "target",
    "mode",
    "ignore",
    "case_sensitive_identifiers",
    "groups",
    "roles",
    "users",
    "schemas",
    "models",
    "functions",
    "cluster",
];
/// Keys of `cluster:`, in the order the documentation lists them.
pub(crate) const CLUSTER_KEYS: &[&str] = &[
    "account_id",
    "region",
    "partition",
    "role_name",
    "bucket",
    "kms_key_id",
    "enhanced_vpc_routing",
    "forecast",
    "policy",
    "redshift_downloads",
];
pub(crate) const GROUP_KEYS: &[&str] = &["create_model", "members"];
pub(crate) const USER_KEYS: &[&str] = &["create_model"];
pub(crate) const SCHEMA_KEYS: &[&str] = &["create", "usage"];
pub(crate) const EXECUTE_KEYS: &[&str] = &["execute"];

/// The deepest nesting of collections grants.yaml may have. A valid file needs four
/// levels (the document, `schemas:`, one schema, its `usage:` list); the bound keeps a
/// hostile document of thousands of nested lists from costing memory quadratic in its
/// depth (every node records its whole path).
pub(crate) const MAX_DEPTH: usize = 32;

/// The most YAML values (scalars, lists, mappings, keys included) a document may hold,
/// each alias (`*name`) counted as a full copy of the node its anchor (`&name`) names, as
/// typed deserialization will copy it. This is what stops an alias bomb ("billion
/// laughs", where each level repeats the previous one ten times) and a large list
/// repeated by many aliases: a 100 KB file can otherwise expand to gigabytes. The
/// largest generated benchmark file (22,000 object entries) holds about 160,000 values;
/// the worst file within the limit loads in about 1 GB of memory.
pub(crate) const MAX_VALUES: u64 = 1_000_000;

/// A place in the text: 1-based line and column (in characters), and the length in
/// characters of the token there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: usize,
    pub column: usize,
    pub len: usize,
}

/// One step of a YAML path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Null,
    Scalar,
    Alias,
    Sequence,
    Mapping,
}

/// One node of the document: the value at a path, and the key that introduced it.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub segs: Vec<Seg>,
    /// The path as serde_yaml writes it in its messages (keys unquoted).
    pub plain: String,
    /// The key, for a mapping value.
    pub key: Option<Span>,
    pub value: Span,
    pub kind: NodeKind,
    /// The text of a scalar value.
    pub scalar: Option<String>,
    /// True for a scalar written in quotes (or as a block scalar): YAML reads it as a
    /// string whatever it holds. A plain `0123` is a number to some YAML readers.
    pub quoted: bool,
}

/// Every node of the document by YAML path. For a duplicated key, the first occurrence.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    nodes: IndexMap<String, Node>,
}

impl Marks {
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    pub fn nodes(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    /// The node at `path`, or its nearest ancestor that is known.
    fn nearest(&self, path: &str) -> Option<&Node> {
        let mut p = path;
        loop {
            if let Some(n) = self.nodes.get(p) {
                return Some(n);
            }
            p = parent_of(p)?;
        }
    }

    /// Where the key of `path` is (the value's place for a list item or the document).
    pub fn key_loc(&self, file: &str, path: &str) -> Location {
        self.loc(file, path, true)
    }

    /// Where the value at `path` is.
    pub fn value_loc(&self, file: &str, path: &str) -> Location {
        self.loc(file, path, false)
    }

    fn loc(&self, file: &str, path: &str, key: bool) -> Location {
        match self.nearest(path) {
            Some(n) => {
                let span = if key {
                    n.key.unwrap_or(n.value)
                } else {
                    n.value
                };
                Location {
                    file: file.to_string(),
                    line: span.line,
                    column: span.column,
                    path: path.to_string(),
                    len: span.len,
                }
            }
            None => Location {
                file: file.to_string(),
                line: 1,
                column: 1,
                path: path.to_string(),
                len: 1,
            },
        }
    }
}

/// The outcome of the marks pass.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub marks: Marks,
    pub errors: Vec<Diagnostic>,
    /// The document could not be read as YAML at all (syntax error, several documents):
    /// typed deserialization must not be attempted.
    pub fatal: bool,
    /// The document holds nothing (an empty file, only comments, or a bare `~`).
    pub empty: bool,
    /// Character ranges of entries that are errors in themselves (duplicate and unknown
    /// keys), to be blanked before typed deserialization.
    pub blank: Vec<Range<usize>>,
}

/// `parent.key`, the key written in double quotes when it holds anything but letters,
/// digits, `_`, `-` and `$`.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$');
    let seg = if bare {
        key.to_string()
    } else {
        let mut s = String::with_capacity(key.len() + 2);
        s.push('"');
        for c in key.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
        s
    };
    if parent.is_empty() {
        seg
    } else {
        format!("{parent}.{seg}")
    }
}

/// The path of the parent of `path`; `None` for the document.
pub(crate) fn parent_of(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let b = path.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'.' | b'[' => {
                last = i;
                i += 1;
            }
            _ => i += 1,
        }
    }
    Some(&path[..last])
}

/// `parent[index]`.
pub(crate) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Describes where a key sits, for messages: "at the top level" or "in `schemas`".
pub(crate) fn where_(path: &str) -> String {
    if path.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `{path}`")
    }
}

/// The text with every character of `ranges` replaced by a space (line breaks kept), so
/// that every remaining character keeps its line and column.
pub(crate) fn blank(text: &str, ranges: &[Range<usize>]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for r in ranges {
        let end = r.end.min(chars.len());
        for c in chars[r.start.min(end)..end].iter_mut() {
            if *c != '\n' && *c != '\r' {
                *c = ' ';
            }
        }
    }
    chars.into_iter().collect()
}

/// True when yaml-rust2 reads `text` without a syntax error.
pub(crate) fn is_well_formed(text: &str) -> bool {
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// The nearest of `candidates` to `word`, when it is near enough to be a likely typo.
pub(crate) fn nearest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let w = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&w, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// What a mapping is, which decides its valid keys and its children's kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    /// `groups:`, `roles:`, `users:`: keys are names.
    Principals(PrincipalKind),
    /// One group, role or user.
    Principal(PrincipalKind),
    /// `schemas:`, `models:`, `functions:`: keys are object names.
    Objects(&'static [&'static str]),
    /// One schema, model or function rule; the slice is its valid keys.
    Object(&'static [&'static str]),
    /// Anything else: only duplicates are checked.
    Free,
    /// Inside an entry that is already an error: nothing is checked or recorded.
    Skip,
}

impl Ctx {
    fn valid_keys(self) -> Option<&'static [&'static str]> {
        match self {
            Ctx::Root => Some(TOP_KEYS),
            Ctx::Principal(PrincipalKind::User) => Some(USER_KEYS),
            Ctx::Principal(_) => Some(GROUP_KEYS),
            Ctx::Object(keys) => Some(keys),
            _ => None,
        }
    }

    fn child(self, key: &str) -> Ctx {
        match self {
            Ctx::Root => match key {
                "groups" => Ctx::Principals(PrincipalKind::Group),
                "roles" => Ctx::Principals(PrincipalKind::Role),
                "users" => Ctx::Principals(PrincipalKind::User),
                "schemas" => Ctx::Objects(SCHEMA_KEYS),
                "models" | "functions" => Ctx::Objects(EXECUTE_KEYS),
                "cluster" => Ctx::Object(CLUSTER_KEYS),
                _ => Ctx::Free,
            },
            Ctx::Principals(k) => Ctx::Principal(k),
            Ctx::Objects(keys) => Ctx::Object(keys),
            Ctx::Skip => Ctx::Skip,
            _ => Ctx::Free,
        }
    }

    fn item(self) -> Ctx {
        match self {
            Ctx::Skip => Ctx::Skip,
            _ => Ctx::Free,
        }
    }
}

/// Where a mapping stands between its keys and values.
enum MapState {
    /// Waiting for a key.
    Key,
    /// A complex key (a list or mapping used as a key) is being read.
    ComplexKey,
    /// Waiting for the value of a key; `key` is `None` for a key that is skipped.
    Value {
        key: Option<String>,
        span: Span,
        ctx: Ctx,
    },
}

enum Frame {
    Map {
        path: String,
        segs: Vec<Seg>,
        ctx: Ctx,
        state: MapState,
        /// Key -> line of its first occurrence.
        seen: HashMap<String, usize>,
        /// Start (character index) of the current entry when it is to be blanked.
        blanking: Option<usize>,
        /// A block mapping is located at its first key: true until that key is seen.
        locate_at_first_key: bool,
        /// True for a mapping used as a key.
        is_key: bool,
        /// Where a flow collection's `{` or `[` is, to point at it when it is not closed.
        opened: Option<(char, Span)>,
    },
    Seq {
        path: String,
        segs: Vec<Seg>,
        ctx: Ctx,
        next: usize,
        is_key: bool,
        /// Where a flow collection's `{` or `[` is, to point at it when it is not closed.
        opened: Option<(char, Span)>,
    },
}

struct Walker<'a> {
    file: &'a str,
    chars: Vec<char>,
    stack: Vec<Frame>,
    scan: Scan,
    documents: usize,
    root_seen: bool,
    /// Values so far, aliases counted as copies of what they name (see [`MAX_VALUES`]).
    values: u64,
    /// The number of values each completed anchor names, by yaml-rust2's anchor id.
    anchors: HashMap<usize, u64>,
    /// Each open collection's anchor id (0: none) and [`Walker::values`] before it.
    open: Vec<(usize, u64)>,
}

/// Runs the marks pass over `text`, reporting against `file`.
pub(crate) fn scan(file: &str, text: &str) -> Scan {
    let mut w = Walker {
        file,
        chars: text.chars().collect(),
        stack: Vec::new(),
        scan: Scan::default(),
        documents: 0,
        root_seen: false,
        values: 0,
        anchors: HashMap::new(),
        open: Vec::new(),
    };
    if let Some(i) = w
        .chars
        .iter()
        .position(|c| !yaml_allows(*c) || is_disputed_break(*c))
    {
        w.refused_character(i);
        return w.scan;
    }
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((ev, mark)) => {
                if !w.event(ev, mark) {
                    break;
                }
            }
            Err(e) => {
                w.syntax_error(e.info(), *e.marker());
                break;
            }
        }
    }
    if !w.scan.fatal {
        let root_is_null = w
            .scan
            .marks
            .get("")
            .is_none_or(|n| n.kind == NodeKind::Null);
        w.scan.empty = !w.root_seen || root_is_null;
    }
    w.scan
}

/// True for a character YAML allows in a file (YAML 1.2 `c-printable`, as libyaml and so
/// serde_yaml check it): tab, line breaks, and everything printable. yaml-rust2 reads
/// NUL and other control characters without complaint, so without this check the only
/// error would be serde_yaml's, which names a byte offset instead of a line.
fn yaml_allows(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..)
}

/// NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR: line breaks to libyaml (YAML 1.1, and so
/// to serde_yaml), ordinary characters to yaml-rust2 (YAML 1.2). A raw one would make the
/// two passes read different documents (a key on its own line for one, part of a name
/// for the other), so it is refused; written as an escape in double quotes (`\u2028`),
/// both read the same character.
fn is_disputed_break(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}')
}

impl Span {
    /// The place of a parser mark: yaml-rust2's lines are 1-based, its columns 0-based.
    fn at(mark: Marker, len: usize) -> Span {
        Span {
            line: mark.line(),
            column: mark.col() + 1,
            len: len.max(1),
        }
    }
}

impl Walker<'_> {
    /// A location in this file at a parser mark.
    fn location_at(&self, mark: Marker, path: String, len: usize) -> Location {
        let span = Span::at(mark, len);
        Location {
            file: self.file.to_string(),
            line: span.line,
            column: span.column,
            path,
            len: span.len,
        }
    }

    /// A character refused at character index `i` (see [`yaml_allows`] and
    /// [`is_disputed_break`]): a fatal error.
    fn refused_character(&mut self, i: usize) {
        let before = &self.chars[..i];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let line_start = before.iter().rposition(|c| *c == '\n').map_or(0, |p| p + 1);
        let loc = Location {
            file: self.file.to_string(),
            line,
            column: i - line_start + 1,
            path: String::new(),
            len: 1,
        };
        let c = self.chars[i] as u32;
        let d = if is_disputed_break(self.chars[i]) {
            Diagnostic::error(format!(
                "{} holds the character U+{c:04X}, a line break to some YAML readers and not \
                 to others",
                self.file
            ))
            .help(format!(
                "remove it, or write it as the escape `\\u{c:04X}` inside double quotes"
            ))
        } else {
            Diagnostic::error(format!(
                "{} holds the control character U+{c:04X}, which YAML does not allow",
                self.file
            ))
            .help(
                "remove it: no name grantplan manages can hold a control character, and YAML \
                 files cannot hold one outside an escape (`\\t`, `\\n`) in double quotes",
            )
        };
        self.scan.errors.push(d.at(Some(loc)));
        self.scan.fatal = true;
    }

    /// The innermost path, for locating a syntax error.
    fn current_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { path, state, .. }) => match state {
                MapState::Value { key: Some(k), .. } => key_path(path, k),
                _ => path.clone(),
            },
            Some(Frame::Seq { path, next, .. }) => index_path(path, *next),
        }
    }

    fn syntax_error(&mut self, info: &str, mark: Marker) {
        // yaml-rust2's scanner looks ahead, so 256 nested flow lists reach its own limit
        // before the walk reaches [`MAX_DEPTH`]: the same finding, said the same way.
        if info == "recursion limit exceeded" {
            self.too_deep(mark);
            return;
        }
        // A tab in the indentation of the error's line.
        let tab_indent = self
            .chars
            .iter()
            .skip(mark.index().saturating_sub(mark.col()))
            .take_while(|c| **c == ' ' || **c == '\t')
            .any(|c| *c == '\t');
        let unclosed = self.stack.iter().rev().find_map(|f| match f {
            Frame::Map { opened, .. } | Frame::Seq { opened, .. } => *opened,
        });
        let help = match unclosed {
            _ if tab_indent || info.contains("tab") => {
                "indent with spaces: YAML does not allow tabs for indentation".to_string()
            }
            Some((c, at)) if info.contains("flow") => format!(
                "the `{c}` at line {}, column {} is not closed where expected: check for a \
                 missing `{}` or `,`",
                at.line,
                at.column,
                if c == '[' { ']' } else { '}' }
            ),
            _ => "check the indentation, the `key: value` colons and the closing brackets and \
                  quotes around this place"
                .to_string(),
        };
        let loc = self.location_at(mark, self.current_path(), 1);
        self.scan.errors.push(
            Diagnostic::error(format!("YAML syntax error: {info}"))
                .at(Some(loc))
                .help(help),
        );
        self.scan.fatal = true;
    }

    /// Handles one event; false stops the walk.
    fn event(&mut self, ev: Event, mark: Marker) -> bool {
        match ev {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => true,
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    let loc = self.location_at(mark, String::new(), 3);
                    self.scan.errors.push(
                        Diagnostic::error(format!(
                            "{} holds more than one YAML document",
                            self.file
                        ))
                        .at(Some(loc))
                        .help(
                            "keep a single document: remove this `---` line and merge what \
                             follows into the first document",
                        ),
                    );
                    self.scan.fatal = true;
                    return false;
                }
                true
            }
            Event::Scalar(value, style, anchor, _) => {
                if anchor != 0 {
                    self.anchors.insert(anchor, 1);
                }
                if !self.count(1, mark) {
                    return false;
                }
                self.scalar(value, style, mark);
                true
            }
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).copied() else {
                    self.refuse(
                        mark,
                        "an alias (`*name`) inside the node its anchor names: it would repeat \
                         itself forever"
                            .to_string(),
                        "an alias may only repeat a node that is complete before it",
                    );
                    return false;
                };
                if !self.count(size, mark) {
                    return false;
                }
                self.leaf(NodeKind::Alias, None, false, mark, 1);
                true
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let map = matches!(ev, Event::MappingStart(..));
                if self.open.len() >= MAX_DEPTH {
                    self.too_deep(mark);
                    return false;
                }
                self.open.push((anchor, self.values));
                if !self.count(1, mark) {
                    return false;
                }
                self.open(map, mark);
                true
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((anchor, before)) = self.open.pop() {
                    if anchor != 0 {
                        self.anchors.insert(anchor, self.values - before);
                    }
                }
                self.close(mark);
                true
            }
            Event::StreamEnd => false,
        }
    }

    /// Nesting past [`MAX_DEPTH`] at `mark`: a fatal error.
    fn too_deep(&mut self, mark: Marker) {
        self.refuse(
            mark,
            format!(
                "{} nests lists and mappings more than {MAX_DEPTH} levels deep",
                self.file
            ),
            "grants.yaml needs four levels (`schemas:`, a schema, its `usage:` list): check \
             the indentation and the brackets here",
        );
    }

    /// Counts `n` more values; false (with a fatal error) past [`MAX_VALUES`].
    fn count(&mut self, n: u64, mark: Marker) -> bool {
        self.values = self.values.saturating_add(n);
        if self.values <= MAX_VALUES {
            return true;
        }
        self.refuse(
            mark,
            format!(
                "{} holds more than {} YAML values, counting each alias (`*name`) as a copy \
                 of what its anchor (`&name`) names",
                self.file,
                thousands(MAX_VALUES)
            ),
            "an alias repeating a long list many times, or aliases of aliases (an alias \
             bomb), expand past what grantplan reads: write the lists out, and use globs \
             (`sales_*`) for many objects of one kind",
        );
        false
    }

    /// A fatal error at `mark`: the document is not read further.
    fn refuse(&mut self, mark: Marker, message: String, help: &str) {
        let loc = self.location_at(mark, self.current_path(), 1);
        self.scan
            .errors
            .push(Diagnostic::error(message).at(Some(loc)).help(help));
        self.scan.fatal = true;
    }

    /// The length in characters of the scalar token starting at `index`, at most to the
    /// end of its line. Each case stops at the token's end: measuring the whole line first
    /// would make a long one-line flow list (`[a, a, a, ...]`) quadratic.
    fn scalar_len(&self, index: usize, style: TScalarStyle, value: &str) -> usize {
        let rest = self.chars.get(index..).unwrap_or(&[]);
        let eol = |c: Option<&char>| matches!(c, None | Some('\n' | '\r'));
        let to_eol = || rest.iter().take_while(|c| !eol(Some(c))).count();
        match style {
            TScalarStyle::Plain => {
                // A plain scalar is its text, unless it runs over several lines (folded).
                let mut n = 0;
                for v in value.chars() {
                    if eol(Some(&v)) || rest.get(n) != Some(&v) {
                        return to_eol();
                    }
                    n += 1;
                }
                n
            }
            TScalarStyle::SingleQuoted => {
                let mut i = 1;
                loop {
                    match rest.get(i) {
                        c if eol(c) => return i,
                        Some('\'') if rest.get(i + 1) == Some(&'\'') => i += 2,
                        Some('\'') => return i + 1,
                        _ => i += 1,
                    }
                }
            }
            TScalarStyle::DoubleQuoted => {
                let mut i = 1;
                loop {
                    match rest.get(i) {
                        c if eol(c) => return i,
                        Some('"') => return i + 1,
                        Some('\\') if eol(rest.get(i + 1)) => return i + 1,
                        Some('\\') => i += 2,
                        _ => i += 1,
                    }
                }
            }
            TScalarStyle::Literal | TScalarStyle::Folded => 1,
        }
    }

    fn scalar(&mut self, value: String, style: TScalarStyle, mark: Marker) {
        if let Some(Frame::Map {
            state: MapState::Key,
            ..
        }) = self.stack.last()
        {
            let len = self.scalar_len(mark.index(), style, &value);
            self.key(value, mark, len);
            return;
        }
        let implicit_null = value.is_empty() && style == TScalarStyle::Plain;
        let kind = if style == TScalarStyle::Plain
            && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
        {
            NodeKind::Null
        } else {
            NodeKind::Scalar
        };
        let len = if implicit_null {
            0
        } else {
            self.scalar_len(mark.index(), style, &value)
        };
        let quoted = style != TScalarStyle::Plain;
        self.leaf(
            kind,
            Some(value).filter(|_| !implicit_null),
            quoted,
            mark,
            len,
        );
    }

    /// A key scalar in the mapping on top of the stack.
    fn key(&mut self, key: String, mark: Marker, len: usize) {
        let span = Span::at(mark, len);
        let file = self.file;
        let mut error = None;
        let mut first_key_of: Option<String> = None;
        let Some(Frame::Map {
            path,
            ctx,
            state,
            seen,
            blanking,
            locate_at_first_key,
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        if let Some(start) = blanking.take() {
            self.scan.blank.push(start..mark.index());
        }
        if std::mem::take(locate_at_first_key) {
            first_key_of = Some(path.clone());
        }
        let loc = Location {
            file: file.to_string(),
            line: span.line,
            column: span.column,
            path: key_path(path, &key),
            len: span.len,
        };
        let mut skip = *ctx == Ctx::Skip;
        if !skip {
            if let Some(first) = seen.get(&key) {
                error = Some(
                    Diagnostic::error(format!(
                        "duplicate key `{key}` {} (first at line {first})",
                        where_(path)
                    ))
                    .at(Some(loc))
                    .help(
                        "merge the two entries into one: YAML keeps only one of them, \
                         so what the other one grants would be dropped (and revoked)",
                    ),
                );
            } else {
                seen.insert(key.clone(), span.line);
                if let Some(valid) = ctx.valid_keys() {
                    if !valid.contains(&key.as_str()) {
                        error = Some(unknown_key(*ctx, &key, path, valid).at(Some(loc)));
                    }
                }
            }
        }
        if error.is_some() {
            *blanking = Some(mark.index());
            skip = true;
        }
        let child = if skip { Ctx::Skip } else { ctx.child(&key) };
        *state = MapState::Value {
            key: Some(key).filter(|_| !skip),
            span,
            ctx: child,
        };
        if let Some(e) = error {
            self.scan.errors.push(e);
        }
        if let Some(p) = first_key_of {
            if let Some(n) = self.scan.marks.nodes.get_mut(&p) {
                n.value = span;
            }
        }
    }

    /// Where a node starting now belongs: its path, segments, key span and context.
    /// `None` when it is not recorded (inside a skipped entry).
    fn place(&mut self) -> Option<(String, Vec<Seg>, Option<Span>, Ctx)> {
        match self.stack.last_mut() {
            None => {
                self.root_seen = true;
                Some((String::new(), Vec::new(), None, Ctx::Root))
            }
            Some(Frame::Map {
                path, segs, state, ..
            }) => match state {
                MapState::Value {
                    key: Some(k),
                    span,
                    ctx,
                } => {
                    let mut s = segs.clone();
                    s.push(Seg::Key(k.clone()));
                    Some((key_path(path, k), s, Some(*span), *ctx))
                }
                _ => None,
            },
            Some(Frame::Seq {
                path,
                segs,
                ctx,
                next,
                ..
            }) => {
                if *ctx == Ctx::Skip {
                    return None;
                }
                let mut s = segs.clone();
                s.push(Seg::Index(*next));
                Some((index_path(path, *next), s, None, ctx.item()))
            }
        }
    }

    /// Records the node at `path`; `what` is its kind, scalar text and quoting.
    fn record(
        &mut self,
        path: &str,
        segs: Vec<Seg>,
        key: Option<Span>,
        value: Span,
        what: (NodeKind, Option<String>, bool),
    ) {
        let (kind, scalar, quoted) = what;
        let plain = plain_path(&segs);
        self.scan
            .marks
            .nodes
            .entry(path.to_string())
            .or_insert(Node {
                segs,
                plain,
                key,
                value,
                kind,
                scalar,
                quoted,
            });
    }

    /// A scalar or alias that is not a key.
    fn leaf(
        &mut self,
        kind: NodeKind,
        scalar: Option<String>,
        quoted: bool,
        mark: Marker,
        len: usize,
    ) {
        if let Some(Frame::Map {
            state: state @ MapState::Key,
            ..
        }) = self.stack.last_mut()
        {
            // An alias used as a key.
            *state = MapState::Value {
                key: None,
                span: Span::at(mark, 1),
                ctx: Ctx::Skip,
            };
            self.complex_key_error(mark);
            return;
        }
        if let Some((path, segs, key, _)) = self.place() {
            let value = match (kind, key) {
                // `name:` with nothing after it: the key is the place to point at.
                (NodeKind::Null, Some(k)) if len == 0 => k,
                _ => Span::at(mark, len),
            };
            self.record(&path, segs, key, value, (kind, scalar, quoted));
        }
        self.done();
    }

    fn complex_key_error(&mut self, mark: Marker) {
        let path = self.current_path();
        let loc = self.location_at(mark, path.clone(), 1);
        self.scan.errors.push(
            Diagnostic::error(format!("a key {} is not a plain name", where_(&path)))
                .at(Some(loc))
                .help("write keys as names (`demo_ml:`), not as lists, mappings or aliases"),
        );
        if let Some(Frame::Map { blanking, .. }) = self.stack.last_mut() {
            blanking.get_or_insert(mark.index());
        }
    }

    /// Starts a mapping (`map`) or sequence.
    fn open(&mut self, map: bool, mark: Marker) {
        let as_key = matches!(
            self.stack.last(),
            Some(Frame::Map {
                state: MapState::Key,
                ..
            })
        );
        if as_key {
            self.complex_key_error(mark);
            if let Some(Frame::Map { state, .. }) = self.stack.last_mut() {
                *state = MapState::ComplexKey;
            }
            let frame = if map {
                Frame::Map {
                    path: String::new(),
                    segs: Vec::new(),
                    ctx: Ctx::Skip,
                    state: MapState::Key,
                    seen: HashMap::new(),
                    blanking: None,
                    locate_at_first_key: false,
                    is_key: true,
                    opened: None,
                }
            } else {
                Frame::Seq {
                    path: String::new(),
                    segs: Vec::new(),
                    ctx: Ctx::Skip,
                    next: 0,
                    is_key: true,
                    opened: None,
                }
            };
            self.stack.push(frame);
            return;
        }
        let opener = if map { '{' } else { '[' };
        let flow = self.chars.get(mark.index()) == Some(&opener);
        let opened = flow.then(|| (opener, Span::at(mark, 1)));
        let (path, segs, ctx) = match self.place() {
            Some((path, segs, key, ctx)) => {
                let value = Span::at(mark, 1);
                let kind = if map {
                    NodeKind::Mapping
                } else {
                    NodeKind::Sequence
                };
                self.record(&path, segs.clone(), key, value, (kind, None, false));
                (path, segs, ctx)
            }
            None => (String::new(), Vec::new(), Ctx::Skip),
        };
        let frame = if map {
            Frame::Map {
                path,
                segs,
                ctx,
                state: MapState::Key,
                seen: HashMap::new(),
                blanking: None,
                locate_at_first_key: !flow && ctx != Ctx::Skip,
                is_key: false,
                opened,
            }
        } else {
            Frame::Seq {
                path,
                segs,
                ctx,
                next: 0,
                is_key: false,
                opened,
            }
        };
        self.stack.push(frame);
    }

    fn close(&mut self, mark: Marker) {
        let is_key = match self.stack.pop() {
            Some(Frame::Map {
                blanking, is_key, ..
            }) => {
                if let Some(start) = blanking {
                    self.scan.blank.push(start..mark.index());
                }
                is_key
            }
            Some(Frame::Seq { is_key, .. }) => is_key,
            None => false,
        };
        if is_key {
            if let Some(Frame::Map { state, .. }) = self.stack.last_mut() {
                *state = MapState::Value {
                    key: None,
                    span: Span::at(mark, 1),
                    ctx: Ctx::Skip,
                };
            }
        } else {
            self.done();
        }
    }

    /// A node (not a key) is complete: the parent moves on.
    fn done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { state, .. }) => *state = MapState::Key,
            Some(Frame::Seq { next, .. }) => *next += 1,
            None => {}
        }
    }
}

/// `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The path as serde_yaml prints it: keys unquoted, joined with `.`.
fn plain_path(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn unknown_key(ctx: Ctx, key: &str, path: &str, valid: &[&str]) -> Diagnostic {
    let message = format!("unknown key `{key}` {}", where_(path));
    let list = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let help = if ctx == Ctx::Principal(PrincipalKind::User) && key == "members" {
        "users have no members; to put this user in a group or role, list it under that \
         group's or role's `members:`"
            .to_string()
    } else {
        match (nearest(key, valid.iter().copied()), belongs(key)) {
            // A cluster key out of place is not a typo of a near name (`role_name`, `roles`).
            (_, Some(place)) if CLUSTER_KEYS.contains(&key) => {
                format!("`{key}` belongs {place}; valid keys here: {list}")
            }
            (Some(s), _) => format!("did you mean `{s}`? Valid keys here: {list}"),
            (None, Some(place)) => format!("`{key}` belongs {place}; valid keys here: {list}"),
            (None, None) => format!("valid keys here: {list}"),
        }
    };
    Diagnostic::error(message).help(help)
}

/// Where a key that is valid somewhere in grants.yaml belongs.
fn belongs(key: &str) -> Option<&'static str> {
    match key {
        "create" | "usage" => Some("under a schema: `schemas: {demo_ml: {usage: [analysts]}}`"),
        "execute" => {
            Some("under a model or function: `models: {demo_ml.churn: {execute: [analysts]}}`")
        }
        "create_model" => {
            Some("under a group, role or user: `groups: {analysts: {create_model: true}}`")
        }
        "members" => Some("under a group or role: `groups: {analysts: {members: [alice]}}`"),
        k if CLUSTER_KEYS.contains(&k) => Some(
            "under `cluster:`, the Redshift cluster's IAM setup: \
             `cluster: {account_id: \"123456789012\", region: us-east-1, ...}`",
        ),
        _ => None,
    }
}
