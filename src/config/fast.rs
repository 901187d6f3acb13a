//! The typed fast path: the big sections of a clean grants.yaml (`groups:`, `roles:`,
//! `users:`, and every object section: `schemas:`, `tables:`...) read from the marks
//! instead of through serde_yaml. Object sections are read by the kind table (each
//! rule's lists by its kind's list keys), so a new kind needs nothing here.
//!
//! Why it exists: serde_yaml holds every event of a document in memory before it
//! deserializes any of it (about a hundred bytes per value), on top of the marks. Read
//! whole by serde_yaml, a large grants.yaml takes far more memory to load, and twice the
//! time, which puts the large live plan past its memory target (figures in
//! docs/benchmarks.md). The marks pass has already read every node, so a
//! section whose every node is of the plain shape the typed layer expects (mappings of
//! names to mappings of lists of names, or nothing) is built here, and cut out of the
//! text serde_yaml then reads ([`cut`]), so serde_yaml still reads everything else.
//! Positions in the cut text differ from the file's, so no error found in it is
//! reported: on any error the whole file is read again (`typed.rs`), which reports it.
//!
//! The rule that keeps behaviour identical: a section is taken here only when serde_yaml
//! could not read it any other way. Every node must be [`Node::faithful`] (no tag, anchor
//! or alias; scalars that every YAML reader reads alike, judged from the parser's
//! output), every value of the kind serde would accept without error, and the section's
//! text free of tabs and of U+FEFF (characters the two YAML readers treat differently in
//! places; cutting one out could hide libyaml's error). The marks pass has already
//! refused every other character libyaml rejects. Anything else goes through serde_yaml.
//!
//! [`Node::faithful`]: super::marks::Node::faithful

use std::ops::Range;

use indexmap::IndexMap;

use super::marks::{Marks, NodeId, NodeKind};
use super::raw::{RawConfig, RawDefault, RawGroup, RawRule, RawUser};
use crate::model::ObjectKind;

type Section<T> = Option<IndexMap<String, Option<T>>>;

/// The sections read from the marks, and the character ranges of their values.
#[derive(Default)]
pub(crate) struct Sections {
    groups: Section<RawGroup>,
    roles: Section<RawGroup>,
    users: Section<RawUser>,
    /// The object sections taken, each rule's lists in its kind's privilege order.
    objects: Vec<(ObjectKind, Vec<RawRule>)>,
    /// `default_privileges:`, each entry's kinds as lists.
    defaults: Option<Vec<RawDefault>>,
    /// Character ranges of the sections' values, in file order: cut before serde_yaml
    /// reads the rest.
    pub ranges: Vec<Range<usize>>,
}

impl Sections {
    /// True when serde_yaml read none of the sections taken here (they were cut out, so
    /// each must have come out absent).
    pub fn fits(&self, raw: &RawConfig) -> bool {
        !(self.groups.is_some() && raw.groups.is_some()
            || self.roles.is_some() && raw.roles.is_some()
            || self.users.is_some() && raw.users.is_some()
            || self.objects.iter().any(|(k, _)| raw.has_section(*k))
            || self.defaults.is_some() && raw.default_privileges.is_some())
    }

    /// Puts the sections taken here into `raw`.
    pub fn fill(self, raw: &mut RawConfig) {
        fn put<T>(into: &mut Section<T>, from: Section<T>) {
            if from.is_some() {
                *into = from;
            }
        }
        put(&mut raw.groups, self.groups);
        put(&mut raw.roles, self.roles);
        put(&mut raw.users, self.users);
        raw.fast_rules = self.objects;
        if self.defaults.is_some() {
            raw.default_privileges = self.defaults;
        }
    }
}

/// Reads what it can of `text`'s big sections from `marks` (of a text without errors).
/// `None` when nothing could be taken.
pub(crate) fn sections(text: &str, marks: &Marks) -> Option<Sections> {
    let root = marks.root()?;
    if marks.node(root).kind != NodeKind::Mapping {
        return None;
    }
    let m = Reader { text, marks };
    let mut s = Sections::default();
    let mut ranges = Vec::new();
    s.groups = m.section(root, "groups", &mut ranges, |m, id| m.group(id));
    s.roles = m.section(root, "roles", &mut ranges, |m, id| m.group(id));
    s.users = m.section(root, "users", &mut ranges, |m, id| m.user(id));
    for kind in ObjectKind::ALL.into_iter().filter(|k| !k.info().single) {
        let rules = m.section(root, kind.section(), &mut ranges, |m, id| m.rule(kind, id));
        if let Some(rules) = rules {
            let n = kind.list_keys().len();
            let rules = rules
                .into_iter()
                .map(|(key, lists)| (key, lists.unwrap_or_else(|| vec![None; n])))
                .collect();
            s.objects.push((kind, rules));
        }
    }
    s.defaults = m.defaults(root, &mut ranges);
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_by_key(|r| r.start);
    s.ranges = ranges;
    Some(s)
}

struct Reader<'a> {
    text: &'a str,
    marks: &'a Marks,
}

impl Reader<'_> {
    /// The section `name` when it is a mapping every entry of which `entry` reads.
    fn section<T>(
        &self,
        root: NodeId,
        name: &str,
        ranges: &mut Vec<Range<usize>>,
        entry: impl Fn(&Self, NodeId) -> Option<Option<T>>,
    ) -> Section<T> {
        let id = self.marks.child(root, name)?;
        let node = self.marks.node(id);
        if node.kind != NodeKind::Mapping || !node.faithful {
            return None;
        }
        let range = self.marks.range(id)?;
        if !self.cuttable(&range) {
            return None;
        }
        let children = self.marks.children(id);
        let mut out = IndexMap::with_capacity(children.len());
        for &c in children {
            let key = self.marks.key_of(c)?;
            if out.contains_key(key) {
                return None;
            }
            out.insert(key.to_string(), entry(self, c)?);
        }
        ranges.push(range);
        Some(out)
    }

    /// `default_privileges:` when it is a list every entry of which
    /// [`Reader::default_entry`] reads.
    fn defaults(&self, root: NodeId, ranges: &mut Vec<Range<usize>>) -> Option<Vec<RawDefault>> {
        let id = self.marks.child(root, "default_privileges")?;
        let node = self.marks.node(id);
        if node.kind != NodeKind::Sequence || !node.faithful {
            return None;
        }
        let range = self.marks.range(id)?;
        if !self.cuttable(&range) {
            return None;
        }
        let entries = self.marks.children(id);
        let mut out = Vec::with_capacity(entries.len());
        for &e in entries {
            // A null entry is serde's error to report.
            out.push(self.default_entry(e)??);
        }
        ranges.push(range);
        Some(out)
    }

    /// One `default_privileges:` entry: `for` and `schema` strings, `keep_public`, and
    /// each kind's lists by its list keys (a key at most once, no other key).
    fn default_entry(&self, id: NodeId) -> Option<Option<RawDefault>> {
        self.mapping(id, RawDefault::default, |m, d: &mut RawDefault, key, c| {
            match key {
                "for" if d.for_.is_none() => d.for_ = Some(m.string(c)?),
                "schema" if d.schema.is_none() => d.schema = Some(m.string(c)?),
                "keep_public" if d.keep_public.is_none() => d.keep_public = m.boolean(c)?,
                _ => {
                    let kind = ObjectKind::from_section(key)?;
                    if kind.defaults_sql(crate::model::Target::Postgres).is_none()
                        && kind.defaults_sql(crate::model::Target::Redshift).is_none()
                        || d.fast_lists.iter().any(|(k, _)| *k == kind)
                    {
                        return None;
                    }
                    // A kind written `~` is absent, as serde reads it.
                    if let Some(lists) = m.rule(kind, c)? {
                        d.fast_lists.push((kind, lists));
                    }
                }
            }
            Some(())
        })
    }

    /// A string as serde_yaml reads it: a scalar every reader reads as that text.
    fn string(&self, id: NodeId) -> Option<String> {
        let node = self.marks.node(id);
        if node.kind != NodeKind::Scalar || !node.faithful {
            return None;
        }
        self.marks.scalar(node).map(str::to_string)
    }

    /// True when the section's byte range is within the text, not empty, and holds no
    /// tab and no U+FEFF (see the module's notes).
    fn cuttable(&self, range: &Range<usize>) -> bool {
        !range.is_empty()
            && self
                .text
                .get(range.clone())
                .is_some_and(|t| !t.contains(['\t', '\u{feff}']))
    }

    /// A mapping read by `fields` into what `start` makes, or nothing (`None` inside).
    fn mapping<T>(
        &self,
        id: NodeId,
        start: impl FnOnce() -> T,
        fields: impl Fn(&Self, &mut T, &str, NodeId) -> Option<()>,
    ) -> Option<Option<T>> {
        let node = self.marks.node(id);
        if !node.faithful {
            return None;
        }
        match node.kind {
            NodeKind::Null => Some(None),
            NodeKind::Mapping => {
                let mut t = start();
                for &c in self.marks.children(id) {
                    let key = self.marks.key_of(c)?;
                    fields(self, &mut t, key, c)?;
                }
                Some(Some(t))
            }
            _ => None,
        }
    }

    fn group(&self, id: NodeId) -> Option<Option<RawGroup>> {
        self.mapping(id, RawGroup::default, |m, g: &mut RawGroup, key, c| {
            match key {
                "create_model" if g.create_model.is_none() => g.create_model = m.boolean(c)?,
                "members" if g.members.is_none() => g.members = m.list(c)?,
                "system" if g.system.is_none() => g.system = m.list(c)?,
                _ => return None,
            }
            Some(())
        })
    }

    fn user(&self, id: NodeId) -> Option<Option<RawUser>> {
        self.mapping(id, RawUser::default, |m, u: &mut RawUser, key, c| {
            match key {
                "create_model" if u.create_model.is_none() => u.create_model = m.boolean(c)?,
                _ => return None,
            }
            Some(())
        })
    }

    /// One rule of an object section of `kind`: its lists by the kind's list keys (each
    /// at most once, no other key), in the kind's privilege order; or nothing.
    fn rule(&self, kind: ObjectKind, id: NodeId) -> Option<Option<Vec<Option<Vec<String>>>>> {
        type Lists = (Vec<Option<Vec<String>>>, Vec<bool>);
        let keys = kind.list_keys();
        let read = self.mapping(
            id,
            || (vec![None; keys.len()], vec![false; keys.len()]),
            |m, (lists, seen): &mut Lists, key, c| {
                let i = keys.iter().position(|k| *k == key)?;
                // A key given twice (which the marks pass reports anyway): not taken here.
                if std::mem::replace(&mut seen[i], true) {
                    return None;
                }
                lists[i] = m.list(c)?;
                Some(())
            },
        )?;
        Some(read.map(|(lists, _)| lists))
    }

    /// `Option<bool>` as serde_yaml reads it: nothing, or a plain `true` / `false` in
    /// one of the spellings serde_yaml accepts.
    fn boolean(&self, id: NodeId) -> Option<Option<bool>> {
        let node = self.marks.node(id);
        if !node.faithful {
            return None;
        }
        match (node.kind, node.quoted, self.marks.scalar(node)) {
            (NodeKind::Null, ..) => Some(None),
            (NodeKind::Scalar, false, Some("true" | "True" | "TRUE")) => Some(Some(true)),
            (NodeKind::Scalar, false, Some("false" | "False" | "FALSE")) => Some(Some(false)),
            _ => None,
        }
    }

    /// `Option<Vec<String>>`: nothing, or a list of strings.
    fn list(&self, id: NodeId) -> Option<Option<Vec<String>>> {
        let node = self.marks.node(id);
        if !node.faithful {
            return None;
        }
        match node.kind {
            NodeKind::Null => Some(None),
            NodeKind::Sequence => {
                let items = self.marks.children(id);
                let mut out = Vec::with_capacity(items.len());
                for &i in items {
                    let item = self.marks.node(i);
                    if item.kind != NodeKind::Scalar || !item.faithful {
                        return None;
                    }
                    out.push(self.marks.scalar(item)?.to_string());
                }
                Some(Some(out))
            }
            _ => None,
        }
    }
}

/// The text with each of `ranges` (byte ranges of block or flow collections, in order,
/// disjoint) cut out: a range that spans lines becomes a line break and the indentation
/// that followed its last line break (so what follows keeps its indentation), a range
/// within one line becomes a space. Positions after a cut move: only for a text whose
/// errors are not reported.
pub(crate) fn cut(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::new();
    let mut copied = 0;
    for r in ranges {
        let Some(inside) = text.get(r.clone()).filter(|_| r.start >= copied) else {
            continue;
        };
        out.push_str(&text[copied..r.start]);
        match inside.rfind(['\n', '\r']) {
            Some(b) => {
                out.push('\n');
                out.push_str(&inside[b + 1..]);
            }
            None => out.push(' '),
        }
        copied = r.end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{marks, raw, typed};
    use crate::model::ObjectKind;
    use proptest::prelude::*;

    /// What serde_yaml alone makes of `text`, and what the fast path makes of it, for a
    /// text the marks pass finds clean (`None` otherwise: the fast path is not used).
    fn both(text: &str) -> Option<(String, String, bool)> {
        let scan = marks::scan("g.yaml", text);
        if !scan.errors.is_empty() || scan.fatal || scan.empty {
            return None;
        }
        let show = |r: Result<raw::RawConfig, serde_yaml::Error>| match r {
            Ok(raw) => format!("ok {}", raw.normalized()),
            Err(e) => format!("err {e}"),
        };
        let slow = show(serde_yaml::from_str(text));
        let fast = show(typed::read(text, &scan.marks, true).map_err(|(e, _)| e));
        let taken = super::sections(text, &scan.marks).is_some();
        Some((slow, fast, taken))
    }

    fn same(text: &str) -> bool {
        let (slow, fast, taken) = both(text).unwrap_or_else(|| panic!("not clean: {text}"));
        assert_eq!(fast, slow, "{text}");
        taken
    }

    #[test]
    fn a_plain_file_is_read_from_the_marks_and_matches_serde() {
        let text = "target: redshift\ngroups:\n  a: {create_model: true, members: [x, 'y z']}\n  b:\n    members:\n    - \"q\"\nroles: {r: {}}\nusers:\n  u:\nschemas:\n  s:\n    usage: [a, group:b, public]\n    create: []\n  's.t': ~\nmodels:\n  s.m:\n    execute: [a]\nfunctions:\n  s.f: {execute: [b, a]}\n  s.g: {}\nmode: additive\n";
        assert!(same(text));
        let scan = marks::scan("g.yaml", text);
        let s = super::sections(text, &scan.marks).expect("taken");
        assert_eq!(s.ranges.len(), 6);
        assert!(s.groups.is_some());
        let kinds: Vec<_> = s.objects.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [ObjectKind::Schema, ObjectKind::Model, ObjectKind::Function]
        );
    }

    #[test]
    fn every_object_section_is_read_by_its_kinds_list_keys() {
        let text = "groups: {a: {}}\ntables:\n  s.t: {drop: [a], select: [a, public]}\n  's.*': ~\n  s.u: {}\nsequences: {s.q: {update: [a]}}\n";
        assert!(same(text));
        let scan = marks::scan("g.yaml", text);
        let s = super::sections(text, &scan.marks).expect("taken");
        let (kind, rules) = &s.objects[0];
        assert_eq!(*kind, ObjectKind::Table);
        let select = Some(vec!["a".to_string(), "public".to_string()]);
        let drop = Some(vec!["a".to_string()]);
        let mut lists = vec![None; 9];
        lists[0] = select;
        lists[8] = drop;
        assert_eq!(rules[0], ("s.t".to_string(), lists));
        assert_eq!(rules[1], ("s.*".to_string(), vec![None; 9]));
        assert_eq!(s.objects[1].0, ObjectKind::Sequence);
        // A key no list of the kind has, or one listed twice: the marks pass refuses the
        // file before any typed read.
        for text in [
            "tables: {s.t: {execute: [a]}}\n",
            "tables: {s.t: {select: [a], select: [b]}}\n",
        ] {
            assert!(both(text).is_none(), "{text}");
        }
    }

    #[test]
    fn default_privileges_are_read_from_the_marks_as_serde_reads_them() {
        let text = "roles: {etl: {}}\ndefault_privileges:\n- for: etl\n  schema: 's*'\n  keep_public: false\n  tables: {select: [a, public], drop: [b]}\n  functions: ~\n- {for: role:etl, procedures: {execute: []}, sequences: {}}\ntarget: postgres\n";
        assert!(same(text));
        let scan = marks::scan("g.yaml", text);
        let s = super::sections(text, &scan.marks).expect("taken");
        let mut defaults = s.defaults.expect("default_privileges taken");
        assert_eq!(defaults.len(), 2);
        assert_eq!(defaults[0].for_.as_deref(), Some("etl"));
        assert_eq!(defaults[0].schema.as_deref(), Some("s*"));
        assert_eq!(defaults[0].keep_public, Some(false));
        let lists = defaults[0].take_lists();
        assert_eq!(lists.len(), 1, "functions: ~ is absent, as serde reads it");
        assert_eq!(lists[0].0, ObjectKind::Table);
        let kinds: Vec<_> = defaults[1].take_lists().iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, [ObjectKind::Sequence, ObjectKind::Procedure]);
        // Shapes serde reads otherwise, or refuses: serde reads them.
        for text in [
            "default_privileges: [~]\n",
            "default_privileges: {for: a}\n",
            "default_privileges: [{for: ~}]\n",
            "default_privileges: [{for: [a]}]\n",
            "default_privileges: [{for: a, keep_public: yes}]\n",
            "default_privileges: [{for: a, tables: [a]}]\n",
            "default_privileges: [{for: a, tables: {select: a}}]\n",
            "default_privileges: [{for: !!str a}]\n",
            "default_privileges: [{for: 1, schema: true}]\n",
            "default_privileges: []\n",
        ] {
            if both(text).is_some() {
                same(text);
            }
        }
    }

    #[test]
    fn an_error_outside_the_sections_is_serde_yamls_over_the_whole_text() {
        // Reported at its line and column in the file, not in the cut text.
        let text = "groups: {a: {}}\nschemas:\n  s: {usage: [a]}\ntarget: 7\nmode: nope\n";
        let (slow, fast, taken) = both(text).unwrap();
        assert!(taken);
        assert_eq!(fast, slow);
        assert!(slow.contains("line 4 column 9"), "{slow}");
    }

    #[test]
    fn cutting_keeps_what_follows_in_place() {
        let text = "a: {x: 1}\nb:\n  c: 1\n  d: 2\ne: 3\n";
        assert_eq!(super::cut(text, &[3..9, 15..27]), "a:  \nb:\n  \ne: 3\n");
        // An indented document keeps the indentation of the key after a section.
        assert!(same(
            "  schemas:\n    s: {usage: [a]}\n  target: postgres\n"
        ));
        assert!(same(
            "  groups:\n    a: {}\n  # c\n  schemas:\n    s: {usage: [a]}\n"
        ));
        assert!(same(
            "{groups: {a: {}}, target: postgres, schemas: {s: {usage: [a]}}}"
        ));
    }

    #[test]
    fn sections_serde_would_reject_or_read_otherwise_go_through_serde() {
        for text in [
            "groups: {a: {create_model: yes}}\n",
            "groups: {a: {create_model: 'true'}}\n",
            "groups: {a: {members: alice}}\n",
            "groups: {a: {members: [[x]]}}\n",
            "groups: {a: {members: [~]}}\n",
            "groups: {a: 1}\n",
            "groups: [a]\n",
            "schemas: {s: {usage: [\"a\\x41\"]}}\n",
            "schemas: {s: {usage: [!!str a]}}\n",
            "schemas: {s: &x {usage: [a]}, t: *x}\n",
            "schemas: {s: {usage: [a:]}}\n",
            "schemas: {s: {usage: [a: b]}}\n",
            "schemas:\n  s:\n    usage: |\n      a\n",
            "schemas:\n  s:\n    usage: [a,\n      b]\n",
            "schemas:\n  s:\n    usage: [a\n      b]\n",
            "schemas:\n  s:\n    usage: ['a\n      b']\n",
            "schemas:\n  s:\n    usage:\t[a]\n",
            "schemas: {s: {usage: [a # c\n  ]}}\n",
            "schemas: {s: {usage: [a\u{2028}b]}}\n",
            "schemas: {s: {usage: [a]}} # \u{2028}\ntarget: 1\n",
            "schemas: {s: {usage: [a]}}\n# \u{85}\ntarget: 1\n",
            "schemas: {s: {usage: [@a]}}\n",
            "schemas: {s: {usage: [-a, ?b, :c]}}\n",
            "schemas: {s: {usage: [.inf, 0x1f, 1e3, -1]}}\n",
            "schemas: {1: {usage: [a]}, true: {}, ~: {}}\n",
            "{schemas: {s: {usage: [a]}}, groups: {a: {}}}\n",
            "---\nschemas: {s: {usage: [a]}}\n...\n",
            "\u{feff}schemas: {s: {usage: [a]}}\n",
            "schemas:\r\n  s:\r\n    usage: [a]\r\ntarget: 5\r\n",
            "schemas: {s: {usage: [é, 'ü''x', \"日本\"]}}\ntarget: [x]\n",
            // Faithfulness is judged from the values the parser read: escapes and
            // scalars folded from several lines read alike in both readers.
            "schemas: {s: {usage: [\"\\x41\", \"\\u00e9\", \"a\\\n  b\", \"\\_x\", \"\\/\"]}}\n",
            "schemas: {s: {usage: [a  b, 'a  b', \"  x  \", ' y ']}}\n",
            "schemas:\n  s:\n    usage: ['x\n        y', r\n        s, \"u\n     v\"]\n",
            "schemas:\n  s:\n    usage:\n      - 'x\n        y'\n      - r\n        s\n      - \"a\\\n         b\"\n",
            "schemas:\n  s:\n    usage: [a\n\n      b, 'p\n\n      q']\n",
        ] {
            if both(text).is_some() {
                same(text);
            }
        }
    }

    /// A scalar in one of many spellings, some of which YAML readers read otherwise.
    fn token() -> impl Strategy<Value = String> {
        let usual = prop::sample::select(vec![
            "a", "b", "Ab", "x y", "é", "日本", "group:a", "role:r", "user:u", "public", "s.t",
            "s*", "a_b-c$1", "true", "1",
        ]);
        let odd = prop::sample::select(vec![
            "True", "false", "yes", "no", "~", "null", "0x1f", "1e3", ".inf", "-1", "a:b", "a: b",
            "a#b", "a #b", "a,b", "[a]", "{a}", "'a'", "\"a\"", "a'b", "a\"b", "a\\b", "\"s.t\"",
            "-a", "?a", "@a", "&a", "*a", "!a", "%a", "`a", "|", ">", "", " a", "a ", "\t", "a\tb",
            "\u{2028}", "\u{85}",
        ]);
        let word = prop_oneof![3 => usual, 1 => odd];
        let style = prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)];
        (word, style).prop_map(|(w, style)| match style {
            0 => w.to_string(),
            1 => format!("'{}'", w.replace('\'', "''")),
            2 => format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")),
            _ => format!("\"{}\"", w.replace('"', "\\\"")),
        })
    }

    fn list() -> impl Strategy<Value = String> {
        let style = prop_oneof![4 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)];
        (prop::collection::vec(token(), 0..4), style).prop_map(|(items, style)| match style {
            0 => format!("[{}]", items.join(", ")),
            1 if !items.is_empty() => items
                .iter()
                .map(|i| format!("\n      - {i}"))
                .collect::<String>(),
            1 => "[]".to_string(),
            _ => items.first().cloned().unwrap_or_default(),
        })
    }

    fn rule(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
        (
            token(),
            prop::collection::vec((prop::sample::select(keys.to_vec()), list()), 0..3),
            any::<bool>(),
        )
            .prop_map(|(name, fields, flow)| {
                if fields.is_empty() {
                    return format!("  {name}:{}\n", if flow { " {}" } else { "" });
                }
                let mut seen = Vec::new();
                let fields: Vec<_> = fields
                    .into_iter()
                    .filter(|(k, _)| {
                        let new = !seen.contains(k);
                        seen.push(*k);
                        new
                    })
                    .collect();
                if flow && fields.iter().all(|(_, l)| !l.contains('\n')) {
                    let inner: Vec<String> =
                        fields.iter().map(|(k, l)| format!("{k}: {l}")).collect();
                    format!("  {name}: {{{}}}\n", inner.join(", "))
                } else {
                    let inner: String = fields
                        .iter()
                        .map(|(k, l)| format!("    {k}: {l}\n"))
                        .collect();
                    format!("  {name}:\n{inner}")
                }
            })
    }

    /// A `default_privileges:` entry: `for`, maybe `schema` and `keep_public`, and kinds.
    fn default_entry() -> impl Strategy<Value = String> {
        (
            token(),
            prop::option::of(token()),
            prop::option::of(token()),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["tables", "functions", "sequences", "procedures"]),
                    prop::sample::select(vec!["select", "execute", "usage"]),
                    prop::collection::vec(token(), 0..3),
                ),
                0..3,
            ),
        )
            .prop_map(|(who, schema, keep, kinds)| {
                let mut e = format!("  - for: {who}\n");
                if let Some(s) = schema {
                    e.push_str(&format!("    schema: {s}\n"));
                }
                if let Some(k) = keep {
                    e.push_str(&format!("    keep_public: {k}\n"));
                }
                let mut seen = Vec::new();
                for (kind, key, items) in kinds {
                    if seen.contains(&kind) {
                        continue;
                    }
                    seen.push(kind);
                    e.push_str(&format!("    {kind}: {{{key}: [{}]}}\n", items.join(", ")));
                }
                e
            })
    }

    fn document() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(rule(&["create_model", "members"]), 0..3),
            prop::collection::vec(rule(&["create", "usage"]), 0..3),
            prop::collection::vec(rule(&["execute"]), 0..3),
            prop::collection::vec(default_entry(), 0..3),
            prop::sample::select(vec![
                "",
                "target: postgres\n",
                "mode: additive\n",
                "mode: x\n",
                "ignore: 1\n",
            ]),
            any::<bool>(),
        )
            .prop_map(
                |(groups, schemas, functions, defaults, other, other_first)| {
                    let mut body = format!(
                        "groups:\n{}schemas:\n{}functions:\n{}",
                        groups.concat(),
                        schemas.concat(),
                        functions.concat()
                    );
                    if !defaults.is_empty() {
                        body.push_str(&format!("default_privileges:\n{}", defaults.concat()));
                    }
                    if other_first {
                        format!("{other}{body}")
                    } else {
                        format!("{body}{other}")
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// Whatever the spelling, the fast path reads a clean file as serde_yaml does,
        /// and fails where serde_yaml fails, with its error.
        #[test]
        fn the_fast_path_reads_what_serde_yaml_reads(text in document()) {
            if let Some((slow, fast, _)) = both(&text) {
                prop_assert_eq!(fast, slow, "{}", text);
            }
        }
    }
}
