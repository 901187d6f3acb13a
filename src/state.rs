//! The part of a server's state a plan depends on, as a set of typed facts.
//!
//! Why this exists: a reviewed plan is only right for the catalog it was planned against.
//! The planner records, as [`Fact`]s, everything it consulted: every managed object with
//! its owner and every grant held on it, named objects that were absent, the principals
//! it looked up (existence, superuser), and the members of every principal whose
//! `members:` list it manages. Two uses:
//!
//! - the **fingerprint** ([`Scope::fingerprint`]), a SHA-256 of the facts in canonical
//!   order, written into plan files: `apply PLANFILE` re-reads the catalog and refuses
//!   when the fingerprint changed. Changes outside the scope (a new table, an unrelated
//!   role) do not invalidate a reviewed plan; any change inside it does.
//! - the **listing** ([`Scope::listing`]) of who holds what, before and after the plan
//!   ([`Scope::after`]), which `grantplan diff` shows as a unified diff, for people who
//!   think in states rather than statements.
//!
//! Facts are canonical for the target (on PostgreSQL principal kinds are erased), so the
//! same server state always gives the same facts and the same fingerprint.

use crate::ident::quote;
#[cfg(test)]
use crate::model::PrincipalKind;
use crate::model::{Grantee, Principal, Privilege, Securable, Target};
use crate::sql::Statement;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// One thing the plan depended on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// A principal the plan consulted exists (and whether it is a superuser).
    Principal {
        principal: Principal,
        superuser: bool,
    },
    /// A principal the plan consulted does not exist.
    AbsentPrincipal(Principal),
    /// A managed object exists, owned by `owner` (empty when unknown).
    Object { on: Securable, owner: String },
    /// A rule of the file (`section` `schema`/`model`/`function`, its `key`) names or
    /// matches no existing object.
    NoMatch { section: &'static str, key: String },
    /// `grantee` holds `privilege` on `on`.
    Holds {
        on: Securable,
        privilege: Privilege,
        grantee: Grantee,
    },
    /// `member` belongs to `parent`.
    Member {
        parent: Principal,
        member: Principal,
    },
}

/// Where a fact goes in a listing: section, the object it is about, the object's own
/// line before the grants on it.
type SortKey<'a> = (u8, Option<&'a Securable>, u8);

/// The facts a plan depended on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub facts: BTreeSet<Fact>,
}

impl Scope {
    pub fn insert(&mut self, fact: Fact) {
        self.facts.insert(fact);
    }

    /// `sha256:` and the hex SHA-256 of the facts' canonical text, one per line.
    pub fn fingerprint(&self) -> String {
        // Lines are hashed in chunks of about 64 KiB: one allocation per chunk rather than
        // a hash call per fact (a large catalog has hundreds of thousands).
        let mut hasher = Sha256::new();
        let mut chunk = String::with_capacity(1 << 16);
        for f in &self.facts {
            chunk.push_str(&fact_line(f));
            chunk.push('\n');
            if chunk.len() >= 1 << 16 {
                hasher.update(chunk.as_bytes());
                chunk.clear();
            }
        }
        hasher.update(chunk.as_bytes());
        format!("sha256:{}", hex(&hasher.finalize()))
    }

    /// Who holds what, one line per fact, in a stable order: principals, memberships,
    /// then each object followed by the grants on it.
    pub fn listing(&self) -> Vec<String> {
        let mut keyed: Vec<(SortKey, String)> = self
            .facts
            .iter()
            .map(|f| {
                let key = match f {
                    Fact::Principal { .. } | Fact::AbsentPrincipal(_) => (0, None, 0),
                    Fact::Member { .. } => (1, None, 0),
                    Fact::NoMatch { .. } => (2, None, 0),
                    Fact::Object { on, .. } => (3, Some(on), 0),
                    Fact::Holds { on, .. } => (3, Some(on), 1),
                };
                (key, fact_line(f))
            })
            .collect();
        // Stable: facts arrive in canonical order, so equal keys keep it.
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.into_iter().map(|(_, line)| line).collect()
    }

    /// The state after `statements` ran (`target`'s canonical forms).
    pub fn after(&self, statements: &[Statement], target: Target) -> Scope {
        let mut next = self.clone();
        for s in statements {
            match s.canonical(target) {
                Statement::CreatePrincipal { principal } => {
                    next.facts.remove(&Fact::AbsentPrincipal(principal.clone()));
                    next.insert(Fact::Principal {
                        principal,
                        superuser: false,
                    });
                }
                Statement::AddMember { parent, member } => {
                    next.insert(Fact::Member { parent, member });
                }
                Statement::RemoveMember { parent, member } => {
                    next.facts.remove(&Fact::Member { parent, member });
                }
                Statement::Grant {
                    privileges,
                    on,
                    grantees,
                } => {
                    for (on, grantee, privilege) in each(&on, &grantees, &privileges) {
                        next.insert(Fact::Holds {
                            on: on.clone(),
                            privilege,
                            grantee: grantee.clone(),
                        });
                    }
                }
                Statement::Revoke {
                    privileges,
                    on,
                    grantees,
                } => {
                    for (on, grantee, privilege) in each(&on, &grantees, &privileges) {
                        next.facts.remove(&Fact::Holds {
                            on: on.clone(),
                            privilege,
                            grantee: grantee.clone(),
                        });
                    }
                }
            }
        }
        next
    }
}

/// Every (object, grantee, privilege) a GRANT or REVOKE names.
fn each<'a>(
    on: &'a [Securable],
    grantees: &'a [Grantee],
    privileges: &'a [Privilege],
) -> impl Iterator<Item = (&'a Securable, &'a Grantee, Privilege)> + 'a {
    on.iter().flat_map(move |o| {
        grantees
            .iter()
            .flat_map(move |g| privileges.iter().map(move |p| (o, g, *p)))
    })
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:` and the hex SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

fn principal_words(p: &Principal) -> String {
    format!("{} {}", p.kind, quote(&p.name))
}

fn grantee_words(g: &Grantee) -> String {
    match g {
        Grantee::Public => "PUBLIC".to_string(),
        Grantee::Principal(p) => principal_words(p),
    }
}

fn object_words(on: &Securable) -> String {
    match on {
        Securable::CreateModel => "CREATE MODEL".to_string(),
        Securable::Schema { name } => format!("schema {}", quote(name)),
        Securable::Model { schema, name } => {
            format!("model {}.{}", quote(schema), quote(name))
        }
        Securable::Function { schema, name, args } => match args {
            Some(a) => format!("function {}.{}({a})", quote(schema), quote(name)),
            None => format!("function {}.{}", quote(schema), quote(name)),
        },
    }
}

/// One fact as a line: names quoted as SQL would, so a name with spaces or odd
/// characters cannot be mistaken for two words.
fn fact_line(f: &Fact) -> String {
    match f {
        Fact::Principal {
            principal,
            superuser,
        } => format!(
            "{}{}",
            principal_words(principal),
            if *superuser { " (superuser)" } else { "" }
        ),
        Fact::AbsentPrincipal(p) => format!("{} does not exist", principal_words(p)),
        Fact::Object { on, owner } => {
            if owner.is_empty() {
                object_words(on)
            } else {
                format!("{} owned by {}", object_words(on), quote(owner))
            }
        }
        Fact::NoMatch { section, key } => format!("no {section} matches `{key}`"),
        Fact::Holds {
            on,
            privilege,
            grantee,
        } => match on {
            Securable::CreateModel => format!("CREATE MODEL held by {}", grantee_words(grantee)),
            _ => format!(
                "{}: {} held by {}",
                object_words(on),
                privilege,
                grantee_words(grantee)
            ),
        },
        Fact::Member { parent, member } => format!(
            "{} has member {}",
            principal_words(parent),
            principal_words(member)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(n: &str) -> Securable {
        Securable::Schema { name: n.into() }
    }

    fn group(n: &str) -> Grantee {
        Grantee::principal(PrincipalKind::Group, n)
    }

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.insert(Fact::Object {
            on: schema("demo_ml"),
            owner: "ml_owner".into(),
        });
        s.insert(Fact::Holds {
            on: schema("demo_ml"),
            privilege: Privilege::Usage,
            grantee: group("interns"),
        });
        s
    }

    #[test]
    fn the_fingerprint_changes_with_any_fact_and_only_then() {
        let a = scope();
        assert_eq!(a.fingerprint(), scope().fingerprint());
        assert!(a.fingerprint().starts_with("sha256:"));
        assert_eq!(a.fingerprint().len(), "sha256:".len() + 64);
        let mut b = scope();
        b.insert(Fact::Holds {
            on: schema("demo_ml"),
            privilege: Privilege::Create,
            grantee: group("interns"),
        });
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = scope();
        c.insert(Fact::NoMatch {
            section: "schema",
            key: "sales_*".into(),
        });
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn after_applies_grants_revokes_members_and_creations() {
        let statements = vec![
            Statement::CreatePrincipal {
                principal: Principal::new(PrincipalKind::Group, "analysts"),
            },
            Statement::Revoke {
                privileges: vec![Privilege::Usage],
                on: vec![schema("demo_ml")],
                grantees: vec![group("interns")],
            },
            Statement::Grant {
                privileges: vec![Privilege::Create, Privilege::Usage],
                on: vec![schema("demo_ml")],
                grantees: vec![group("analysts")],
            },
        ];
        let after = scope().after(&statements, Target::Redshift);
        assert_eq!(
            after.listing(),
            [
                "group analysts",
                "schema demo_ml owned by ml_owner",
                "schema demo_ml: CREATE held by group analysts",
                "schema demo_ml: USAGE held by group analysts",
            ]
        );
    }

    #[test]
    fn lines_quote_names_that_need_it() {
        let mut s = Scope::default();
        s.insert(Fact::Holds {
            on: schema("Sales ML"),
            privilege: Privilege::Usage,
            grantee: Grantee::Public,
        });
        assert_eq!(s.listing(), ["schema \"Sales ML\": USAGE held by PUBLIC"]);
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
