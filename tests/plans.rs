//! Golden plans: every folder under tests/data/plans/ is a case with a `grants.yaml`, an
//! optional `catalog.json` (a snapshot; without one the plan is offline) and an optional
//! empty file `strict`. The plan's SQL and warnings are compared with the stored snapshot
//! in tests/snapshots/ (insta; review changes with `cargo insta review` or by reading the
//! `.snap.new` file). No database is needed: the planner is pure.
//!
//! Every statement of every plan is also read back, with grantplan's own reader (every
//! form) and with sqlparser (the forms it has a grammar for), so a rendering bug that
//! produces invalid SQL fails here even when a snapshot was accepted carelessly.

use grantplan::catalog::Snapshot;
use grantplan::model::{Privilege, Securable, Target};
use grantplan::output::{self, Source};
use grantplan::plan::{plan, PlanOptions};
use grantplan::sql::Statement;
use sqlparser::dialect::{PostgreSqlDialect, RedshiftSqlDialect};
use sqlparser::parser::Parser;
use std::path::Path;

fn run_case(dir: &Path) -> String {
    let yaml_path = dir.join("grants.yaml");
    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    let config = grantplan::config::parse("grants.yaml", &yaml).unwrap_or_else(|d| {
        panic!("{}: config errors: {d:#?}", dir.display());
    });
    let catalog = std::fs::read_to_string(dir.join("catalog.json"))
        .ok()
        .map(|t| Snapshot::from_json(&t).unwrap_or_else(|e| panic!("{}: {e}", dir.display())));
    let options = PlanOptions {
        strict: dir.join("strict").exists(),
    };
    let source = match catalog {
        Some(_) => Source::Snapshot {
            file: "catalog.json".into(),
        },
        None => Source::Offline,
    };
    let mut out = match plan(&config, catalog.as_ref(), options) {
        Ok(p) => {
            check_parses(&p, dir);
            let mut out = output::sql(&p, &source);
            for w in &p.warnings {
                out.push_str(&format!("-- {w}\n"));
            }
            out
        }
        Err(errors) => errors.iter().map(|e| format!("{e}\n")).collect(),
    };
    if out.is_empty() {
        out.push_str("(empty)\n");
    }
    out
}

/// Every statement must be valid SQL. On PostgreSQL sqlparser knows every form grantplan
/// emits but role membership; on Redshift it has no grammar for CREATE MODEL, ON MODEL and the GROUP/ROLE
/// statements (crates.md), so there only schema and function grants are checked here.
fn check_parses(p: &grantplan::plan::Plan, dir: &Path) {
    for (statement, sql) in p.statements.iter().zip(p.sql_statements()) {
        // Every form, the MODEL and membership ones included, reads back as itself with
        // grantplan's own reader (built on sqlparser's tokenizer).
        assert_eq!(
            grantplan::sqlread::read(&sql, p.target),
            Ok(vec![statement.canonical(p.target)]),
            "{}: `{sql}` does not read back as itself",
            dir.display()
        );
        let parsed = match p.target {
            // sqlparser has no grammar for role membership (`GRANT role TO member`);
            // tests/apply.rs runs those against a real PostgreSQL instead.
            Target::Postgres => match statement {
                Statement::AddMember { .. } | Statement::RemoveMember { .. } => continue,
                _ => Parser::parse_sql(&PostgreSqlDialect {}, &sql),
            },
            // sqlparser 0.63's Redshift grammar reads one function per GRANT (Redshift's
            // own, r_GRANT, takes a list), no PROCEDURE, and no ALTER or DROP privilege;
            // grantplan's reader above checks those.
            Target::Redshift => match statement {
                Statement::Grant { on, privileges, .. }
                | Statement::Revoke { on, privileges, .. }
                    if matches!(on.first(), Some(Securable::Schema { .. }))
                        || (matches!(on.first(), Some(Securable::Table { .. }))
                            && !privileges
                                .iter()
                                .any(|p| matches!(p, Privilege::Alter | Privilege::Drop)))
                        || (on.len() == 1
                            && matches!(on.first(), Some(Securable::Function { .. }))) =>
                {
                    Parser::parse_sql(&RedshiftSqlDialect {}, &sql)
                }
                _ => continue,
            },
        };
        let parsed =
            parsed.unwrap_or_else(|e| panic!("{}: `{sql}` does not parse: {e}", dir.display()));
        assert_eq!(
            parsed.len(),
            1,
            "{}: `{sql}` is not one statement",
            dir.display()
        );
    }
}

#[test]
fn golden_plans() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 8,
        "expected the golden cases, found {}",
        cases.len()
    );
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let out = run_case(&dir);
        insta::assert_snapshot!(name, out);
    }
}

/// The contract: the offline plan of the shipped grants.yaml is exactly the seed's four
/// statements after the offline header. Checked byte for byte, independent of snapshots.
#[test]
fn shipped_file_plans_the_seed_statements_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("grants.yaml")).unwrap();
    let config = grantplan::config::parse("grants.yaml", &yaml).unwrap();
    let p = plan(&config, None, PlanOptions::default()).unwrap();
    let expected = format!(
        "{}\n{}",
        output::OFFLINE_HEADER,
        "GRANT CREATE MODEL TO GROUP retention_analyst_grp;
GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;
GRANT USAGE ON SCHEMA demo_ml TO GROUP marketing_analyst_grp;
GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;
"
    );
    assert_eq!(output::sql(&p, &Source::Offline), expected);
    assert!(output::OFFLINE_HEADER.starts_with("-- offline plan: "));
}

/// `plan --format markdown`, the pull-request comment, for a plan with changes and
/// warnings, one with revokes, and one with no changes.
#[test]
fn markdown_comments() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans");
    for case in [
        "02_seed_converged",
        "03_seed_drift_authoritative",
        "09_contract_example_offline",
    ] {
        let dir = root.join(case);
        let yaml = std::fs::read_to_string(dir.join("grants.yaml")).unwrap();
        let config = grantplan::config::parse("grants.yaml", &yaml).unwrap();
        let catalog = std::fs::read_to_string(dir.join("catalog.json"))
            .ok()
            .map(|t| Snapshot::from_json(&t).unwrap());
        let source = match catalog {
            Some(_) => Source::Snapshot {
                file: "catalog.json".into(),
            },
            None => Source::Offline,
        };
        let p = plan(&config, catalog.as_ref(), PlanOptions::default()).unwrap();
        insta::assert_snapshot!(format!("markdown_{case}"), output::markdown(&p, &source));
    }
}

/// Snapshot format 2 (one `objects` list) against format 1 (one list per kind): every
/// case's `catalog.json` is a format-1 file, read unchanged; written back it is format 2,
/// which reads into the same snapshot and gives the same plan, byte for byte.
#[test]
fn format_2_snapshot_plans_as_its_format_1_twin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans");
    let mut cases = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(v1) = std::fs::read_to_string(dir.join("catalog.json")) else {
            continue;
        };
        // A case with a kind format 1 never had (tables) is written in format 2.
        if v1.contains("\"version\": 2") {
            continue;
        }
        assert!(v1.contains("\"version\": 1"), "{}", dir.display());
        let from_v1 = Snapshot::from_json(&v1).unwrap();
        let v2 = from_v1.to_json();
        assert!(v2.contains("\"version\": 2") && v2.contains("\"objects\": ["));
        assert!(!v2.contains("\"schemas\":") && !v2.contains("\"functions\":"));
        let from_v2 = Snapshot::from_json(&v2).unwrap();
        assert_eq!(from_v2, from_v1, "{}", dir.display());
        assert_eq!(from_v2.to_json(), v2, "{}", dir.display());
        let yaml = std::fs::read_to_string(dir.join("grants.yaml")).unwrap();
        let config = grantplan::config::parse("grants.yaml", &yaml).unwrap();
        let options = PlanOptions {
            strict: dir.join("strict").exists(),
        };
        let source = Source::Snapshot {
            file: "catalog.json".into(),
        };
        let render = |snap: &Snapshot| match plan(&config, Some(snap), options) {
            Ok(p) => output::sql(&p, &source) + &format!("{:?}", p.warnings),
            Err(errors) => format!("{errors:?}"),
        };
        assert_eq!(render(&from_v2), render(&from_v1), "{}", dir.display());
        cases += 1;
    }
    assert!(cases >= 5, "{cases} cases with a catalog.json");
}
