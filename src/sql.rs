//! The typed statements a plan is made of, and the one renderer that turns them into SQL
//! for each target.
//!
//! The planner never builds SQL text; it builds [`Statement`]s. Rendering is the only
//! place where the target's syntax (`GROUP g` vs a bare role name, `ALTER GROUP` vs
//! `GRANT role TO member`) is decided, and names go through [`crate::ident`] so quoting is
//! decided in exactly one place.
//!
//! # Layout
//!
//! A plan is reviewed in a pull request, so a statement is laid out for `git diff`. A
//! GRANT or REVOKE that names at most one object and one grantee is one line, as is every
//! other statement (CREATE GROUP / ROLE, memberships). One that names several objects or
//! several grantees is written one object per line:
//!
//! ```text
//! GRANT EXECUTE ON FUNCTION
//!     s1.f(integer),
//!     "S 2".f(integer, text)
//!   TO GROUP a;
//! REVOKE USAGE ON SCHEMA
//!     s1
//!   FROM
//!     GROUP a,
//!     GROUP b;
//! ```
//!
//! The first line is the verb, the privileges and `ON KIND` (no `ON` for CREATE MODEL);
//! then each object on a line of its own, indented by [`ITEM_INDENT`], every line but the
//! last ending in `,`; then `TO` / `FROM`, indented by [`CLAUSE_INDENT`], followed on the
//! same line by the grantee when there is one, or by the grantees one per line like the
//! objects. The `;` ends the last line. One object or grantee more in a grouped statement
//! is then one line more in a diff of the two plans (plus the `,` that the line before it
//! gains when it is added last). Both targets go through the same layout code; they
//! differ only in how a grantee is written.
//!
//! This text is what runs: it is printed, written into plan files and sent as it is.
//! [`crate::sqlread`] reads it and the older one-line form alike (whitespace is
//! whitespace), so plan files written before keep applying. [`headline`] shortens a
//! multi-line statement for one-line messages.

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

/// The comment written before the statements that run after the transaction commits
/// ([`Statement::after_commit`]), wherever a plan is shown or written.
pub const AFTER_COMMIT_NOTE: &str = "-- after the transaction above commits, one at a time: \
     Redshift does not document GRANT ASSUMEROLE inside a transaction block, so these are \
     not part of its all-or-nothing; one that fails stops the rest, and apply again \
     converges";

impl Statement {
    /// True for a statement that `apply` runs after the transaction commits, each
    /// committed on its own: GRANT and REVOKE ASSUMEROLE. r_GRANT forbids a GRANT "on an
    /// external resource" in a transaction block without saying what that is, and
    /// SVL_MULTI_STATEMENT_VIOLATIONS lists GRANT among the commands restricted there
    /// (docs/research/redshift-catalog.md §13); outside a transaction they are always
    /// allowed, so they never risk failing the whole apply.
    pub fn after_commit(&self) -> bool {
        matches!(
            self,
            Statement::Grant { on, .. } | Statement::Revoke { on, .. }
                if matches!(on.first(), Some(Securable::IamRole { .. }))
        )
    }

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

    /// How `g` is written as a grantee on `target` (`GROUP "a b"`, `PUBLIC`), for advice
    /// that quotes a statement grantplan does not plan.
    pub fn grantee_sql(g: &Grantee, target: Target) -> String {
        let mut out = String::new();
        match target {
            Target::Redshift => redshift_grantee_into(&mut out, g),
            Target::Postgres => postgres_grantee_into(&mut out, g),
        }
        out
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

    /// The statement as SQL for `target`, with its terminating `;`, in the layout a
    /// reviewer reads (see the module documentation): on one line when it names at most one object and
    /// one grantee, otherwise one object (and one grantee) per line. This text is what
    /// grantplan prints, writes into plan files and sends.
    pub fn render(&self, target: Target) -> String {
        self.render_with_breaks(target, &mut Vec::new())
    }

    /// The lines of [`Statement::render`]'s text: cut at the layout's line breaks only. A
    /// name may itself hold a line break (a function called `"a\nb"`); it stays inside its
    /// line, so each line can be shown escaped on its own ([`crate::diag::visible`]).
    pub fn render_lines(&self, target: Target) -> Vec<String> {
        let mut breaks = Vec::new();
        let text = self.render_with_breaks(target, &mut breaks);
        let mut lines = Vec::with_capacity(breaks.len() + 1);
        let mut from = 0;
        for at in breaks {
            lines.push(text[from..at].to_string());
            from = at + 1;
        }
        lines.push(text[from..].to_string());
        lines
    }

    /// [`Statement::render`], noting in `breaks` the byte offset of every `\n` the
    /// layout writes.
    fn render_with_breaks(&self, target: Target, breaks: &mut Vec<usize>) -> String {
        // A plan holds every statement's text at once: grown by doubling, a long
        // statement's string would carry up to as much unused capacity as text.
        let mut text = match target {
            Target::Redshift => render_redshift(self, breaks),
            Target::Postgres => render_postgres(self, breaks),
        };
        text.shrink_to_fit();
        text
    }
}

/// The indentation of an object or grantee line of a multi-line statement.
pub const ITEM_INDENT: &str = "    ";

/// The indentation of the `TO` / `FROM` line of a multi-line statement.
pub const CLAUSE_INDENT: &str = "  ";

/// `GRANT privileges ON KIND a TO x;` (or `REVOKE ... FROM ...`), or, with several objects
/// or grantees, the same laid out one per line (the module documentation's layout); written into one buffer: a
/// large plan names tens of thousands of objects, and a string per name and per list
/// (joined, then formatted) was a third of the time spent rendering. Both targets' GRANT
/// and REVOKE go through here; they differ only in how a grantee is written.
fn grant_or_revoke(
    breaks: &mut Vec<usize>,
    (verb, to): (&str, &str),
    privileges: &[Privilege],
    on: &[Securable],
    grantees: &[Grantee],
    (target, grantee): (Target, fn(&mut String, &Grantee)),
) -> String {
    let mut out = String::with_capacity(48 + 28 * (on.len() + grantees.len()));
    // ASSUMEROLE: the IAM role after ON, the purposes after the grantees (r_GRANT:
    // `GRANT ASSUMEROLE ON { 'iam_role' | default } TO ... FOR { ... } [, ...]`).
    if let Some(Securable::IamRole { arn }) = on.first() {
        out.push_str(verb);
        out.push_str(" ASSUMEROLE ON ");
        match arn {
            Some(arn) => crate::ident::push_literal(&mut out, arn),
            None => out.push_str("default"),
        }
        match grantees {
            [one] => {
                out.push(' ');
                out.push_str(to);
                out.push(' ');
                grantee(&mut out, one);
                out.push(' ');
            }
            _ => {
                line_break(&mut out, breaks, CLAUSE_INDENT);
                out.push_str(to);
                one_per_line(&mut out, breaks, grantees, grantee);
                line_break(&mut out, breaks, CLAUSE_INDENT);
            }
        }
        out.push_str("FOR");
        for (i, p) in privileges.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(p.sql());
        }
        out.push(';');
        return out;
    }
    // Default privileges: one role's (and schema's) future objects of one kind, named
    // before the verb; `ON TABLES` then names no object.
    let default = match on.first() {
        Some(Securable::Default { role, schema, of }) => {
            out.push_str("ALTER DEFAULT PRIVILEGES FOR ");
            // Redshift's grammar has FOR USER only (r_ALTER_DEFAULT_PRIVILEGES).
            out.push_str(match target {
                Target::Redshift => "USER ",
                Target::Postgres => "ROLE ",
            });
            crate::ident::push_quoted(&mut out, role);
            if let Some(schema) = schema {
                out.push_str(" IN SCHEMA ");
                crate::ident::push_quoted(&mut out, schema);
            }
            out.push(' ');
            of.defaults_sql(target)
        }
        _ => None,
    };
    out.push_str(verb);
    for (i, p) in privileges.iter().enumerate() {
        out.push_str(if i == 0 { " " } else { ", " });
        out.push_str(p.sql());
    }
    // The kind word is written once (`ON FUNCTION a(int), b(text)`); CREATE MODEL is
    // granted on nothing: no `ON` and no object.
    let objects = match (default, on.first().and_then(Securable::object_kind)) {
        (Some(word), _) => {
            out.push_str(" ON ");
            out.push_str(word);
            &[]
        }
        (None, Some(kind)) => {
            out.push_str(" ON ");
            out.push_str(kind.sql());
            on
        }
        (None, None) => &[],
    };
    if on.len() <= 1 && grantees.len() <= 1 {
        for object in objects {
            out.push(' ');
            object_name(&mut out, object);
        }
        out.push(' ');
        out.push_str(to);
        for g in grantees {
            out.push(' ');
            grantee(&mut out, g);
        }
    } else {
        one_per_line(&mut out, breaks, objects, object_name);
        line_break(&mut out, breaks, CLAUSE_INDENT);
        out.push_str(to);
        match grantees {
            [one] => {
                out.push(' ');
                grantee(&mut out, one);
            }
            _ => one_per_line(&mut out, breaks, grantees, grantee),
        }
    }
    out.push(';');
    out
}

/// Each of `items` on a line of its own, indented by [`ITEM_INDENT`], separated by `,`.
fn one_per_line<T>(
    out: &mut String,
    breaks: &mut Vec<usize>,
    items: &[T],
    write: fn(&mut String, &T),
) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        line_break(out, breaks, ITEM_INDENT);
        write(out, item);
    }
}

/// A line break of the layout (noted in `breaks`), then `indent`.
fn line_break(out: &mut String, breaks: &mut Vec<usize>, indent: &str) {
    breaks.push(out.len());
    out.push('\n');
    out.push_str(indent);
}

/// One object's name as it follows `ON SCHEMA` / `MODEL` / `FUNCTION`.
fn object_name(out: &mut String, on: &Securable) {
    let Some(parts) = on.name_parts() else {
        return; // CREATE MODEL: no object
    };
    match parts.second {
        Some(name) => push_qualified(out, parts.first, name),
        None => push_quoted(out, parts.first),
    }
    if let Some(args) = parts.args {
        out.push('(');
        out.push_str(args);
        out.push(')');
    }
}

/// A statement as [`Statement::render`] writes it, for a message that quotes it on one
/// line: the statement itself when it is one line; otherwise its first line with `…` for
/// the objects (the object itself when there is one), its `TO` / `FROM` clause with `…`
/// for the grantees (the grantee itself when there is one), and how many it names:
///
/// - `GRANT EXECUTE ON FUNCTION … TO GROUP a; (2 objects)`
/// - `REVOKE USAGE ON SCHEMA s1 FROM …; (2 grantees)`
///
/// Text not in the layout (a name holding a line break makes more lines than objects) is
/// shortened to its first line and how many lines follow.
pub fn headline(sql: &str) -> std::borrow::Cow<'_, str> {
    let mut lines = sql.split('\n');
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    if rest.is_empty() {
        return std::borrow::Cow::Borrowed(sql);
    }
    let laid_out = || -> Option<String> {
        fn item<'a>(line: &&'a str) -> Option<&'a str> {
            line.strip_prefix(ITEM_INDENT)
                .filter(|i| !i.is_empty() && !i.starts_with(' '))
        }
        let objects: Vec<&str> = rest.iter().map_while(item).collect();
        let clause = rest.get(objects.len())?.strip_prefix(CLAUSE_INDENT)?;
        let grantees: Vec<&str> = rest[objects.len() + 1..].iter().map_while(item).collect();
        if objects.len() + 1 + grantees.len() != rest.len() {
            return None;
        }
        let (to, one_grantee) = match clause.split_once(' ') {
            Some((to, g)) if grantees.is_empty() => (to, Some(g.strip_suffix(';')?)),
            None if !grantees.is_empty() => (clause, None),
            _ => return None,
        };
        if !matches!(to, "TO" | "FROM") {
            return None;
        }
        let mut out = first.to_string();
        match objects.as_slice() {
            [] => {}
            [one] => {
                out.push(' ');
                out.push_str(one);
            }
            _ => out.push_str(" …"),
        }
        out.push(' ');
        out.push_str(to);
        out.push(' ');
        out.push_str(one_grantee.unwrap_or("…"));
        out.push(';');
        let mut counts = Vec::new();
        if objects.len() > 1 {
            counts.push(format!("{} objects", objects.len()));
        }
        if grantees.len() > 1 {
            counts.push(format!("{} grantees", grantees.len()));
        }
        if counts.is_empty() {
            return None;
        }
        out.push_str(&format!(" ({})", counts.join(", ")));
        Some(out)
    };
    std::borrow::Cow::Owned(laid_out().unwrap_or_else(|| {
        format!(
            "{first} … ({} more {})",
            rest.len(),
            if rest.len() == 1 { "line" } else { "lines" }
        )
    }))
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

fn render_redshift(s: &Statement, breaks: &mut Vec<usize>) -> String {
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
            breaks,
            ("GRANT", "TO"),
            privileges,
            on,
            grantees,
            (Target::Redshift, redshift_grantee_into),
        ),
        Statement::Revoke {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            breaks,
            ("REVOKE", "FROM"),
            privileges,
            on,
            grantees,
            (Target::Redshift, redshift_grantee_into),
        ),
    }
}

fn render_postgres(s: &Statement, breaks: &mut Vec<usize>) -> String {
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
            breaks,
            ("GRANT", "TO"),
            privileges,
            on,
            grantees,
            (Target::Postgres, postgres_grantee_into),
        ),
        Statement::Revoke {
            privileges,
            on,
            grantees,
        } => grant_or_revoke(
            breaks,
            ("REVOKE", "FROM"),
            privileges,
            on,
            grantees,
            (Target::Postgres, postgres_grantee_into),
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

    fn schema(n: &str) -> Securable {
        Securable::Schema { name: n.into() }
    }

    fn function(schema: &str, name: &str, args: &str) -> Securable {
        Securable::Function {
            schema: schema.into(),
            name: name.into(),
            args: Some(args.into()),
        }
    }

    /// The layout of the module documentation, byte for byte, on both targets.
    #[test]
    fn statements_naming_several_objects_or_grantees_are_one_per_line() {
        let functions = Statement::Grant {
            privileges: vec![Privilege::Execute],
            on: vec![
                function("s1", "f", "integer"),
                function("S 2", "f", "integer, text"),
            ],
            grantees: vec![group("a")],
        };
        assert_eq!(
            functions.render(Target::Redshift),
            "GRANT EXECUTE ON FUNCTION\n    s1.f(integer),\n    \"S 2\".f(integer, text)\n  TO GROUP a;"
        );
        assert_eq!(
            functions.render(Target::Postgres),
            "GRANT EXECUTE ON FUNCTION\n    s1.f(integer),\n    \"S 2\".f(integer, text)\n  TO a;"
        );
        let schemas = Statement::Revoke {
            privileges: vec![Privilege::Usage],
            on: vec![schema("s1")],
            grantees: vec![group("a"), group("b")],
        };
        assert_eq!(
            schemas.render(Target::Redshift),
            "REVOKE USAGE ON SCHEMA\n    s1\n  FROM\n    GROUP a,\n    GROUP b;"
        );
        assert_eq!(
            schemas.render(Target::Postgres),
            "REVOKE USAGE ON SCHEMA\n    s1\n  FROM\n    a,\n    b;"
        );
        // Both lists at once; CREATE MODEL names no object.
        let both = Statement::Grant {
            privileges: vec![Privilege::Create, Privilege::Usage],
            on: vec![schema("a"), schema("select")],
            grantees: vec![
                Grantee::Public,
                Grantee::principal(PrincipalKind::User, "u"),
            ],
        };
        assert_eq!(
            both.render(Target::Redshift),
            "GRANT CREATE, USAGE ON SCHEMA\n    a,\n    \"select\"\n  TO\n    PUBLIC,\n    u;"
        );
        let create_model = Statement::Revoke {
            privileges: vec![Privilege::CreateModel],
            on: vec![Securable::CreateModel],
            grantees: vec![group("a"), Grantee::principal(PrincipalKind::Role, "r")],
        };
        assert_eq!(
            create_model.render(Target::Redshift),
            "REVOKE CREATE MODEL\n  FROM\n    GROUP a,\n    ROLE r;"
        );
        // One object and one grantee: one line, as before.
        let one = Statement::Grant {
            privileges: vec![Privilege::Usage],
            on: vec![schema("s1")],
            grantees: vec![group("a")],
        };
        assert_eq!(
            one.render(Target::Redshift),
            "GRANT USAGE ON SCHEMA s1 TO GROUP a;"
        );
        // The lines are the text's, cut at the layout's breaks.
        for s in [&functions, &schemas, &both, &create_model, &one] {
            for target in [Target::Redshift, Target::Postgres] {
                assert_eq!(s.render_lines(target).join("\n"), s.render(target));
            }
        }
        assert_eq!(schemas.render_lines(Target::Redshift).len(), 5);
    }

    /// A name holding a line break stays inside its line.
    #[test]
    fn lines_are_cut_at_the_layout_s_breaks_only() {
        let s = Statement::Grant {
            privileges: vec![Privilege::Execute],
            on: vec![function("s", "a\nb", ""), function("s", "c", "")],
            grantees: vec![Grantee::Public],
        };
        assert_eq!(
            s.render_lines(Target::Postgres),
            [
                "GRANT EXECUTE ON FUNCTION",
                "    s.\"a\nb\"(),",
                "    s.c()",
                "  TO PUBLIC;"
            ]
        );
        // headline cannot tell such a name from the layout's lines: it says so.
        assert_eq!(
            headline(&s.render(Target::Postgres)),
            "GRANT EXECUTE ON FUNCTION … (4 more lines)"
        );
    }

    /// The reviewer's promise: one object more in a grouped statement is one line more in
    /// a line diff of the two renderings (and one changed line when it comes last and the
    /// line before it gains its `,`).
    #[test]
    fn one_object_more_is_one_line_more_in_a_diff() {
        let names = |names: &[&str]| Statement::Grant {
            privileges: vec![Privilege::Usage],
            on: names.iter().map(|n| schema(n)).collect(),
            grantees: vec![group("readers")],
        };
        let changes = |old: &Statement, new: &Statement| {
            let (old, new) = (old.render(Target::Redshift), new.render(Target::Redshift));
            let diff = similar::TextDiff::from_lines(&old, &new);
            let mut added = Vec::new();
            let mut removed = Vec::new();
            for change in diff.iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Insert => added.push(change.value().to_string()),
                    similar::ChangeTag::Delete => removed.push(change.value().to_string()),
                    similar::ChangeTag::Equal => {}
                }
            }
            (added, removed)
        };
        let before = names(&["a", "b", "d", "e"]);
        let (added, removed) = changes(&before, &names(&["a", "b", "c", "d", "e"]));
        assert_eq!(added, ["    c,\n"]);
        assert!(removed.is_empty(), "{removed:?}");
        let (added, removed) = changes(&before, &names(&["0", "a", "b", "d", "e"]));
        assert_eq!(added, ["    \"0\",\n"]);
        assert!(removed.is_empty(), "{removed:?}");
        // Last: the line before it gains its `,`.
        let (added, removed) = changes(&before, &names(&["a", "b", "d", "e", "f"]));
        assert_eq!(added, ["    e,\n", "    f\n"]);
        assert_eq!(removed, ["    e\n"]);
        // And one object less is one line less.
        let (added, removed) = changes(&before, &names(&["a", "d", "e"]));
        assert!(added.is_empty(), "{added:?}");
        assert_eq!(removed, ["    b,\n"]);
    }

    #[test]
    fn headlines_fit_on_one_line() {
        let functions = Statement::Grant {
            privileges: vec![Privilege::Execute],
            on: vec![function("s1", "f", "integer"), function("s2", "f", "text")],
            grantees: vec![group("a")],
        };
        assert_eq!(
            headline(&functions.render(Target::Redshift)),
            "GRANT EXECUTE ON FUNCTION … TO GROUP a; (2 objects)"
        );
        let schemas = Statement::Revoke {
            privileges: vec![Privilege::Usage],
            on: vec![schema("s1")],
            grantees: vec![group("a"), group("b")],
        };
        assert_eq!(
            headline(&schemas.render(Target::Redshift)),
            "REVOKE USAGE ON SCHEMA s1 FROM …; (2 grantees)"
        );
        let both = Statement::Revoke {
            privileges: vec![Privilege::Usage],
            on: vec![schema("s1"), schema("s2"), schema("s3")],
            grantees: vec![group("a"), group("b")],
        };
        assert_eq!(
            headline(&both.render(Target::Postgres)),
            "REVOKE USAGE ON SCHEMA … FROM …; (3 objects, 2 grantees)"
        );
        let create_model = Statement::Grant {
            privileges: vec![Privilege::CreateModel],
            on: vec![Securable::CreateModel],
            grantees: vec![group("a"), group("b")],
        };
        assert_eq!(
            headline(&create_model.render(Target::Redshift)),
            "GRANT CREATE MODEL TO …; (2 grantees)"
        );
        let one = "GRANT USAGE ON SCHEMA s1 TO GROUP a;";
        assert!(matches!(headline(one), std::borrow::Cow::Borrowed(s) if s == one));
    }
}
