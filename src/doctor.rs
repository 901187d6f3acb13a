//! `grantplan doctor`: can this login plan and apply safely against this server?
//!
//! A checklist, each line pass / warn / fail with what to do. It is a pure function of
//! what the CLI found out (the connection, what the catalog readers read, grants.yaml),
//! so every verdict is testable without a server; the CLI only gathers and prints.
//! A `fail` is a blocker: `plan` or `apply` would refuse or fail. A `warn` is something
//! to know (a model not trained yet, a connection without TLS).

use crate::catalog::{ReadError, Setup, Snapshot};
use crate::config::Config;
use crate::db::OpenError;
use crate::ident::quote;
use crate::model::{Grantee, ObjectKind, PrincipalKind, Target};
use crate::plan::{self, PlanOptions};
use crate::state::Fact;
use std::fmt::Write as _;

mod ml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub status: Status,
    /// What was checked (`login`, `visibility`, ...).
    pub topic: &'static str,
    pub detail: String,
    /// What to do, when something is to be done.
    pub fix: Option<String>,
}

impl Check {
    fn new(status: Status, topic: &'static str, detail: impl Into<String>) -> Self {
        Check {
            status,
            topic,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// What the CLI found out, for [`examine`].
pub struct Findings<'a> {
    /// `user@host:port/db`, never with a password.
    pub server: &'a str,
    pub target: Target,
    /// Why the server was taken for its kind.
    pub evidence: &'a str,
    pub encrypted: bool,
    /// How the certificate was checked (`Session::certificate_check`), shown when the
    /// connection is encrypted.
    pub certificate_check: &'a str,
    pub config: Option<&'a Config>,
    pub setup: Result<&'a Setup, &'a ReadError>,
    pub catalog: Result<&'a Snapshot, &'a ReadError>,
    /// How the login authenticated, for the login line: `a password from $PGPASSWORD`,
    /// `a temporary password from GetClusterCredentials for cluster `ml` (IAM login)`,
    /// `no password`.
    pub authentication: &'a str,
}

/// A check for a server that could not be reached: the only line there is. The error's
/// [`reason`](OpenError::reason), so that the server is said once.
pub fn unreachable(server: &str, error: &OpenError) -> Check {
    Check::new(
        Status::Fail,
        "connection",
        format!("cannot connect to {server}: {}", error.reason()),
    )
    .fix("check the host, port, user and password (or PG* variables), and --sslmode")
}

/// The checklist.
pub fn examine(f: &Findings) -> Vec<Check> {
    let mut checks = vec![connection(f), server(f), login(f)];
    checks.extend(visibility(f));
    if let (Some(config), Ok(snapshot)) = (f.config, f.catalog) {
        if config.target == f.target {
            checks.extend(declared(config, snapshot, f.setup.ok()));
            checks.extend(ml::access(config, snapshot));
        }
    }
    if f.target == Target::Redshift {
        if let Ok(setup) = f.setup {
            checks.push(default_iam_role(setup, f.config));
            checks.extend(assume_role(setup, f.config));
        }
    }
    checks
}

fn connection(f: &Findings) -> Check {
    if f.encrypted {
        Check::new(
            Status::Pass,
            "connection",
            format!(
                "connected to {} over TLS ({})",
                f.server, f.certificate_check
            ),
        )
    } else {
        let c = Check::new(
            Status::Warn,
            "connection",
            format!(
                "connected to {}, but the connection is not encrypted",
                f.server
            ),
        );
        match f.target {
            Target::Redshift => c.fix(
                "use --sslmode verify-full with --ca-file amazon-trust-ca-bundle.crt (AWS's bundle)",
            ),
            Target::Postgres => c.fix(
                "unless the server is on this machine, use --sslmode verify-full (or require)",
            ),
        }
    }
}

fn server(f: &Findings) -> Check {
    let found = format!("a {} server ({})", f.target, f.evidence);
    match f.config {
        Some(config) if config.target != f.target => Check::new(
            Status::Fail,
            "server",
            if config.target_given {
                format!(
                    "{found}, but {} declares target `{}`",
                    config.file, config.target
                )
            } else {
                format!(
                    "{found}, but {} has no `target:`, so its target is `{}` (the default)",
                    config.file, config.target
                )
            },
        )
        .fix(format!(
            "set `target: {}` in {} if this is the right server, or connect to a {} server",
            f.target, config.file, config.target
        )),
        _ => Check::new(Status::Pass, "server", found),
    }
}

fn login(f: &Findings) -> Check {
    let setup = match f.setup {
        Ok(s) => s,
        Err(e) => {
            return Check::new(
                Status::Warn,
                "login",
                format!("cannot tell what the login may do: {e}"),
            )
        }
    };
    let who = format!("`{}` (logged in with {})", setup.login, f.authentication);
    if setup.superuser {
        return Check::new(
            Status::Pass,
            "login",
            format!("{who} is a superuser: it may grant everything grantplan plans"),
        );
    }
    let wants_create_model = f
        .config
        .is_some_and(|c| c.principals.iter().any(|d| d.create_model));
    match f.target {
        Target::Redshift if wants_create_model => Check::new(
            Status::Fail,
            "login",
            format!("{who} is not a superuser, and only a superuser grants CREATE MODEL"),
        )
        .fix("apply as a superuser (plan may run as any login that sees the whole catalog)"),
        Target::Redshift => Check::new(
            Status::Warn,
            "login",
            format!(
                "{who} is not a superuser: it can grant only on schemas and models it owns or \
                 holds with grant option, and cannot create groups"
            ),
        )
        .fix("apply as a superuser, or as the owner of the managed objects"),
        Target::Postgres => Check::new(
            Status::Warn,
            "login",
            format!(
                "{who} is not a superuser: it can grant only on schemas and functions it owns \
                 or holds with grant option{}",
                if setup.create_role {
                    ""
                } else {
                    ", and cannot create roles (no CREATEROLE)"
                }
            ),
        )
        .fix("apply as a superuser, or as the owner of the managed objects"),
    }
}

fn visibility(f: &Findings) -> Vec<Check> {
    match f.catalog {
        Ok(s) if ObjectKind::ALL.iter().any(|&k| !s.sees_every(k)) => ObjectKind::ALL
            .into_iter()
            .filter(|&k| !s.sees_every(k))
            .map(|kind| {
                let section = kind.section();
                let manages = f.config.is_some_and(|c| !c.rules_of(kind).is_empty());
                Check::new(
                    if manages { Status::Fail } else { Status::Warn },
                    "catalog",
                    format!(
                        "read every grant, but `{}` is not a superuser, and Redshift shows a \
                         non-superuser only the {section} it owns ({} seen): {}",
                        s.server.login,
                        s.objects_of(kind).len(),
                        if manages {
                            format!("the {section}: section cannot be planned by this login")
                        } else {
                            format!(
                                "enough for a grants.yaml without {section}:, not for one with them"
                            )
                        }
                    ),
                )
                .fix(format!("plan and apply {section} as a superuser"))
            })
            .collect(),
        Ok(s) => vec![Check::new(
            Status::Pass,
            "catalog",
            format!(
                "read the whole catalog (principals: {}, {})",
                s.principals.len(),
                ObjectKind::ALL
                    .into_iter()
                    .filter(|k| k.exists_on(s.target))
                    .map(|k| format!("{}: {}", k.section(), s.objects_of(k).len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )],
        Err(ReadError::PartialVisibility(why)) => vec![Check::new(
            Status::Fail,
            "catalog",
            "the login sees only part of the catalog: plans would revoke grants it cannot see",
        )
        .fix(why.to_string())],
        Err(e) => vec![Check::new(
            Status::Fail,
            "catalog",
            format!("cannot read the catalog: {e}"),
        )],
    }
}

/// Every declared principal, member and named object against the catalog, by planning:
/// the planner is what decides, so the doctor agrees with it.
fn declared(config: &Config, snapshot: &Snapshot, setup: Option<&Setup>) -> Vec<Check> {
    let mut checks = Vec::new();
    let p = match plan::plan(config, Some(snapshot), PlanOptions::default()) {
        Ok(p) => p,
        Err(errors) => {
            for e in errors {
                let mut c = Check::new(
                    Status::Fail,
                    "declared",
                    match &e.location {
                        Some(l) => format!("{}:{}: {}", l.file, l.line, e.message),
                        None => e.message.clone(),
                    },
                );
                c.fix = e.help.clone();
                checks.push(c);
            }
            return checks;
        }
    };
    let may_create = setup.is_some_and(|s| s.create_role);
    for fact in p.scope.facts() {
        match fact {
            Fact::AbsentPrincipal(principal) => {
                let is_declared = config
                    .principals
                    .iter()
                    .any(|d| config.target.canonical_principal(&d.principal) == *principal);
                if !is_declared || principal.kind == PrincipalKind::User {
                    continue; // missing users and members are planner errors, above
                }
                let (status, fix) = if may_create {
                    (Status::Warn, "apply creates it".to_string())
                } else {
                    (
                        Status::Fail,
                        "apply would create it, which this login may not: create it, or \
                         apply as a login that may"
                            .to_string(),
                    )
                };
                checks.push(
                    Check::new(
                        status,
                        "declared",
                        format!(
                            "{} {} does not exist",
                            principal.kind,
                            quote(&principal.name)
                        ),
                    )
                    .fix(fix),
                );
            }
            Fact::NoMatch { section, key } => checks.push(
                Check::new(
                    Status::Warn,
                    "declared",
                    format!("no {section} matches `{key}` in {}", config.file),
                )
                .fix(match section {
                    "model" => "normal for a model not trained yet; plan again after CREATE MODEL",
                    _ => "create it, or fix the name in grants.yaml",
                }),
            ),
            _ => {}
        }
    }
    if checks.is_empty() {
        checks.push(Check::new(
            Status::Pass,
            "declared",
            format!("every principal and object {} declares exists", config.file),
        ));
    }
    checks.push(Check::new(
        Status::Pass,
        "plan",
        if p.is_empty() {
            format!("the server already matches {}", config.file)
        } else {
            format!(
                "{} {} would bring the server to {} (see grantplan plan)",
                p.statements.len(),
                crate::output::plural(p.statements.len(), "statement", "statements"),
                config.file
            )
        },
    ));
    if let Some(setup) = setup {
        checks.extend(grantable(&p, snapshot, setup));
    }
    checks
}

/// Whether the login may run every statement of the plan, judged as the server will:
/// GRANT and REVOKE on an object need its owner (or a member of the owning role on
/// PostgreSQL), a superuser, or the privilege held WITH GRANT OPTION; creating roles
/// needs a superuser (Redshift) or CREATEROLE (PostgreSQL); memberships likewise. Without
/// this, doctor said "no blockers" and apply then failed with 42501.
fn grantable(plan: &crate::plan::Plan, snapshot: &Snapshot, setup: &Setup) -> Vec<Check> {
    use crate::model::{Privilege, Securable};
    use crate::sql::Statement;
    if setup.superuser || plan.is_empty() {
        return Vec::new();
    }
    let t = snapshot.target;
    // The login and every role it belongs to, directly or through others.
    let mut me: std::collections::BTreeSet<String> = [setup.login.clone()].into();
    loop {
        let more: Vec<String> = snapshot
            .memberships
            .iter()
            .filter(|m| me.contains(&m.member.name) && !me.contains(&m.parent.name))
            .map(|m| m.parent.name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        me.extend(more);
    }
    let mine = |g: &Grantee| matches!(g, Grantee::Principal(p) if me.contains(&p.name));
    // The owner and the grants of an object, as the snapshot says: a binary search
    // (Snapshot::object), not a scan per object of every statement.
    let object = |on: &Securable| snapshot.object(on);
    let mut refused: Vec<String> = Vec::new();
    let mut roles = false;
    for st in &plan.statements {
        match st {
            // A role to create is reported with the missing principal, above.
            Statement::CreatePrincipal { .. } => {}
            Statement::AddMember { .. } | Statement::RemoveMember { .. } => {
                roles |= t == Target::Redshift || !setup.create_role;
            }
            Statement::Grant { privileges, on, .. } | Statement::Revoke { privileges, on, .. } => {
                for o in on {
                    if *o == Securable::CreateModel {
                        continue; // the login check says who grants CREATE MODEL
                    }
                    // Default privileges: only the role itself (or a member of it, on
                    // PostgreSQL) or a superuser may change them (ALTER DEFAULT
                    // PRIVILEGES, both targets' pages).
                    // ASSUMEROLE: "Only a superuser can grant or revoke" it (r_GRANT,
                    // docs/research/redshift-catalog.md §13.2).
                    if let Securable::IamRole { .. } = o {
                        refused.push(format!(
                            "ASSUMEROLE on the {} (superusers only)",
                            o.display_name()
                        ));
                        continue;
                    }
                    if let Securable::Default { role, .. } = o {
                        if !me.contains(role) {
                            refused.push(format!("the {} (for {})", o.display_name(), quote(role)));
                        }
                        continue;
                    }
                    let ok = object(o).is_some_and(|(owner, acl)| {
                        me.contains(owner)
                            || privileges.iter().all(|p: &Privilege| {
                                acl.iter().any(|a| {
                                    a.privilege == *p && a.grant_option && mine(&a.grantee)
                                })
                            })
                    });
                    if !ok {
                        let owner = object(o).map(|(owner, _)| owner).unwrap_or("unknown");
                        refused.push(format!(
                            "{} {} (owner {})",
                            o.kind(),
                            o.display_name(),
                            quote(owner)
                        ));
                    }
                }
            }
        }
    }
    refused.sort();
    refused.dedup();
    let mut checks = Vec::new();
    let who = quote(&setup.login).into_owned();
    if !refused.is_empty() {
        const SHOWN: usize = 5;
        let mut list = refused
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if refused.len() > SHOWN {
            list.push_str(&format!(", and {} more", refused.len() - SHOWN));
        }
        checks.push(
            Check::new(
                Status::Fail,
                "grantable",
                format!(
                    "{who} may not grant or revoke on {} {} the plan changes, owning neither \
                     them nor the privileges WITH GRANT OPTION: {list}",
                    refused.len(),
                    crate::output::plural(refused.len(), "object", "objects")
                ),
            )
            .fix(format!(
                "apply as a superuser or as the owner, or have the owner GRANT those \
                 privileges to {who} WITH GRANT OPTION"
            )),
        );
    }
    if roles {
        checks.push(
            Check::new(
                Status::Fail,
                "grantable",
                format!(
                    "the plan changes memberships, which {who} may not ({})",
                    match t {
                        Target::Redshift => "on Redshift only a superuser alters groups",
                        Target::Postgres => "it has no CREATEROLE",
                    }
                ),
            )
            .fix("apply as a superuser, or as a login with CREATEROLE on PostgreSQL"),
        );
    }
    if checks.is_empty() {
        checks.push(Check::new(
            Status::Pass,
            "grantable",
            format!("{who} may run every statement of the plan"),
        ));
    }
    checks
}

/// The role grants.yaml's `cluster:` section describes, when it has one.
fn declared_role(config: Option<&Config>) -> Option<String> {
    config
        .and_then(|c| c.cluster.as_ref())
        .map(|c| c.role_arn())
}

/// The AWS CLI command that makes `arn` the default IAM role: of the cluster, or of the
/// Serverless namespace `cluster:` names (whose `--iam-roles` replaces its list of roles,
/// docs/research/serverless.md).
fn set_default_role(config: Option<&Config>, arn: &str) -> String {
    match config
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.serverless.as_ref())
    {
        Some(sv) => format!(
            "aws redshift-serverless update-namespace --namespace-name {} --iam-roles {arn} \
             (and every other role the namespace keeps: the list is replaced) \
             --default-iam-role-arn {arn}",
            sv.namespace
        ),
        None => format!(
            "aws redshift modify-cluster-iam-roles --cluster-identifier CLUSTER \
             --default-iam-role-arn {arn}"
        ),
    }
}

fn default_iam_role(setup: &Setup, config: Option<&Config>) -> Check {
    let declared = declared_role(config);
    match (&setup.default_iam_role, declared) {
        (Some(arn), Some(want)) if *arn != want => Check::new(
            Status::Warn,
            "IAM role",
            format!(
                "the cluster's default IAM role is {arn}, not {want}, the role grants.yaml's \
                 cluster: section describes"
            ),
        )
        .fix(format!(
            "{} (grantplan iam writes its policies), or fix cluster: in grants.yaml",
            set_default_role(config, &want)
        )),
        (Some(arn), _) => Check::new(
            Status::Pass,
            "IAM role",
            format!("the cluster's default IAM role is {arn}"),
        ),
        (None, declared) => Check::new(
            Status::Warn,
            "IAM role",
            "the cluster has no default IAM role: CREATE MODEL must then name one with \
             IAM_ROLE 'arn:...'",
        )
        .fix(format!(
            "grantplan iam writes the role's policies; then {}",
            set_default_role(config, &declared.unwrap_or_else(|| "ROLE_ARN".to_string()))
        )),
    }
}

/// Whether the principals that may create models may also use an IAM role for it.
fn assume_role(setup: &Setup, config: Option<&Config>) -> Vec<Check> {
    if !setup.sees_all_grants {
        return vec![Check::new(
            Status::Warn,
            "ASSUMEROLE",
            format!(
                "cannot tell who may use which IAM role: `{}` is neither a superuser nor holds \
                 ACCESS SYSTEM TABLE, and svv_iam_privileges shows such a login only the \
                 entries it has access to (r_SVV_IAM_PRIVILEGES)",
                setup.login
            ),
        )
        .fix("run doctor as a superuser, or as a login holding ACCESS SYSTEM TABLE")];
    }
    // Where grants.yaml decides PUBLIC's share of a role, say what taking it away does.
    let mut checks = Vec::new();
    for rule in config.map_or(&[][..], |c| c.assume_roles.as_slice()) {
        if !rule.grants.iter().any(|g| *g.grantee == Grantee::Public)
            && !rule.written.is_empty()
            && setup
                .assume_role
                .iter()
                .any(|a| a.grantee == Grantee::Public)
        {
            let purposes: Vec<&str> = rule.written.iter().map(|p| p.sql()).collect();
            checks.push(
                Check::new(
                    Status::Warn,
                    "ASSUMEROLE",
                    format!(
                        "grants.yaml decides PUBLIC's use of IAM role {} for {} only where its \
                         assume_role: entry names public; this one does not, so PUBLIC keeps what \
                         it holds",
                        rule.arn.as_deref().unwrap_or("default"),
                        purposes.join(", ")
                    ),
                )
                .fix(
                    "to restrict it, add `public` to one list of the entry and leave it out of the \
                     others: users without their own grant then get \"ERROR: User ... does not \
                     have ASSUMEROLE permission on IAM role ... for COPY\" (r_GRANT usage notes; \
                     superusers always keep it)",
                ),
            );
        }
    }
    if setup.assume_role.is_empty() {
        checks.push(Check::new(
            Status::Pass,
            "ASSUMEROLE",
            "IAM role use is not restricted: \"by default, IAM roles that are available to an \
             Amazon Redshift cluster are available to all users on that cluster\" (Management \
             Guide), for CREATE MODEL too, until REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL",
        ));
        return checks;
    }
    let Some(config) = config else {
        return checks;
    };
    let covers = |g: &Grantee| {
        setup.assume_role.iter().any(|a| {
            matches!(a.command.as_str(), "CREATE MODEL" | "ALL")
                && (a.grantee == Grantee::Public || a.grantee == *g)
        })
    };
    for d in config.principals.iter().filter(|d| d.create_model) {
        let g = Grantee::Principal(d.principal.clone());
        if covers(&g) {
            continue;
        }
        let arn = setup
            .default_iam_role
            .clone()
            .or_else(|| declared_role(Some(config)))
            .unwrap_or_else(|| "arn:aws:iam::ACCOUNT:role/ROLE".to_string());
        let grantee = match d.principal.kind {
            PrincipalKind::Group => format!("GROUP {}", quote(&d.principal.name)),
            PrincipalKind::Role => format!("ROLE {}", quote(&d.principal.name)),
            PrincipalKind::User => quote(&d.principal.name).into_owned(),
        };
        checks.push(
            Check::new(
                Status::Warn,
                "ASSUMEROLE",
                format!(
                    "{} {} may create models but holds no ASSUMEROLE for CREATE MODEL \
                     (directly or through PUBLIC)",
                    d.principal.kind,
                    quote(&d.principal.name)
                ),
            )
            .fix(format!(
                "as a superuser: GRANT ASSUMEROLE ON '{}' TO {grantee} FOR CREATE MODEL;",
                arn.replace('\'', "''")
            )),
        );
    }
    if !checks
        .iter()
        .any(|c| c.status == Status::Warn && c.detail.contains("may create models"))
    {
        checks.push(Check::new(
            Status::Pass,
            "ASSUMEROLE",
            "every principal that may create models may use an IAM role for it",
        ));
    }
    checks
}

/// The checklist as a JSON document (`grantplan doctor --format json`).
pub fn document(server: &str, checks: &[Check]) -> crate::output::DoctorDoc {
    crate::output::DoctorDoc {
        format: "grantplan-doctor",
        version: 1,
        server: server.to_string(),
        checks: checks
            .iter()
            .map(|c| crate::output::DoctorCheck {
                status: match c.status {
                    Status::Pass => "pass",
                    Status::Warn => "warn",
                    Status::Fail => "fail",
                },
                topic: c.topic,
                detail: c.detail.clone(),
                fix: c.fix.clone(),
            })
            .collect(),
        blockers: checks.iter().filter(|c| c.status == Status::Fail).count(),
        warnings: checks.iter().filter(|c| c.status == Status::Warn).count(),
    }
}

/// The checklist as text, with a closing count.
pub fn render(server: &str, checks: &[Check]) -> String {
    // Details quote names from the catalog and grants.yaml: shown escaped, never obeyed
    // by the terminal.
    use crate::diag::visible;
    let mut out = format!("grantplan doctor: {}\n", visible(server));
    for c in checks {
        let _ = writeln!(
            out,
            "{}  {:<11} {}",
            c.status.word(),
            c.topic,
            visible(&c.detail)
        );
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "{:<17} fix: {}", "", visible(fix));
        }
    }
    let blockers = checks.iter().filter(|c| c.status == Status::Fail).count();
    let warnings = checks.iter().filter(|c| c.status == Status::Warn).count();
    let _ = writeln!(
        out,
        "{}, {warnings} warning{}",
        match blockers {
            0 => "no blockers".to_string(),
            1 => "1 blocker".to_string(),
            n => format!("{n} blockers"),
        },
        if warnings == 1 { "" } else { "s" }
    );
    out
}

/// Exit code: 1 when any check failed.
pub fn exit_code(checks: &[Check]) -> u8 {
    u8::from(checks.iter().any(|c| c.status == Status::Fail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::redshift::PartialVisibility;
    use crate::catalog::{AssumeRole, ObjectInfo, PrincipalInfo};
    use crate::model::Securable;

    fn config(yaml: &str) -> Config {
        crate::config::parse("grants.yaml", yaml).unwrap()
    }

    fn findings<'a>(
        target: Target,
        config: Option<&'a Config>,
        setup: &'a Setup,
        catalog: Result<&'a Snapshot, &'a ReadError>,
    ) -> Findings<'a> {
        Findings {
            server: "ci@cluster:5439/dev",
            target,
            evidence: "it reported padb_version 1.0.1 at start-up",
            encrypted: true,
            certificate_check: "sslmode verify-full (from --sslmode): certificate and host \
                                name checked against the CA file ca.crt (from --ca-file)",
            config,
            setup: Ok(setup),
            catalog,
            authentication: "a password from $PGPASSWORD",
        }
    }

    fn statuses(checks: &[Check]) -> Vec<(Status, &'static str)> {
        checks.iter().map(|c| (c.status, c.topic)).collect()
    }

    const SEED: &str = "groups:\n  analysts: {create_model: true}\nschemas:\n  demo_ml: {usage: [analysts]}\nmodels:\n  demo_ml.churn: {execute: [analysts]}\n";

    #[test]
    fn a_non_superuser_cannot_apply_create_model_on_redshift() {
        let c = config(SEED);
        let setup = Setup {
            login: "ci".into(),
            ..Setup::default()
        };
        let snap = Snapshot::empty(Target::Redshift);
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Ok(&snap)));
        let login = checks.iter().find(|c| c.topic == "login").unwrap();
        assert_eq!(login.status, Status::Fail);
        assert!(login
            .detail
            .contains("only a superuser grants CREATE MODEL"));
        // It sees only its own models: the file's models: section cannot be planned.
        let catalog = checks.iter().find(|c| c.topic == "catalog").unwrap();
        assert_eq!(catalog.status, Status::Fail);
        assert!(
            catalog.detail.contains("only the models it owns"),
            "{catalog:?}"
        );
        assert!(checks.iter().any(|c| c.status == Status::Fail
            && c.topic == "declared"
            && c.detail.contains("the models: section cannot be planned")));
        assert_eq!(exit_code(&checks), 1);

        // Without models: the group is missing, and this login could not create it.
        let c = config("groups:\n  analysts: {create_model: true}\n");
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Ok(&snap)));
        let catalog = checks.iter().find(|c| c.topic == "catalog").unwrap();
        assert_eq!(catalog.status, Status::Warn, "{catalog:?}");
        assert!(checks
            .iter()
            .any(|c| c.status == Status::Fail && c.detail == "group analysts does not exist"));
    }

    /// Where grants.yaml leaves PUBLIC's share of an IAM role alone, doctor says so and
    /// what restricting it would do (r_GRANT usage notes).
    #[test]
    fn doctor_says_what_public_keeps_of_an_iam_role_and_what_taking_it_does() {
        use crate::catalog::AssumeRole;
        let c = config("groups:\n  g: {}\nassume_role:\n  default: {copy: [g]}\n");
        let setup = Setup {
            login: "admin".into(),
            superuser: true,
            sees_all_grants: true,
            assume_role: vec![AssumeRole {
                iam_arn: "default-aws-iam-role".into(),
                command: "COPY".into(),
                grantee: Grantee::Public,
            }],
            ..Setup::default()
        };
        let checks = assume_role(&setup, Some(&c));
        let w = checks
            .iter()
            .find(|c| c.status == Status::Warn)
            .unwrap_or_else(|| panic!("{checks:?}"));
        assert!(
            w.detail.contains("PUBLIC's use of IAM role default for COPY only where its assume_role: entry names public"),
            "{w:?}"
        );
        assert!(
            w.fix
                .as_deref()
                .is_some_and(|f| f.contains("does not have ASSUMEROLE permission")),
            "{w:?}"
        );
        // Named: nothing to say.
        let c = config("groups:\n  g: {}\nassume_role:\n  default: {copy: [g, public]}\n");
        assert!(assume_role(&setup, Some(&c))
            .iter()
            .all(|c| c.status == Status::Pass));
    }

    /// ASSUMEROLE is a superuser's to grant (r_GRANT): a login with ACCESS SYSTEM TABLE
    /// plans it, and is told it cannot apply it.
    #[test]
    fn assumerole_is_grantable_by_superusers_only() {
        let c = config("groups:\n  analysts: {}\nassume_role:\n  default: {copy: [analysts]}\n");
        let setup = Setup {
            login: "ci".into(),
            sees_all_grants: true,
            ..Setup::default()
        };
        let mut snap = Snapshot::empty(Target::Redshift);
        snap.server.login = "ci".into();
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Group,
            name: "analysts".into(),
            login: false,
            superuser: false,
        });
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Ok(&snap)));
        let g = checks.iter().find(|c| c.topic == "grantable").unwrap();
        assert_eq!(g.status, Status::Fail, "{g:?}");
        assert!(
            g.detail
                .ends_with(": ASSUMEROLE on the IAM role default (superusers only)"),
            "{g:?}"
        );
    }

    /// What apply needs, per object: ownership (directly or through a role the login
    /// belongs to), or every planned privilege held WITH GRANT OPTION.
    #[test]
    fn grantable_follows_ownership_roles_and_grant_options() {
        use crate::catalog::{Acl, Membership, ObjectInfo};
        use crate::model::{Principal, Privilege};
        let c = config(
            "target: postgres\nroles:\n  readers: {}\nschemas:\n  a: {usage: [readers]}\n  b: {usage: [readers], create: [readers]}\n",
        );
        let setup = Setup {
            login: "ci".into(),
            create_role: true,
            sees_all_grants: true,
            ..Setup::default()
        };
        let mut snap = Snapshot::empty(Target::Postgres);
        snap.server.login = "ci".into();
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Role,
            name: "readers".into(),
            login: false,
            superuser: false,
        });
        let schema = |name: &str, owner: &str, grants: Vec<Acl>| {
            ObjectInfo::new(Securable::Schema { name: name.into() }, owner, grants)
        };
        let go = |p| Acl {
            grantee: Grantee::principal(PrincipalKind::User, "ci"),
            privilege: p,
            grant_option: true,
        };
        // a: owned by a role ci belongs to; b: ci holds USAGE with grant option only.
        snap.objects = vec![
            schema("a", "owners", vec![]),
            schema("b", "postgres", vec![go(Privilege::Usage)]),
        ];
        snap.memberships.push(Membership {
            parent: Principal::new(PrincipalKind::Role, "owners"),
            member: Principal::new(PrincipalKind::User, "ci"),
        });
        let checks = examine(&findings(Target::Postgres, Some(&c), &setup, Ok(&snap)));
        let g: Vec<&Check> = checks.iter().filter(|c| c.topic == "grantable").collect();
        assert_eq!(g.len(), 1, "{checks:?}");
        assert_eq!(g[0].status, Status::Fail);
        assert!(
            g[0].detail
                .ends_with("WITH GRANT OPTION: schema b (owner postgres)"),
            "{:?}",
            g[0]
        );
        // With CREATE grantable too, everything may run.
        snap.objects[1].grants.push(go(Privilege::Create));
        let checks = examine(&findings(Target::Postgres, Some(&c), &setup, Ok(&snap)));
        let g = checks.iter().find(|c| c.topic == "grantable").unwrap();
        assert_eq!(g.status, Status::Pass, "{g:?}");
    }

    #[test]
    fn assume_role_says_it_cannot_tell_without_full_visibility() {
        let setup = Setup {
            login: "ci".into(),
            sees_all_grants: false,
            ..Setup::default()
        };
        let checks = assume_role(&setup, None);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Warn);
        assert!(
            checks[0].detail.starts_with("cannot tell"),
            "{:?}",
            checks[0]
        );
        assert!(!checks[0].detail.contains("not restricted"));
        let full = Setup {
            sees_all_grants: true,
            ..setup
        };
        assert!(assume_role(&full, None)[0]
            .detail
            .contains("not restricted"));
    }

    #[test]
    fn a_superuser_on_a_ready_cluster_passes_with_warnings_only_for_what_is_missing() {
        let c = config(SEED);
        let setup = Setup {
            login: "admin".into(),
            superuser: true,
            create_role: true,
            default_iam_role: Some("arn:aws:iam::123456789012:role/RedshiftML".into()),
            assume_role: Vec::new(),
            sees_all_grants: true,
        };
        let mut snap = Snapshot::empty(Target::Redshift);
        snap.server.login_superuser = true;
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Group,
            name: "analysts".into(),
            login: false,
            superuser: false,
        });
        snap.objects.push(ObjectInfo::new(
            Securable::Schema {
                name: "demo_ml".into(),
            },
            "admin",
            vec![],
        ));
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Ok(&snap)));
        assert_eq!(
            statuses(&checks),
            [
                (Status::Pass, "connection"),
                (Status::Pass, "server"),
                (Status::Pass, "login"),
                (Status::Pass, "catalog"),
                (Status::Warn, "declared"),
                (Status::Pass, "plan"),
                (Status::Warn, "ML access"),
                (Status::Pass, "IAM role"),
                (Status::Pass, "ASSUMEROLE"),
            ]
        );
        assert!(checks[4]
            .detail
            .contains("no model matches `demo_ml.churn`"));
        // analysts hold CREATE MODEL and USAGE on demo_ml, but not CREATE there.
        assert_eq!(
            checks[6].fix.as_deref(),
            Some("add it to grants.yaml: GRANT CREATE ON SCHEMA demo_ml TO GROUP analysts;")
        );
        assert_eq!(exit_code(&checks), 0);
        let text = render("admin@cluster:5439/dev", &checks);
        assert!(text.ends_with("no blockers, 2 warnings\n"), "{text}");
    }

    #[test]
    fn restricted_assume_role_is_checked_per_model_builder() {
        let c = config(SEED);
        let mut setup = Setup {
            login: "admin".into(),
            superuser: true,
            create_role: true,
            default_iam_role: Some("arn:aws:iam::123456789012:role/RedshiftML".into()),
            sees_all_grants: true,
            assume_role: vec![AssumeRole {
                iam_arn: "arn:aws:iam::123456789012:role/RedshiftML".into(),
                command: "COPY".into(),
                grantee: Grantee::Public,
            }],
        };
        let snap = Snapshot::empty(Target::Redshift);
        let checks = assume_role(&setup, Some(&c));
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Warn);
        assert_eq!(
            checks[0].fix.as_deref(),
            Some("as a superuser: GRANT ASSUMEROLE ON 'arn:aws:iam::123456789012:role/RedshiftML' TO GROUP analysts FOR CREATE MODEL;")
        );
        setup.assume_role[0].command = "CREATE MODEL".into();
        setup.assume_role[0].grantee = Grantee::principal(PrincipalKind::Group, "analysts");
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Ok(&snap)));
        let ar = checks.iter().find(|c| c.topic == "ASSUMEROLE").unwrap();
        assert_eq!(ar.status, Status::Pass);
    }

    #[test]
    fn the_default_role_is_compared_with_the_cluster_section() {
        let c = config(&format!(
            "{SEED}cluster:\n  account_id: \"123456789012\"\n  region: us-east-1\n  role_name: RedshiftML\n  bucket: ml-bucket\n"
        ));
        let mut setup = Setup {
            login: "admin".into(),
            superuser: true,
            default_iam_role: Some("arn:aws:iam::123456789012:role/Other".into()),
            ..Setup::default()
        };
        let check = default_iam_role(&setup, Some(&c));
        assert_eq!(check.status, Status::Warn);
        assert!(
            check
                .detail
                .contains("not arn:aws:iam::123456789012:role/RedshiftML"),
            "{check:?}"
        );
        setup.default_iam_role = Some("arn:aws:iam::123456789012:role/RedshiftML".into());
        assert_eq!(default_iam_role(&setup, Some(&c)).status, Status::Pass);
        setup.default_iam_role = None;
        let check = default_iam_role(&setup, Some(&c));
        assert!(check
            .fix
            .unwrap()
            .ends_with("--default-iam-role-arn arn:aws:iam::123456789012:role/RedshiftML"));

        // A Serverless namespace: its own command, which names the namespace.
        let c = config(&format!(
            "{SEED}cluster:\n  account_id: \"123456789012\"\n  region: us-east-1\n  workgroup: ml-wg\n  namespace: ml-ns\n  role_name: RedshiftML\n  bucket: ml-bucket\n"
        ));
        let fix = default_iam_role(&setup, Some(&c)).fix.unwrap();
        assert!(
            fix.contains("aws redshift-serverless update-namespace --namespace-name ml-ns"),
            "{fix}"
        );
        assert!(fix.contains("the list is replaced"), "{fix}");
        assert!(!fix.contains("modify-cluster-iam-roles"), "{fix}");
    }

    #[test]
    fn partial_visibility_and_a_target_mismatch_are_blockers() {
        let c = config("target: postgres\ngroups: {g: {}}\n");
        let setup = Setup {
            login: "viewer".into(),
            ..Setup::default()
        };
        let why = PartialVisibility {
            login: "viewer".into(),
        };
        let err = ReadError::PartialVisibility(why.clone());
        let checks = examine(&findings(Target::Redshift, Some(&c), &setup, Err(&err)));
        let fails: Vec<_> = checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.topic)
            .collect();
        assert_eq!(fails, ["server", "catalog"]);
        let catalog = checks.iter().find(|c| c.topic == "catalog").unwrap();
        assert_eq!(catalog.fix.as_deref(), Some(why.to_string().as_str()));
        assert!(why
            .to_string()
            .contains("GRANT ROLE grantplan_reader TO viewer;"));
    }

    #[test]
    fn postgres_has_no_iam_checks_and_names_what_a_plain_login_lacks() {
        let setup = Setup {
            login: "app".into(),
            ..Setup::default()
        };
        let snap = Snapshot::empty(Target::Postgres);
        let mut f = findings(Target::Postgres, None, &setup, Ok(&snap));
        f.encrypted = false;
        let checks = examine(&f);
        assert!(checks
            .iter()
            .all(|c| c.topic != "IAM role" && c.topic != "ASSUMEROLE"));
        let login = checks.iter().find(|c| c.topic == "login").unwrap();
        assert!(
            login.detail.contains("cannot create roles (no CREATEROLE)"),
            "{login:?}"
        );
        assert_eq!(checks[0].status, Status::Warn, "no TLS");
        assert_eq!(exit_code(&checks), 0);
    }
}
