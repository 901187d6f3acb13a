//! Plan output formats. Pure functions of a plan: the same plan always prints the same
//! bytes, which is what lets a plan be reviewed and compared in a pull request.

use crate::diag::{is_unshowable, visible, Diagnostic};
use crate::plan::Plan;
use crate::sql::Statement;
use serde::Serialize;

/// Where a plan's view of the server came from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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

/// The plan as SQL for a person: a header comment line, then the statements in the layout
/// [`crate::sql`] describes (one line each, or one object per line when a statement names
/// several objects or grantees), each ending in `;`.
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
    let mut after = false;
    for statement in &plan.statements {
        if statement.after_commit() && !std::mem::replace(&mut after, true) {
            out.push_str(crate::sql::AFTER_COMMIT_NOTE);
            out.push('\n');
        }
        let (text, escaped) = shown(statement, plan.target);
        if escaped && !noted {
            out.push_str(ESCAPED_NOTE);
            out.push('\n');
            noted = true;
        }
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// A statement as a person is shown it: [`Statement::render`]'s text, each of its lines
/// ([`Statement::render_lines`]) with the control and bidirectional characters of the
/// names in it escaped ([`visible`]), the layout's line breaks kept; and whether anything
/// was escaped. (The text as a whole cannot be escaped: its own line breaks would be.)
pub fn shown(statement: &Statement, target: crate::model::Target) -> (String, bool) {
    let lines = statement.render_lines(target);
    if !lines.iter().any(|l| l.chars().any(is_unshowable)) {
        return (lines.join("\n"), false);
    }
    let lines: Vec<String> = lines.iter().map(|l| visible(l)).collect();
    (lines.join("\n"), true)
}

/// `grantplan plan --format json` (docs/json.md).
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(title = "grantplan plan --format json")]
struct JsonPlan<'a> {
    /// Always `grantplan-plan`.
    #[schemars(extend("const" = "grantplan-plan"))]
    format: &'static str,
    /// 2.
    #[schemars(extend("const" = 2))]
    version: u32,
    target: crate::model::Target,
    mode: crate::model::Mode,
    source: &'a Source,
    summary: Summary,
    statements: Vec<JsonStatement<'a>>,
    warnings: &'a [Diagnostic],
}

#[derive(Serialize, schemars::JsonSchema)]
struct JsonStatement<'a> {
    /// The statement as grantplan sends it (exact, not escaped). One naming several
    /// objects or grantees spans lines, one object per line, as the text output shows it.
    sql: String,
    #[serde(flatten)]
    statement: &'a Statement,
}

/// Counts of statements by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

/// `grantplan diff --format json` (docs/json.md): who holds what on everything
/// grants.yaml manages, now and after the plan, as lines of the same listing the text
/// diff compares, and which lines go and come.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(title = "grantplan diff --format json")]
pub struct DiffDoc<'a> {
    /// Always `grantplan-diff`.
    #[schemars(extend("const" = "grantplan-diff"))]
    pub format: &'static str,
    /// 1.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    pub target: crate::model::Target,
    pub source: &'a Source,
    /// The listing now, one fact per line, sorted.
    pub now: Vec<String>,
    /// The listing after the plan.
    pub after: Vec<String>,
    /// Lines of `now` not in `after`.
    pub removed: Vec<String>,
    /// Lines of `after` not in `now`.
    pub added: Vec<String>,
    pub warnings: &'a [Diagnostic],
}

impl<'a> DiffDoc<'a> {
    pub fn new(
        plan_target: crate::model::Target,
        source: &'a Source,
        now: Vec<String>,
        after: Vec<String>,
        warnings: &'a [Diagnostic],
    ) -> Self {
        let in_after: std::collections::BTreeSet<&String> = after.iter().collect();
        let in_now: std::collections::BTreeSet<&String> = now.iter().collect();
        let removed = now
            .iter()
            .filter(|l| !in_after.contains(l))
            .cloned()
            .collect();
        let added = after
            .iter()
            .filter(|l| !in_now.contains(l))
            .cloned()
            .collect();
        DiffDoc {
            format: "grantplan-diff",
            version: 1,
            target: plan_target,
            source,
            now,
            after,
            removed,
            added,
            warnings,
        }
    }
}

/// `grantplan doctor --format json` (docs/json.md).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(title = "grantplan doctor --format json")]
pub struct DoctorDoc {
    /// Always `grantplan-doctor`.
    #[schemars(extend("const" = "grantplan-doctor"))]
    pub format: &'static str,
    /// 1.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// `user@host:port/database`, never with a password.
    pub server: String,
    pub checks: Vec<DoctorCheck>,
    /// Checks that failed: apply would refuse or fail (exit 1 when any).
    pub blockers: usize,
    pub warnings: usize,
}

/// One line of doctor's checklist.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DoctorCheck {
    /// `pass`, `warn` or `fail`.
    #[schemars(extend("enum" = ["pass", "warn", "fail"]))]
    pub status: &'static str,
    pub topic: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// `grantplan apply --format json` (docs/json.md): printed once the apply has ended
/// without error (a failure is exit 1 with its message on stderr, and no document).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(title = "grantplan apply --format json")]
pub struct ApplyDoc {
    /// Always `grantplan-apply`.
    #[schemars(extend("const" = "grantplan-apply"))]
    pub format: &'static str,
    /// 1.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    pub target: crate::model::Target,
    /// `user@host:port/database`, never with a password.
    pub server: String,
    /// `applied`, `nothing` (the server already matched), or `already_applied` (a plan
    /// file whose changes the server already holds).
    #[schemars(extend("enum" = ["applied", "nothing", "already_applied"]))]
    pub result: &'static str,
    /// The statements committed, each exactly as sent (one naming several objects or
    /// grantees spans lines, as in the plan); empty unless `applied`.
    pub statements: Vec<String>,
    /// Round trips the statements took.
    pub round_trips: usize,
    pub warnings: Vec<Diagnostic>,
}

/// The JSON documents grantplan writes, for [`json_schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JsonDoc {
    Plan,
    Diff,
    Doctor,
    Apply,
}

/// The JSON Schema of one of grantplan's JSON documents, pretty, with a trailing newline
/// (docs/schemas/*.schema.json are these, checked by a test).
pub fn json_schema(doc: JsonDoc) -> String {
    let schema = match doc {
        JsonDoc::Plan => schemars::schema_for!(JsonPlan<'static>),
        JsonDoc::Diff => schemars::schema_for!(DiffDoc<'static>),
        JsonDoc::Doctor => schemars::schema_for!(DoctorDoc),
        JsonDoc::Apply => schemars::schema_for!(ApplyDoc),
    };
    let mut s = serde_json::to_string_pretty(&schema).expect("schema serializes");
    s.push('\n');
    s
}

/// A document as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("documents serialize");
    s.push('\n');
    s
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

/// An SQL block of more lines than this is folded into a `<details>` block in markdown,
/// so a large plan does not bury the rest of a pull-request conversation. Lines, not
/// statements: one statement may name a hundred objects, one per line.
pub const MARKDOWN_FOLD_AFTER: usize = 20;

/// The longest markdown output by default, in characters: GitHub refuses a comment over
/// 65,536, and `gh pr comment --body-file` then fails on exactly the large changes that
/// most need review. The margin leaves room for a bot's own header.
pub const DEFAULT_MARKDOWN_LIMIT: usize = 60_000;

/// How [`markdown_with`] fits its output where it goes.
#[derive(Debug, Clone)]
pub struct MarkdownOptions {
    /// At most this many characters (not less than [`MIN_MARKDOWN_LIMIT`]).
    pub limit: usize,
    /// Where the whole plan is written (`plan --out`), named when statements are left out.
    pub plan_file: Option<String>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            limit: DEFAULT_MARKDOWN_LIMIT,
            plan_file: None,
        }
    }
}

/// The smallest limit accepted: the verdict, the table and the notes always fit.
pub const MIN_MARKDOWN_LIMIT: usize = 2_000;

/// [`markdown_with`] with the default limit and no plan file.
pub fn markdown(plan: &Plan, source: &Source) -> String {
    markdown_with(plan, source, &MarkdownOptions::default())
}

/// The plan as a pull-request comment: a one-line verdict, counts per kind and per object
/// type, the warnings, and the SQL in a fenced block (folded when long). It stays within
/// `options.limit` characters: warnings and statements past what fits are counted, not
/// shown, and the note says where the whole plan is.
pub fn markdown_with(plan: &Plan, source: &Source, options: &MarkdownOptions) -> String {
    let limit = options.limit.max(MIN_MARKDOWN_LIMIT);
    let summary = Summary::of(plan);
    // "planned offline", "planned against `server`".
    let against = match source {
        Source::Offline => "offline (no database or snapshot)".to_string(),
        Source::Database { server } => format!("against `{}`", visible(server)),
        Source::Snapshot { file } => format!("against snapshot `{}`", visible(file)),
    };
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!(
            "**grantplan: no changes.** The {} server already matches the file (planned {against}).\n",
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
            "**grantplan: {} {} to the {} server** ({}), planned {against}.\n",
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
                crate::model::Securable::Default { .. } => "default privileges",
                _ => first
                    .object_kind()
                    .map_or("CREATE MODEL", crate::model::ObjectKind::section),
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
    // What the notes after the SQL may take, at most.
    const RESERVE: usize = 600;
    let mut used = out.chars().count();
    if !plan.warnings.is_empty() {
        out.push_str(&format!("\n**Warnings ({})**\n\n", plan.warnings.len()));
        // Warnings take at most half of what is left; the SQL is what is reviewed.
        let budget = used + (limit.saturating_sub(used + RESERVE)) / 2;
        used = out.chars().count();
        for (i, w) in plan.warnings.iter().enumerate() {
            let line = format!("- {}\n", markdown_line(&w.to_string()));
            let n = line.chars().count();
            if used + n > budget {
                let more = plan.warnings.len() - i;
                out.push_str(&format!(
                    "- … and {} more {} (run `grantplan plan` to see them all)\n",
                    more,
                    plural(more, "warning", "warnings")
                ));
                break;
            }
            out.push_str(&line);
            used += n;
        }
    }
    if !plan.is_empty() {
        // Shown, not run: control and bidirectional characters escaped, as in `sql`. A
        // statement is shown whole or not at all (it may span lines: `crate::sql`).
        let mut after = false;
        let statements: Vec<String> = plan
            .statements
            .iter()
            .map(|s| {
                let text = shown(s, plan.target).0;
                match s.after_commit() && !std::mem::replace(&mut after, true) {
                    true => format!("{}\n{text}", crate::sql::AFTER_COMMIT_NOTE),
                    false => text,
                }
            })
            .collect();
        let fence = "`".repeat(
            statements
                .iter()
                .map(|l| longest_backtick_run(l))
                .max()
                .unwrap_or(0)
                .max(2)
                + 1,
        );
        let total = statements.len();
        let mut used = out.chars().count() + 2 * fence.len() + 80;
        let mut shown_statements = 0;
        let mut shown_lines = 0;
        let mut sql = String::new();
        for s in &statements {
            let n = s.chars().count() + 1;
            if used + n + RESERVE > limit {
                break;
            }
            sql.push_str(s);
            sql.push('\n');
            used += n;
            shown_statements += 1;
            shown_lines += s.split('\n').count();
        }
        let folded = shown_lines > MARKDOWN_FOLD_AFTER;
        let block = format!("{fence}sql\n{sql}{fence}\n");
        out.push('\n');
        if folded {
            out.push_str(&format!(
                "<details><summary>SQL ({total} statements)</summary>\n\n{block}\n</details>\n"
            ));
        } else {
            out.push_str(&block);
        }
        if shown_statements < total {
            let left = total - shown_statements;
            let whole = match &options.plan_file {
                Some(f) => format!("the whole plan is in `{}`", visible(f).replace('`', "'")),
                None => "run `grantplan plan` for the whole plan, or `plan --out DIR/` to write it as a plan file".to_string(),
            };
            out.push_str(&format!(
                "\n**{left} of {total} statements are not shown** (this comment is kept under \
                 {limit} characters): {whole}.\n"
            ));
        }
    }
    out
}

/// One line for a person: `1 role to create, 2 membership changes, 3 grants, 1 revoke
/// (9 privilege changes), 2 warnings`; grants in green and revokes in red when `color`.
pub fn summary_line(plan: &Plan, color: bool) -> String {
    let s = Summary::of(plan);
    let paint = |text: String, code: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text
        }
    };
    let mut parts = Vec::new();
    if s.create > 0 {
        parts.push(format!(
            "{} {} to create",
            s.create,
            plural(s.create, "role", "roles")
        ));
    }
    if s.membership > 0 {
        parts.push(format!(
            "{} {}",
            s.membership,
            plural(s.membership, "membership change", "membership changes")
        ));
    }
    parts.push(paint(
        format!("{} {}", s.grant, plural(s.grant, "grant", "grants")),
        "32",
    ));
    let mut revokes = paint(
        format!("{} {}", s.revoke, plural(s.revoke, "revoke", "revokes")),
        "31",
    );
    revokes.push_str(&format!(
        " ({} {})",
        s.privilege_changes,
        plural(s.privilege_changes, "privilege change", "privilege changes")
    ));
    parts.push(revokes);
    let w = plan.warnings.len();
    parts.push(format!("{w} {}", plural(w, "warning", "warnings")));
    if plan.is_empty() {
        format!(
            "no changes, {}",
            parts.last().expect("warnings are counted")
        )
    } else {
        parts.join(", ")
    }
}

/// `one` or `many`, by `n`.
pub fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// One line of markdown text: no line breaks (which would end a list item), and no raw
/// HTML tags from names in the message.
fn markdown_line(s: &str) -> String {
    visible(&s.replace(['\n', '\r'], " "))
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
    fn the_markdown_table_has_a_row_for_default_privileges_apart_from_create_model() {
        let default = Statement::Revoke {
            privileges: vec![Privilege::Execute],
            on: vec![Securable::Default {
                role: "etl".into(),
                schema: None,
                of: crate::model::ObjectKind::Function,
            }],
            grantees: vec![Grantee::Public],
        };
        let create_model = Statement::Grant {
            privileges: vec![Privilege::CreateModel],
            on: vec![Securable::CreateModel],
            grantees: vec![Grantee::principal(PrincipalKind::Group, "g")],
        };
        let md = markdown(&plan_of(vec![create_model, default]), &Source::Offline);
        assert!(
            md.contains("| CREATE MODEL | 1 | 0 |\n| default privileges | 0 | 1 |\n"),
            "{md}"
        );
    }

    #[test]
    fn assumerole_statements_come_after_a_note_that_they_run_after_the_commit() {
        let assume = Statement::Grant {
            privileges: vec![Privilege::CreateModel],
            on: vec![Securable::IamRole { arn: None }],
            grantees: vec![Grantee::principal(PrincipalKind::Group, "g")],
        };
        let p = plan_of(vec![grant("s"), assume.clone(), assume]);
        for text in [sql(&p, &Source::Offline), markdown(&p, &Source::Offline)] {
            let note = text.find(crate::sql::AFTER_COMMIT_NOTE).expect("the note");
            assert_eq!(
                text.matches(crate::sql::AFTER_COMMIT_NOTE).count(),
                1,
                "{text}"
            );
            assert!(note < text.find("GRANT ASSUMEROLE").unwrap(), "{text}");
            assert!(
                note > text.find("GRANT USAGE ON SCHEMA s").unwrap(),
                "{text}"
            );
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

    fn grouped(prefix: &str, objects: usize) -> Statement {
        Statement::Grant {
            privileges: vec![Privilege::Usage],
            on: (0..objects)
                .map(|i| Securable::Schema {
                    name: format!("{prefix}_{i:02}"),
                })
                .collect(),
            grantees: vec![Grantee::principal(PrincipalKind::Group, "g")],
        }
    }

    /// The text output shows grouped statements one object per line; a name holding a
    /// control character is escaped on its own line, and the layout's line breaks stay.
    #[test]
    fn grouped_statements_are_shown_one_object_per_line_names_escaped() {
        let mut p = plan_of(vec![grouped("s", 2)]);
        assert_eq!(
            sql(&p, &Source::Offline),
            format!(
                "{OFFLINE_HEADER}\nGRANT USAGE ON SCHEMA\n    s_00,\n    s_01\n  TO GROUP g;\n"
            )
        );
        p.statements.push(Statement::Revoke {
            privileges: vec![Privilege::Usage],
            on: vec![
                Securable::Schema {
                    name: "x\u{1b}[2Ky".into(),
                },
                Securable::Schema { name: "z".into() },
            ],
            grantees: vec![Grantee::Public],
        });
        let text = sql(&p, &Source::Offline);
        assert!(
            text.ends_with(&format!(
                "\n{ESCAPED_NOTE}\nREVOKE USAGE ON SCHEMA\n    \"x\\u{{1b}}[2Ky\",\n    z\n  FROM PUBLIC;\n"
            )),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text:?}");
    }

    /// Markdown folds by lines (a grouped statement is many), and keeps statements whole
    /// under the limit: the count of what is not shown is in statements.
    #[test]
    fn markdown_folds_by_lines_and_shows_whole_statements() {
        // 3 statements of 10 objects: 36 lines.
        let p = plan_of(vec![grouped("a", 10), grouped("b", 10), grouped("c", 10)]);
        let md = markdown(&p, &Source::Offline);
        assert!(
            md.contains("<details><summary>SQL (3 statements)</summary>"),
            "{md}"
        );
        assert!(md.contains("\n    a_09\n  TO GROUP g;\n"), "{md}");
        // 2 statements of 5 objects: 14 lines, not folded.
        let p = plan_of(vec![grouped("a", 5), grouped("b", 5)]);
        assert!(!markdown(&p, &Source::Offline).contains("<details>"));
        // Under a limit, the statements that fit are shown whole, the rest counted.
        let p = plan_of((0..40).map(|i| grouped(&format!("s{i:02}"), 30)).collect());
        let md = markdown_with(
            &p,
            &Source::Offline,
            &MarkdownOptions {
                limit: 6_000,
                plan_file: None,
            },
        );
        assert!(md.chars().count() <= 6_000, "{}", md.len());
        let block = md
            .split("```sql\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let shown = block.matches("GRANT USAGE ON SCHEMA\n").count();
        assert!(shown > 0, "{md}");
        assert_eq!(block.matches("  TO GROUP g;\n").count(), shown, "{block}");
        assert!(block.ends_with("  TO GROUP g;\n"), "{block}");
        assert!(
            md.contains(&format!(
                "**{} of 40 statements are not shown**",
                40 - shown
            )),
            "{md}"
        );
    }

    #[test]
    fn the_summary_line_counts_and_agrees_in_number() {
        let mut p = plan_of(vec![grant("a"), grant("b")]);
        assert_eq!(
            summary_line(&p, false),
            "2 grants, 0 revokes (2 privilege changes), 0 warnings"
        );
        p.statements.push(Statement::CreatePrincipal {
            principal: crate::model::Principal::new(PrincipalKind::Role, "r"),
        });
        p.warnings.push(Diagnostic::warning("w"));
        assert_eq!(
            summary_line(&p, false),
            "1 role to create, 2 grants, 0 revokes (2 privilege changes), 1 warning"
        );
        let coloured = summary_line(&p, true);
        assert!(
            coloured.contains("\u{1b}[32m2 grants\u{1b}[0m"),
            "{coloured:?}"
        );
        assert_eq!(
            summary_line(&plan_of(vec![]), false),
            "no changes, 0 warnings"
        );
    }

    #[test]
    fn large_plans_stay_under_the_limit_and_say_what_is_left_out() {
        let mut big = plan_of(
            (0..5_192)
                .map(|i| grant(&format!("schema_{i:05}")))
                .collect(),
        );
        for i in 0..3_000 {
            big.warnings.push(Diagnostic::warning(format!(
                "schema `missing_{i}` does not exist"
            )));
        }
        let options = MarkdownOptions {
            limit: DEFAULT_MARKDOWN_LIMIT,
            plan_file: Some("migrations/20261206T000000Z_grants.sql".into()),
        };
        let md = markdown_with(&big, &Source::Offline, &options);
        assert!(md.chars().count() <= DEFAULT_MARKDOWN_LIMIT, "{}", md.len());
        assert!(md.contains("more warnings (run `grantplan plan` to see them all)"));
        let shown = md.matches("GRANT USAGE").count();
        assert!(shown > 100, "{shown}");
        assert!(
            md.contains(&format!(
                "**{} of 5192 statements are not shown** (this comment is kept under 60000 characters): the whole plan is in `migrations/20261206T000000Z_grants.sql`.",
                5192 - shown
            )),
            "{}",
            &md[md.len() - 400..]
        );
        // The fence still closes, and the table counts every statement.
        assert!(md.contains("| schemas | 5192 | 0 |"), "{}", &md[..600]);
        assert!(md.contains("```\n\n</details>"), "the block is closed");
        // Small limits are raised to what always fits; a plan that fits is whole.
        let small = plan_of(vec![grant("a")]);
        let md = markdown_with(
            &small,
            &Source::Offline,
            &MarkdownOptions {
                limit: 10,
                plan_file: None,
            },
        );
        assert!(!md.contains("not shown"), "{md}");
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
