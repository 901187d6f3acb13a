//! Plan output formats. Pure functions of a plan: the same plan always prints the same
//! bytes, which is what lets a plan be reviewed and compared in a pull request.

use crate::diag::Diagnostic;
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

/// The plan as SQL: a header comment line, then one statement per line.
pub fn sql(plan: &Plan, source: &Source) -> String {
    let mut out = String::new();
    match source {
        Source::Offline => out.push_str(OFFLINE_HEADER),
        Source::Database { server } => {
            out.push_str(&format!("-- plan for {server} ({})", plan.target))
        }
        Source::Snapshot { file } => out.push_str(&format!(
            "-- plan against snapshot {file} ({})",
            plan.target
        )),
    }
    out.push('\n');
    if plan.is_empty() {
        out.push_str("-- no changes: the server already matches the file\n");
    }
    for line in plan.sql_lines() {
        out.push_str(&line);
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
}

impl Summary {
    pub fn of(plan: &Plan) -> Summary {
        let mut s = Summary {
            statements: plan.statements.len(),
            ..Summary::default()
        };
        for st in &plan.statements {
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
        version: 1,
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
