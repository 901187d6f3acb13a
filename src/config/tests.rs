//! Tests of the grants.yaml loader: the seed and the contract example resolve exactly;
//! every error class names its file, line, column and YAML path, and says what to do.

use super::marks::{self, NodeKind};
use super::*;
use crate::diag::Severity;
use crate::model::PrincipalKind::{Group, Role, User};
use crate::model::{Mode, PrincipalKind};

const FILE: &str = "grants.yaml";

/// The seed file shipped at the root of the repository.
const SEED: &str = include_str!("../../grants.yaml");

/// The example of contract.md, verbatim.
const CONTRACT: &str = r#"# The seed document's example: two groups, one schema, one model.
target: redshift              # redshift (default) | postgres
mode: authoritative           # authoritative (default): revoke managed privileges not listed
                              # additive: never revoke; list what would be revoked as warnings
ignore: [rdsdb, "ds:*"]       # principals never granted to nor revoked from (globs)

groups:
  retention_analyst_grp:
    create_model: true        # GRANT CREATE MODEL TO GROUP retention_analyst_grp
    members: [alice, bob]     # optional; when present, membership is exactly this list
  marketing_analyst_grp: {}

roles:                        # Redshift roles / PostgreSQL roles; same keys as groups
  ml_admin:
    create_model: true
    members: [carol]          # GRANT ROLE ml_admin TO carol

users:                        # existing users, declared to be used as grantees
  dave: {}

schemas:
  demo_ml:
    create: [retention_analyst_grp]
    usage: [retention_analyst_grp, marketing_analyst_grp]
  "sales_*":                  # a glob: every existing schema that matches
    usage: [marketing_analyst_grp]

models:                       # Redshift only
  demo_ml.customer_churn_auto_model:
    execute: [marketing_analyst_grp]
  "demo_ml.*":                # every existing model in demo_ml
    execute: [retention_analyst_grp]

functions:                    # EXECUTE on every overload of a function; both targets
  demo_ml.score_customer:
    execute: [marketing_analyst_grp]
"#;

// ---------------------------------------------------------------------------------------
// Helpers

fn ok(text: &str) -> Config {
    match parse(FILE, text) {
        Ok(c) => c,
        Err(es) => panic!(
            "expected {text:?} to load, got:\n{}",
            es.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The errors (not warnings) of a file that must fail to load.
fn errors(text: &str) -> Vec<Diagnostic> {
    match parse(FILE, text) {
        Ok(_) => panic!("expected {text:?} to fail to load"),
        Err(es) => es.into_iter().filter(|d| d.is_error()).collect(),
    }
}

/// The single error of a file that must fail with exactly one.
fn one_error(text: &str) -> Diagnostic {
    let es = errors(text);
    assert_eq!(
        es.len(),
        1,
        "expected one error for {text:?}, got:\n{}",
        es.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    es.into_iter().next().unwrap()
}

/// (line, column, path, len) of a diagnostic.
fn at(d: &Diagnostic) -> (usize, usize, String, usize) {
    let l = d.location.as_ref().expect("a location");
    assert_eq!(l.file, FILE);
    (l.line, l.column, l.path.clone(), l.len)
}

fn loc_of(l: &Location) -> (usize, usize, String, usize) {
    (l.line, l.column, l.path.clone(), l.len)
}

fn help(d: &Diagnostic) -> &str {
    d.help.as_deref().expect("every diagnostic says what to do")
}

fn p(kind: PrincipalKind, name: &str) -> Principal {
    Principal::new(kind, name)
}

fn g(kind: PrincipalKind, name: &str) -> Grantee {
    Grantee::principal(kind, name)
}

fn grants(rule: &ObjectRule) -> Vec<(Privilege, Grantee)> {
    rule.grants
        .iter()
        .map(|g| (g.privilege, (*g.grantee).clone()))
        .collect()
}

fn members(d: &DeclaredPrincipal) -> Option<Vec<Principal>> {
    d.members
        .as_ref()
        .map(|ms| ms.iter().map(|m| m.principal.clone()).collect())
}

fn exact(part: &NamePart) -> &str {
    match part {
        NamePart::Exact(n) => n,
        NamePart::Glob(g) => panic!("expected an exact name, got glob {}", g.as_str()),
    }
}

fn glob(part: &NamePart) -> &str {
    match part {
        NamePart::Glob(g) => g.as_str(),
        NamePart::Exact(n) => panic!("expected a glob, got exact {n}"),
    }
}

// ---------------------------------------------------------------------------------------
// Files that load

#[test]
fn entries_naming_one_principal_share_one_grantee() {
    // A large file names a few dozen principals in hundreds of thousands of entries:
    // each entry holds a pointer to one shared grantee, not its own copy of the name
    // (and the planner numbers grantees by that pointer).
    let c = ok(
        "groups:\n  a: {}\n  b: {}\nschemas:\n  s:\n    usage: [a, b, public]\n    \
                create: [A]\n  t:\n    usage: [a, public]\n",
    );
    let all: Vec<&std::sync::Arc<Grantee>> = c
        .rules_of(ObjectKind::Schema)
        .iter()
        .flat_map(|r| r.grants.iter().map(|x| &x.grantee))
        .collect();
    assert_eq!(all.len(), 6);
    for x in &all {
        for y in &all {
            assert_eq!(
                x == y,
                std::sync::Arc::ptr_eq(x, y),
                "{x:?} and {y:?}: equal grantees are one shared value"
            );
        }
    }
    let distinct: std::collections::BTreeSet<String> = all.iter().map(|x| x.to_string()).collect();
    assert_eq!(
        distinct.len(),
        3,
        "a (also written A), b and public: {distinct:?}"
    );
}

#[test]
fn seed_file_resolves_to_two_groups_one_schema_one_model() {
    let c = ok(SEED);
    assert_eq!(c.file, FILE);
    assert_eq!(c.target, Target::Redshift);
    assert_eq!(c.mode, Mode::Authoritative);
    assert!(!c.case_sensitive_identifiers);
    assert!(c.ignore.is_empty());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    let ps: Vec<(Principal, bool, Option<Vec<Principal>>)> = c
        .principals
        .iter()
        .map(|d| (d.principal.clone(), d.create_model, members(d)))
        .collect();
    assert_eq!(
        ps,
        vec![
            (p(Group, "retention_analyst_grp"), true, None),
            (p(Group, "marketing_analyst_grp"), false, None),
        ]
    );
    assert_eq!(
        loc_of(&c.principals[0].loc),
        (13, 3, "groups.retention_analyst_grp".into(), 21)
    );

    assert_eq!(c.rules_of(ObjectKind::Schema).len(), 1);
    let s = &c.rules_of(ObjectKind::Schema)[0];
    assert_eq!(s.key, "demo_ml");
    assert_eq!(exact(&s.schema), "demo_ml");
    assert!(s.name.is_none());
    assert!(!s.is_glob());
    assert_eq!(loc_of(&s.loc), (18, 3, "schemas.demo_ml".into(), 7));
    assert_eq!(
        grants(s),
        vec![
            (Privilege::Create, g(Group, "retention_analyst_grp")),
            (Privilege::Usage, g(Group, "retention_analyst_grp")),
            (Privilege::Usage, g(Group, "marketing_analyst_grp")),
        ]
    );
    assert_eq!(
        loc_of(&s.grant_location(&s.grants[2])),
        (20, 36, "schemas.demo_ml.usage[1]".into(), 21)
    );

    assert_eq!(c.rules_of(ObjectKind::Model).len(), 1);
    let m = &c.rules_of(ObjectKind::Model)[0];
    assert_eq!(m.key, "demo_ml.customer_churn_auto_model");
    assert_eq!(exact(&m.schema), "demo_ml");
    assert_eq!(exact(m.name.as_ref().unwrap()), "customer_churn_auto_model");
    assert_eq!(
        grants(m),
        vec![(Privilege::Execute, g(Group, "marketing_analyst_grp"))]
    );
    assert_eq!(
        loc_of(&m.grant_location(&m.grants[0])),
        (
            24,
            15,
            r#"models."demo_ml.customer_churn_auto_model".execute[0]"#.into(),
            21
        )
    );
    assert!(c.rules_of(ObjectKind::Function).is_empty());
}

#[test]
fn contract_example_resolves_in_declaration_order() {
    let c = ok(CONTRACT);
    assert_eq!(c.target, Target::Redshift);
    assert_eq!(c.mode, Mode::Authoritative);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    let ignore: Vec<&str> = c.ignore.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(ignore, ["rdsdb", "ds:*"]);
    assert_eq!(loc_of(&c.ignore[1].loc), (5, 17, "ignore[1]".into(), 6));
    assert!(c.is_ignored("rdsdb"));
    assert!(c.is_ignored("ds:share"));
    assert!(!c.is_ignored("dave"));

    let ps: Vec<(Principal, bool, Option<Vec<Principal>>)> = c
        .principals
        .iter()
        .map(|d| (d.principal.clone(), d.create_model, members(d)))
        .collect();
    assert_eq!(
        ps,
        vec![
            (
                p(Group, "retention_analyst_grp"),
                true,
                Some(vec![p(User, "alice"), p(User, "bob")])
            ),
            (p(Group, "marketing_analyst_grp"), false, None),
            (p(Role, "ml_admin"), true, Some(vec![p(User, "carol")])),
            (p(User, "dave"), false, None),
        ]
    );
    let bob = &c.principals[0].members.as_ref().unwrap()[1];
    assert_eq!(
        loc_of(&bob.loc),
        (10, 22, "groups.retention_analyst_grp.members[1]".into(), 3)
    );
    assert_eq!(
        c.declared(&p(Role, "ml_admin")).map(|d| d.loc.line),
        Some(14)
    );

    let keys: Vec<&str> = c
        .rules_of(ObjectKind::Schema)
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(keys, ["demo_ml", "sales_*"]);
    let sales = &c.rules_of(ObjectKind::Schema)[1];
    assert!(sales.is_glob());
    assert_eq!(glob(&sales.schema), "sales_*");
    assert!(sales.schema.matches("sales_eu"));
    assert!(!sales.schema.matches("demo_ml"));
    assert_eq!(
        grants(sales),
        vec![(Privilege::Usage, g(Group, "marketing_analyst_grp"))]
    );
    assert_eq!(
        loc_of(&sales.loc),
        (25, 3, r#"schemas."sales_*""#.into(), 9)
    );

    let keys: Vec<&str> = c
        .rules_of(ObjectKind::Model)
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(keys, ["demo_ml.customer_churn_auto_model", "demo_ml.*"]);
    let all = &c.rules_of(ObjectKind::Model)[1];
    assert_eq!(exact(&all.schema), "demo_ml");
    assert_eq!(glob(all.name.as_ref().unwrap()), "*");
    assert!(all.is_glob());
    assert_eq!(
        grants(all),
        vec![(Privilege::Execute, g(Group, "retention_analyst_grp"))]
    );

    assert_eq!(c.rules_of(ObjectKind::Function).len(), 1);
    let f = &c.rules_of(ObjectKind::Function)[0];
    assert_eq!(exact(&f.schema), "demo_ml");
    assert_eq!(exact(f.name.as_ref().unwrap()), "score_customer");
    assert_eq!(
        grants(f),
        vec![(Privilege::Execute, g(Group, "marketing_analyst_grp"))]
    );
}

#[test]
fn defaults_are_redshift_authoritative_case_insensitive() {
    let c = ok("groups: {analysts: {}}\n");
    assert_eq!(c.target, Target::Redshift);
    assert_eq!(c.mode, Mode::Authoritative);
    assert!(!c.case_sensitive_identifiers);
    let c = ok("mode: additive\ntarget: postgres\ngroups: {analysts: {}}\n");
    assert_eq!(c.target, Target::Postgres);
    assert_eq!(c.mode, Mode::Additive);
    assert!(c.warnings.is_empty());

    let c = ok("target: postgres\ncase_sensitive_identifiers: true\ngroups: {a: {}}\n");
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(
        c.warnings[0].message,
        "`case_sensitive_identifiers` has no effect on postgres"
    );
    assert_eq!(
        at(&c.warnings[0]),
        (2, 1, "case_sensitive_identifiers".into(), 26)
    );
}

#[test]
fn warnings_come_in_file_order() {
    // Groups are resolved before schemas, but warnings follow the file.
    let c = ok("schemas:\n  Sales: {usage: [public, public]}\ngroups:\n  Demo: {}\n");
    let lines: Vec<usize> = c.warnings.iter().map(|w| at(w).0).collect();
    assert_eq!(lines, [2, 2, 4]);
}

#[test]
fn null_entries_are_empty_entries() {
    let c = ok("groups:\n  marketing_analyst_grp:\n  other: ~\nschemas:\n  demo_ml:\n    usage:\n");
    assert_eq!(
        c.principals
            .iter()
            .map(|d| (d.principal.clone(), d.create_model, d.members.is_none()))
            .collect::<Vec<_>>(),
        vec![
            (p(Group, "marketing_analyst_grp"), false, true),
            (p(Group, "other"), false, true),
        ]
    );
    assert_eq!(
        loc_of(&c.principals[0].loc),
        (2, 3, "groups.marketing_analyst_grp".into(), 21)
    );
    // A schema with nothing listed still claims the schema.
    assert_eq!(c.rules_of(ObjectKind::Schema).len(), 1);
    assert!(c.rules_of(ObjectKind::Schema)[0].grants.is_empty());
}

#[test]
fn members_null_is_unmanaged_with_a_warning_and_empty_list_is_managed() {
    let c = ok("groups:\n  a:\n    members:\n  b:\n    members: []\n");
    assert!(c.principals[0].members.is_none());
    assert_eq!(c.principals[1].members.as_ref().map(Vec::len), Some(0));
    assert_eq!(c.warnings.len(), 1);
    let w = &c.warnings[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(
        w.message,
        "`members:` has no value, so membership is not managed"
    );
    assert_eq!(at(w), (3, 5, "groups.a.members".into(), 7));
}

#[test]
fn grantees_resolve_by_prefix_and_public_in_any_case() {
    let c = ok("groups: {x: {}}\nusers: {x: {}, Dave: {}}\nschemas:\n  s: {usage: [group:x, user:x, Dave, PUBLIC, public]}\n");
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Schema)[0]),
        vec![
            (Privilege::Usage, g(Group, "x")),
            (Privilege::Usage, g(User, "x")),
            (Privilege::Usage, g(User, "Dave")),
            (Privilege::Usage, Grantee::Public),
        ]
    );
    // The second public is a repeat: a warning, not an error.
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].message, "`public` is listed twice in `usage`");
    assert_eq!(at(&c.warnings[0]), (4, 46, "schemas.s.usage[4]".into(), 6));
}

#[test]
fn role_members_may_be_roles_and_users() {
    let c = ok("roles:\n  admin: {members: [role:ml, user:role_x, erin]}\n  ml: {}\n");
    assert_eq!(
        members(&c.principals[0]),
        Some(vec![p(Role, "ml"), p(User, "role_x"), p(User, "erin")])
    );
    // Members need not be declared under users:.
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn object_key_parts_may_be_quoted() {
    let c = ok(concat!(
        "groups: {a: {}}\n",
        "functions:\n",
        "  '\"my.schema\".\"say \"\"hi\"\"\"': {execute: [a]}\n",
        "  '\"sales_*\".f': {execute: [a]}\n",
    ));
    let f = &c.rules_of(ObjectKind::Function)[0];
    assert_eq!(exact(&f.schema), "my.schema");
    assert_eq!(exact(f.name.as_ref().unwrap()), "say \"hi\"");
    // Quoting makes a part exact even when it holds wildcard characters.
    assert_eq!(
        exact(&c.rules_of(ObjectKind::Function)[1].schema),
        "sales_*"
    );
    assert!(!c.rules_of(ObjectKind::Function)[1].is_glob());
}

// ---------------------------------------------------------------------------------------
// Where things are: the marks pass and the two YAML libraries' conventions

#[test]
fn yaml_rust2_markers_are_1_based_lines_0_based_columns_in_characters() {
    use yaml_rust2::parser::{Event, Parser};
    let text = "a:\n  é: x\n";
    let mut parser = Parser::new_from_str(text);
    let mut found = None;
    loop {
        let (ev, mark) = parser.next_token().unwrap();
        if ev
            == Event::Scalar(
                "x".into(),
                yaml_rust2::scanner::TScalarStyle::Plain,
                0,
                None,
            )
        {
            found = Some((mark.line(), mark.col(), mark.index()));
        }
        if ev == Event::StreamEnd {
            break;
        }
    }
    // `x` is on line 2, after "  é: " (5 characters, 6 bytes); "a:\n" is 3 characters.
    assert_eq!(found, Some((2, 5, 8)));
}

#[test]
fn serde_yaml_locations_are_1_based_columns_in_characters_index_in_bytes() {
    let err =
        serde_yaml::from_str::<raw::RawConfig>("groups:\n  é: {create_model: nope}\n").unwrap_err();
    let l = err.location().unwrap();
    // `nope` starts at character 21 of line 2; before it: 8 + 20 characters, 29 bytes.
    assert_eq!((l.line(), l.column(), l.index()), (2, 21, 29));
    assert!(
        err.to_string()
            .starts_with("groups.é.create_model: invalid type: string \"nope\""),
        "{err}"
    );
}

#[test]
fn marks_give_key_and_value_places_with_token_lengths() {
    let text = "groups:\n  \"é g\": {members: [a, 'b''c', \"d\\\"e\"]}\nschemas:\n  s:\n    usage:\n    - a\n";
    let scan = marks::scan(FILE, text);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let m = &scan.marks;
    assert_eq!(
        loc_of(&m.key_loc(FILE, "groups.\"é g\"")),
        (2, 3, "groups.\"é g\"".into(), 5)
    );
    assert_eq!(
        loc_of(&m.value_loc(FILE, "groups.\"é g\".members[1]")),
        (2, 24, "groups.\"é g\".members[1]".into(), 6)
    );
    assert_eq!(
        loc_of(&m.value_loc(FILE, "groups.\"é g\".members[2]")),
        (2, 32, "groups.\"é g\".members[2]".into(), 6)
    );
    assert_eq!(
        m.scalar(m.get("groups.\"é g\".members[2]").unwrap()),
        Some("d\"e")
    );
    // A block mapping is located at its first key, a block list item at the item.
    assert_eq!(m.value_loc(FILE, "schemas.s").line, 5);
    assert_eq!(m.value_loc(FILE, "schemas.s").column, 5);
    assert_eq!(m.get("schemas.s").unwrap().kind, NodeKind::Mapping);
    assert_eq!(
        loc_of(&m.value_loc(FILE, "schemas.s.usage[0]")),
        (6, 7, "schemas.s.usage[0]".into(), 1)
    );
    // An unknown path falls back to its nearest known ancestor, keeping the path asked.
    assert_eq!(
        loc_of(&m.key_loc(FILE, "schemas.s.create[3]")),
        (4, 3, "schemas.s.create[3]".into(), 1)
    );
}

#[test]
fn paths_quote_keys_with_special_characters() {
    assert_eq!(marks::key_path("", "schemas"), "schemas");
    assert_eq!(marks::key_path("schemas", "demo_ml"), "schemas.demo_ml");
    assert_eq!(
        marks::key_path("models", "demo_ml.churn"),
        "models.\"demo_ml.churn\""
    );
    assert_eq!(marks::key_path("s", "a\"b"), "s.\"a\\\"b\"");
    assert_eq!(
        marks::index_path("schemas.demo_ml.usage", 1),
        "schemas.demo_ml.usage[1]"
    );
    assert_eq!(
        marks::parent_of("models.\"a.b[0]\".execute[2]"),
        Some("models.\"a.b[0]\".execute")
    );
    assert_eq!(marks::parent_of("models.\"a.b[0]\""), Some("models"));
    assert_eq!(marks::parent_of("models"), Some(""));
    assert_eq!(marks::parent_of(""), None);
}

// ---------------------------------------------------------------------------------------
// YAML-level errors

#[test]
fn syntax_errors_name_line_and_column() {
    let e = one_error("groups:\n  g: [a\n  h: 1\n");
    assert_eq!(
        e.message,
        "YAML syntax error: illegal placement of ':' indicator"
    );
    assert_eq!((at(&e).0, at(&e).1), (3, 4));

    let e = one_error("schemas:\n  demo_ml:\n    usage: [analysts\n");
    assert_eq!(
        e.message,
        "YAML syntax error: while parsing a flow sequence, expected ',' or ']'"
    );
    assert_eq!(at(&e), (4, 1, "schemas.demo_ml.usage[1]".into(), 1));
    assert_eq!(
        help(&e),
        "the `[` at line 3, column 12 is not closed where expected: check for a missing `]` or `,`"
    );

    let e = one_error("groups:\n\tg: {}\n");
    assert!(
        e.message.starts_with("YAML syntax error: tabs"),
        "{}",
        e.message
    );
    assert_eq!((at(&e).0, at(&e).1), (2, 2));
    assert_eq!(
        help(&e),
        "indent with spaces: YAML does not allow tabs for indentation"
    );
}

#[test]
fn duplicate_top_level_key_is_an_error_naming_both_lines() {
    let e = one_error("groups: {a: {}}\nschemas: {x: {usage: [a]}}\nschemas: {y: {}}\n");
    assert_eq!(
        e.message,
        "duplicate key `schemas` at the top level (first at line 2)"
    );
    assert_eq!(at(&e), (3, 1, "schemas".into(), 7));
    assert!(
        help(&e).starts_with("merge the two entries into one"),
        "{}",
        help(&e)
    );
}

#[test]
fn duplicate_schema_is_an_error_not_a_silent_overwrite() {
    let e = one_error(concat!(
        "groups: {a: {}, b: {}}\n",
        "schemas:\n",
        "  demo_ml:\n",
        "    usage: [a]\n",
        "  demo_ml:\n",
        "    usage: [b]\n",
    ));
    assert_eq!(
        e.message,
        "duplicate key `demo_ml` in `schemas` (first at line 3)"
    );
    assert_eq!(at(&e), (5, 3, "schemas.demo_ml".into(), 7));
}

#[test]
fn duplicate_list_key_inside_an_entry_is_an_error() {
    let e = one_error(concat!(
        "groups: {a: {}, b: {}}\n",
        "models:\n",
        "  demo_ml.m:\n",
        "    execute: [a]\n",
        "    execute: [b]\n",
    ));
    assert_eq!(
        e.message,
        "duplicate key `execute` in `models.\"demo_ml.m\"` (first at line 4)"
    );
    assert_eq!(at(&e), (5, 5, "models.\"demo_ml.m\".execute".into(), 7));

    let e = one_error("groups:\n  a: {members: [x], members: [y]}\n");
    assert_eq!(
        e.message,
        "duplicate key `members` in `groups.a` (first at line 2)"
    );
    assert_eq!(at(&e), (2, 21, "groups.a.members".into(), 7));
}

#[test]
fn unknown_keys_suggest_the_nearest_valid_key() {
    let e = one_error(concat!(
        "groups: {a: {}}\n",
        "models:\n",
        "  \"x.y\":\n",
        "    exeucte: [a]\n",
    ));
    assert_eq!(e.message, "unknown key `exeucte` in `models.\"x.y\"`");
    assert_eq!(at(&e), (4, 5, "models.\"x.y\".exeucte".into(), 7));
    assert_eq!(
        help(&e),
        "did you mean `execute`? Valid keys here: `execute`"
    );

    let e = one_error("grups:\n  a: {}\n");
    assert_eq!(e.message, "unknown key `grups` at the top level");
    assert_eq!(at(&e), (1, 1, "grups".into(), 5));
    assert!(
        help(&e).starts_with("did you mean `groups`?"),
        "{}",
        help(&e)
    );

    let e = one_error("groups:\n  a: {create_modle: true}\n");
    assert_eq!(e.message, "unknown key `create_modle` in `groups.a`");
    assert_eq!(
        help(&e),
        "did you mean `create_model`? Valid keys here: `create_model`, `members`, `system`"
    );

    let e = one_error("schemas:\n  s: {colour: blue}\n");
    assert_eq!(help(&e), "valid keys here: `create`, `usage`");

    let e = one_error("groups: {a: {}}\nusage: [a]\n");
    assert!(
        help(&e).starts_with("`usage` belongs under a schema"),
        "{}",
        help(&e)
    );
}

#[test]
fn members_under_a_user_is_an_unknown_key_that_explains() {
    let e = one_error("users:\n  dave:\n    members: [x]\n");
    assert_eq!(e.message, "unknown key `members` in `users.dave`");
    assert_eq!(at(&e), (3, 5, "users.dave.members".into(), 7));
    assert!(
        help(&e).starts_with("users have no members"),
        "{}",
        help(&e)
    );
}

#[test]
fn wrong_types_are_located_errors_saying_what_is_expected() {
    let e = one_error("groups:\n  g:\n    create_model: yes-please\n");
    assert_eq!(
        e.message,
        "invalid value for `create_model`: invalid type: string \"yes-please\", expected a boolean"
    );
    assert_eq!(at(&e), (3, 19, "groups.g.create_model".into(), 10));
    assert_eq!(help(&e), "`create_model` is `true` or `false`");

    let e = one_error("groups: {analysts: {}}\nschemas:\n  s:\n    usage: analysts\n");
    assert_eq!(
        e.message,
        "invalid value for `usage`: invalid type: string \"analysts\", expected a sequence"
    );
    assert_eq!(at(&e), (4, 12, "schemas.s.usage".into(), 8));
    assert_eq!(
        help(&e),
        "`usage` is a list of grantees: write `usage: [analysts]`"
    );

    let e = one_error("target: mysql\n");
    assert_eq!(
        e.message,
        "invalid value for `target`: unknown variant `mysql`, expected `redshift` or `postgres`"
    );
    assert_eq!(at(&e), (1, 9, "target".into(), 5));
    assert_eq!(
        help(&e),
        "`target` is `redshift` (the default) or `postgres`"
    );

    let e = one_error("groups: {a: {}}\nschemas: {\"s.x\": {usage: [a, [b]]}}\n");
    assert_eq!(
        e.message,
        "invalid entry `usage[1]`: invalid type: sequence, expected a string"
    );
    assert_eq!(at(&e), (2, 30, "schemas.\"s.x\".usage[1]".into(), 1));
    assert!(
        help(&e).starts_with("each grantee is a name"),
        "{}",
        help(&e)
    );

    let e = one_error("- a\n- b\n");
    assert!(
        e.message
            .starts_with("invalid grants.yaml: invalid type: sequence"),
        "{}",
        e.message
    );
    assert_eq!((at(&e).0, at(&e).1, at(&e).2), (1, 1, String::new()));
}

#[test]
fn empty_and_multi_document_files_are_errors() {
    for text in ["", "# only a comment\n", "~\n"] {
        let e = one_error(text);
        assert_eq!(
            e.message,
            "grants.yaml declares nothing: the document is empty"
        );
        assert_eq!((at(&e).0, at(&e).1), (1, 1));
    }
    let es = errors("groups: {a: {}}\n---\ngroups: {b: {}}\n");
    assert_eq!(es.len(), 1);
    assert_eq!(
        es[0].message,
        "grants.yaml holds more than one YAML document"
    );
    assert_eq!((at(&es[0]).0, at(&es[0]).1), (2, 1));
}

// ---------------------------------------------------------------------------------------
// Names

#[test]
fn identifier_length_is_counted_in_bytes_against_the_target_limit() {
    let ok63 = "a".repeat(63);
    let c = ok(&format!("target: postgres\ngroups:\n  {ok63}: {{}}\n"));
    assert_eq!(c.principals[0].principal.name, ok63);

    let long = "a".repeat(64);
    let e = one_error(&format!("target: postgres\ngroups:\n  {long}: {{}}\n"));
    assert_eq!(
        e.message,
        format!("group name `{long}` is 64 bytes long; PostgreSQL allows at most 63 bytes")
    );
    assert_eq!(at(&e), (3, 3, format!("groups.{long}"), 64));
    assert!(
        help(&e).starts_with("shorten it to 63 bytes or fewer"),
        "{}",
        help(&e)
    );

    // 32 characters, 64 bytes.
    let wide = "é".repeat(32);
    let e = one_error(&format!("target: postgres\nusers:\n  {wide}: {{}}\n"));
    assert_eq!(
        e.message,
        format!("user name `{wide}` is 64 bytes long; PostgreSQL allows at most 63 bytes")
    );
    assert_eq!(at(&e), (3, 3, format!("users.{wide}"), 32));
    assert!(
        help(&e).contains("non-ASCII characters take 2 to 4 bytes"),
        "{}",
        help(&e)
    );
    // ... which Redshift accepts.
    ok(&format!("users:\n  {wide}: {{}}\n"));

    let e = one_error(&format!("groups:\n  {}: {{}}\n", "a".repeat(128)));
    assert!(e
        .message
        .ends_with("is 128 bytes long; Redshift allows at most 127 bytes"));
    ok(&format!("groups:\n  {}: {{}}\n", "a".repeat(127)));
}

#[test]
fn identifier_rules_apply_to_members_and_object_parts() {
    let long = "m".repeat(64);
    let es = errors(&format!(
        "target: postgres\ngroups:\n  g: {{members: [{long}]}}\nschemas:\n  {long}: {{}}\nfunctions:\n  s.{long}: {{}}\n  s.: {{}}\n"
    ));
    let got: Vec<(String, usize, usize)> = es
        .iter()
        .map(|e| (e.message.clone(), at(e).0, at(e).1))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                format!(
                    "member name `{long}` is 64 bytes long; PostgreSQL allows at most 63 bytes"
                ),
                3,
                17
            ),
            (
                format!(
                    "schema name `{long}` is 64 bytes long; PostgreSQL allows at most 63 bytes"
                ),
                5,
                3
            ),
            (
                format!(
                    "function name `{long}` is 64 bytes long; PostgreSQL allows at most 63 bytes"
                ),
                7,
                3
            ),
            ("empty function name in `s.`".to_string(), 8, 3),
        ]
    );
}

#[test]
fn empty_names_are_errors() {
    let e = one_error("groups: {\"\": {}}\n");
    assert_eq!(e.message, "empty group name");
    assert_eq!(at(&e), (1, 10, "groups.\"\"".into(), 2));
    let e = one_error("groups: {a: {}}\nschemas: {s: {usage: [\"group:\"]}}\n");
    assert_eq!(e.message, "empty name in grantee `group:`");
    assert_eq!(at(&e), (2, 23, "schemas.s.usage[0]".into(), 8));
}

#[test]
fn redshift_folds_names_and_warns_about_the_spelling() {
    let c = ok(concat!(
        "groups:\n",
        "  Demo_ML: {}\n",
        "users:\n",
        "  Alice: {}\n",
        "schemas:\n",
        "  Sales:\n",
        "    usage: [Demo_ML, demo_ml, Alice]\n",
    ));
    assert_eq!(c.principals[0].principal, p(Group, "demo_ml"));
    // User names keep their case.
    assert_eq!(c.principals[1].principal, p(User, "Alice"));
    assert_eq!(exact(&c.rules_of(ObjectKind::Schema)[0].schema), "sales");
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Schema)[0]),
        vec![
            (Privilege::Usage, g(Group, "demo_ml")),
            (Privilege::Usage, g(User, "Alice")),
        ]
    );
    let ws: Vec<(String, usize, usize)> = c
        .warnings
        .iter()
        .map(|w| (w.message.clone(), at(w).0, at(w).1))
        .collect();
    assert_eq!(
        ws,
        vec![
            (
                "`Demo_ML` is stored as `demo_ml` on Redshift; write it that way or set case_sensitive_identifiers: true".to_string(),
                2,
                3
            ),
            (
                "`Sales` is stored as `sales` on Redshift; write it that way or set case_sensitive_identifiers: true".to_string(),
                6,
                3
            ),
            ("`demo_ml` is listed twice in `usage`".to_string(), 7, 22),
        ]
    );
    assert!(c.warnings.iter().all(|w| w.severity == Severity::Warning));

    // With case-sensitive identifiers nothing folds.
    let c = ok("case_sensitive_identifiers: true\ngroups:\n  Demo_ML: {}\n");
    assert_eq!(c.principals[0].principal, p(Group, "Demo_ML"));
    assert!(c.warnings.is_empty());
    // PostgreSQL keeps the case too.
    let c = ok("target: postgres\ngroups:\n  Demo_ML: {}\n");
    assert_eq!(c.principals[0].principal, p(Group, "Demo_ML"));
    assert!(c.warnings.is_empty());
}

#[test]
fn names_that_fold_together_are_declared_twice() {
    let e = one_error("groups:\n  Analysts: {}\n  analysts: {}\n");
    assert_eq!(
        e.message,
        "group `analysts` is declared twice (as `Analysts` at line 2 and as `analysts` here)"
    );
    assert_eq!(at(&e), (3, 3, "groups.analysts".into(), 8));

    let e = one_error("schemas:\n  Demo: {}\n  demo: {}\n");
    assert_eq!(e.message, "`demo` names the same schema as `Demo` (line 2)");
    assert_eq!(at(&e), (3, 3, "schemas.demo".into(), 4));
}

#[test]
fn public_cannot_be_declared() {
    let e = one_error("roles:\n  Public: {}\n");
    assert_eq!(e.message, "`Public` cannot be declared as a role");
    assert_eq!(at(&e), (2, 3, "roles.Public".into(), 6));
    assert!(
        help(&e).contains("by writing `public` in a list"),
        "{}",
        help(&e)
    );
}

#[test]
fn namespaces_follow_the_target() {
    // Redshift: a group and a user may share a name ...
    let c = ok("groups: {x: {}}\nusers: {x: {}}\n");
    assert_eq!(c.principals.len(), 2);
    // ... a role and a user may not.
    let e = one_error("roles: {x: {}}\nusers:\n  x: {}\n");
    assert_eq!(
        e.message,
        "`x` is declared under both `roles:` (line 1) and `users:`"
    );
    assert_eq!(at(&e), (3, 3, "users.x".into(), 1));
    assert!(help(&e).starts_with("Redshift does not allow a role and a user"));
    // PostgreSQL: one namespace.
    let e = one_error("target: postgres\ngroups: {x: {}}\nusers:\n  x: {}\n");
    assert_eq!(
        e.message,
        "`x` is declared under both `groups:` (line 2) and `users:`"
    );
    assert_eq!(at(&e), (4, 3, "users.x".into(), 1));
    assert!(help(&e).starts_with("PostgreSQL has one namespace"));
}

// ---------------------------------------------------------------------------------------
// Grantees and members

#[test]
fn ambiguous_bare_grantee_is_an_error_naming_the_prefixes() {
    let e = one_error("groups: {x: {}}\nusers: {x: {}}\nschemas:\n  s: {usage: [x]}\n");
    assert_eq!(
        e.message,
        "grantee `x` is ambiguous: it is declared under `groups:` and `users:`"
    );
    assert_eq!(at(&e), (4, 15, "schemas.s.usage[0]".into(), 1));
    assert_eq!(help(&e), "say which one: write `group:x` or `user:x`");
}

#[test]
fn undeclared_grantee_suggests_the_nearest_declared_name() {
    let e = one_error(concat!(
        "groups:\n",
        "  analysts: {}\n",
        "  marketing: {}\n",
        "schemas:\n",
        "  demo_ml:\n",
        "    usage: [marketing, analsts]\n",
    ));
    assert_eq!(e.message, "grantee `analsts` is not declared");
    assert_eq!(at(&e), (6, 24, "schemas.demo_ml.usage[1]".into(), 7));
    assert_eq!(
        help(&e),
        "did you mean `analysts`? If not, declare `analsts` under `groups:`, `roles:` or `users:`"
    );

    let e = one_error("groups: {a: {}}\nschemas: {s: {usage: [zzz]}}\n");
    assert_eq!(
        help(&e),
        "declare `zzz` under `groups:`, `roles:` or `users:`"
    );
}

#[test]
fn prefixed_grantee_must_be_declared_in_that_section() {
    let e = one_error("groups: {analysts: {}}\nschemas: {s: {create: [role:analysts]}}\n");
    assert_eq!(e.message, "role `analysts` is not declared under `roles:`");
    assert_eq!(at(&e), (2, 24, "schemas.s.create[0]".into(), 13));
    assert_eq!(
        help(&e),
        "`analysts` is declared under `groups:`; write `group:analysts`"
    );

    let e = one_error("groups: {analysts: {}}\nschemas: {s: {create: [group:analyst]}}\n");
    assert_eq!(
        help(&e),
        "did you mean `group:analysts`? If not, declare `analyst` under `groups:`"
    );

    let e = one_error("groups: {a: {}}\nschemas: {s: {usage: [group:public]}}\n");
    assert_eq!(e.message, "`group:public` is not a principal");

    // PostgreSQL has one namespace: the prefix is documentation.
    let c = ok("target: postgres\ngroups: {a: {}}\nschemas: {s: {usage: [role:a]}}\n");
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Schema)[0]),
        vec![(Privilege::Usage, g(Group, "a"))]
    );
}

#[test]
fn member_kinds_are_checked() {
    let es = errors(concat!(
        "groups:\n",
        "  g: {members: [role:r, group:h, public]}\n",
        "roles:\n",
        "  r: {members: [role:r, role:rr, user:PUBLIC]}\n",
    ));
    let got: Vec<(String, usize, usize, String)> = es
        .iter()
        .map(|e| (e.message.clone(), at(e).0, at(e).1, at(e).2))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "role `r` cannot be a member of a group".to_string(),
                2,
                17,
                "groups.g.members[0]".to_string()
            ),
            (
                "group `h` cannot be a member of a group".to_string(),
                2,
                25,
                "groups.g.members[1]".to_string()
            ),
            (
                "`public` cannot be a member".to_string(),
                2,
                34,
                "groups.g.members[2]".to_string()
            ),
            (
                "role `r` cannot be a member of itself".to_string(),
                4,
                17,
                "roles.r.members[0]".to_string()
            ),
            (
                "role `rr` is not declared under `roles:`".to_string(),
                4,
                25,
                "roles.r.members[1]".to_string()
            ),
            (
                "`public` cannot be a member".to_string(),
                4,
                34,
                "roles.r.members[2]".to_string()
            ),
        ]
    );
    assert_eq!(
        help(&es[4]),
        "did you mean `role:r`? If not, declare `rr` under `roles:`"
    );
    assert!(es.iter().all(|e| e.help.is_some()));
}

#[test]
fn bare_member_named_like_a_declared_role_warns() {
    let c = ok("roles:\n  admin: {members: [ml]}\n  ml: {}\n");
    assert_eq!(members(&c.principals[0]), Some(vec![p(User, "ml")]));
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(
        c.warnings[0].message,
        "member `ml` is taken as a user, but `ml` is declared as a role"
    );
    assert_eq!(
        help(&c.warnings[0]),
        "to make the role a member, write `role:ml`; if a user of that name is meant, write `user:ml`"
    );
}

// ---------------------------------------------------------------------------------------
// Objects, globs, targets

#[test]
fn model_and_function_keys_must_be_schema_dot_name() {
    let es = errors("models:\n  demo_ml: {}\nfunctions:\n  a.b.c: {}\n");
    assert_eq!(es.len(), 2);
    assert_eq!(
        es[0].message,
        "model key `demo_ml` has 1 part; it must be schema.model"
    );
    assert_eq!(at(&es[0]), (2, 3, "models.demo_ml".into(), 7));
    assert!(
        help(&es[0]).starts_with("write it as schema.model"),
        "{}",
        help(&es[0])
    );
    assert_eq!(
        es[1].message,
        "function key `a.b.c` has 3 parts; it must be schema.function"
    );
    assert_eq!(at(&es[1]), (4, 3, "functions.\"a.b.c\"".into(), 5));

    let e = one_error("schemas:\n  a.b: {}\n");
    assert_eq!(
        e.message,
        "schema key `a.b` has 2 parts; a schema name has one"
    );
    let e = one_error("schemas:\n  '\"a': {}\n");
    assert_eq!(
        e.message,
        "cannot read schema key `\"a`: a double quote is not closed"
    );
}

#[test]
fn invalid_globs_are_located_errors() {
    let e = one_error("models:\n  \"demo_ml.[a\": {}\n");
    assert_eq!(
        e.message,
        "invalid glob `[a` in `demo_ml.[a`: invalid range pattern"
    );
    assert_eq!(at(&e), (2, 3, "models.\"demo_ml.[a\"".into(), 12));

    let e = one_error("ignore: [rdsdb, \"[x\"]\n");
    assert_eq!(
        e.message,
        "invalid glob `[x` in `ignore`: invalid range pattern"
    );
    assert_eq!(at(&e), (1, 17, "ignore[1]".into(), 4));
}

#[test]
fn models_and_create_model_are_errors_on_postgres() {
    let es = errors(concat!(
        "target: postgres\n",
        "groups:\n",
        "  g:\n",
        "    create_model: false\n",
        "models: {}\n",
    ));
    assert_eq!(es.len(), 2);
    assert_eq!(
        es[0].message,
        "`create_model` cannot be used with `target: postgres`: CREATE MODEL exists only on Amazon Redshift (Redshift ML)"
    );
    assert_eq!(at(&es[0]), (4, 5, "groups.g.create_model".into(), 12));
    assert_eq!(
        help(&es[0]),
        "set `target: redshift` if this file manages a Redshift cluster, or remove `create_model` from this group"
    );
    assert_eq!(
        es[1].message,
        "`models:` cannot be used with `target: postgres`: ML models exist only on Amazon Redshift (Redshift ML)"
    );
    assert_eq!(at(&es[1]), (5, 1, "models".into(), 6));
    assert_eq!(
        help(&es[1]),
        "set `target: redshift` if this file manages a Redshift cluster, or remove the `models:` section"
    );

    // Sequences are PostgreSQL's.
    let e = one_error("groups: {g: {}}\nsequences: {s.q: {usage: [g]}}\n");
    assert_eq!(
        e.message,
        "`sequences:` cannot be used with `target: redshift`: Redshift has no sequences (it numbers rows with IDENTITY columns)"
    );
    assert_eq!(at(&e), (2, 1, "sequences".into(), 9));
    assert_eq!(
        help(&e),
        "set `target: postgres` if this file manages a PostgreSQL server, or remove the `sequences:` section"
    );
    let c = ok("target: postgres\ngroups: {g: {}}\nsequences: {s.q: {usage: [g], update: [g]}}\n");
    assert_eq!(c.rules_of(ObjectKind::Sequence).len(), 1);

    // Functions are fine on both targets.
    let c = ok("target: postgres\ngroups: {g: {}}\nfunctions: {s.f: {execute: [g]}}\n");
    assert_eq!(c.rules_of(ObjectKind::Function).len(), 1);
}

#[test]
fn a_key_with_argument_types_names_one_overload() {
    let c = ok(concat!(
        "groups: {g: {}}\n",
        "functions:\n",
        "  s.f: {execute: [g]}\n",
        "  's.f(INTEGER,   text)': {execute: []}\n",
        "  's.f()': {execute: [g]}\n",
        "procedures:\n",
        "  '\"P(x)\".run(character varying)': {execute: [g]}\n",
    ));
    let f = c.rules_of(ObjectKind::Function);
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].args, None);
    assert_eq!(f[1].args.as_deref(), Some("integer, text"));
    assert_eq!(exact(&f[1].schema), "s");
    assert_eq!(exact(f[1].name.as_ref().unwrap()), "f");
    assert_eq!(f[2].args.as_deref(), Some(""));
    let p = &c.rules_of(ObjectKind::Procedure)[0];
    // Redshift folds even a quoted name (case_sensitive_identifiers is off).
    assert_eq!(exact(&p.schema), "p(x)");
    assert_eq!(p.args.as_deref(), Some("character varying"));

    // The same overload twice is one entry written twice.
    let e =
        one_error("groups: {g: {}}\nfunctions:\n  's.f(integer)': {}\n  's.f( INTEGER )': {}\n");
    assert!(e.message.contains("names the same function"), "{e}");
    // An overload of a glob, an unclosed list.
    let e = one_error("groups: {g: {}}\nfunctions:\n  's.*(integer)': {execute: [g]}\n");
    assert_eq!(
        e.message,
        "`s.*(integer)` names one overload of a glob; an overload's name is exact"
    );
    assert_eq!(at(&e).0, 3);
    let e = one_error("groups: {g: {}}\nfunctions:\n  's.f(integer': {execute: [g]}\n");
    assert_eq!(
        e.message,
        "cannot read function key `s.f(integer`: its argument types do not end with `)`"
    );
    // On a kind without argument lists a `(` is part of the name, as any character is.
    let c = ok("groups: {g: {}}\ntables:\n  's.t(integer)': {select: [g]}\n");
    assert_eq!(
        exact(c.rules_of(ObjectKind::Table)[0].name.as_ref().unwrap()),
        "t(integer)"
    );
}

#[test]
fn table_privileges_are_checked_against_the_target() {
    // Every list of both targets, in privilege order whatever the file's order.
    let c = ok(concat!(
        "target: postgres\n",
        "groups: {g: {}}\n",
        "tables:\n",
        "  \"sales.*\": {trigger: [g], select: [g, public], references: [g]}\n",
        "  s.t: {insert: [g], update: [g], delete: [g], truncate: [g]}\n",
    ));
    let rules = c.rules_of(ObjectKind::Table);
    assert_eq!(rules.len(), 2);
    let grp = g(PrincipalKind::Group, "g");
    assert_eq!(
        grants(&rules[0]),
        [
            (Privilege::Select, grp.clone()),
            (Privilege::Select, Grantee::Public),
            (Privilege::References, grp.clone()),
            (Privilege::Trigger, grp.clone()),
        ]
    );
    assert_eq!(glob(rules[0].name.as_ref().unwrap()), "*");
    assert_eq!(
        grants(&rules[1])
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>(),
        [
            Privilege::Insert,
            Privilege::Update,
            Privilege::Delete,
            Privilege::Truncate
        ]
    );

    // TRIGGER is PostgreSQL's; ALTER and DROP are Redshift's: located errors, the
    // other lists of the rule still read.
    let e = one_error("groups: {g: {}}\ntables:\n  s.t: {select: [g], trigger: [g]}\n");
    assert_eq!(
        e.message,
        "`trigger` (TRIGGER ON TABLE) exists only on postgres, and this file's target is redshift"
    );
    assert_eq!(at(&e), (3, 22, "tables.\"s.t\".trigger".into(), 7));
    assert_eq!(
        help(&e),
        "remove `trigger`, or set `target:` to the server's kind"
    );
    let es = errors(concat!(
        "target: postgres\n",
        "groups: {g: {}}\n",
        "tables:\n",
        "  s.t:\n",
        "    alter: [g]\n",
        "    drop: [g]\n",
    ));
    assert_eq!(es.len(), 2, "{es:?}");
    assert_eq!(
        es[0].message,
        "`alter` (ALTER ON TABLE) exists only on redshift, and this file's target is postgres"
    );
    assert_eq!(at(&es[0]), (5, 5, "tables.\"s.t\".alter".into(), 5));
    assert_eq!(at(&es[1]), (6, 5, "tables.\"s.t\".drop".into(), 4));
    let c = ok("groups: {g: {}}\ntables: {s.t: {alter: [g], drop: [g], select: [group:g]}}\n");
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Table)[0])
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>(),
        [Privilege::Select, Privilege::Alter, Privilege::Drop]
    );
    // A key no table has.
    let e = one_error("groups: {g: {}}\ntables: {s.t: {execute: [g]}}\n");
    assert!(e.message.contains("`execute`"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Everything at once

#[test]
fn all_errors_are_reported_together_in_file_order() {
    let long = "x".repeat(64);
    let text = format!(
        "target: postgres\ngroups:\n  analysts: {{}}\n  {long}: {{}}\nschemas:\n  demo_ml:\n    usage: [analsts]\n    colour: red\n  demo_ml: {{}}\nmodels: {{}}\n"
    );
    let es = errors(&text);
    let got: Vec<(usize, usize, String)> = es
        .iter()
        .map(|e| (at(e).0, at(e).1, e.message.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                4,
                3,
                format!("group name `{long}` is 64 bytes long; PostgreSQL allows at most 63 bytes")
            ),
            (7, 13, "grantee `analsts` is not declared".to_string()),
            (8, 5, "unknown key `colour` in `schemas.demo_ml`".to_string()),
            (
                9,
                3,
                "duplicate key `demo_ml` in `schemas` (first at line 6)".to_string()
            ),
            (
                10,
                1,
                "`models:` cannot be used with `target: postgres`: ML models exist only on Amazon Redshift (Redshift ML)".to_string()
            ),
        ]
    );
}

#[test]
fn an_unknown_key_last_in_a_flow_mapping_does_not_hide_other_errors() {
    let es = errors("schemas: {s: {usage: [nope], colour: 1}}\n");
    let got: Vec<&str> = es.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        got,
        [
            "grantee `nope` is not declared",
            "unknown key `colour` in `schemas.s`"
        ]
    );
}

#[test]
fn an_unknown_key_with_a_block_list_does_not_swallow_the_next_entry() {
    let es = errors(concat!(
        "schemas:\n",
        "  s:\n",
        "    usage: [nope]\n",
        "    colour:\n",
        "    - a\n",
        "    - b\n",
        "  t:\n",
        "    usage: [nope2]\n",
        "  s:\n",
        "    usage: [nope3]\n",
        "users: {u: {}}\n",
    ));
    let got: Vec<(usize, &str)> = es.iter().map(|e| (at(e).0, e.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "grantee `nope` is not declared"),
            (4, "unknown key `colour` in `schemas.s`"),
            (8, "grantee `nope2` is not declared"),
            (9, "duplicate key `s` in `schemas` (first at line 2)"),
        ]
    );
    // The entry after a blanked duplicate is still read and checked.
    let es = errors("users:\n  u: {}\n  u: {}\n  public: {}\n");
    let got: Vec<(usize, &str)> = es.iter().map(|e| (at(e).0, e.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "duplicate key `u` in `users` (first at line 2)"),
            (4, "`public` cannot be declared as a user"),
        ]
    );
}

#[test]
fn entries_passed_over_keep_every_other_position() {
    // The typed read passes over the unknown key (not a byte of the text changes), so
    // what follows it on the same line, after a two-byte character, keeps its place.
    let es = errors("schemas: {é: {colour: 1, usage: [nope]}, s: {usage: [nope2]}}\n");
    let got: Vec<(usize, usize, String, usize, &str)> = es
        .iter()
        .map(|e| {
            let (line, column, path, len) = at(e);
            (line, column, path, len, e.message.as_str())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                1,
                15,
                "schemas.é.colour".to_string(),
                6,
                "unknown key `colour` in `schemas.é`"
            ),
            (
                1,
                34,
                "schemas.é.usage[0]".to_string(),
                4,
                "grantee `nope` is not declared"
            ),
            (
                1,
                54,
                "schemas.s.usage[0]".to_string(),
                5,
                "grantee `nope2` is not declared"
            ),
        ]
    );
}

#[test]
fn an_entry_libyaml_cannot_parse_is_reported_once() {
    // yaml-rust2 reads `: x` as an entry with the key ``, which the marks pass reports;
    // libyaml, under serde_yaml, does not parse the file at all, and its syntax error
    // would only repeat the report.
    let e = one_error("groups: {a: {}}\n: x\nschemas: {s: {usage: [a]}}\n");
    assert_eq!(e.message, "unknown key `` at the top level");
    assert_eq!(at(&e), (2, 1, "\"\"".into(), 1));
    // What tells the two cases apart: whether serde_yaml parses the text at all.
    assert!(super::typed::parses("groups: {a: {}}\n"));
    assert!(!super::typed::parses("groups: {a: {}}\n: x\n"));
}

#[test]
fn every_valid_key_is_accepted_by_the_typed_layer() {
    // The marks pass's key lists and the serde structs must agree; `deny_unknown_fields`
    // would reject a key the marks pass lets through.
    let c = ok(concat!(
        "target: redshift\n",
        "mode: additive\n",
        "ignore: [x]\n",
        "case_sensitive_identifiers: false\n",
        "groups: {g: {create_model: true, members: [u]}}\n",
        "roles: {r: {create_model: true, members: [u]}}\n",
        "users: {v: {create_model: true}}\n",
        "schemas: {s: {create: [g], usage: [r]}}\n",
        "models: {s.m: {execute: [v]}}\n",
        "functions: {s.f: {execute: [public]}}\n",
    ));
    assert_eq!(c.principals.len(), 3);
    assert!(c.principals.iter().all(|d| d.create_model));
    assert_eq!(c.rules_of(ObjectKind::Schema)[0].grants.len(), 2);
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Model)[0]),
        vec![(Privilege::Execute, g(User, "v"))]
    );
    assert_eq!(
        grants(&c.rules_of(ObjectKind::Function)[0]),
        vec![(Privilege::Execute, Grantee::Public)]
    );
}

// ---------------------------------------------------------------------------------------
// cluster:

/// A file with a `cluster:` section holding `body` (its lines, indented by the caller).
fn with_cluster(body: &str) -> String {
    format!("groups:\n  g: {{}}\ncluster:\n{body}")
}

const MINIMAL_CLUSTER: &str = concat!(
    "  account_id: \"123456789012\"\n",
    "  region: us-east-1\n",
    "  role_name: RedshiftML\n",
    "  bucket: my-ml-bucket\n",
);

/// The minimal cluster with `key: value` added (or replacing the key).
fn cluster_with(key: &str, value: &str) -> String {
    let mut lines: Vec<String> = MINIMAL_CLUSTER
        .lines()
        .filter(|l| !l.trim_start().starts_with(&format!("{key}:")))
        .map(String::from)
        .collect();
    lines.push(format!("  {key}: {value}"));
    with_cluster(&(lines.join("\n") + "\n"))
}

#[test]
fn a_minimal_cluster_resolves_with_its_defaults() {
    let c = ok(&with_cluster(MINIMAL_CLUSTER));
    let cl = c.cluster.expect("a cluster");
    assert_eq!(cl.account_id, "123456789012");
    assert_eq!(cl.region, "us-east-1");
    assert_eq!(cl.partition, Partition::Aws);
    assert_eq!(cl.role_name, "RedshiftML");
    assert_eq!(cl.bucket, "my-ml-bucket");
    assert_eq!(cl.kms_key, None);
    assert!(!cl.enhanced_vpc_routing && !cl.forecast && cl.redshift_downloads);
    assert_eq!(cl.policy, PolicyStyle::Restrictive);
    assert_eq!(cl.role_arn(), "arn:aws:iam::123456789012:role/RedshiftML");
    assert_eq!(loc_of(&cl.loc), (3, 1, "cluster".into(), 7));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    // Without the section there is no cluster, and nothing is wrong.
    assert!(ok("groups: {g: {}}\n").cluster.is_none());
}

#[test]
fn every_cluster_key_is_read() {
    let c = ok(&with_cluster(concat!(
        "  account_id: 123456789012\n",
        "  region: cn-northwest-1\n",
        "  partition: aws-cn\n",
        "  role_name: ml+role=1,a.b@c_d-e\n",
        "  bucket: my.ml-bucket1\n",
        "  kms_key_id: mrk-1234abcd12ab34cd56ef1234567890ab\n",
        "  enhanced_vpc_routing: true\n",
        "  forecast: true\n",
        "  policy: managed\n",
    )));
    let cl = c.cluster.unwrap();
    assert_eq!(
        cl.account_id, "123456789012",
        "an unquoted number is accepted"
    );
    assert_eq!(cl.partition, Partition::AwsCn);
    assert_eq!(
        cl.kms_key.as_ref().unwrap().arn,
        "arn:aws-cn:kms:cn-northwest-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    );
    assert!(cl.enhanced_vpc_routing && cl.forecast);
    assert_eq!(cl.policy, PolicyStyle::Managed);
    assert_eq!(
        cl.role_arn(),
        "arn:aws-cn:iam::123456789012:role/ml+role=1,a.b@c_d-e"
    );

    let c = ok(&cluster_with("redshift_downloads", "false"));
    assert!(!c.cluster.unwrap().redshift_downloads);
}

#[test]
fn the_partition_follows_the_region() {
    for (region, partition) in [
        ("eu-west-1", Partition::Aws),
        ("cn-north-1", Partition::AwsCn),
        ("us-gov-west-1", Partition::AwsUsGov),
    ] {
        let c = ok(&(cluster_with("region", region) + "  redshift_downloads: true\n"));
        assert_eq!(c.cluster.unwrap().partition, partition, "{region}");
    }
    let text = cluster_with("region", "us-gov-east-1") + "  partition: aws-us-gov\n";
    assert_eq!(ok(&text).cluster.unwrap().partition, Partition::AwsUsGov);
}

#[test]
fn an_eleven_digit_account_id_is_a_located_error() {
    let e = one_error(&cluster_with("account_id", "12345678901"));
    assert_eq!(
        e.message,
        "`account_id` 12345678901 has 11 digits; an AWS account id has exactly 12"
    );
    assert_eq!(at(&e), (7, 15, "cluster.account_id".into(), 11));
    assert!(
        help(&e).contains("write all 12 digits in quotes"),
        "{}",
        help(&e)
    );
}

#[test]
fn an_unquoted_account_id_with_a_leading_zero_must_be_quoted() {
    let e = one_error(&cluster_with("account_id", "012345678901"));
    assert!(
        e.message.contains("starts with 0 and is not in quotes"),
        "{}",
        e.message
    );
    assert_eq!(at(&e), (7, 15, "cluster.account_id".into(), 12));
    assert_eq!(
        help(&e),
        "write it in quotes, all 12 digits: `account_id: \"012345678901\"`"
    );
    // Quoted, the same id is fine, in either quote style.
    for q in ["\"012345678901\"", "'012345678901'"] {
        let c = ok(&cluster_with("account_id", q));
        assert_eq!(c.cluster.unwrap().account_id, "012345678901");
    }
}

#[test]
fn account_ids_of_the_wrong_type_say_what_is_expected() {
    let e = one_error(&cluster_with("account_id", "1.5e11"));
    assert!(
        e.message.starts_with("invalid value for `account_id`"),
        "{}",
        e.message
    );
    assert_eq!(at(&e).2, "cluster.account_id");
    assert!(help(&e).contains("12-digit"), "{}", help(&e));
}

#[test]
fn a_bad_region_is_a_located_error() {
    let e = one_error(&cluster_with("region", "us-east1"));
    assert_eq!(e.message, "`us-east1` is not an AWS region code");
    assert_eq!(at(&e), (7, 11, "cluster.region".into(), 8));
    assert!(help(&e).contains("`us-east-1`"), "{}", help(&e));

    let e = one_error(&cluster_with("region", "us-iso-east-1"));
    assert_eq!(
        e.message,
        "region `us-iso-east-1` is in the `aws-iso` partition"
    );
}

#[test]
fn a_partition_that_disagrees_with_the_region_is_an_error() {
    let e = one_error(&(cluster_with("region", "cn-north-1") + "  partition: aws\n"));
    assert_eq!(
        e.message,
        "`partition: aws` disagrees with `region: cn-north-1`, a region of the `aws-cn` partition"
    );
    assert_eq!(at(&e), (8, 14, "cluster.partition".into(), 3));
    assert!(help(&e).starts_with("remove `partition`"), "{}", help(&e));

    let e = one_error(&cluster_with("partition", "aws-gov"));
    assert!(
        e.message
            .contains("unknown variant `aws-gov`, expected one of `aws`, `aws-cn`, `aws-us-gov`"),
        "{}",
        e.message
    );
    assert_eq!(
        help(&e),
        "`partition` is `aws` (the default), `aws-cn` or `aws-us-gov`"
    );
}

#[test]
fn bad_bucket_names_are_located_errors() {
    let e = one_error(&cluster_with("bucket", "My_Bucket"));
    assert_eq!(
        e.message,
        "bucket name `My_Bucket` contains upper-case letters"
    );
    assert_eq!(at(&e), (7, 11, "cluster.bucket".into(), 9));
    assert!(help(&e).contains("(`my-bucket`?)"), "{}", help(&e));

    let e = one_error(&cluster_with("bucket", "192.168.1.1"));
    assert_eq!(
        e.message,
        "bucket name `192.168.1.1` is formatted as an IP address"
    );
    assert_eq!(at(&e), (7, 11, "cluster.bucket".into(), 11));

    let e = one_error(&cluster_with("bucket", "s3://my-ml-bucket/models/"));
    assert_eq!(
        help(&e),
        "write the bucket's name alone: `bucket: my-ml-bucket`"
    );
}

#[test]
fn a_role_name_with_a_space_is_a_located_error() {
    let e = one_error(&cluster_with("role_name", "Redshift ML"));
    assert_eq!(e.message, "`role_name` `Redshift ML` contains a space");
    assert_eq!(at(&e), (7, 14, "cluster.role_name".into(), 11));
    assert!(
        help(&e).ends_with("for example `Redshift-ML`"),
        "{}",
        help(&e)
    );
}

#[test]
fn unknown_cluster_keys_suggest_the_nearest_one() {
    let e = one_error(&cluster_with("kms_key", "abc"));
    assert_eq!(e.message, "unknown key `kms_key` in `cluster`");
    assert_eq!(at(&e), (8, 3, "cluster.kms_key".into(), 7));
    assert!(
        help(&e).starts_with("did you mean `kms_key_id`? Valid keys here: `account_id`"),
        "{}",
        help(&e)
    );
    // A cluster key at the top level says where it belongs.
    let e = one_error("groups: {g: {}}\nrole_name: RedshiftML\n");
    assert!(
        help(&e).starts_with("`role_name` belongs under `cluster:`"),
        "{}",
        help(&e)
    );
}

#[test]
fn cluster_on_postgres_is_an_error_that_explains() {
    let e = one_error(&format!(
        "target: postgres\n{}",
        with_cluster(MINIMAL_CLUSTER)
    ));
    assert!(
        e.message
            .starts_with("`cluster:` cannot be used with `target: postgres`"),
        "{}",
        e.message
    );
    assert_eq!(at(&e), (4, 1, "cluster".into(), 7));
    assert!(
        help(&e).contains("remove the `cluster:` section"),
        "{}",
        help(&e)
    );
}

#[test]
fn missing_and_empty_cluster_keys_are_named() {
    let e = one_error("groups: {g: {}}\ncluster:\n  region: us-east-1\n");
    assert_eq!(
        e.message,
        "`cluster:` is missing `account_id`, `role_name` and `bucket`"
    );
    assert_eq!(at(&e), (2, 1, "cluster".into(), 7));
    assert!(
        help(&e).contains("account_id: \"123456789012\""),
        "{}",
        help(&e)
    );

    let e = one_error("groups: {g: {}}\ncluster:\n");
    assert!(e
        .message
        .contains("`account_id`, `region`, `role_name` and `bucket`"));

    let e = one_error(&cluster_with("bucket", ""));
    assert_eq!(e.message, "`cluster.bucket` has no value");
    assert_eq!(at(&e), (7, 3, "cluster.bucket".into(), 6));
}

#[test]
fn kms_keys_become_key_arns_and_aliases_are_errors() {
    let c = ok(&cluster_with(
        "kms_key_id",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
    ));
    assert_eq!(
        c.cluster.unwrap().kms_key.unwrap().arn,
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    );
    let e = one_error(&cluster_with("kms_key_id", "alias/redshift-ml"));
    assert_eq!(e.message, "`kms_key_id` `alias/redshift-ml` is an alias");
    assert_eq!(at(&e).2, "cluster.kms_key_id");

    // A key ARN of another region loads, with a warning at the key.
    let c = ok(&cluster_with(
        "kms_key_id",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ));
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(
        loc_of(c.warnings[0].location.as_ref().unwrap()).2,
        "cluster.kms_key_id"
    );
}

#[test]
fn every_cluster_problem_is_reported_in_one_run() {
    let es = errors(&with_cluster(concat!(
        "  account_id: 12345\n",
        "  region: nowhere\n",
        "  role_name: a b\n",
        "  bucket: B\n",
        "  kms_key_id: alias/x\n",
        "  colour: blue\n",
    )));
    let paths: Vec<String> = es.iter().map(|e| at(e).2).collect();
    assert_eq!(
        paths,
        [
            "cluster.account_id",
            "cluster.region",
            "cluster.role_name",
            "cluster.bucket",
            "cluster.kms_key_id",
            "cluster.colour"
        ]
    );
}

#[test]
fn a_serverless_cluster_names_its_workgroup_and_namespace() {
    let c = ok(&with_cluster(&format!(
        "{MINIMAL_CLUSTER}  workgroup: ml-workgroup\n  namespace: ml-namespace\n"
    )));
    let cl = c.cluster.unwrap();
    assert_eq!(
        cl.serverless,
        Some(Serverless {
            workgroup: "ml-workgroup".into(),
            namespace: "ml-namespace".into(),
        })
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // Without them, a provisioned cluster.
    assert_eq!(
        ok(&with_cluster(MINIMAL_CLUSTER))
            .cluster
            .unwrap()
            .serverless,
        None
    );
}

#[test]
fn a_workgroup_without_a_namespace_is_a_located_error_and_the_reverse() {
    let e = one_error(&cluster_with("workgroup", "ml-workgroup"));
    assert_eq!(
        e.message,
        "`cluster.workgroup` is written without `namespace`: Redshift Serverless takes both"
    );
    assert_eq!(at(&e), (8, 3, "cluster.workgroup".into(), 9));
    assert!(help(&e).contains("`namespace: NAME`"), "{}", help(&e));
    assert!(help(&e).contains("remove `workgroup`"), "{}", help(&e));
    assert!(
        e.to_string().contains("grants.yaml:8:3"),
        "file and line: {e}"
    );

    let e = one_error(&cluster_with("namespace", "ml-namespace"));
    assert_eq!(
        e.message,
        "`cluster.namespace` is written without `workgroup`: Redshift Serverless takes both"
    );
    assert_eq!(at(&e), (8, 3, "cluster.namespace".into(), 9));
    assert!(help(&e).contains("`workgroup: NAME`"), "{}", help(&e));
    assert!(help(&e).contains("remove `namespace`"), "{}", help(&e));

    // Written with no value: pointed at, as the required keys are.
    let e = one_error(&(cluster_with("workgroup", "") + "  namespace: ml-namespace\n"));
    assert_eq!(e.message, "`cluster.workgroup` has no value");
    assert_eq!(at(&e), (8, 3, "cluster.workgroup".into(), 9));
    assert!(
        help(&e).contains("Redshift Serverless workgroup"),
        "{}",
        help(&e)
    );
}

#[test]
fn bad_serverless_names_are_located_errors() {
    let text = with_cluster(&format!(
        "{MINIMAL_CLUSTER}  workgroup: ML_Workgroup\n  namespace: ml-namespace\n"
    ));
    let e = one_error(&text);
    assert_eq!(
        e.message,
        "workgroup name `ML_Workgroup` contains upper-case letters"
    );
    assert_eq!(at(&e), (8, 14, "cluster.workgroup".into(), 12));
    assert!(help(&e).contains("(`ml-workgroup`?)"), "{}", help(&e));

    let text = with_cluster(&format!(
        "{MINIMAL_CLUSTER}  workgroup: ml-workgroup\n  namespace: ns\n"
    ));
    let e = one_error(&text);
    assert_eq!(e.message, "namespace name `ns` is 2 characters long");
    assert_eq!(at(&e), (9, 14, "cluster.namespace".into(), 2));
    assert!(help(&e).contains("3 to 64 characters"), "{}", help(&e));

    // Both wrong: both reported, and no complaint that one is missing.
    let text = with_cluster(&format!(
        "{MINIMAL_CLUSTER}  workgroup: a.b\n  namespace: {}\n",
        "n".repeat(65)
    ));
    let paths: Vec<String> = errors(&text).iter().map(|e| at(e).2).collect();
    assert_eq!(paths, ["cluster.workgroup", "cluster.namespace"]);
    // A bad name alone is reported as bad, not also as lacking its partner.
    let e = one_error(&cluster_with("namespace", "my namespace"));
    assert_eq!(at(&e).2, "cluster.namespace");
    assert!(e.message.contains("a space"), "{}", e.message);
}

#[test]
fn redshift_downloads_outside_the_aws_partition_warns_until_chosen() {
    let c = ok(&cluster_with("region", "cn-north-1"));
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].message.contains("`redshift-downloads`"));
    assert!(help(&c.warnings[0]).starts_with("set `redshift_downloads: false`"));
    for choice in ["true", "false"] {
        let c =
            ok(&(cluster_with("region", "cn-north-1")
                + &format!("  redshift_downloads: {choice}\n")));
        assert!(c.warnings.is_empty(), "{choice}: {:?}", c.warnings);
    }
    // With managed policies the key means nothing.
    let c = ok(&(cluster_with("policy", "managed") + "  redshift_downloads: false\n"));
    assert_eq!(
        c.warnings[0].message,
        "`redshift_downloads` has no effect with `policy: managed`"
    );
}

#[test]
fn the_json_schema_describes_cluster() {
    let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
    let cluster = &schema["$defs"]["Cluster"];
    assert_eq!(cluster["additionalProperties"], false);
    let required: Vec<&str> = cluster["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["account_id", "region", "role_name", "bucket"]);
    let keys: Vec<&String> = cluster["properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), marks::CLUSTER_KEYS.len());
    for k in marks::CLUSTER_KEYS {
        assert!(cluster["properties"].get(k).is_some(), "{k}");
    }
    // Serverless: both names or neither, each of the API's pattern.
    assert_eq!(
        cluster["dependentRequired"],
        serde_json::json!({"workgroup": ["namespace"], "namespace": ["workgroup"]})
    );
    for k in ["workgroup", "namespace"] {
        assert_eq!(cluster["properties"][k]["pattern"], "^[a-z0-9-]+$", "{k}");
        assert_eq!(cluster["properties"][k]["minLength"], 3, "{k}");
        assert_eq!(cluster["properties"][k]["maxLength"], 64, "{k}");
    }
}

#[test]
fn a_repeat_in_a_long_list_is_found_as_in_a_short_one() {
    // Lists of 32 entries and more are checked through a hash set: the same warnings,
    // at the same places, as the one-by-one comparison of short lists.
    let names: Vec<String> = (0..40).map(|i| format!("g{i}")).collect();
    let groups: String = names.iter().map(|n| format!("  {n}: {{}}\n")).collect();
    let mut usage = names.clone();
    usage.insert(35, "group:g3".to_string());
    usage.push("g39".to_string());
    usage.push("public".to_string());
    usage.push("PUBLIC".to_string());
    let members: Vec<String> = (0..40).map(|i| format!("u{}", i % 37)).collect();
    let text = format!(
        "target: postgres\ngroups:\n{groups}roles:\n  r: {{members: [{}]}}\nschemas:\n  s:\n    usage: [{}]\n",
        members.join(", "),
        usage.join(", ")
    );
    let c = ok(&text);
    let found: Vec<(String, String)> = c
        .warnings
        .iter()
        .map(|w| (w.message.clone(), at(w).2))
        .collect();
    assert_eq!(
        found,
        [
            (
                "`u0` is listed twice in `members`".into(),
                "roles.r.members[37]".into()
            ),
            (
                "`u1` is listed twice in `members`".into(),
                "roles.r.members[38]".into()
            ),
            (
                "`u2` is listed twice in `members`".into(),
                "roles.r.members[39]".into()
            ),
            (
                "`group:g3` is listed twice in `usage`".into(),
                "schemas.s.usage[35]".into()
            ),
            (
                "`g39` is listed twice in `usage`".into(),
                "schemas.s.usage[41]".into()
            ),
            (
                "`PUBLIC` is listed twice in `usage`".into(),
                "schemas.s.usage[43]".into()
            ),
        ]
    );
    // Entry 42 is the first `public`, the 41st grant.
    let rule = &c.rules_of(ObjectKind::Schema)[0];
    assert_eq!(rule.grants.len(), 41);
    let line = text.lines().count();
    let column = text.lines().last().unwrap().find(", public").unwrap() + 3;
    assert_eq!(
        loc_of(&rule.grant_location(&rule.grants[40])),
        (line, column, "schemas.s.usage[42]".into(), 6)
    );
}

#[test]
fn an_unknown_key_written_twice_is_then_a_duplicate() {
    let es = errors("schemas:\n  s:\n    colour: 1\n    colour: 2\n    usage: []\n");
    let got: Vec<(usize, &str)> = es.iter().map(|e| (at(e).0, e.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "unknown key `colour` in `schemas.s`"),
            (4, "duplicate key `colour` in `schemas.s` (first at line 3)"),
        ]
    );
}

#[test]
fn marks_find_every_key_however_it_is_quoted_in_a_path() {
    // Under `target:`, where any key is taken (and the type checked later).
    let keys = ["a", "a.b", "a\"b", "a\\b", "a[0]", "", "é x", "-$_"];
    let text: String = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let quoted = k.replace('\\', "\\\\").replace('"', "\\\"");
            format!("  \"{quoted}\": [x{i}, {{\"{quoted}\": y}}]\n")
        })
        .collect();
    let text = format!("target:\n{text}");
    let scan = marks::scan(FILE, &text);
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let m = &scan.marks;
    for (i, k) in keys.iter().enumerate() {
        let path = marks::key_path("target", k);
        let item = marks::index_path(&path, 0);
        assert_eq!(
            m.scalar(m.get(&item).unwrap()),
            Some(format!("x{i}").as_str())
        );
        let inner = marks::key_path(&marks::index_path(&path, 1), k);
        assert_eq!(m.scalar(m.get(&inner).unwrap()), Some("y"), "{inner}");
        assert_eq!(m.value_loc(FILE, &inner).line, i + 2);
        // A path below a known node falls back to it, keeping the path asked.
        let below = marks::index_path(&inner, 3);
        assert!(!m.contains(&below));
        assert_eq!(loc_of(&m.value_loc(FILE, &below)).0, i + 2);
        assert_eq!(m.value_loc(FILE, &below).path, below);
    }
}

#[test]
fn the_plan_points_an_ignored_grantee_at_its_list_entry() {
    // RuleGrant keeps a compact location; the planner's warning still names the file,
    // line, column and YAML path of the entry.
    let c =
        ok("ignore: [\"x*\"]\ngroups: {xa: {}, b: {}}\nschemas:\n  '\"s.1\"': {usage: [b, xa]}\n");
    let plan = crate::plan::plan(&c, None, Default::default()).expect("plans");
    let w: Vec<_> = plan
        .warnings
        .iter()
        .filter(|w| w.message.contains("is listed in ignore:"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", plan.warnings);
    assert_eq!(at(w[0]), (4, 24, r#"schemas."\"s.1\"".usage[1]"#.into(), 2));
}

#[test]
fn looking_keys_up_in_file_order_finds_what_a_hashed_lookup_finds() {
    // The resolver walks rules with a cursor (`descend_next`); keys out of order, absent,
    // written twice or under a non-mapping must still land where `descend` lands.
    let text = "schemas:\n  a: {usage: [x], create: [y]}\n  b: {}\n  a: {usage: [z]}\n  c: [1]\n";
    let scan = marks::scan(FILE, text);
    let m = &scan.marks;
    let section = m.locate("schemas");
    let same = |x: marks::Found, y: marks::Found| x.id == y.id && x.exact == y.exact;
    let mut cursor = 0;
    for key in ["a", "b", "c", "missing", "a", "b"] {
        let fast = m.descend_next(section, key, &mut cursor);
        assert!(same(fast, m.descend(section, key)), "{key}");
    }
    // In order: each key found at the cursor, which moves on.
    let mut cursor = 0;
    for key in ["a", "b", "c"] {
        let found = m.descend_next(section, key, &mut cursor);
        assert!(found.exact, "{key}");
        assert_eq!(m.key_of(found.id.unwrap()), Some(key));
    }
    assert_eq!(cursor, 3);
    // Inside a rule, lists out of file order; and below a sequence nothing is a key.
    let a = m.descend(section, "a");
    let mut cursor = 0;
    for key in ["create", "usage", "execute"] {
        assert!(
            same(m.descend_next(a, key, &mut cursor), m.descend(a, key)),
            "{key}"
        );
    }
    let c = m.descend(section, "c");
    let mut cursor = 0;
    let below = m.descend_next(c, "0", &mut cursor);
    assert!(!below.exact && below.id == c.id && cursor == 0);
}
