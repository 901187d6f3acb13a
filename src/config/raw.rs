//! The typed shape of grants.yaml as written, before names are checked and resolved.
//!
//! Maps are `IndexMap`s so that file order survives: declaration order is the order of
//! grantees in a plan. `deny_unknown_fields` is a backstop: the marks pass reports
//! unknown keys first, with a suggestion, and blanks them out before this runs.

use indexmap::IndexMap;
use serde::Deserialize;

use super::marks::{Marks, Node, NodeKind, Seg};
use crate::diag::{Diagnostic, Location};
use crate::model::{Mode, Target};

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of grants.yaml keys (target, mode, ignore, groups, roles, users, schemas, models, functions)"
)]
pub(crate) struct RawConfig {
    pub target: Option<Target>,
    pub mode: Option<Mode>,
    pub ignore: Option<Vec<String>>,
    pub case_sensitive_identifiers: Option<bool>,
    pub groups: Option<IndexMap<String, Option<RawGroup>>>,
    pub roles: Option<IndexMap<String, Option<RawGroup>>>,
    pub users: Option<IndexMap<String, Option<RawUser>>>,
    pub schemas: Option<IndexMap<String, Option<RawSchema>>>,
    pub models: Option<IndexMap<String, Option<RawExecute>>>,
    pub functions: Option<IndexMap<String, Option<RawExecute>>>,
}

/// A group or a role.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create_model` and `members`, or nothing"
)]
pub(crate) struct RawGroup {
    pub create_model: Option<bool>,
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create_model`, or nothing"
)]
pub(crate) struct RawUser {
    pub create_model: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `create` and `usage`, or nothing"
)]
pub(crate) struct RawSchema {
    pub create: Option<Vec<String>>,
    pub usage: Option<Vec<String>>,
}

/// A model or a function.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `execute`, or nothing"
)]
pub(crate) struct RawExecute {
    pub execute: Option<Vec<String>>,
}

/// Deserializes `text` (the original, or with erroneous entries blanked out).
pub(crate) fn from_str(text: &str) -> Result<RawConfig, serde_yaml::Error> {
    serde_yaml::from_str(text)
}

/// Turns a serde_yaml error into a located diagnostic.
///
/// serde_yaml's `location()` is 1-based (line and column, the column counted in
/// characters; its `index()` counts bytes), and its message reads
/// `{path}: {message} at line L column C`, the path with keys unquoted (absent for the
/// document). The path is matched against the marks to get ours (quoted keys) and the
/// node, which says what was expected there.
pub(crate) fn serde_error(file: &str, err: &serde_yaml::Error, marks: &Marks) -> Diagnostic {
    let full = err.to_string();
    let place = err.location().map(|l| (l.line(), l.column()));
    let mut msg = full.as_str();
    if let Some((line, column)) = place {
        if let Some(s) = msg.strip_suffix(&format!(" at line {line} column {column}")) {
            msg = s;
        }
    }
    let found = marks
        .nodes()
        .filter(|(_, n)| !n.plain.is_empty() && msg.starts_with(&format!("{}: ", n.plain)))
        .max_by_key(|(_, n)| n.plain.len());
    let (path, node) = match found {
        Some((p, n)) => {
            msg = &msg[n.plain.len() + 2..];
            (p.clone(), marks.get(p))
        }
        None => (String::new(), marks.get("")),
    };
    let location = match place {
        Some((line, column)) => {
            let len = node
                .filter(|n| n.value.line == line && n.value.column == column)
                .map_or(1, |n| n.value.len);
            Location {
                file: file.to_string(),
                line,
                column,
                path: path.clone(),
                len,
            }
        }
        None => marks.value_loc(file, &path),
    };
    let segs = node.map(|n| n.segs.as_slice()).unwrap_or(&[]);
    let what = match segs {
        [] => "invalid grants.yaml".to_string(),
        [.., Seg::Key(k), Seg::Index(i)] => format!("invalid entry `{k}[{i}]`"),
        [.., Seg::Key(k)] => format!("invalid value for `{k}`"),
        [.., Seg::Index(i)] => format!("invalid entry [{i}]"),
    };
    Diagnostic::error(format!("{what}: {msg}"))
        .at(Some(location))
        .help(expectation(segs, node))
}

/// What belongs at the place `segs` names, as advice.
fn expectation(segs: &[Seg], node: Option<&Node>) -> String {
    let key = |i: usize| match segs.get(i) {
        Some(Seg::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    let scalar = node
        .filter(|n| n.kind == NodeKind::Scalar)
        .and_then(|n| n.scalar.as_deref());
    let section = key(0).unwrap_or("");
    match segs.len() {
        0 => "grants.yaml is a mapping of keys: target, mode, ignore, case_sensitive_identifiers, \
              groups, roles, users, schemas, models, functions"
            .to_string(),
        1 => match section {
            "target" => "`target` is `redshift` (the default) or `postgres`".to_string(),
            "mode" => "`mode` is `authoritative` (the default) or `additive`".to_string(),
            "case_sensitive_identifiers" => {
                "`case_sensitive_identifiers` is `true` or `false`".to_string()
            }
            "ignore" => match scalar {
                Some(v) => format!("`ignore` is a list: write `ignore: [{v}]`"),
                None => "`ignore` is a list of principal names or globs, e.g. \
                         `ignore: [rdsdb, \"ds:*\"]`"
                    .to_string(),
            },
            "groups" | "roles" | "users" => format!(
                "`{section}` maps each {} name to its settings, e.g. `{section}: {{analysts: {{}}}}`",
                &section[..section.len() - 1]
            ),
            "schemas" => "`schemas` maps each schema name (or glob) to its grants, e.g. \
                          `schemas: {demo_ml: {usage: [analysts]}}`"
                .to_string(),
            "models" | "functions" => format!(
                "`{section}` maps each schema.name (or glob) to its grants, e.g. \
                 `{section}: {{demo_ml.score: {{execute: [analysts]}}}}`"
            ),
            _ => "see the grants.yaml reference for this key".to_string(),
        },
        2 if matches!(segs[1], Seg::Index(_)) => {
            "each `ignore` entry is a principal name or glob (a string)".to_string()
        }
        2 => match section {
            "groups" | "roles" => "a group or role takes `create_model: true` and \
                                   `members: [user, ...]`, or nothing (`analysts: {}`)"
                .to_string(),
            "users" => "a user takes `create_model: true`, or nothing (`dave: {}`)".to_string(),
            "schemas" => "a schema takes `create: [...]` and `usage: [...]` lists of grantees, \
                          or nothing"
                .to_string(),
            _ => "a model or function takes `execute: [...]`, a list of grantees, or nothing"
                .to_string(),
        },
        _ => {
            let field = key(2).unwrap_or("");
            let item = segs.len() > 3;
            match (field, item) {
                ("create_model", _) => "`create_model` is `true` or `false`".to_string(),
                ("members", false) => match scalar {
                    Some(v) => format!("`members` is a list: write `members: [{v}]`"),
                    None => "`members` is a list of user names (and `role:NAME` in a role), \
                             e.g. `members: [alice, bob]`"
                        .to_string(),
                },
                ("members", true) => "each member is a user name, or `role:NAME` in a role"
                    .to_string(),
                (f, false) => match scalar {
                    Some(v) => format!("`{f}` is a list of grantees: write `{f}: [{v}]`"),
                    None => format!(
                        "`{f}` is a list of grantees, e.g. `{f}: [analysts, public]`"
                    ),
                },
                (_, true) => "each grantee is a name: a declared group, role or user, \
                              `group:NAME`, `role:NAME`, `user:NAME`, or `public`"
                    .to_string(),
            }
        }
    }
}
