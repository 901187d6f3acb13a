//! Hostile grants.yaml: alias bombs, deep nesting, control characters, oversized files,
//! floods of errors, and property tests that arbitrary text and mutations of valid files
//! never panic and always fail with located errors.

use super::marks::{MAX_DEPTH, MAX_VALUES};
use super::*;
use crate::diag::{render, Severity};
use proptest::prelude::*;

const FILE: &str = "grants.yaml";

/// The seed file shipped at the root of the repository.
const SEED: &str = include_str!("../../grants.yaml");

/// A PostgreSQL file using every section, hostile names and an anchor with its alias.
const PG: &str = r#"target: postgres
mode: authoritative
ignore: [rdsadmin, "ds:*"]
groups:
  Sales ML:
    members: [alice, "x; drop table y"]
  a"b: {}
roles:
  select:
    members: [role:owner_r, bob]
  owner_r: {}
users:
  alice: {}
schemas:
  "Sales ML":
    usage: &readers [Sales ML, a"b]
    create: [select]
  '"x.y"':
    usage: *readers
  '"a.b"':
    usage: [public]
functions:
  '"Sales ML"."weird""fn"':
    execute: [role:select]
"#;

fn errors_of(text: &str) -> Vec<Diagnostic> {
    match parse(FILE, text) {
        Ok(_) => panic!("expected {text:?} to fail to load"),
        Err(ds) => ds.into_iter().filter(Diagnostic::is_error).collect(),
    }
}

/// The one error of a file refused as a whole (the marks pass stops at it).
fn fatal(text: &str) -> Diagnostic {
    let es = errors_of(text);
    assert_eq!(es.len(), 1, "{es:#?}");
    es.into_iter().next().unwrap()
}

fn line_col(d: &Diagnostic) -> (usize, usize) {
    let l = d.location.as_ref().expect("a location");
    assert_eq!(l.file, FILE);
    (l.line, l.column)
}

/// The property every failure must have: at least one error, and every diagnostic
/// either located in the file (a line that exists, or the one after the last) or naming
/// the file in its message; rendering each with the source never panics.
fn assert_located(text: &str, diags: &[Diagnostic]) -> Result<(), TestCaseError> {
    prop_assert!(diags.iter().any(Diagnostic::is_error), "{:?}", diags);
    // YAML ends a line at `\n`, `\r\n` or a lone `\r`.
    let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
    for d in diags {
        match &d.location {
            Some(l) => {
                prop_assert_eq!(&l.file, FILE);
                prop_assert!(l.line >= 1 && l.line <= lines + 1, "{} in {:?}", d, text);
                prop_assert!(l.column >= 1, "{}", d);
            }
            None => prop_assert!(d.message.contains(FILE), "{}", d),
        }
        let shown = render(d, Some(text), false);
        prop_assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{:?}",
            shown
        );
    }
    Ok(())
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match parse(FILE, text) {
        Ok(c) => {
            prop_assert_eq!(c.sha256, crate::state::sha256(text.as_bytes()));
            prop_assert!(c.warnings.iter().all(|w| w.severity == Severity::Warning));
            Ok(())
        }
        Err(ds) => assert_located(text, &ds),
    }
}

// ---- alias bombs and nesting -----------------------------------------------------------

/// "Billion laughs": each level is a list of nine aliases of the level before.
fn billion_laughs(levels: usize) -> String {
    let mut s = String::from(
        "target: postgres\nignore: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\ngroups:\n",
    );
    for i in 1..=levels {
        let p = i - 1;
        s.push_str(&format!(
            "  g{i}: {{members: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]}}\n"
        ));
    }
    s
}

#[test]
fn an_alias_bomb_is_refused_where_it_goes_past_the_limit() {
    let e = fatal(&billion_laughs(9));
    assert_eq!(
        e.message,
        "grants.yaml holds more than 1,000,000 YAML values, counting each alias (`*name`) as a \
         copy of what its anchor (`&name`) names"
    );
    // Level 6 expands to 9^7 values: the limit is crossed inside its list.
    assert_eq!(line_col(&e).0, 3 + 6, "{e}");
    assert!(
        e.help.as_deref().unwrap().contains("alias bomb"),
        "{:?}",
        e.help
    );
}

#[test]
fn a_long_list_repeated_by_many_aliases_is_refused() {
    // 1,000 members repeated by 1,100 aliases: 1.1 million values from a 30 KB file.
    let mut s = String::from("target: postgres\ngroups:\n  g0: {members: &m [");
    s.push_str(
        &(0..1000)
            .map(|i| format!("u{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str("]}\n");
    for i in 1..=1100 {
        s.push_str(&format!("  g{i}: {{members: *m}}\n"));
    }
    assert!(s.len() < 32_000);
    let e = fatal(&s);
    assert!(e.message.contains("more than 1,000,000 YAML values"), "{e}");
    // 1,000,000 values are reached after about 996 aliases of 1,002 values each.
    let (line, _) = line_col(&e);
    assert!((990..1010).contains(&line), "{e}");
}

#[test]
fn anchors_and_aliases_within_the_limit_still_work() {
    let c = parse(FILE, PG).unwrap();
    let grantees = |key: &str| -> Vec<String> {
        let rule = c
            .rules_of(ObjectKind::Schema)
            .iter()
            .find(|r| r.key == key)
            .expect(key);
        rule.grants.iter().map(|g| g.grantee.to_string()).collect()
    };
    assert_eq!(grantees("\"x.y\"").len(), 2);
    assert_eq!(
        grantees("\"x.y\""),
        grantees("Sales ML")
            .into_iter()
            .filter(|g| !g.contains("select"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn an_alias_inside_its_own_anchor_is_refused() {
    let e = fatal("target: postgres\nignore: &a [x, *a]\n");
    assert!(
        e.message.contains("inside the node its anchor names"),
        "{e}"
    );
    assert_eq!(line_col(&e), (2, 16));
}

#[test]
fn deep_nesting_is_refused_at_the_level_past_the_limit() {
    // Block style: each list item is a list one column further in.
    let mut block = String::from("target: postgres\nignore:\n");
    for i in 0..200 {
        block.push_str(&" ".repeat(i));
        block.push_str("-\n");
    }
    let e = fatal(&block);
    assert_eq!(
        e.message,
        format!("grants.yaml nests lists and mappings more than {MAX_DEPTH} levels deep")
    );
    assert!(line_col(&e).0 < 40, "{e}");
    // Flow style, and flow mappings.
    let flow = format!(
        "target: postgres\nignore: {}{}\n",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert!(fatal(&flow).message.contains("levels deep"));
    // Past 255 flow levels yaml-rust2's scanner stops first; the finding reads the same.
    let flow = format!("target: postgres\nignore: {}\n", "[".repeat(100_000));
    let e = fatal(&flow);
    assert_eq!(
        e.message,
        format!("grants.yaml nests lists and mappings more than {MAX_DEPTH} levels deep")
    );
    assert_eq!(line_col(&e).0, 2);
    let maps = format!(
        "target: postgres\nignore: {}{}\n",
        "{a: ".repeat(100),
        "}".repeat(100)
    );
    assert!(fatal(&maps).message.contains("levels deep"));
    // A depth within the limit is an ordinary type error.
    let ok_depth = format!(
        "target: postgres\nignore: {}{}\n",
        "[".repeat(20),
        "]".repeat(20)
    );
    assert!(!errors_of(&ok_depth)[0].message.contains("levels deep"));
}

#[test]
fn the_value_limit_counts_keys_and_values() {
    // Exactly the limit loads: a list of scalars, and five values around the items (the
    // root mapping, `target`, `postgres`, `ignore`, the list).
    let n = (MAX_VALUES - 5) as usize;
    let mut s = String::from("target: postgres\nignore: [");
    s.push_str(&vec!["a"; n].join(","));
    s.push_str("]\n");
    let marks = marks::scan(FILE, &s);
    assert!(!marks.fatal, "{:?}", marks.errors);
    s.insert_str(s.len() - 2, ",a");
    let marks = marks::scan(FILE, &s);
    assert!(marks.fatal);
    assert!(marks.errors[0].message.contains("more than 1,000,000"));
}

// ---- control characters and NUL --------------------------------------------------------

#[test]
fn a_raw_control_character_is_located_and_named() {
    for (c, code) in [
        ('\0', "U+0000"),
        ('\u{1b}', "U+001B"),
        ('\u{7f}', "U+007F"),
        ('\u{9b}', "U+009B"),
        ('\u{ffff}', "U+FFFF"),
    ] {
        let text = format!("target: postgres\ngroups:\n  ab{c}cd: {{}}\n");
        let e = fatal(&text);
        assert_eq!(
            e.message,
            format!("grants.yaml holds the control character {code}, which YAML does not allow")
        );
        assert_eq!(line_col(&e), (3, 5), "{c:?}");
    }
    // A tab in a quoted value is YAML (and then refused as a name), not a raw control
    // character; a byte order mark at the start is not part of the document.
    let e = errors_of("target: postgres\ngroups:\n  \"a\tb\": {}\n");
    assert!(
        e[0].message.contains("contains a control character"),
        "{e:#?}"
    );
    let bom = "\u{feff}target: postgres\ngroups:\n  g: {}\n";
    let c = parse(FILE, bom).unwrap();
    assert_eq!(c.sha256, crate::state::sha256(bom.as_bytes()));
    let e = fatal("\u{feff}target: postgres\nschemas: [\n");
    assert!(e.message.starts_with("YAML syntax error"), "{e}");
}

#[test]
fn line_breaks_the_two_yaml_readers_disagree_on_are_refused_raw_and_read_escaped() {
    for (c, code) in [
        ('\u{85}', "0085"),
        ('\u{2028}', "2028"),
        ('\u{2029}', "2029"),
    ] {
        for text in [
            format!("target: postgres\ngroups:\n  \"a{c}b\": {{}}\n"),
            format!("target: postgres\ngroups:\n  a{c}b: {{}}\n"),
            format!("target: postgres\ngroups:\n  ab: {{}} # {c}\n"),
        ] {
            let e = fatal(&text);
            assert_eq!(
                e.message,
                format!(
                    "grants.yaml holds the character U+{code}, a line break to some YAML \
                     readers and not to others"
                )
            );
            assert_eq!(line_col(&e).0, 3, "{e}");
            assert_eq!(
                e.help.as_deref(),
                Some(
                    format!(
                        "remove it, or write it as the escape `\\u{code}` inside double quotes"
                    )
                    .as_str()
                )
            );
        }
        // Escaped, both readers read the same name.
        let text = format!(
            "target: postgres\ngroups:\n  \"a\\u{code}b\": {{}}\nschemas:\n  s: {{usage: [\"a\\u{code}b\"]}}\n"
        );
        if c.is_control() {
            // NEL is a C1 control character: no name may hold one.
            assert!(errors_of(&text)[0]
                .message
                .contains("contains a control character"));
            continue;
        }
        let config = parse(FILE, &text).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(config.principals[0].principal.name, format!("a{c}b"));
        assert_eq!(config.rules_of(ObjectKind::Schema)[0].grants.len(), 1);
    }
}

#[test]
fn nul_and_other_control_characters_written_as_escapes_are_refused_in_names() {
    let cases = [
        (
            "groups:\n  \"a\\0b\": {}\n",
            "group name \"a\\0b\" contains a control character",
            (3, 3),
        ),
        (
            "groups:\n  \"a\\u0000b\": {}\n",
            "group name \"a\\0b\" contains a control character",
            (3, 3),
        ),
        (
            "roles:\n  \"r\\tx\": {}\n",
            "role name \"r\\tx\" contains a control character",
            (3, 3),
        ),
        (
            "users:\n  \"u\\e\": {}\n",
            "user name \"u\\u{1b}\" contains a control character",
            (3, 3),
        ),
        (
            "schemas:\n  \"s\\0\": {}\n",
            "schema name \"s\\0\" contains a control character",
            (3, 3),
        ),
        (
            "groups:\n  g:\n    members: [\"m\\0\"]\n",
            "member name \"m\\0\" contains a control character",
            (4, 15),
        ),
    ];
    for (body, message, place) in cases {
        let text = format!("target: postgres\n{body}");
        let es = errors_of(&text);
        let e = es
            .iter()
            .find(|e| e.message == message)
            .unwrap_or_else(|| panic!("{message}: {es:#?}"));
        assert_eq!(line_col(e), place, "{e}");
        let shown = render(e, Some(&text), false);
        assert!(
            !shown.contains('\0') && !shown.contains('\u{1b}'),
            "{shown:?}"
        );
    }
    // A grantee holding NUL is not a declared name; the message shows it escaped.
    let text = "target: postgres\ngroups:\n  g: {}\nschemas:\n  s: {usage: [\"g\\0\"]}\n";
    let es = errors_of(text);
    assert!(es[0].message.contains("is not declared"), "{es:#?}");
    assert!(!render(&es[0], Some(text), false).contains('\0'));
}

// ---- floods of errors -------------------------------------------------------------------

#[test]
fn errors_past_the_cap_are_counted_not_listed() {
    let mut text = String::from("target: postgres\nschemas:\n");
    for i in 0..250 {
        text.push_str(&format!("  s{i}: {{usage: [nobody{i}]}}\n"));
    }
    let ds = parse(FILE, &text).unwrap_err();
    assert_eq!(ds.len(), MAX_REPORTED + 1);
    assert!(ds[..MAX_REPORTED]
        .iter()
        .all(|d| d.message.contains("is not declared")));
    // The first errors in file order are the ones shown.
    assert_eq!(line_col(&ds[0]).0, 3);
    assert_eq!(line_col(&ds[MAX_REPORTED - 1]).0, 3 + MAX_REPORTED - 1);
    assert_eq!(
        ds[MAX_REPORTED].message,
        "grants.yaml has 150 more errors, not shown"
    );
    assert!(ds[MAX_REPORTED].is_error());
}

#[test]
fn warnings_past_the_cap_are_counted_not_listed() {
    let text = format!(
        "target: postgres\ngroups:\n  g: {{}}\nschemas:\n  s: {{usage: [{}]}}\n",
        vec!["g"; 150].join(", ")
    );
    let c = parse(FILE, &text).unwrap();
    assert_eq!(c.warnings.len(), MAX_REPORTED + 1);
    assert_eq!(
        c.warnings[MAX_REPORTED].message,
        "grants.yaml has 49 more warnings, not shown"
    );
    assert_eq!(c.rules_of(ObjectKind::Schema)[0].grants.len(), 1);
}

#[test]
fn many_declarations_resolve_like_few() {
    // The indexed lookups give what the linear ones gave: kinds, folding, ambiguity.
    let mut text = String::from("target: redshift\ngroups:\n");
    for i in 0..3000 {
        text.push_str(&format!("  g{i}: {{}}\n"));
    }
    text.push_str("roles:\n  R1: {}\nusers:\n  R1: {}\n  Dave: {}\nschemas:\n");
    text.push_str("  s: {usage: [g2999, group:g0, R1, Dave, user:Dave]}\n");
    let ds = parse(FILE, &text).unwrap_err();
    let es: Vec<&Diagnostic> = ds.iter().filter(|d| d.is_error()).collect();
    // `R1` is both the role `r1` (folded) and the user `R1` (users keep their case).
    assert_eq!(es.len(), 1, "{es:#?}");
    assert_eq!(
        es[0].message,
        "grantee `R1` is ambiguous: it is declared under `roles:` and `users:`"
    );
    // `Dave` is the user `Dave`, so `user:Dave` repeats it.
    assert!(ds
        .iter()
        .any(|d| d.message == "`user:Dave` is listed twice in `usage`"));
}

// ---- oversized and unreadable files -----------------------------------------------------

#[test]
fn an_oversized_file_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    // A sparse file: its size is known without writing 17 MiB.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let ds = load(&path).unwrap_err();
    assert_eq!(ds.len(), 1);
    let shown = path.display().to_string();
    assert_eq!(
        ds[0].message,
        format!(
            "{shown} is 16.0 MiB; grantplan reads files of at most 16.0 MiB and refused to read it"
        )
    );
    assert_eq!(ds[0].location, None, "nothing may re-read it for a snippet");
    assert!(ds[0].help.as_deref().unwrap().contains("globs"));
}

#[test]
fn an_endless_device_is_refused_unread() {
    let ds = load(std::path::Path::new("/dev/zero")).unwrap_err();
    assert_eq!(ds.len(), 1);
    assert!(
        ds[0]
            .message
            .starts_with("/dev/zero is a character device, not a regular file; "),
        "{}",
        ds[0].message
    );
    assert_eq!(ds[0].location, None, "nothing may re-read it for a snippet");
}

#[test]
fn invalid_utf8_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.yaml");
    std::fs::write(&path, b"target: postgres\ngroups:\n  caf\xe9: {}\n").unwrap();
    let ds = load(&path).unwrap_err();
    let l = ds[0].location.as_ref().unwrap();
    assert_eq!((l.line, l.column), (3, 6));
    assert!(ds[0]
        .message
        .ends_with("is not UTF-8 text: line 3, column 6 holds the byte 0xE9"));
    assert_eq!(ds[0].help.as_deref(), Some("save the file as UTF-8"));
}

// ---- properties -------------------------------------------------------------------------

/// Pieces of YAML and of grants.yaml, so generated documents reach past the YAML parser.
const TOKENS: &[&str] = &[
    "target: ",
    "postgres",
    "redshift",
    "mode: ",
    "additive",
    "ignore: ",
    "groups:",
    "roles:",
    "users:",
    "schemas:",
    "models:",
    "functions:",
    "cluster:",
    "members: ",
    "usage: ",
    "create: ",
    "execute: ",
    "create_model: ",
    "case_sensitive_identifiers: ",
    "true",
    "null",
    "~",
    "\n",
    "\n  ",
    "\n    ",
    "\n      ",
    "  ",
    "- ",
    ": ",
    ":",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!str ",
    "!!map ",
    "? ",
    "|",
    ">",
    "---",
    "...",
    "%YAML 1.2",
    "g",
    "analysts",
    "demo_ml",
    "demo_ml.*",
    "s.f",
    "\"a.b\"",
    "group:g",
    "role:r",
    "user:u",
    "public",
    "select",
    "a\"b",
    "x; drop table y",
    "\\0",
    "\\u0000",
    "\t",
    "0123",
    "1e3",
    "données",
    "\u{202e}",
    "account_id: ",
    "\"123456789012\"",
    "region: ",
    "us-east-1",
];

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|t| t.concat())
}

/// One edit of a text.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    Indent(usize, usize),
}

/// Any edit, inserting pieces of `tokens`.
pub(crate) fn edit(tokens: &'static [&'static str]) -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..20usize).prop_map(|(p, n)| Edit::Delete(p, n)),
        (any::<usize>(), prop::sample::select(tokens)).prop_map(|(p, t)| Edit::Insert(p, t)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0..8usize).prop_map(|(l, n)| Edit::Indent(l, n)),
    ]
}

/// The nearest character boundary at or before `at % (len + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn apply_edit(text: &str, e: &Edit) -> String {
    let lines = || text.split('\n').map(str::to_string).collect::<Vec<_>>();
    match *e {
        Edit::Delete(p, n) => {
            let a = boundary(text, p);
            let mut b = (a + n).min(text.len());
            while !text.is_char_boundary(b) {
                b -= 1;
            }
            format!("{}{}", &text[..a], &text[b..])
        }
        Edit::Insert(p, t) => {
            let a = boundary(text, p);
            format!("{}{t}{}", &text[..a], &text[a..])
        }
        Edit::DuplicateLine(l) => {
            let mut ls = lines();
            let i = l % ls.len();
            ls.insert(i, ls[i].clone());
            ls.join("\n")
        }
        Edit::SwapLines(a, b) => {
            let mut ls = lines();
            let n = ls.len();
            ls.swap(a % n, b % n);
            ls.join("\n")
        }
        Edit::Truncate(p) => text[..boundary(text, p)].to_string(),
        Edit::Indent(l, n) => {
            let mut ls = lines();
            let i = l % ls.len();
            ls[i] = format!("{}{}", " ".repeat(n), ls[i].trim_start());
            ls.join("\n")
        }
    }
}

fn valid_file() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![SEED, PG, tests_contract()])
}

fn tests_contract() -> &'static str {
    include_str!("../../tests/data/redshift/contract.yaml")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_loads_or_fails_located(text in "\\PC{0,300}") {
        check(&text)?;
    }

    #[test]
    fn arbitrary_characters_load_or_fail_located(chars in prop::collection::vec(any::<char>(), 0..200)) {
        let text: String = chars.into_iter().collect();
        check(&text)?;
    }

    #[test]
    fn yaml_like_documents_load_or_fail_located(text in yamlish()) {
        check(&text)?;
    }

    #[test]
    fn mutated_valid_files_load_or_fail_located(
        base in valid_file(),
        edits in prop::collection::vec(edit(TOKENS), 1..6),
    ) {
        let mut text = base.to_string();
        for e in &edits {
            text = apply_edit(&text, e);
        }
        check(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes in a file: read and loaded, or refused naming the file (and, for bytes
    /// that are not UTF-8, the line and column of the first bad one).
    #[test]
    fn arbitrary_bytes_in_a_file_load_or_fail_naming_it(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        prefix in prop::sample::select(vec!["", "target: postgres\ngroups:\n  ", "\u{feff}"]),
    ) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, prefix.as_bytes()).unwrap();
        std::io::Write::write_all(&mut f, &bytes).unwrap();
        let name = f.path().display().to_string();
        match load(f.path()) {
            Ok(c) => prop_assert_eq!(c.file, name),
            Err(ds) => {
                prop_assert!(ds.iter().any(Diagnostic::is_error));
                for d in &ds {
                    match &d.location {
                        Some(l) => prop_assert_eq!(&l.file, &name),
                        None => prop_assert!(d.message.contains(&name), "{}", d),
                    }
                }
                let text = String::from_utf8_lossy(&bytes);
                if std::str::from_utf8(&bytes).is_err() {
                    prop_assert!(ds[0].message.contains("is not UTF-8 text"), "{} {:?}", ds[0], text);
                }
            }
        }
    }
}

#[test]
fn the_valid_files_used_as_bases_load() {
    for text in [SEED, PG, tests_contract()] {
        parse(FILE, text).unwrap_or_else(|e| panic!("{e:#?}"));
    }
}

// ---- the two YAML readers agree ---------------------------------------------------------

/// Every string scalar serde_yaml reads, by path, for documents without aliases: what
/// the typed pass will see.
fn serde_strings(v: &serde_yaml::Value, segs: &mut Vec<Seg>, out: &mut Vec<(Vec<Seg>, String)>) {
    use serde_yaml::Value;
    match v {
        Value::String(s) => out.push((segs.clone(), s.clone())),
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                segs.push(Seg::Index(i));
                serde_strings(item, segs, out);
                segs.pop();
            }
        }
        Value::Mapping(m) => {
            for (k, item) in m {
                if let Value::String(k) = k {
                    segs.push(Seg::Key(k.clone()));
                    serde_strings(item, segs, out);
                    segs.pop();
                }
            }
        }
        Value::Tagged(t) => serde_strings(&t.value, segs, out),
        _ => {}
    }
}

use super::marks::{NodeKind, Seg};

/// The marks pass (yaml-rust2) and serde_yaml read the same document: where both accept
/// a text without aliases, tags or complex keys, every quoted string the marks pass
/// records is the string serde_yaml has at that path, and serde_yaml has no string at a
/// path the marks pass does not know. A disagreement is how a file could show one thing
/// and grant another (the raw LINE SEPARATOR was one).
fn check_agreement(text: &str) -> Result<(), TestCaseError> {
    let scan = marks::scan(FILE, text);
    let aliases = scan
        .marks
        .ids()
        .any(|id| scan.marks.node(id).kind == NodeKind::Alias);
    if scan.fatal || aliases {
        return Ok(());
    }
    let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return Ok(());
    };
    let mut strings = Vec::new();
    serde_strings(&value, &mut Vec::new(), &mut strings);
    for (segs, s) in &strings {
        let node = scan.marks.ids().find(|&id| scan.marks.segs(id) == *segs);
        let Some((path, node)) = node.map(|id| (scan.marks.path_of(id), scan.marks.node(id)))
        else {
            // Inside an entry that is an error (an unknown or duplicate key), the marks
            // pass records nothing.
            if !scan.errors.is_empty() {
                continue;
            }
            return Err(TestCaseError::fail(format!(
                "serde_yaml has {s:?} at {segs:?}, unknown to the marks pass, in {text:?}"
            )));
        };
        // Block scalars (`|`, `>`) are read differently at their edges (an empty `|` is
        // "\n" to yaml-rust2, "" to serde_yaml); only messages use the marks' text.
        if node.quoted && !text.contains(['|', '>']) {
            prop_assert_eq!(
                scan.marks.scalar(node),
                Some(s.as_str()),
                "{} in {:?}",
                path,
                text
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn both_yaml_readers_agree_on_yaml_like_documents(text in yamlish()) {
        check_agreement(&text)?;
    }

    #[test]
    fn both_yaml_readers_agree_on_mutated_valid_files(
        base in valid_file(),
        edits in prop::collection::vec(edit(TOKENS), 1..6),
    ) {
        let mut text = base.to_string();
        for e in &edits {
            text = apply_edit(&text, e);
        }
        check_agreement(&text)?;
    }

    #[test]
    fn both_yaml_readers_agree_on_arbitrary_names(
        names in prop::collection::vec("\\PC{1,12}", 1..6),
    ) {
        let mut text = String::from("target: postgres\ngroups:\n");
        for n in &names {
            // A double-quoted key, escaped as YAML requires.
            let quoted: String = n.chars().flat_map(|c| match c {
                '"' => vec!['\\', '"'],
                '\\' => vec!['\\', '\\'],
                c => vec![c],
            }).collect();
            text.push_str(&format!("  \"{quoted}\": {{}}\n  {n}: {{}}\n"));
        }
        check_agreement(&text)?;
    }
}

// ---- the typed fast path sees the same bounds ------------------------------------------
//
// A clean file's big sections are read from the marks (`fast.rs`), not by serde_yaml.
// Every bound above is the marks pass's, enforced before the fast path runs; these
// tests put each hostile construction inside a section the fast path would otherwise
// take, so that a fast path that ran first, or read past a refusal, would be seen.

/// A file whose `groups:` and `schemas:` the fast path takes: `n` groups and `n` schemas
/// granting usage to groups, flow and block style alternating. `MARK` stands in the list
/// of the middle schema, for the tests to replace.
fn fast_file(n: usize) -> String {
    let mut s = String::from("target: postgres\nmode: additive\ngroups:\n");
    for i in 0..n {
        s.push_str(&format!("  g{i}: {{}}\n"));
    }
    s.push_str("schemas:\n");
    for i in 0..n {
        if i == n / 2 {
            s.push_str(&format!("  s{i}: {{usage: [g0, MARK, g{i}]}}\n"));
        } else if i == 0 {
            s.push_str("  s0: {usage: [g0, g1, g2]}\n");
        } else if i % 2 == 0 {
            s.push_str(&format!("  s{i}: {{usage: [g0, g1, g{i}]}}\n"));
        } else {
            s.push_str(&format!("  s{i}:\n    usage:\n      - g0\n      - g{i}\n"));
        }
    }
    s
}

/// The 1-based line and column (in characters) of the first `needle` in `text`.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?}"));
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// True when the fast path takes both `groups:` and `schemas:` of `text`.
fn takes_the_fast_path(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let scan = marks::scan(FILE, text);
    assert!(scan.errors.is_empty() && !scan.fatal, "{:?}", scan.errors);
    super::fast::sections(text, &scan.marks).is_some_and(|s| s.ranges.len() == 2)
}

#[test]
fn the_file_the_fast_path_tests_use_takes_the_fast_path() {
    let n = 2000;
    let text = fast_file(n).replace("MARK", "g7");
    assert!(takes_the_fast_path(&text));
    let c = parse(FILE, &text).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(c.rules_of(ObjectKind::Schema).len(), n);
    let mid = &c.rules_of(ObjectKind::Schema)[n / 2];
    assert_eq!(mid.key, format!("s{}", n / 2));
    assert_eq!(
        (mid.loc.line, mid.loc.column),
        place_of(&text, &format!("s{}: ", n / 2))
    );
    // What serde_yaml alone reads.
    let slow = serde_yaml::from_str::<raw::RawConfig>(&text).unwrap();
    let fast = super::typed::read(&text, &marks::scan(FILE, &text).marks, true).unwrap();
    assert_eq!(fast.normalized(), slow.normalized());
}

#[test]
fn a_raw_character_inside_a_fast_path_section_is_refused_where_it_is() {
    let n = 2000;
    let base = fast_file(n);
    let mid = n / 2;
    for (c, message) in [
        ('\u{2028}', "the character U+2028, a line break to some"),
        ('\u{2029}', "the character U+2029, a line break to some"),
        ('\u{85}', "the character U+0085, a line break to some"),
        ('\0', "the control character U+0000"),
        ('\u{1b}', "the control character U+001B"),
        ('\u{7f}', "the control character U+007F"),
    ] {
        // In a grantee, in a schema's name, in a comment, and in a block list's entry.
        let odd = mid + 1;
        for text in [
            base.replace("MARK", &format!("g{c}1")),
            base.replace(&format!("  s{mid}: "), &format!("  s{c}{mid}: ")),
            base.replace(
                &format!("MARK, g{mid}]}}\n"),
                &format!("g1, g{mid}]}} # x{c}\n"),
            ),
            base.replace("MARK", "g1").replace(
                &format!("  s{odd}:\n    usage:\n      - g0\n"),
                &format!("  s{odd}:\n    usage:\n      - g{c}0\n"),
            ),
        ] {
            assert!(text.contains(c));
            let e = fatal(&text);
            assert!(
                e.message
                    .starts_with(&format!("grants.yaml holds {message}")),
                "{c:?}: {e}"
            );
            assert_eq!(line_col(&e), place_of(&text, &c.to_string()), "{c:?}: {e}");
            // Without it, the same file takes the fast path: the refusal is not the fast
            // path declining.
            let without = text.replace(c, "").replace("MARK", "g1");
            assert!(takes_the_fast_path(&without), "{c:?}");
        }
    }
}

#[test]
fn deep_nesting_inside_a_fast_path_section_is_refused_where_it_is() {
    let n = 2000;
    let mid = n / 2;
    let base = fast_file(n);
    let line = place_of(&base, "MARK").0;
    // Just past the limit, past yaml-rust2's own limit of 255 flow levels, and far past.
    for depth in [MAX_DEPTH, 300, 100_000] {
        let nested = format!("{}g1{}", "[".repeat(depth), "]".repeat(depth));
        let e = fatal(&base.replace("MARK", &nested));
        assert_eq!(
            e.message,
            format!("grants.yaml nests lists and mappings more than {MAX_DEPTH} levels deep"),
            "{depth}"
        );
        assert_eq!(line_col(&e).0, line, "{depth}: {e}");
    }
    // Within the limit it is an ordinary type error, found by serde_yaml.
    let nested = format!("{}g1{}", "[".repeat(20), "]".repeat(20));
    let es = errors_of(&base.replace("MARK", &nested));
    assert!(!es[0].message.contains("levels deep"), "{es:#?}");
    assert_eq!(line_col(&es[0]).0, line, "{es:#?}");
    // Block style, one level further in on each line, inside a schema's list.
    let mut block = String::new();
    for i in 0..100 {
        block.push_str(&" ".repeat(6 + 2 * i));
        block.push_str("-\n");
    }
    let text = base.replace(
        &format!("  s{mid}: {{usage: [g0, MARK, g{mid}]}}\n"),
        &format!("  s{mid}:\n    usage:\n{block}"),
    );
    let e = fatal(&text);
    assert!(e.message.contains("levels deep"), "{e}");
    let (at, _) = line_col(&e);
    assert!(at > line && at < line + 40, "{e}");
}

#[test]
fn an_alias_bomb_inside_a_fast_path_section_is_refused() {
    let n = 2000;
    // A list of 1,000 grantees anchored in one schema and repeated by aliases in the
    // others: 1,000 aliases of 1,001 values.
    let members = (0..1000)
        .map(|i| format!("g{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = fast_file(n).replace("MARK", "g1").replacen(
        "  s0: {usage: [g0, g1, g2]}",
        &format!("  s0: {{usage: &u [{members}]}}"),
        1,
    );
    assert!(text.contains("&u ["));
    for i in (2..n).step_by(2) {
        text = text.replacen(
            &format!("  s{i}: {{usage: [g0, g1, g{i}]}}\n"),
            &format!("  s{i}: {{usage: *u}}\n"),
            1,
        );
    }
    let e = fatal(&text);
    assert!(e.message.contains("more than 1,000,000 YAML values"), "{e}");
    // Within the limit, aliases load as the lists they repeat (through serde_yaml: the
    // fast path reads no anchor or alias).
    let small = "target: postgres\ngroups:\n  a: {}\n  b: {}\nschemas:\n  s: {usage: &u [a, b]}\n  t: {usage: *u}\n";
    let scan = marks::scan(FILE, small);
    assert!(super::fast::sections(small, &scan.marks).is_none_or(|s| s.ranges.len() < 2));
    let c = parse(FILE, small).unwrap();
    assert_eq!(c.rules_of(ObjectKind::Schema)[1].grants.len(), 2);
}

#[test]
fn the_value_limit_holds_for_a_file_the_fast_path_reads() {
    // root, target, postgres, groups, {…}, g, {}, schemas, {…}, s, {…}, usage, [ ]: 13.
    let n = (MAX_VALUES - 13) as usize;
    let mut s = String::from("target: postgres\ngroups: {g: {}}\nschemas: {s: {usage: [");
    s.push_str(&vec!["g"; n].join(","));
    s.push_str("]}}\n");
    let scan = marks::scan(FILE, &s);
    assert!(!scan.fatal, "{:?}", scan.errors);
    assert!(super::fast::sections(&s, &scan.marks).is_some_and(|f| f.ranges.len() == 2));
    s.insert_str(s.len() - 4, ",g");
    let e = fatal(&s);
    assert!(e.message.contains("more than 1,000,000"), "{e}");
}

#[test]
fn errors_in_a_file_the_fast_path_read_are_located_and_capped() {
    // The fast path reads a clean file; the resolver's errors then point into it.
    let n = 2000;
    let mut text = fast_file(n).replace("MARK", "nobody");
    for i in (2..n).step_by(2).filter(|i| *i != n / 2).take(150) {
        text = text.replacen(
            &format!("  s{i}: {{usage: [g0, g1, g{i}]}}\n"),
            &format!("  s{i}: {{usage: [g0, ghost{i}, g{i}]}}\n"),
            1,
        );
    }
    assert!(takes_the_fast_path(&text));
    let ds = parse(FILE, &text).unwrap_err();
    assert_eq!(ds.len(), MAX_REPORTED + 1, "{ds:#?}");
    assert_eq!(
        ds[MAX_REPORTED].message,
        "grants.yaml has 51 more errors, not shown"
    );
    assert_eq!(ds[0].message, "grantee `ghost2` is not declared");
    let first = ds[0].location.as_ref().unwrap();
    assert_eq!((first.line, first.column), place_of(&text, "ghost2,"));
    assert_eq!(first.len, "ghost2".len());
    assert_eq!(first.path, "schemas.s2.usage[1]");
    let last = ds[MAX_REPORTED - 1].location.as_ref().unwrap();
    assert_eq!((last.line, last.column), place_of(&text, "ghost200,"));
    // `nobody`, in the middle schema, is past the hundredth.
    let mid = place_of(&text, "nobody").0;
    assert!(ds[..MAX_REPORTED]
        .iter()
        .all(|d| d.location.as_ref().unwrap().line < mid));
}

#[test]
fn a_byte_order_mark_before_a_fast_path_file_is_not_read_into_its_first_key() {
    let text = fast_file(200).replace("MARK", "g3");
    let with_bom = format!("\u{feff}{text}");
    assert!(takes_the_fast_path(&with_bom));
    let plain = parse(FILE, &text).unwrap();
    let c = parse(FILE, &with_bom).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(c.target, plain.target);
    assert_eq!(c.mode, plain.mode);
    assert_eq!(c.rules_of(ObjectKind::Schema).len(), 200);
    assert_eq!(c.principals.len(), 200);
    assert_eq!(c.sha256, crate::state::sha256(with_bom.as_bytes()));
    let (a, b) = (
        &c.rules_of(ObjectKind::Schema)[7],
        &plain.rules_of(ObjectKind::Schema)[7],
    );
    assert_eq!((a.loc.line, a.loc.column), (b.loc.line, b.loc.column));
}

/// For a text the marks pass finds clean, the fast path reads what serde_yaml reads, or
/// fails as serde_yaml fails.
fn check_fast_path(text: &str) -> Result<(), TestCaseError> {
    let scan = marks::scan(FILE, text);
    if scan.fatal || scan.empty || !scan.errors.is_empty() {
        return Ok(());
    }
    let show = |r: Result<raw::RawConfig, serde_yaml::Error>| match r {
        Ok(raw) => format!("ok {}", raw.normalized()),
        Err(e) => format!("err {e}"),
    };
    prop_assert_eq!(
        show(super::typed::read(text, &scan.marks, true).map_err(|(e, _)| e)),
        show(serde_yaml::from_str::<raw::RawConfig>(text)),
        "{:?}",
        text
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// The hostile generators, differential against serde_yaml alone.
    #[test]
    fn the_fast_path_reads_yaml_like_documents_as_serde_yaml_does(text in yamlish()) {
        check_fast_path(&text)?;
    }

    #[test]
    fn the_fast_path_reads_mutated_valid_files_as_serde_yaml_does(
        base in valid_file(),
        edits in prop::collection::vec(edit(TOKENS), 1..6),
    ) {
        let mut text = base.to_string();
        for e in &edits {
            text = apply_edit(&text, e);
        }
        check_fast_path(&text)?;
    }
}
