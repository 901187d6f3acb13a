//! The part of a server's state a plan depends on, as a set of typed facts.
//!
//! Why this exists: a reviewed plan is only right for the catalog it was planned against.
//! The planner records ([`Scope`]'s recording methods; read back as [`Fact`]s, in one
//! canonical order, by [`Scope::facts`]) everything it consulted: every managed object with
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
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// One thing the plan depended on, borrowed from the [`Scope`] that holds it.
///
/// The derived order is the canonical order of the fingerprint and [`Scope::facts`]: all
/// principals, absent principals, objects, unmatched rules, held grants (by object, then
/// privilege, then grantee), then memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact<'a> {
    /// A principal the plan consulted exists (and whether it is a superuser).
    Principal {
        principal: &'a Principal,
        superuser: bool,
    },
    /// A principal the plan consulted does not exist.
    AbsentPrincipal(&'a Principal),
    /// A managed object exists, owned by `owner` (empty when unknown).
    Object { on: &'a Securable, owner: &'a str },
    /// A rule of the file (`section` `schema`/`model`/`function`, its `key`) names or
    /// matches no existing object.
    NoMatch { section: &'static str, key: &'a str },
    /// `grantee` holds `privilege` on `on`.
    Holds {
        on: &'a Securable,
        privilege: Privilege,
        grantee: &'a Grantee,
    },
    /// `member` belongs to `parent`.
    Member {
        parent: &'a Principal,
        member: &'a Principal,
    },
}

/// Where a fact goes in a listing: section, the object it is about, the object's own
/// line before the grants on it.
type SortKey<'a> = (u8, Option<&'a Securable>, u8);

/// The facts a plan depended on, kept per kind rather than as one set of facts.
///
/// Why: a large catalog gives hundreds of thousands of held grants. One ordered set of
/// self-contained facts cloned every object name once per grant and compared whole
/// objects on every insert (half of a large plan's time, docs/benchmarks.md); here an
/// object is stored once with the grants held on it, and the canonical fact order is
/// produced on demand by [`Scope::facts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Each principal consulted: `Some(superuser)` when it exists, `None` when absent.
    principals: BTreeMap<Principal, Option<bool>>,
    /// Rules that named or matched nothing: (section, key).
    no_match: BTreeSet<(&'static str, String)>,
    /// Every managed object and what is held on it, ordered by object: a sorted vector,
    /// since the planner records objects in order (each one an append).
    objects: Vec<(Securable, ObjectScope)>,
    /// (parent, member) of every principal whose members the plan manages.
    members: BTreeSet<(Principal, Principal)>,
}

/// One managed object in a [`Scope`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ObjectScope {
    /// The owner (empty when unknown); `None` for what has no object fact (CREATE MODEL).
    owner: Option<String>,
    /// (privilege, grantee), sorted and unique: the order of held-grant facts within
    /// one object.
    /// Grantees are shared with the planner's table: a large catalog's hundreds of
    /// thousands of held grants name a few dozen grantees.
    held: Vec<(Privilege, Arc<Grantee>)>,
}

impl Scope {
    /// The plan looked `principal` up: it exists (`Some(superuser)`) or not (`None`).
    pub fn principal(&mut self, principal: Principal, superuser: Option<bool>) {
        self.principals.insert(principal, superuser);
    }

    /// A rule named or matched no existing object.
    pub fn no_match(&mut self, section: &'static str, key: String) {
        self.no_match.insert((section, key));
    }

    /// A managed object exists, owned by `owner` (empty when unknown).
    pub fn object(&mut self, on: &Securable, owner: &str) {
        self.object_entry(on).owner = Some(owner.to_string());
    }

    /// `grantees` hold `privilege`s on `on` (CREATE MODEL included, which has no object
    /// fact of its own).
    pub fn holds(
        &mut self,
        on: &Securable,
        held: impl IntoIterator<Item = (Arc<Grantee>, Privilege)>,
    ) {
        let held_now = &mut self.object_entry(on).held;
        let fresh = held_now.is_empty();
        held_now.extend(held.into_iter().map(|(g, p)| (p, g)));
        // The planner passes each object's grants once, already in order: one pass
        // checks that (sorting compared grantee names, a tenth of a large plan's time).
        if fresh && held_now.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        held_now.sort_unstable();
        held_now.dedup();
    }

    /// `member` belongs to `parent`.
    pub fn member(&mut self, parent: Principal, member: Principal) {
        self.members.insert((parent, member));
    }

    fn object_entry(&mut self, on: &Securable) -> &mut ObjectScope {
        let at = match self.objects.last() {
            // The planner's cases: the object just recorded (its owner, then its
            // grants), or a new object after every recorded one.
            Some((last, _)) if last == on => {
                let i = self.objects.len() - 1;
                return &mut self.objects[i].1;
            }
            Some((last, _)) if last < on => self.objects.len(),
            None => 0,
            _ => match self.objects.binary_search_by(|(k, _)| k.cmp(on)) {
                Ok(found) => return &mut self.objects[found].1,
                Err(at) => at,
            },
        };
        self.objects
            .insert(at, (on.clone(), ObjectScope::default()));
        &mut self.objects[at].1
    }

    /// Every fact, in canonical order.
    pub fn facts(&self) -> impl Iterator<Item = Fact<'_>> + '_ {
        let present = self.principals.iter().filter_map(|(p, s)| {
            s.map(|superuser| Fact::Principal {
                principal: p,
                superuser,
            })
        });
        let absent = self
            .principals
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(p, _)| Fact::AbsentPrincipal(p));
        let objects = self
            .objects
            .iter()
            .filter_map(|(on, o)| o.owner.as_deref().map(|owner| Fact::Object { on, owner }));
        let no_match = self
            .no_match
            .iter()
            .map(|(section, key)| Fact::NoMatch { section, key });
        let holds = self.objects.iter().flat_map(|(on, o)| {
            o.held.iter().map(move |(privilege, grantee)| Fact::Holds {
                on,
                privilege: *privilege,
                grantee,
            })
        });
        let members = self
            .members
            .iter()
            .map(|(parent, member)| Fact::Member { parent, member });
        present
            .chain(absent)
            .chain(objects)
            .chain(no_match)
            .chain(holds)
            .chain(members)
    }

    /// `sha256:` and the hex SHA-256 of the facts' canonical text, one per line.
    pub fn fingerprint(&self) -> String {
        // Lines are written into chunks of about 64 KiB and hashed per chunk: no string
        // per fact, and one hash call per chunk (a large catalog has hundreds of
        // thousands of facts). An object's words are written once for all its grants.
        let mut hasher = Sha256::new();
        let mut chunk = String::with_capacity(1 << 17);
        let mut flush = |chunk: &mut String| {
            if chunk.len() >= 1 << 16 {
                hasher.update(chunk.as_bytes());
                chunk.clear();
            }
        };
        let mut object = None;
        let mut words = String::new();
        for f in self.facts() {
            if let Fact::Holds { on, .. } = f {
                if object != Some(on) {
                    object = Some(on);
                    words = object_words(on);
                }
            }
            write_fact(&mut chunk, f, &words);
            chunk.push('\n');
            flush(&mut chunk);
        }
        hasher.update(chunk.as_bytes());
        format!("sha256:{}", hex(&hasher.finalize()))
    }

    /// Who holds what, one line per fact, in a stable order: principals, memberships,
    /// then each object followed by the grants on it.
    pub fn listing(&self) -> Vec<String> {
        let mut keyed: Vec<(SortKey, String)> = self
            .facts()
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
                    next.principals.insert(principal, Some(false));
                }
                Statement::AddMember { parent, member } => {
                    next.members.insert((parent, member));
                }
                Statement::RemoveMember { parent, member } => {
                    next.members.remove(&(parent, member));
                }
                Statement::Grant {
                    privileges,
                    on,
                    grantees,
                } => {
                    for (on, grantee, privilege) in each(&on, &grantees, &privileges) {
                        let held = &mut next.object_entry(on).held;
                        let fact = (privilege, Arc::new(grantee.clone()));
                        if let Err(at) = held.binary_search(&fact) {
                            held.insert(at, fact);
                        }
                    }
                }
                Statement::Revoke {
                    privileges,
                    on,
                    grantees,
                } => {
                    for (on, grantee, privilege) in each(&on, &grantees, &privileges) {
                        if let Ok(i) = next.objects.binary_search_by(|(k, _)| k.cmp(on)) {
                            let held = &mut next.objects[i].1.held;
                            if let Ok(at) = held
                                .binary_search_by(|(p, g)| (*p, &**g).cmp(&(privilege, grantee)))
                            {
                                held.remove(at);
                            }
                        }
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

fn principal_words(out: &mut String, p: &Principal) {
    let _ = write!(out, "{} {}", p.kind, quote(&p.name));
}

fn grantee_words(out: &mut String, g: &Grantee) {
    match g {
        Grantee::Public => out.push_str("PUBLIC"),
        Grantee::Principal(p) => principal_words(out, p),
    }
}

fn object_words(on: &Securable) -> String {
    if let Securable::Default { role, schema, of } = on {
        let mut out = format!("default privileges of {}", quote(role));
        if let Some(schema) = schema {
            out.push_str(" in schema ");
            out.push_str(&quote(schema));
        }
        out.push_str(" on ");
        out.push_str(of.section());
        return out;
    }
    let (Some(kind), Some(parts)) = (on.object_kind(), on.name_parts()) else {
        return "CREATE MODEL".to_string();
    };
    let mut out = format!("{} {}", kind.noun(), quote(parts.first));
    if let Some(name) = parts.second {
        out.push('.');
        out.push_str(&quote(name));
    }
    if let Some(args) = parts.args {
        out.push('(');
        out.push_str(args);
        out.push(')');
    }
    out
}

/// One fact as a line: names quoted as SQL would, so a name with spaces or odd
/// characters cannot be mistaken for two words.
fn fact_line(f: Fact) -> String {
    let mut line = String::new();
    let words = match f {
        Fact::Holds { on, .. } => object_words(on),
        _ => String::new(),
    };
    write_fact(&mut line, f, &words);
    line
}

/// Appends [`fact_line`]'s text to `out`; `words` are `object_words` of a held grant's
/// object (computed once per object by the caller, unused for other facts).
fn write_fact(out: &mut String, f: Fact, words: &str) {
    match f {
        Fact::Principal {
            principal,
            superuser,
        } => {
            principal_words(out, principal);
            if superuser {
                out.push_str(" (superuser)");
            }
        }
        Fact::AbsentPrincipal(p) => {
            principal_words(out, p);
            out.push_str(" does not exist");
        }
        Fact::Object { on, owner } => {
            out.push_str(&object_words(on));
            if !owner.is_empty() {
                let _ = write!(out, " owned by {}", quote(owner));
            }
        }
        Fact::NoMatch { section, key } => {
            let _ = write!(out, "no {section} matches `{key}`");
        }
        Fact::Holds {
            on,
            privilege,
            grantee,
        } => {
            match on {
                Securable::CreateModel => out.push_str("CREATE MODEL held by "),
                _ => {
                    let _ = write!(out, "{words}: {privilege} held by ");
                }
            }
            grantee_words(out, grantee);
        }
        Fact::Member { parent, member } => {
            principal_words(out, parent);
            out.push_str(" has member ");
            principal_words(out, member);
        }
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
        s.object(&schema("demo_ml"), "ml_owner");
        s.holds(
            &schema("demo_ml"),
            [(Arc::new(group("interns")), Privilege::Usage)],
        );
        s
    }

    #[test]
    fn a_default_privilege_is_named_as_what_it_is() {
        let on = Securable::Default {
            role: "etl owner".into(),
            schema: Some("demo_ml".into()),
            of: crate::model::ObjectKind::Table,
        };
        assert_eq!(
            object_words(&on),
            "default privileges of \"etl owner\" in schema demo_ml on tables"
        );
        let global = Securable::Default {
            role: "etl".into(),
            schema: None,
            of: crate::model::ObjectKind::Function,
        };
        assert_eq!(
            object_words(&global),
            "default privileges of etl on functions"
        );
    }

    #[test]
    fn the_fingerprint_changes_with_any_fact_and_only_then() {
        let a = scope();
        assert_eq!(a.fingerprint(), scope().fingerprint());
        assert!(a.fingerprint().starts_with("sha256:"));
        assert_eq!(a.fingerprint().len(), "sha256:".len() + 64);
        let mut b = scope();
        b.holds(
            &schema("demo_ml"),
            [(Arc::new(group("interns")), Privilege::Create)],
        );
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = scope();
        c.no_match("schema", "sales_*".into());
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
    fn grants_and_objects_in_any_order_make_the_same_scope() {
        // The planner passes each object's grants once, in order (checked, not
        // sorted); any other caller's order, repeats and later additions are sorted.
        let held = [
            (group("b"), Privilege::Usage),
            (group("a"), Privilege::Usage),
            (Grantee::Public, Privilege::Create),
            (group("a"), Privilege::Create),
            (group("b"), Privilege::Usage),
        ];
        let shared = |g: &Grantee, p: Privilege| (Arc::new(g.clone()), p);
        let mut sorted: Vec<(Privilege, Grantee)> =
            held.iter().map(|(g, p)| (*p, g.clone())).collect();
        sorted.sort();
        sorted.dedup();
        let mut in_order = Scope::default();
        in_order.object(&schema("s1"), "o");
        in_order.holds(&schema("s1"), sorted.iter().map(|(p, g)| shared(g, *p)));
        in_order.object(&schema("s2"), "o");
        let mut shuffled = Scope::default();
        shuffled.object(&schema("s2"), "o");
        shuffled.holds(&schema("s1"), held[..2].iter().map(|(g, p)| shared(g, *p)));
        shuffled.object(&schema("s1"), "o");
        shuffled.holds(&schema("s1"), held[2..].iter().map(|(g, p)| shared(g, *p)));
        assert_eq!(in_order, shuffled);
        assert_eq!(in_order.listing(), shuffled.listing());
        assert_eq!(
            shuffled.listing(),
            [
                "schema s1 owned by o",
                "schema s1: CREATE held by group a",
                "schema s1: CREATE held by PUBLIC",
                "schema s1: USAGE held by group a",
                "schema s1: USAGE held by group b",
                "schema s2 owned by o",
            ]
        );
    }

    #[test]
    fn lines_quote_names_that_need_it() {
        let mut s = Scope::default();
        s.holds(
            &schema("Sales ML"),
            [(Arc::new(Grantee::Public), Privilege::Usage)],
        );
        assert_eq!(s.listing(), ["schema \"Sales ML\": USAGE held by PUBLIC"]);
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
