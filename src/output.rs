//! Plan output formats. Pure functions of a plan: the same plan always prints the same
//! bytes, which is what lets a plan be reviewed and compared in a pull request.

use crate::diag::{is_unshowable, visible, Diagnostic};
use crate::plan::Plan;
use crate::sql::Statement;
use serde::Serialize;

/// Where a plan's view of the server came from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// No database and no snapshot.
    Offline,
    /// A live server, named without its password.
    Database { server: String },
    /// A snapshot file written by `grantplan snapshot`.
    Snapshot { file: String },
}

/// The first line of an offline plan (the contract fixes its beginning).
pub const OFFLINE_HEADER: &str = "-- offline plan: no database or snapshot given; every declared principal and named object is taken to exist and to hold no grant";

/// The comment before the first statement [`sql`] shows escaped.
pub const ESCAPED_NOTE: &str = "-- names below hold control or bidirectional characters, shown escaped (\\u{..}) so that they cannot rewrite this screen; grantplan sends them exactly, and writes no plan file of them";

/// The plan as SQL for a person: a header comment line, then one statement per line.
///
/// A statement naming something with a control or bidirectional character (ESC, CR, a
/// right-to-left override) is shown with those characters escaped ([`visible`]), after
/// one comment that says so: the text is for reading, and must not be able to erase or
/// reorder what the reviewer sees. The SQL grantplan sends is the exact text.
pub fn sql(plan: &Plan, source: &Source) -> String {
    let mut out = String::new();
    match source {
        Source::Offline => out.push_str(OFFLINE_HEADER),
        Source::Database { server } => {
            out.push_str(&visible(&format!("-- plan for {server} ({})", plan.target)))
        }
        Source::Snapshot { file } => out.push_str(&visible(&format!(
            "-- plan against snapshot {file} ({})",
            plan.target
        ))),
    }
    out.push('\n');
    if plan.is_empty() {
        out.push_str("-- no changes: the server already matches the file\n");
    }
    let mut noted = false;
    for line in plan.sql_lines() {
        if line.chars().any(is_unshowable) {
            if !noted {
                out.push_str(ESCAPED_NOTE);
                out.push('\n');
                noted = true;
            }
            out.push_str(&visible(&line));
        } else {
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    format: &'static str,
    version: u32,
    target: crate::model::Target,
    mode: crate::model::Mode,
    source: &'a Source,
    summary: Summary,
    statements: Vec<JsonStatement<'a>>,
    warnings: &'a [Diagnostic],
}

#[derive(Serialize)]
struct JsonStatement<'a> {
    sql: String,
    #[serde(flatten)]
    statement: &'a Statement,
}

/// Counts of statements by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub statements: usize,
    pub create: usize,
    pub membership: usize,
    pub grant: usize,
    pub revoke: usize,
    /// Single privileges (privilege × object × grantee) granted or revoked: what the
    /// plan changes, however the statements group them.
    pub privilege_changes: usize,
}

impl Summary {
    pub fn of(plan: &Plan) -> Summary {
        let mut s = Summary {
            statements: plan.statements.len(),
            ..Summary::default()
        };
        for st in &plan.statements {
            s.privilege_changes += st.privilege_count();
            match st.kind() {
                "create" => s.create += 1,
                "membership" => s.membership += 1,
                "grant" => s.grant += 1,
                _ => s.revoke += 1,
            }
        }
        s
    }
}

/// The plan as a JSON document (`format: grantplan-plan`), with a trailing newline.
pub fn json(plan: &Plan, source: &Source) -> String {
    let doc = JsonPlan {
        format: "grantplan-plan",
        // 2: a statement names lists `on` and `grantees` (one GRANT may name several).
        version: 2,
        target: plan.target,
        mode: plan.mode,
        source,
        summary: Summary::of(plan),
        statements: plan
            .statements
            .iter()
            .map(|s| JsonStatement {
                sql: s.render(plan.target),
                statement: s,
            })
            .collect(),
        warnings: &plan.warnings,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plan serializes");
    s.push('\n');
    s
}

/// Statements longer than this are folded into a `<details>` block in markdown, so a
/// large plan does not bury the rest of a pull-request conversation.
pub const MARKDOWN_FOLD_AFTER: usize = 20;

/// The plan as a pull-request comment: a one-line verdict, counts per kind and per object
/// type, the warnings, and the SQL in a fenced block (folded when long).
pub fn markdown(plan: &Plan, source: &Source) -> String {
    let summary = Summary::of(plan);
    let against = match source {
        Source::Offline => "offline (no database or snapshot)".to_string(),
        Source::Database { server } => format!("`{}`", visible(server)),
        Source::Snapshot { file } => format!("snapshot `{}`", visible(file)),
    };
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!(
            "**grantplan: no changes.** The {} server already matches the file (planned against {against}).\n",
            plan.target
        ));
    } else {
        let mut parts = Vec::new();
        for (n, one, many) in [
            (summary.grant, "grant", "grants"),
            (summary.revoke, "revoke", "revokes"),
            (
                summary.create,
                "principal to create",
                "principals to create",
            ),
            (
                summary.membership,
                "membership change",
                "membership changes",
            ),
        ] {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        // One statement may grant many privileges: say how many change in all.
        let n = summary.privilege_changes;
        if n > 0 {
            parts.push(format!(
                "{n} {} changed",
                if n == 1 { "privilege" } else { "privileges" }
            ));
        }
        out.push_str(&format!(
            "**grantplan: {} {} to the {} server** ({}), planned against {against}.\n",
            summary.statements,
            if summary.statements == 1 {
                "statement"
            } else {
                "statements"
            },
            plan.target,
            parts.join(", ")
        ));
        out.push('\n');
        out.push_str("| on | privileges granted | privileges revoked |\n|---|---:|---:|\n");
        let mut rows: Vec<(&'static str, usize, usize)> = Vec::new();
        for st in &plan.statements {
            let (on, is_grant) = match st {
                Statement::Grant { on, .. } => (on, true),
                Statement::Revoke { on, .. } => (on, false),
                _ => continue,
            };
            let Some(first) = on.first() else { continue };
            let label = match first {
                crate::model::Securable::CreateModel => "CREATE MODEL",
                crate::model::Securable::Schema { .. } => "schemas",
                crate::model::Securable::Model { .. } => "models",
                crate::model::Securable::Function { .. } => "functions",
            };
            let row = match rows.iter().position(|r| r.0 == label) {
                Some(i) => &mut rows[i],
                None => {
                    rows.push((label, 0, 0));
                    rows.last_mut().expect("just pushed")
                }
            };
            // Single privileges, not statements: one GRANT may name many objects and
            // grantees.
            if is_grant {
                row.1 += st.privilege_count();
            } else {
                row.2 += st.privilege_count();
            }
        }
        for (label, g, r) in rows {
            out.push_str(&format!("| {label} | {g} | {r} |\n"));
        }
        if summary.create > 0 {
            out.push_str(&format!("| principals created | {} | |\n", summary.create));
        }
        if summary.membership > 0 {
            out.push_str(&format!(
                "| membership changes | {} | |\n",
                summary.membership
            ));
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str(&format!("\n**Warnings ({})**\n\n", plan.warnings.len()));
        for w in &plan.warnings {
            out.push_str(&format!("- {}\n", markdown_line(&w.to_string())));
        }
    }
    if !plan.is_empty() {
        // Shown, not run: control and bidirectional characters escaped, as in `sql`.
        let sql = visible_text(&plan.sql_lines().join("\n"));
        let fence = "`".repeat(longest_backtick_run(&sql).max(2) + 1);
        let block = format!("{fence}sql\n{sql}\n{fence}\n");
        out.push('\n');
        if plan.statements.len() > MARKDOWN_FOLD_AFTER {
            out.push_str(&format!(
                "<details><summary>SQL ({} statements)</summary>\n\n{block}\n</details>\n",
                plan.statements.len()
            ));
        } else {
            out.push_str(&block);
        }
    }
    out
}

/// One line of markdown text: no line breaks (which would end a list item), and no raw
/// HTML tags from names in the message.
fn markdown_line(s: &str) -> String {
    visible(&s.replace(['\n', '\r'], " "))
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// [`visible`] for a text of several lines: its line breaks kept.
fn visible_text(s: &str) -> String {
    crate::diag::visible_lines(s)
}

/// The longest run of backticks in `s`: a code fence must be longer, or a name holding
/// backticks would end the block early.
fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grantee, Mode, PrincipalKind, Privilege, Securable, Target};

    fn grant(schema: &str) -> Statement {
        Statement::Grant {
            privileges: vec![Privilege::Usage],
            on: vec![Securable::Schema {
                name: schema.into(),
            }],
            grantees: vec![Grantee::principal(PrincipalKind::Group, "g")],
        }
    }

    fn plan_of(statements: Vec<Statement>) -> Plan {
        Plan {
            target: Target::Redshift,
            mode: Mode::Authoritative,
            offline: false,
            statements,
            warnings: Vec::new(),
            scope: Default::default(),
        }
    }

    #[test]
    fn a_name_with_backticks_cannot_close_the_sql_fence() {
        let p = plan_of(vec![grant("a```b")]);
        let md = markdown(&p, &Source::Offline);
        assert!(md.contains("````sql\n"), "{md}");
        assert!(md.trim_end().ends_with("````"), "{md}");
    }

    #[test]
    fn long_plans_are_folded_short_ones_are_not() {
        let short = plan_of(vec![grant("a")]);
        assert!(!markdown(&short, &Source::Offline).contains("<details>"));
        let long = plan_of(
            (0..=MARKDOWN_FOLD_AFTER)
                .map(|i| grant(&format!("s{i}")))
                .collect(),
        );
        let md = markdown(&long, &Source::Offline);
        assert!(
            md.contains("<details><summary>SQL (21 statements)</summary>"),
            "{md}"
        );
    }

    #[test]
    fn warnings_stay_on_one_line_and_carry_no_html() {
        let mut p = plan_of(vec![]);
        p.warnings
            .push(crate::diag::Diagnostic::warning("group `<b>x\ny` is odd"));
        let md = markdown(&p, &Source::Offline);
        assert!(
            md.contains("- warning: group `&lt;b&gt;x y` is odd\n"),
            "{md}"
        );
        assert!(md.starts_with("**grantplan: no changes.**"), "{md}");
    }
}
