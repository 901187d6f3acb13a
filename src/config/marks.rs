//! The marks pass: one walk over the YAML events of grants.yaml (yaml-rust2's parser,
//! which reports where each event starts), before any typed deserialization. It is the
//! only place that knows where things are in the file.
//!
//! serde_yaml knows line and column only for the first error it meets, and it silently
//! keeps the last of two duplicate map keys (a schema block pasted twice would lose the
//! first block's grants, which the planner would then revoke). So this pass:
//!
//! - refuses hostile input before anything else reads it: characters YAML forbids or
//!   that the two YAML readers take differently, nesting past [`MAX_DEPTH`], more than
//!   [`MAX_VALUES`] values (aliases counted as the copies they make), an alias of a node
//!   not yet complete;
//! - maps every YAML path (`schemas.demo_ml.usage[1]`) to where its key and its value
//!   are (1-based line and column, in characters), so later stages can point at the
//!   exact token that asked for something;
//! - reports YAML syntax errors, duplicate keys at any depth and unknown keys (with the
//!   nearest valid key), collecting all of them;
//! - marks the entries that are errors in themselves (a duplicate, an unknown key, a key
//!   that is not a name), which the typed read (`typed.rs`) then passes over, so the rest
//!   of the file is still deserialized and validated in the same run.
//!
//! yaml-rust2 facts this relies on (checked by tests): `Marker::line()` is 1-based,
//! `Marker::col()` 0-based, and `Marker::index()` counts characters (not bytes, whatever
//! its documentation says). The marker of a *block* mapping's `MappingStart` is not the
//! position of the mapping (it lands after the first key), so a block mapping is located
//! at its first key instead. A `MappingEnd` is marked at the next token (the next
//! less-indented key, `}` or the end of the stream).
//!
//! A large grants.yaml has hundreds of thousands of nodes (one per grantee), so the
//! marks are a tree of small nodes: no node keeps its path, which is rebuilt from the
//! parents only when a message needs it.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use foldhash::fast::RandomState as FastHash;
use indexmap::IndexMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diag::{Diagnostic, Location};
use crate::model::{ObjectKind, PrincipalKind};

/// Top-level keys of grants.yaml, in the order the documentation lists them: the
/// settings, the principal sections, one section per object kind (in kind order),
/// `cluster`.
pub(crate) static TOP_KEYS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        let mut keys = vec![
            "target",
            "mode",
            "ignore",
            "case_sensitive_identifiers",
            "groups",
            "roles",
            "users",
        ];
        keys.extend(ObjectKind::ALL.map(ObjectKind::section));
        keys.push("default_privileges");
        keys.push("assume_role");
        keys.push("cluster");
        keys
    });
/// Keys of `cluster:`, in the order the documentation lists them.
pub(crate) const CLUSTER_KEYS: &[&str] = &[
    "account_id",
    "region",
    "partition",
    "workgroup",
    "namespace",
    "role_name",
    "bucket",
    "kms_key_id",
    "enhanced_vpc_routing",
    "forecast",
    "policy",
    "redshift_downloads",
];
pub(crate) const GROUP_KEYS: &[&str] = &["create_model", "members", "system"];
/// Keys of one `default_privileges:` entry, in the order the documentation lists them:
/// whose new objects, where, PUBLIC's built-in, then one key per kind that has defaults
/// on some target (the kind's section).
pub(crate) const DEFAULT_KEYS: &[&str] = &[
    "for",
    "schema",
    "keep_public",
    "tables",
    "functions",
    "sequences",
    "procedures",
];
pub(crate) const USER_KEYS: &[&str] = &["create_model"];

/// The deepest nesting of collections grants.yaml may have. A valid file needs four
/// levels (the document, `schemas:`, one schema, its `usage:` list); the bound keeps a
/// hostile document of thousands of nested lists from costing time quadratic in its
/// depth (a node's path, rebuilt from its parents for a message, has one step per
/// level) and keeps serde_yaml's recursion shallow.
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

/// The index of a node in [`Marks`]; the document (root) is node 0.
pub(crate) type NodeId = u32;

/// No parent (the root).
const NO_PARENT: NodeId = NodeId::MAX;

/// A [`Span`] stored in 12 bytes; line 0 stands for "none" (lines are 1-based).
#[derive(Debug, Clone, Copy, Default)]
struct Pos {
    line: u32,
    column: u32,
    len: u32,
}

impl Pos {
    fn of(span: Span) -> Pos {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Pos {
            line: n(span.line),
            column: n(span.column),
            len: n(span.len),
        }
    }

    fn span(self) -> Option<Span> {
        (self.line != 0).then_some(Span {
            line: self.line as usize,
            column: self.column as usize,
            len: self.len as usize,
        })
    }
}

/// One node of the document: the value at a path, and the key that introduced it.
///
/// A large grants.yaml has hundreds of thousands of nodes (every grantee is one), so a
/// node stores neither its path nor its key: it points at its parent and at its key
/// entry in [`Marks`]; paths are rebuilt only for messages.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// True for a scalar written in quotes (or as a block scalar): YAML reads it as a
    /// string whatever it holds. A plain `0123` is a number to some YAML readers.
    pub quoted: bool,
    /// The node and its key carry no tag, anchor or alias, and every scalar among them
    /// is one every YAML reader reads alike (see [`faithful`]): only such nodes are read
    /// by the typed fast path (`fast.rs`).
    pub faithful: bool,
    /// For a mapping: some of its entries are errors in themselves (a duplicate or
    /// unknown key, a key that is not a name), listed in [`Marks::skipped`]; the typed
    /// read passes over them, so the rest of the file is still read and checked.
    skips: bool,
    parent: NodeId,
    /// For a mapping's child, the index of its key in `Marks::keys`; for a sequence's
    /// child, its index in the sequence.
    seg: u32,
    key: Pos,
    value: Pos,
    /// The text of a scalar value, in [`Marks::texts`] ([`Marks::scalar`] reads it).
    scalar: TextRef,
}

/// A range of [`Marks::texts`]; `start == u32::MAX` for none. Offsets fit in `u32`: the
/// scalars of a document are at most one and a half times its text (an escape such as
/// `\L` is two characters for three bytes), which is at most [`super::MAX_FILE_BYTES`].
#[derive(Debug, Clone, Copy)]
struct TextRef {
    start: u32,
    len: u32,
}

impl TextRef {
    const NONE: TextRef = TextRef {
        start: u32::MAX,
        len: 0,
    };
}

impl Node {
    /// The key, for a mapping value.
    pub fn key(&self) -> Option<Span> {
        self.key.span()
    }

    /// The value.
    pub fn value(&self) -> Span {
        self.value.span().unwrap_or(Span {
            line: 0,
            column: 0,
            len: 0,
        })
    }
}

/// A `(parent, key)` lookup into `Marks::keys` without building an owned key.
#[derive(Hash)]
struct KeyQuery<'a>(NodeId, &'a str);

impl indexmap::Equivalent<(NodeId, String)> for KeyQuery<'_> {
    fn equivalent(&self, k: &(NodeId, String)) -> bool {
        self.0 == k.0 && self.1 == k.1
    }
}

/// Every node of the document, as a tree. For a duplicated key, the first occurrence.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    nodes: Vec<Node>,
    /// The text of every scalar node, one after the other. A large grants.yaml has a
    /// scalar for each of its hundreds of thousands of grantee entries: one string for
    /// all of them, rather than a `String` each (24 bytes in the node and an allocation
    /// of its own), takes a fifth of the loading peak off a large file.
    texts: String,
    /// `(parent, key)` of every mapping entry, to its node. `(u32, String)` hashes as
    /// `(u32, str)`, so [`KeyQuery`] finds an entry without allocating.
    keys: IndexMap<(NodeId, String), NodeId, FastHash>,
    /// The children of node `n` are `children[first[n]..first[n + 1]]`, in file order
    /// (filled once the walk is over).
    first: Vec<u32>,
    children: Vec<NodeId>,
    /// `(mapping, entry)`: the entries (counted from 0 in file order, every key counted)
    /// that the typed read passes over (see [`Node::skips`]).
    skipped: HashSet<(NodeId, u32), FastHash>,
    /// Each alias (`*name`) to the node its anchor (`&name`) names: the typed read reads
    /// a copy of that node there, and passes over the same entries in it.
    aliases: HashMap<NodeId, NodeId, FastHash>,
    /// Byte ranges of the mappings and sequences that are values of top-level keys (from
    /// the first token to the end), for the typed fast path to cut them out.
    ranges: HashMap<NodeId, Range<usize>, FastHash>,
}

/// One step of a path being looked up.
enum Step<'a> {
    Key(std::borrow::Cow<'a, str>),
    Index(usize),
}

/// The steps of a path written by [`key_path`] and [`index_path`]; `None` for text
/// neither writes.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            out.push(Step::Index(r[..close].parse().ok()?));
            rest = &r[close + 1..];
            continue;
        }
        if !out.is_empty() {
            rest = rest.strip_prefix('.')?;
        }
        if let Some(r) = rest.strip_prefix('"') {
            let mut key = String::new();
            let mut chars = r.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => key.push(chars.next()?.1),
                    (j, '"') => break j + 1,
                    (_, c) => key.push(c),
                }
            };
            out.push(Step::Key(key.into()));
            rest = &r[end..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            if end == 0 {
                return None;
            }
            out.push(Step::Key(rest[..end].into()));
            rest = &rest[end..];
        }
    }
    Some(out)
}

/// What a lookup found: the node at the path asked, or else its nearest known ancestor
/// (`exact` false); `id` is `None` when not even the document is known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub id: Option<NodeId>,
    pub exact: bool,
}

impl Marks {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The text of `node`, when it is a scalar.
    pub fn scalar(&self, node: &Node) -> Option<&str> {
        let TextRef { start, len } = node.scalar;
        if start == u32::MAX {
            return None;
        }
        let start = start as usize;
        self.texts.get(start..start + len as usize)
    }

    /// The document's node.
    pub fn root(&self) -> Option<NodeId> {
        (!self.nodes.is_empty()).then_some(0)
    }

    /// Every node, in file order.
    #[cfg(test)]
    pub fn ids(&self) -> impl Iterator<Item = NodeId> {
        0..self.nodes.len() as NodeId
    }

    /// The value of `key` in the mapping `parent`.
    pub fn child(&self, parent: NodeId, key: &str) -> Option<NodeId> {
        self.keys.get(&KeyQuery(parent, key)).copied()
    }

    /// Entry `index` of the sequence `parent`.
    pub fn item(&self, parent: NodeId, index: usize) -> Option<NodeId> {
        if self.node(parent).kind != NodeKind::Sequence {
            return None;
        }
        self.children(parent).get(index).copied()
    }

    /// The entries of a mapping or sequence, in file order.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        let i = id as usize;
        match (self.first.get(i), self.first.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.children[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The key of a mapping's entry.
    pub fn key_of(&self, id: NodeId) -> Option<&str> {
        let n = self.node(id);
        let parent = self.nodes.get(n.parent as usize)?;
        (parent.kind == NodeKind::Mapping)
            .then(|| {
                self.keys
                    .get_index(n.seg as usize)
                    .map(|(k, _)| k.1.as_str())
            })
            .flatten()
    }

    /// True when entry `entry` (counted from 0 in file order) of the mapping `map` is an
    /// error in itself, for the typed read to pass over.
    pub fn is_skipped(&self, map: NodeId, entry: u32) -> bool {
        self.node(map).skips && self.skipped.contains(&(map, entry))
    }

    /// The byte range of a top-level key's mapping or sequence value.
    pub fn range(&self, id: NodeId) -> Option<Range<usize>> {
        self.ranges.get(&id).cloned()
    }

    /// The node an alias repeats (its anchor's), or `id` itself for any other node.
    pub fn anchored(&self, id: NodeId) -> NodeId {
        match self.node(id).kind {
            NodeKind::Alias => self.aliases.get(&id).copied().unwrap_or(id),
            _ => id,
        }
    }

    /// The steps from the document to `id`.
    pub fn segs(&self, id: NodeId) -> Vec<Seg> {
        let mut out = Vec::new();
        let mut at = id;
        while let Some(n) = self.nodes.get(at as usize) {
            if n.parent == NO_PARENT {
                break;
            }
            out.push(match self.key_of(at) {
                Some(k) => Seg::Key(k.to_string()),
                None => Seg::Index(n.seg as usize),
            });
            at = n.parent;
        }
        out.reverse();
        out
    }

    /// The YAML path of `id` (`schemas.demo_ml.usage[1]`, keys quoted as needed).
    pub fn path_of(&self, id: NodeId) -> String {
        let mut path = String::new();
        for seg in self.segs(id) {
            path = match seg {
                Seg::Key(k) => key_path(&path, &k),
                Seg::Index(i) => index_path(&path, i),
            };
        }
        path
    }

    /// The path of `id` as serde_yaml prints it: keys unquoted, joined with `.`.
    pub fn plain_path(&self, id: NodeId) -> String {
        let mut s = String::new();
        for seg in self.segs(id) {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(&k);
                }
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// The node at `path`, or else its nearest known ancestor.
    pub fn locate(&self, path: &str) -> Found {
        let Some(root) = self.root() else {
            return Found {
                id: None,
                exact: false,
            };
        };
        let mut p = path;
        let mut exact = true;
        let steps = loop {
            if let Some(s) = steps(p) {
                break s;
            }
            // Not a path `key_path` writes: only its ancestors can be known.
            exact = false;
            match parent_of(p) {
                Some(q) => p = q,
                None => {
                    return Found {
                        id: Some(root),
                        exact: false,
                    }
                }
            }
        };
        let mut found = Found {
            id: Some(root),
            exact,
        };
        for step in steps {
            found = match step {
                Step::Key(k) => self.descend(found, &k),
                Step::Index(i) => self.index(found, i),
            };
        }
        found
    }

    /// From what was found for a path, what is found for `path.key`.
    pub fn descend(&self, from: Found, key: &str) -> Found {
        Self::step(from, |id| {
            (self.node(id).kind == NodeKind::Mapping)
                .then(|| self.child(id, key))
                .flatten()
        })
    }

    /// [`Marks::descend`] for a caller that visits a mapping's keys in file order (the
    /// resolver, over tens of thousands of rules): the entry at `*cursor` is tried first,
    /// which costs no hashing and reads the nodes in the order they are stored; the
    /// cursor then moves past it. Any other key is looked up as `descend` does.
    pub fn descend_next(&self, from: Found, key: &str, cursor: &mut usize) -> Found {
        if let (Some(id), true) = (from.id, from.exact) {
            if self.node(id).kind == NodeKind::Mapping {
                if let Some(&c) = self.children(id).get(*cursor) {
                    // Keys are recorded once per mapping, so the entry with this key is
                    // the one `descend` finds.
                    if self.key_of(c) == Some(key) {
                        *cursor += 1;
                        return Found {
                            id: Some(c),
                            exact: true,
                        };
                    }
                }
            }
        }
        self.descend(from, key)
    }

    /// From what was found for a path, what is found for `path[index]`.
    pub fn index(&self, from: Found, index: usize) -> Found {
        Self::step(from, |id| self.item(id, index))
    }

    /// One step down from an exact find: to the node `next` gives, or else no further
    /// than where it was (no longer exact).
    fn step(from: Found, next: impl FnOnce(NodeId) -> Option<NodeId>) -> Found {
        match from.id {
            Some(id) if from.exact => match next(id) {
                Some(c) => Found {
                    id: Some(c),
                    exact: true,
                },
                None => Found {
                    id: Some(id),
                    exact: false,
                },
            },
            _ => Found {
                exact: false,
                ..from
            },
        }
    }

    /// Where the key of what was found is, or its value for a list item or the document
    /// (see [`Marks::key_loc`]).
    pub fn key_span(&self, found: Found) -> Option<Span> {
        found.id.map(|id| {
            let n = self.node(id);
            n.key().unwrap_or(n.value())
        })
    }

    /// Where the value of what was found is (see [`Marks::value_loc`]).
    pub fn value_span(&self, found: Found) -> Option<Span> {
        found.id.map(|id| self.node(id).value())
    }

    /// The node at `path`.
    pub fn find(&self, path: &str) -> Option<NodeId> {
        match self.locate(path) {
            Found {
                id: Some(id),
                exact: true,
            } => Some(id),
            _ => None,
        }
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.find(path).map(|id| self.node(id))
    }

    pub fn contains(&self, path: &str) -> bool {
        self.find(path).is_some()
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
        let found = self.locate(path);
        let span = if key {
            self.key_span(found)
        } else {
            self.value_span(found)
        };
        located(file, path, span)
    }

    /// Fills `first` and `children` from the parents.
    fn index_children(&mut self) {
        let n = self.nodes.len();
        let mut first = vec![0u32; n + 1];
        for node in &self.nodes {
            if node.parent != NO_PARENT {
                first[node.parent as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut children = vec![0; first[n] as usize];
        for (id, node) in self.nodes.iter().enumerate() {
            if node.parent != NO_PARENT {
                let slot = &mut fill[node.parent as usize];
                children[*slot as usize] = id as NodeId;
                *slot += 1;
            }
        }
        self.first = first;
        self.children = children;
    }
}

/// Where a path with no known node (not even the document) is placed.
pub(crate) const NOWHERE: Span = Span {
    line: 1,
    column: 1,
    len: 1,
};

/// A location at `span` in `file`, for `path` ([`NOWHERE`] when nothing is known).
pub(crate) fn located(file: &str, path: &str, span: Option<Span>) -> Location {
    let span = span.unwrap_or(NOWHERE);
    Location {
        file: file.to_string(),
        line: span.line,
        column: span.column,
        path: path.to_string(),
        len: span.len,
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
}

/// `parent.key`, the key written in double quotes when it holds anything but letters,
/// digits, `_`, `-` and `$`.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '$');
    let mut s = String::with_capacity(parent.len() + key.len() + 3);
    if !parent.is_empty() {
        s.push_str(parent);
        s.push('.');
    }
    if bare {
        s.push_str(key);
    } else {
        s.push('"');
        for c in key.chars() {
            if c == '"' || c == '\\' {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('"');
    }
    s
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
    /// A section of object rules (`schemas:`, ...): keys are object names.
    Objects(ObjectKind),
    /// One schema, model or function rule; the slice is its valid keys.
    Object(&'static [&'static str]),
    /// `default_privileges:`, a list of entries.
    Defaults,
    /// One `default_privileges:` entry.
    Default,
    /// `assume_role:`: keys are IAM roles.
    IamRoles,
    /// Anything else: only duplicates are checked.
    Free,
    /// Inside an entry that is already an error: nothing is checked or recorded.
    Skip,
}

impl Ctx {
    fn valid_keys(self) -> Option<&'static [&'static str]> {
        match self {
            Ctx::Root => Some(TOP_KEYS.as_slice()),
            Ctx::Principal(PrincipalKind::User) => Some(USER_KEYS),
            Ctx::Principal(_) => Some(GROUP_KEYS),
            Ctx::Object(keys) => Some(keys),
            Ctx::Default => Some(DEFAULT_KEYS),
            _ => None,
        }
    }

    fn child(self, key: &str) -> Ctx {
        match self {
            Ctx::Root => match key {
                "groups" => Ctx::Principals(PrincipalKind::Group),
                "roles" => Ctx::Principals(PrincipalKind::Role),
                "users" => Ctx::Principals(PrincipalKind::User),
                "cluster" => Ctx::Object(CLUSTER_KEYS),
                "default_privileges" => Ctx::Defaults,
                "assume_role" => Ctx::IamRoles,
                _ => match ObjectKind::from_section(key) {
                    Some(kind) if kind.info().single => Ctx::Object(kind.list_keys()),
                    Some(kind) => Ctx::Objects(kind),
                    None => Ctx::Free,
                },
            },
            Ctx::Principals(k) => Ctx::Principal(k),
            Ctx::Objects(kind) => Ctx::Object(kind.list_keys()),
            Ctx::IamRoles => Ctx::Object(super::raw::ASSUME_ROLE_KEYS),
            // A kind's lists, as in its section's rules; `for`, `schema` and
            // `keep_public` are scalars.
            Ctx::Default => match ObjectKind::from_section(key) {
                Some(kind) => Ctx::Object(kind.list_keys()),
                None => Ctx::Free,
            },
            Ctx::Skip => Ctx::Skip,
            _ => Ctx::Free,
        }
    }

    fn item(self) -> Ctx {
        match self {
            Ctx::Skip => Ctx::Skip,
            Ctx::Defaults => Ctx::Default,
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
    /// `faithful` says the key is (see [`Node::faithful`]).
    Value {
        key: Option<String>,
        span: Span,
        ctx: Ctx,
        faithful: bool,
    },
}

enum Frame {
    Map {
        /// This mapping's node; `None` when it is not recorded (a skipped entry, a key).
        node: Option<NodeId>,
        ctx: Ctx,
        state: MapState,
        /// Keys that are errors (unknown keys) with the line where they are: they are not
        /// recorded, but a repeat is still a duplicate. Recorded keys are found in
        /// `Marks::keys`, with their line.
        unrecorded: Vec<(String, usize)>,
        /// The entries begun so far (every key counted, complex keys too): the current
        /// entry is `entries - 1`.
        entries: u32,
        /// A block mapping is located at its first key: true until that key is seen.
        locate_at_first_key: bool,
        /// True for a mapping used as a key.
        is_key: bool,
        /// Where a flow collection's `{` or `[` is, to point at it when it is not closed.
        opened: Option<(char, Span)>,
    },
    Seq {
        node: Option<NodeId>,
        ctx: Ctx,
        next: usize,
        is_key: bool,
        /// Where a flow collection's `{` or `[` is, to point at it when it is not closed.
        opened: Option<(char, Span)>,
    },
}

/// Character index to byte offset in the text, for positions that arrive (nearly) in
/// increasing order: a cursor walks from the last position, so the whole walk costs one
/// pass over the text instead of a copy of it as `Vec<char>`.
struct Text<'a> {
    text: &'a str,
    ascii: bool,
    char_at: usize,
    byte_at: usize,
}

impl<'a> Text<'a> {
    fn new(text: &'a str) -> Text<'a> {
        Text {
            text,
            ascii: text.is_ascii(),
            char_at: 0,
            byte_at: 0,
        }
    }

    /// The text from character `index` on (empty past the end).
    fn from(&mut self, index: usize) -> &'a str {
        if self.ascii {
            return self.text.get(index..).unwrap_or("");
        }
        if index < self.char_at {
            let back = self.char_at - index;
            if back <= index {
                let skipped: usize = self.text[..self.byte_at]
                    .chars()
                    .rev()
                    .take(back)
                    .map(char::len_utf8)
                    .sum();
                self.byte_at -= skipped;
                self.char_at = index;
            } else {
                self.char_at = 0;
                self.byte_at = 0;
            }
        }
        if index > self.char_at {
            let mut chars = self.text[self.byte_at..].char_indices();
            match chars.nth(index - self.char_at) {
                Some((b, _)) => {
                    self.byte_at += b;
                    self.char_at = index;
                }
                None => return "",
            }
        }
        &self.text[self.byte_at..]
    }

    fn char(&mut self, index: usize) -> Option<char> {
        self.from(index).chars().next()
    }

    /// The byte offset of character `index` (the text's length past the end).
    fn byte(&mut self, index: usize) -> usize {
        self.text.len() - self.from(index).len()
    }
}

struct Walker<'a> {
    file: &'a str,
    text: Text<'a>,
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
    /// The node each anchor names, when it is recorded, by yaml-rust2's anchor id.
    anchor_nodes: HashMap<usize, NodeId>,
}

/// Runs the marks pass over `text`, reporting against `file`.
pub(crate) fn scan(file: &str, text: &str) -> Scan {
    let mut w = Walker {
        file,
        text: Text::new(text),
        stack: Vec::new(),
        scan: Scan::default(),
        documents: 0,
        root_seen: false,
        values: 0,
        anchors: HashMap::new(),
        open: Vec::new(),
        anchor_nodes: HashMap::new(),
    };
    if let Some((at, c)) = first_refused(text) {
        w.refused_character(text, at, c);
        return w.scan;
    }
    // Sized from the text, so that the node vector of a large file is never copied as it
    // grows (a copy holds the old and the new vector at once, at the loading peak): a
    // node takes 12-18 bytes of a generated file, and there are at most MAX_VALUES;
    // reserved pages never written cost no memory. The keys (one per ~60-90 bytes of a
    // generated file) are reserved for less: a hash table's reserve is written at once.
    let most = usize::try_from(MAX_VALUES).unwrap_or(usize::MAX);
    w.scan.marks.nodes.reserve((text.len() / 8).min(most) + 1);
    w.scan.marks.keys.reserve((text.len() / 80).min(most));
    // The scalars' text is hardly ever longer than the document (only escapes such as
    // `\L` grow): reserved whole, it is not copied as it grows, and the part never
    // written costs no memory.
    w.scan.marks.texts.reserve(text.len());
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
    w.scan.marks.index_children();
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

/// The first character of `text` that [`yaml_allows`] refuses or that
/// [`is_disputed_break`] names, with its byte offset. Bytes first: printable ASCII, tab
/// and line breaks (nearly every file, and all of a large generated one) are passed
/// over without decoding; characters are decoded only from the first byte outside them.
fn first_refused(text: &str) -> Option<(usize, char)> {
    let from = text
        .bytes()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))?;
    // Every byte before `from` is ASCII, so `from` is a character boundary.
    text[from..]
        .char_indices()
        .find(|(_, c)| !yaml_allows(*c) || is_disputed_break(*c))
        .map(|(i, c)| (from + i, c))
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

/// The length in characters of a scalar's token, from what the parser read of it
/// (yaml-rust2 marks where a token starts, not where it ends): a plain scalar's text, a
/// quoted one's with its quotes and the quotes or backslashes it had to escape. Only
/// messages use it, to underline the token; a value written with other escapes, or
/// over several lines, is underlined for the length it reads as.
fn token_len(value: &str, style: TScalarStyle) -> usize {
    let n = char_count(value);
    match style {
        TScalarStyle::Plain => n,
        TScalarStyle::SingleQuoted => n + 2 + value.matches('\'').count(),
        TScalarStyle::DoubleQuoted => n + 2 + value.matches(['"', '\\']).count(),
        TScalarStyle::Literal | TScalarStyle::Folded => 1,
    }
}

/// True for a scalar that every YAML reader reads alike, judged from what the parser
/// read (its style and value) without looking at the text: a plain scalar of a letter,
/// digit or `_` and then letters, digits, spaces and punctuation that means nothing in
/// YAML; a quoted one of printable characters, none of which YAML 1.1 readers (libyaml,
/// under serde_yaml) take as a line break or a byte-order mark. Conservative on purpose:
/// whatever fails this goes through serde_yaml, which then decides.
pub(crate) fn faithful(value: &str, style: TScalarStyle) -> bool {
    match style {
        TScalarStyle::Plain => {
            let inner = |c: char| {
                c.is_alphanumeric()
                    || matches!(
                        c,
                        '_' | '-'
                            | '.'
                            | '$'
                            | '*'
                            | '?'
                            | ':'
                            | '/'
                            | '+'
                            | '='
                            | '~'
                            | '^'
                            | '('
                            | ')'
                            | '<'
                            | '>'
                            | ';'
                            | '@'
                            | '%'
                            | ' '
                    )
            };
            let mut chars = value.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
                && chars.all(inner)
                && !value.ends_with(' ')
        }
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => value.chars().all(|c| {
            !c.is_control() && !matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        }),
        TScalarStyle::Literal | TScalarStyle::Folded => false,
    }
}

/// The length of `s` in characters.
fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
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

    /// The path of a frame's node ("" for a frame that is not recorded).
    fn path_of(&self, node: Option<NodeId>) -> String {
        node.map_or_else(String::new, |id| self.scan.marks.path_of(id))
    }

    /// The character `c`, refused at byte `at` of `text` (see [`yaml_allows`] and
    /// [`is_disputed_break`]): a fatal error.
    fn refused_character(&mut self, text: &str, at: usize, c: char) {
        let before = &text[..at];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let loc = Location {
            file: self.file.to_string(),
            line,
            column: char_count(&before[line_start..]) + 1,
            path: String::new(),
            len: 1,
        };
        let d = if is_disputed_break(c) {
            let c = c as u32;
            Diagnostic::error(format!(
                "{} holds the character U+{c:04X}, a line break to some YAML readers and not \
                 to others",
                self.file
            ))
            .help(format!(
                "remove it, or write it as the escape `\\u{c:04X}` inside double quotes"
            ))
        } else {
            let c = c as u32;
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
            Some(Frame::Map { node, state, .. }) => match state {
                MapState::Value { key: Some(k), .. } => key_path(&self.path_of(*node), k),
                _ => self.path_of(*node),
            },
            Some(Frame::Seq { node, next, .. }) => index_path(&self.path_of(*node), *next),
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
            .text
            .from(mark.index().saturating_sub(mark.col()))
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .any(|c| c == '\t');
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
            Event::Scalar(value, style, anchor, ref tag) => {
                let plain = anchor == 0 && tag.is_none();
                if anchor != 0 {
                    self.anchors.insert(anchor, 1);
                }
                if !self.count(1, mark) {
                    return false;
                }
                self.scalar(value, style, (anchor, plain), mark);
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
                let anchored = self.anchor_nodes.get(&id).copied();
                if let (Some(alias), Some(anchored)) = (
                    self.leaf(NodeKind::Alias, None, (false, false), mark, 1),
                    anchored,
                ) {
                    self.scan.marks.aliases.insert(alias, anchored);
                }
                true
            }
            Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                let map = matches!(ev, Event::MappingStart(..));
                let plain = anchor == 0 && tag.is_none();
                if self.open.len() >= MAX_DEPTH {
                    self.too_deep(mark);
                    return false;
                }
                self.open.push((anchor, self.values));
                if !self.count(1, mark) {
                    return false;
                }
                if let (Some(id), true) = (self.open(map, plain, mark), anchor != 0) {
                    self.anchor_nodes.insert(anchor, id);
                }
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

    /// A scalar; `anchor` is its anchor id (0: none) and whether it carries neither an
    /// anchor nor a tag.
    fn scalar(&mut self, value: String, style: TScalarStyle, anchor: (usize, bool), mark: Marker) {
        let (anchor, plain) = anchor;
        let faithful = plain && faithful(&value, style);
        if let Some(Frame::Map {
            state: MapState::Key,
            ..
        }) = self.stack.last()
        {
            let len = token_len(&value, style);
            self.key(value, mark, len, faithful);
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
            token_len(&value, style)
        };
        let quoted = style != TScalarStyle::Plain;
        let faithful = faithful || (kind == NodeKind::Null && plain);
        let id = self.leaf(
            kind,
            Some(value).filter(|_| !implicit_null),
            (quoted, faithful),
            mark,
            len,
        );
        if let (Some(id), true) = (id, anchor != 0) {
            self.anchor_nodes.insert(anchor, id);
        }
    }

    /// Marks the current entry of the mapping on top of the stack as one the typed read
    /// passes over.
    fn skip_entry(&mut self) {
        if let Some(Frame::Map {
            node: Some(node),
            entries,
            ..
        }) = self.stack.last()
        {
            let (node, entry) = (*node, entries.saturating_sub(1));
            let marks = &mut self.scan.marks;
            marks.nodes[node as usize].skips = true;
            marks.skipped.insert((node, entry));
        }
    }

    /// A key scalar in the mapping on top of the stack.
    fn key(&mut self, key: String, mark: Marker, len: usize, faithful: bool) {
        let span = Span::at(mark, len);
        let mut error = None;
        let mut first_key_of: Option<NodeId> = None;
        let Some(Frame::Map {
            node,
            ctx,
            unrecorded,
            entries,
            locate_at_first_key,
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        *entries = entries.saturating_add(1);
        if std::mem::take(locate_at_first_key) {
            first_key_of = *node;
        }
        let mut skip = *ctx == Ctx::Skip;
        let mut problem = None;
        if !skip {
            let marks = &self.scan.marks;
            let recorded = node
                .and_then(|p| marks.child(p, &key))
                .and_then(|c| marks.node(c).key())
                .map(|k| k.line);
            let first =
                recorded.or_else(|| unrecorded.iter().find(|(k, _)| *k == key).map(|(_, l)| *l));
            if let Some(first) = first {
                problem = Some(Err(first));
            } else if let Some(valid) = ctx.valid_keys() {
                if !valid.contains(&key.as_str()) {
                    unrecorded.push((key.clone(), span.line));
                    problem = Some(Ok(valid));
                }
            }
        }
        let (node, ctx) = (*node, *ctx);
        if problem.is_some() {
            skip = true;
        }
        let child = if skip { Ctx::Skip } else { ctx.child(&key) };
        if let Some(problem) = problem {
            self.skip_entry();
            // Messages only: the mapping's path is rebuilt here, not kept per frame.
            let path = self.path_of(node);
            let loc = Location {
                file: self.file.to_string(),
                line: span.line,
                column: span.column,
                path: key_path(&path, &key),
                len: span.len,
            };
            error = Some(match problem {
                Err(first) => Diagnostic::error(format!(
                    "duplicate key `{key}` {} (first at line {first})",
                    where_(&path)
                ))
                .at(Some(loc))
                .help(
                    "merge the two entries into one: YAML keeps only one of them, \
                     so what the other one grants would be dropped (and revoked)",
                ),
                Ok(valid) => unknown_key(ctx, &key, &path, valid).at(Some(loc)),
            });
        }
        if let Some(Frame::Map { state, .. }) = self.stack.last_mut() {
            *state = MapState::Value {
                key: Some(key).filter(|_| !skip),
                span,
                ctx: child,
                faithful,
            };
        }
        if let Some(e) = error {
            self.scan.errors.push(e);
        }
        if let Some(id) = first_key_of {
            self.scan.marks.nodes[id as usize].value = Pos::of(span);
            if self.scan.marks.ranges.contains_key(&id) {
                let start = self.text.byte(mark.index());
                if let Some(r) = self.scan.marks.ranges.get_mut(&id) {
                    r.start = start;
                }
            }
        }
    }

    /// Where a node starting now belongs: its parent and key (or index), the key's span,
    /// whether the key is faithful, and the context. `None` when it is not recorded
    /// (inside a skipped entry).
    fn place(&mut self) -> Option<(Parent, Option<Span>, bool, Ctx)> {
        match self.stack.last_mut() {
            None => {
                self.root_seen = true;
                Some((Parent::Root, None, true, Ctx::Root))
            }
            Some(Frame::Map { node, state, .. }) => match state {
                MapState::Value {
                    key: key @ Some(_),
                    span,
                    ctx,
                    faithful,
                } => {
                    let parent = (*node)?;
                    let k = key.take().unwrap_or_default();
                    Some((Parent::Key(parent, k), Some(*span), *faithful, *ctx))
                }
                _ => None,
            },
            Some(Frame::Seq {
                node, ctx, next, ..
            }) => {
                if *ctx == Ctx::Skip {
                    return None;
                }
                let parent = (*node)?;
                Some((Parent::Index(parent, *next), None, true, ctx.item()))
            }
        }
    }

    /// Records a node under `parent`; `what` is its kind, scalar text, quoting and
    /// faithfulness. Returns its id (for a key already recorded, the first node's).
    fn record(
        &mut self,
        parent: Parent,
        key: Option<Span>,
        value: Span,
        what: (NodeKind, Option<String>, bool, bool),
    ) -> NodeId {
        let (kind, scalar, quoted, faithful) = what;
        let marks = &mut self.scan.marks;
        let id = marks.nodes.len() as NodeId;
        let (parent, seg) = match parent {
            Parent::Root => {
                if !marks.nodes.is_empty() {
                    return 0;
                }
                (NO_PARENT, 0)
            }
            Parent::Key(p, k) => match marks.keys.entry((p, k)) {
                indexmap::map::Entry::Occupied(e) => return *e.get(),
                indexmap::map::Entry::Vacant(e) => {
                    let seg = e.index() as u32;
                    e.insert(id);
                    (p, seg)
                }
            },
            Parent::Index(p, i) => (p, u32::try_from(i).unwrap_or(u32::MAX)),
        };
        let scalar = match scalar {
            Some(text) => {
                let start = marks.texts.len();
                marks.texts.push_str(&text);
                TextRef {
                    start: u32::try_from(start).unwrap_or(u32::MAX - 1),
                    len: u32::try_from(text.len()).unwrap_or(0),
                }
            }
            None => TextRef::NONE,
        };
        marks.nodes.push(Node {
            kind,
            quoted,
            faithful,
            skips: false,
            parent,
            seg,
            key: key.map(Pos::of).unwrap_or_default(),
            value: Pos::of(value),
            scalar,
        });
        id
    }

    /// A scalar or alias that is not a key; `flags` are its quoting and faithfulness.
    /// Returns its node, when it is recorded.
    fn leaf(
        &mut self,
        kind: NodeKind,
        scalar: Option<String>,
        flags: (bool, bool),
        mark: Marker,
        len: usize,
    ) -> Option<NodeId> {
        if let Some(Frame::Map {
            state: state @ MapState::Key,
            entries,
            ..
        }) = self.stack.last_mut()
        {
            // An alias used as a key.
            *entries = entries.saturating_add(1);
            *state = MapState::Value {
                key: None,
                span: Span::at(mark, 1),
                ctx: Ctx::Skip,
                faithful: false,
            };
            self.complex_key_error(mark);
            return None;
        }
        let mut id = None;
        if let Some((parent, key, key_faithful, _)) = self.place() {
            let value = match (kind, key) {
                // `name:` with nothing after it: the key is the place to point at.
                (NodeKind::Null, Some(k)) if len == 0 => k,
                _ => Span::at(mark, len),
            };
            let (quoted, faithful) = flags;
            let what = (kind, scalar, quoted, faithful && key_faithful);
            id = Some(self.record(parent, key, value, what));
        }
        self.done();
        id
    }

    /// A key that is not a name (a list, a mapping or an alias), in the mapping on top of
    /// the stack, whose entry count already includes it.
    fn complex_key_error(&mut self, mark: Marker) {
        let path = self.current_path();
        let loc = self.location_at(mark, path.clone(), 1);
        self.scan.errors.push(
            Diagnostic::error(format!("a key {} is not a plain name", where_(&path)))
                .at(Some(loc))
                .help("write keys as names (`demo_ml:`), not as lists, mappings or aliases"),
        );
        self.skip_entry();
    }

    /// Starts a mapping (`map`) or sequence; `plain` is false when it carries a tag or an
    /// anchor. Returns its node, when it is recorded.
    fn open(&mut self, map: bool, plain: bool, mark: Marker) -> Option<NodeId> {
        if let Some(Frame::Map {
            state: state @ MapState::Key,
            entries,
            ..
        }) = self.stack.last_mut()
        {
            // A list or mapping used as a key.
            *entries = entries.saturating_add(1);
            *state = MapState::ComplexKey;
            self.complex_key_error(mark);
            let frame = if map {
                Frame::Map {
                    node: None,
                    ctx: Ctx::Skip,
                    state: MapState::Key,
                    unrecorded: Vec::new(),
                    entries: 0,
                    locate_at_first_key: false,
                    is_key: true,
                    opened: None,
                }
            } else {
                Frame::Seq {
                    node: None,
                    ctx: Ctx::Skip,
                    next: 0,
                    is_key: true,
                    opened: None,
                }
            };
            self.stack.push(frame);
            return None;
        }
        // The parser's mark is on the `{` or `[` of a flow collection; a block one has
        // none (a block mapping's mark is after its first key, see the module's notes).
        let opener = if map { '{' } else { '[' };
        let flow = self.text.char(mark.index()) == Some(opener);
        let opened = flow.then(|| (opener, Span::at(mark, 1)));
        let (node, ctx) = match self.place() {
            Some((parent, key, key_faithful, ctx)) => {
                let top = matches!(parent, Parent::Key(0, _));
                let kind = if map {
                    NodeKind::Mapping
                } else {
                    NodeKind::Sequence
                };
                let what = (kind, None, false, plain && key_faithful);
                let id = self.record(parent, key, Span::at(mark, 1), what);
                if top {
                    // Ends at `close`; a block mapping starts at its first key.
                    let start = self.text.byte(mark.index());
                    self.scan.marks.ranges.insert(id, start..start);
                }
                (Some(id), ctx)
            }
            None => (None, Ctx::Skip),
        };
        let frame = if map {
            Frame::Map {
                node,
                ctx,
                state: MapState::Key,
                unrecorded: Vec::new(),
                entries: 0,
                locate_at_first_key: !flow && ctx != Ctx::Skip,
                is_key: false,
                opened,
            }
        } else {
            Frame::Seq {
                node,
                ctx,
                next: 0,
                is_key: false,
                opened,
            }
        };
        self.stack.push(frame);
        node
    }

    fn close(&mut self, mark: Marker) {
        let (is_key, node, flow) = match self.stack.pop() {
            Some(
                Frame::Map {
                    is_key,
                    node,
                    opened,
                    ..
                }
                | Frame::Seq {
                    is_key,
                    node,
                    opened,
                    ..
                },
            ) => (is_key, node, opened.is_some()),
            None => (false, None, false),
        };
        if let Some(id) = node.filter(|id| self.scan.marks.ranges.contains_key(id)) {
            // A flow collection ends with its `}` or `]`; a block one just before the
            // next token.
            let end = self.text.byte(mark.index()) + usize::from(flow);
            if let Some(r) = self.scan.marks.ranges.get_mut(&id) {
                r.end = end.max(r.start);
            }
        }
        if is_key {
            if let Some(Frame::Map { state, .. }) = self.stack.last_mut() {
                *state = MapState::Value {
                    key: None,
                    span: Span::at(mark, 1),
                    ctx: Ctx::Skip,
                    faithful: false,
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

/// Where a node being recorded hangs.
enum Parent {
    Root,
    Key(NodeId, String),
    Index(NodeId, usize),
}

/// `1,000,000`.
fn thousands(n: u64) -> String {
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
    } else if ctx == Ctx::Principal(PrincipalKind::User) && key == "system" {
        "system permissions go to roles only (r_GRANT: \"you can only grant permissions to \
         roles, not users\"): give a role `system:` and list this user in its `members:`"
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
        "copy" | "unload" | "external_function" => Some(
            "under an IAM role in `assume_role:`: \
             `assume_role: {default: {copy: [etl_grp]}}`",
        ),
        "for" | "keep_public" => Some(
            "in a `default_privileges:` entry: \
             `default_privileges: [{for: role:etl, tables: {select: [analysts]}}]`",
        ),
        k if CLUSTER_KEYS.contains(&k) => Some(
            "under `cluster:`, the Redshift cluster's IAM setup: \
             `cluster: {account_id: \"123456789012\", region: us-east-1, ...}`",
        ),
        _ => None,
    }
}
