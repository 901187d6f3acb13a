//! The typed statements a plan is made of, and the one renderer that turns them into SQL
//! for each target.
//!
//! The planner never builds SQL text; it builds [`Statement`]s. Rendering is the only
//! place where the target's syntax (`GROUP g` vs a bare role name, `ALTER GROUP` vs
//! `GRANT role TO member`) is decided, and names go through [`crate::ident`] so quoting is
//! decided in exactly one place.

use crate::ident::{push_qualified, push_quoted, quote};
use crate::model::{Grantee, Principal, PrincipalKind, Privilege, Securable, Target};
use serde::{Deserialize, Serialize};

/// One change to the server's grants.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Statement {
    /// `CREATE GROUP g` / `CREATE ROLE r` for a declared principal that does not exist.
    /// Users are never created.
    CreatePrincipal { principal: Principal },
    /// Make `member` a member of `parent` (a group or role).
    AddMember {
        parent: Principal,
        member: Principal,
    },
    /// Remove `member` from `parent`.
    RemoveMember {
        parent: Principal,
        member: Principal,
    },
    /// Take privileges back from every grantee on every object. `privileges` is sorted,
    /// non-empty; `on` is non-empty and of one kind (the grammar names the kind once:
    /// `ON FUNCTION a(int), b(text)`); `grantees` is non-empty.
    Revoke {
        privileges: Vec<Privilege>,
        on: Vec<Securable>,
        grantees: Vec<Grantee>,
    },
    /// Give privileges to every grantee on every object; same shape as `Revoke`.
    Grant {
        privileges: Vec<Privilege>,
        on: Vec<Securable>,
        grantees: Vec<Grantee>,
    },
}

impl Statement {
    /// A GRANT (`grant`) or a REVOKE of `privileges` on one object to or from one
    /// grantee.
    pub fn change(
        grant: bool,
        privileges: Vec<Privilege>,
        on: Securable,
        grantee: Grantee,
    ) -> Self {
        Statement::change_many(grant, privileges, vec![on], vec![grantee])
    }

    /// A GRANT (`grant`) or a REVOKE of `privileges` on several objects (of one kind) to
    /// or from several grantees.
    pub fn change_many(
        grant: bool,
        privileges: Vec<Privilege>,
        on: Vec<Securable>,
        grantees: Vec<Grantee>,
    ) -> Self {
        if grant {
            Statement::Grant {
                privileges,
                on,
                grantees,
            }
        } else {
            Statement::Revoke {
                privileges,
                on,
                grantees,
            }
        }
    }

    /// A short word for counting and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Statement::CreatePrincipal { .. } => "create",
            Statement::AddMember { .. } | Statement::RemoveMember { .. } => "membership",
            Statement::Revoke { .. } => "revoke",
            Statement::Grant { .. } => "grant",
        }
    }

    /// How many single privileges (privilege × object × grantee) the statement grants or
    /// revokes; 0 for principals and memberships.
    pub fn privilege_count(&self) -> usize {
        match self {
            Statement::Grant {
                privileges,
                on,
                grantees,
            }
            | Statement::Revoke {
                privileges,
                on,
                grantees,
            } => privileges.len() * on.len() * grantees.len(),
            _ => 0,
        }
    }

    /// The statement as `target` keeps it: on PostgreSQL every principal is a role, so
    /// the kinds a grants.yaml gives names are erased (what reading the SQL back gives).
    pub fn canonical(&self, target: Target) -> Statement {
        let cp = |p: &Principal| target.canonical_principal(p);
        match self {
            Statement::CreatePrincipal { principal } => Statement::CreatePrincipal {
                principal: cp(principal),
            },
            Statement::AddMember { parent, member } => Statement::AddMember {
                parent: cp(parent),
                member: cp(member),
            },
            Statement::RemoveMember { parent, member } => Statement::RemoveMember {
                parent: cp(parent),
                member: cp(member),
            },
            Statement::Grant {
                privileges,
                on,
                grantees,
            } => Statement::Grant {
                privileges: privileges.clone(),
                on: on.clone(),
                grantees: grantees.iter().map(|g| target.canonical(g)).collect(),
            },
            Statement::Revoke {
                privileges,
                on,
                grantees,
            } => Statement::Revoke {
                privileges: privileges.clone(),
                on: on.clone(),
                grantees: grantees.iter().map(|g| target.canonical(g)).collect(),
            },
        }
    }

    /// The statement as SQL for `target`, with its terminating `;`.
    pub fn render(&self, target: Target) -> String {
        match target {
            Target::Redshift => render_redshift(self),
            Target::Postgres => render_postgres(self),
        }
    }
}

/// `GRANT privileges ON KIND a, b TO x, y;` (or `REVOKE ... FROM ...`), written into one
/// buffer: a large plan names tens of thousands of objects, and a string per name and
/// per list (joined, then formatted) was a third of the time spent rendering.
fn grant_or_revoke(
    verb: &str,
    privileges: &[Privilege],
    on: &[Securable],
    to: &str,
    grantees: &[Grantee],
    grantee: fn(&mut String, &Grantee),
) -> String {
    let mut out = String::with_capacity(48 + 24 * (on.len() + grantees.len()));
    out.push_str(verb);
    for (i, p) in privileges.iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        out.push_str(p.sql());
    }
    on_clause(&mut out, on);
    out.push(' ');
    out.push_str(to);
    for (i, g) in grantees.iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        grantee(&mut out, g);
    }
    out.push(';');
    out
}

/// ` ON SCHEMA s` / ` ON MODEL s.m` / ` ON FUNCTION s.f(args)`, objects after the first
/// separated by `, ` (the kind word is written once); nothing for CREATE MODEL, which is
/// granted on nothing.
fn on_clause(out: &mut String, on: &[Securable]) {
    let Some(first) = on.first() else {
        return;
    };
    let kind = match first {
        Securable::CreateModel => return,
        Securable::Schema { .. } => " ON SCHEMA",
        Securable::Model { .. } => " ON MODEL",
        Securable::Function { .. } => " ON FUNCTION",
    };
    out.push_str(kind);
    for (i, object) in on.iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        object_name(out, object);
    }
}

/// One object's name as it follows `ON SCHEMA` / `MODEL` / `FUNCTION`.
fn object_name(out: &mut String, on: &Securable) {
    match on {
        Securable::CreateModel => {}
        Securable::Schema { name } => push_quoted(out, name),
        Securable::Model { schema, name } => push_qualified(out, schema, name),
        Securable::Function { schema, name, args } => {
            push_qualified(out, schema, name);
            if let Some(args) = args {
                out.push('(');
                out.push_str(args);
                out.push(')');
            }
        }
    }
}

/// In Redshift a bare name after TO/FROM is a user; groups and roles need their keyword.
fn redshift_grantee_into(out: &mut String, g: &Grantee) {
    match g {
        Grantee::Public => out.push_str("PUBLIC"),
        Grantee::Principal(p) => {
            match p.kind {
                PrincipalKind::Group => out.push_str("GROUP "),
                PrincipalKind::Role => out.push_str("ROLE "),
                PrincipalKind::User => {}
            }
            push_quoted(out, &p.name);
        }
    }
}

/// In PostgreSQL every principal is a role and `GROUP` is noise, so grantees are bare
/// role names.
fn postgres_grantee_into(out: &mut String, g: &Grantee) {
    match g {
        Grantee::Public => out.push_str("PUBLIC"),
        Grantee::Principal(p) => push_quoted(out, &p.name),
    }
}

/// In Redshift a bare name after TO/FROM is a user; groups and roles need their keyword.
fn redshift_principal(p: &Principal) -> String {
    match p.kind {
        PrincipalKind::Group => format!("GROUP {}", quote(&p.name)),
        PrincipalKind::Role => format!("ROLE {}", quote(&p.name)),
        PrincipalKind::User => quote(&p.name).into_owned(),
    }
}

fn render_redshift(s: &Statement) -> String {
    match s {
        Statement::CreatePrincipal { principal } => match principal.kind {
            PrincipalKind::Group => format!("CREATE GROUP {};", quote(&principal.name)),
            // Users are never created; a role is the only other kind.
            _ => format!("CREATE ROLE {};", quote(&principal.name)),
        },
        Statement::AddMember { parent, member } => match parent.kind {
            PrincipalKind::Group => format!(
                "ALTER GROUP {} ADD USER {};",
                quote(&parent.name),
                quote(&member.name)
            ),
            _ => format!(
                "GRANT ROLE {} TO {};",
                quote(&parent.name),
                redshift_principal(member)
            ),
        },
        Statement::RemoveMember { parent, member } => match parent.kind {
            PrincipalKind::Group => format!(
                "ALTER GROUP {} DROP USER {};",
                quote(&parent.name),
                quote(&member.name)
            ),
            _ => format!(
                "REVOKE ROLE {} FROM {};",
                quote(&parent.name),
                redshift_principal(member)
            ),
        },
        Statement::Grant {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            "GRANT",
            privileges,
            on,
            "TO",
            grantees,
            redshift_grantee_into,
        ),
        Statement::Revoke {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            "REVOKE",
            privileges,
            on,
            "FROM",
            grantees,
            redshift_grantee_into,
        ),
    }
}

fn render_postgres(s: &Statement) -> String {
    match s {
        // Groups and roles are both NOLOGIN roles; saying so keeps the intent visible.
        Statement::CreatePrincipal { principal } => {
            format!("CREATE ROLE {} NOLOGIN;", quote(&principal.name))
        }
        Statement::AddMember { parent, member } => {
            format!("GRANT {} TO {};", quote(&parent.name), quote(&member.name))
        }
        Statement::RemoveMember { parent, member } => {
            format!(
                "REVOKE {} FROM {};",
                quote(&parent.name),
                quote(&member.name)
            )
        }
        Statement::Grant {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            "GRANT",
            privileges,
            on,
            "TO",
            grantees,
            postgres_grantee_into,
        ),
        Statement::Revoke {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            "REVOKE",
            privileges,
            on,
            "FROM",
            grantees,
            postgres_grantee_into,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: &str) -> Grantee {
        Grantee::principal(PrincipalKind::Group, n)
    }

    #[test]
    fn renders_the_seed_statements() {
        let stmts = [
            Statement::Grant {
                privileges: vec![Privilege::CreateModel],
                on: vec![Securable::CreateModel],
                grantees: vec![group("retention_analyst_grp")],
            },
            Statement::Grant {
                privileges: vec![Privilege::Create, Privilege::Usage],
                on: vec![Securable::Schema {
                    name: "demo_ml".into(),
                }],
                grantees: vec![group("retention_analyst_grp")],
            },
            Statement::Grant {
                privileges: vec![Privilege::Execute],
                on: vec![Securable::Model {
                    schema: "demo_ml".into(),
                    name: "customer_churn_auto_model".into(),
                }],
                grantees: vec![group("marketing_analyst_grp")],
            },
        ];
        let sql: Vec<_> = stmts.iter().map(|s| s.render(Target::Redshift)).collect();
        assert_eq!(
            sql,
            [
                "GRANT CREATE MODEL TO GROUP retention_analyst_grp;",
                "GRANT CREATE, USAGE ON SCHEMA demo_ml TO GROUP retention_analyst_grp;",
                "GRANT EXECUTE ON MODEL demo_ml.customer_churn_auto_model TO GROUP marketing_analyst_grp;",
            ]
        );
    }

    #[test]
    fn redshift_grantees_carry_their_kind() {
        let revoke = |g| Statement::Revoke {
            privileges: vec![Privilege::Usage],
            on: vec![Securable::Schema { name: "s".into() }],
            grantees: vec![g],
        };
        assert_eq!(
            revoke(Grantee::principal(PrincipalKind::Role, "Ml Admin")).render(Target::Redshift),
            "REVOKE USAGE ON SCHEMA s FROM ROLE \"Ml Admin\";"
        );
        assert_eq!(
            revoke(Grantee::principal(PrincipalKind::User, "dave")).render(Target::Redshift),
            "REVOKE USAGE ON SCHEMA s FROM dave;"
        );
        assert_eq!(
            revoke(Grantee::Public).render(Target::Postgres),
            "REVOKE USAGE ON SCHEMA s FROM PUBLIC;"
        );
    }

    #[test]
    fn membership_forms_per_target() {
        let add = Statement::AddMember {
            parent: Principal::new(PrincipalKind::Group, "g"),
            member: Principal::new(PrincipalKind::User, "Alice"),
        };
        assert_eq!(
            add.render(Target::Redshift),
            "ALTER GROUP g ADD USER \"Alice\";"
        );
        assert_eq!(add.render(Target::Postgres), "GRANT g TO \"Alice\";");
        let drop = Statement::RemoveMember {
            parent: Principal::new(PrincipalKind::Role, "r"),
            member: Principal::new(PrincipalKind::User, "bob"),
        };
        assert_eq!(drop.render(Target::Redshift), "REVOKE ROLE r FROM bob;");
        assert_eq!(drop.render(Target::Postgres), "REVOKE r FROM bob;");
    }

    #[test]
    fn functions_carry_their_argument_types() {
        let s = Statement::Grant {
            privileges: vec![Privilege::Execute],
            on: vec![Securable::Function {
                schema: "Demo".into(),
                name: "score".into(),
                args: Some("integer, text".into()),
            }],
            grantees: vec![group("select")],
        };
        assert_eq!(
            s.render(Target::Postgres),
            "GRANT EXECUTE ON FUNCTION \"Demo\".score(integer, text) TO \"select\";"
        );
    }
}
