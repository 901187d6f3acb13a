//! Who can train and who can run, by grants.yaml: the paths Redshift ML needs besides
//! CREATE MODEL and EXECUTE themselves.
//!
//! A group can hold CREATE MODEL and still fail to train: CREATE MODEL writes the model
//! into a schema, which takes CREATE on it, and reads its training data, which takes
//! SELECT on the tables it trains from. A group can hold EXECUTE on a model and still
//! fail to run it: the model's prediction function lives in the model's schema, which
//! takes USAGE (the seed documents: "CREATE, USAGE ON SCHEMA" for the builders, EXECUTE
//! for the others, whose queries name `schema.function`). Each missing path is a `warn`
//! line with the GRANT that adds it.
//!
//! What counts as held is what the file will leave after a plan: the file's rules for an
//! object it manages (in authoritative mode they are the whole truth), and the catalog's
//! grants for an object it does not manage or in additive mode; through memberships the
//! file declares (`members:`) or the catalog holds, and PUBLIC. An owner holds everything
//! on what it owns.

use std::collections::BTreeSet;

use super::{Check, Status};
use crate::catalog::Snapshot;
use crate::config::{Config, NamePart, ObjectRule};
use crate::model::{Grantee, Mode, ObjectKind, Principal, Privilege, Securable, Target};
use crate::sql::Statement;

/// The checks: for every `create_model: true` principal, CREATE on a schema and SELECT
/// on the tables the file names in the schemas it builds in; for every EXECUTE grantee
/// of a model, USAGE on the model's schema.
pub(super) fn access(config: &Config, snapshot: &Snapshot) -> Vec<Check> {
    let w = World { config, snapshot };
    let mut checks = Vec::new();
    for d in config.principals.iter().filter(|d| d.create_model) {
        checks.extend(w.builder(&Grantee::Principal(d.principal.clone())));
    }
    let mut seen: BTreeSet<(String, Grantee)> = BTreeSet::new();
    for rule in config.rules_of(ObjectKind::Model) {
        // A glob over schemas names no schema to check.
        let NamePart::Exact(schema) = &rule.schema else {
            continue;
        };
        for g in &rule.grants {
            let grantee = config.target.canonical(&g.grantee);
            if !seen.insert((schema.clone(), grantee.clone())) {
                continue;
            }
            if !w.holds(
                &w.holders(&grantee),
                Privilege::Usage,
                &schema_object(schema),
            ) {
                checks.push(
                    Check::new(
                        Status::Warn,
                        "ML access",
                        format!(
                            "{} may execute models in `{schema}` ({}) but will not hold USAGE \
                             on the schema: its queries cannot name the model's function",
                            who(&grantee),
                            rule.key
                        ),
                    )
                    .fix(w.grant(
                        Privilege::Usage,
                        schema_object(schema),
                        &grantee,
                    )),
                );
            }
        }
    }
    checks
}

struct World<'a> {
    config: &'a Config,
    snapshot: &'a Snapshot,
}

fn schema_object(name: &str) -> Securable {
    Securable::Schema {
        name: name.to_string(),
    }
}

/// `group analysts`, `PUBLIC`, for messages.
fn who(g: &Grantee) -> String {
    match g {
        Grantee::Public => "PUBLIC".to_string(),
        Grantee::Principal(p) => format!("{} `{}`", p.kind, p.name),
    }
}

impl World<'_> {
    fn target(&self) -> Target {
        self.config.target
    }

    /// The CREATE MODEL holder `g`: CREATE on at least one schema; SELECT on the tables
    /// the file names in each schema it may build in.
    fn builder(&self, g: &Grantee) -> Vec<Check> {
        let holders = self.holders(g);
        let schemas: Vec<String> = self.schema_names();
        let builds_in: Vec<&String> = schemas
            .iter()
            .filter(|s| self.holds(&holders, Privilege::Create, &schema_object(s)))
            .collect();
        if builds_in.is_empty() {
            // The schema to suggest: one it may already use, else the first the file
            // names.
            let suggested = schemas
                .iter()
                .find(|s| self.holds(&holders, Privilege::Usage, &schema_object(s)))
                .or(schemas.first());
            let check = Check::new(
                Status::Warn,
                "ML access",
                format!(
                    "{} holds CREATE MODEL but will hold CREATE on no schema: CREATE MODEL \
                     builds the model in a schema, and needs CREATE there",
                    who(g)
                ),
            );
            return vec![match suggested {
                Some(s) => check.fix(self.grant(Privilege::Create, schema_object(s), g)),
                None => check.fix("add it to the `create:` list of the schema it builds in"),
            }];
        }
        let mut checks = Vec::new();
        for schema in builds_in {
            for table in self.named_tables(schema) {
                if !self.holds(&holders, Privilege::Select, &table) {
                    let name = table.display_name();
                    checks.push(
                        Check::new(
                            Status::Warn,
                            "ML access",
                            format!(
                                "{} may build models in `{schema}` but will not SELECT from \
                                 `{name}`, which grants.yaml names there: CREATE MODEL ... \
                                 FROM it would fail",
                                who(g)
                            ),
                        )
                        .fix(self.grant(Privilege::Select, table, g)),
                    );
                }
            }
        }
        checks
    }

    /// The GRANT that adds `privilege` on `on` for `g`, as grantplan writes it.
    fn grant(&self, privilege: Privilege, on: Securable, g: &Grantee) -> String {
        let grantee = match g {
            Grantee::Principal(p) => Grantee::Principal(self.declared_as(p)),
            Grantee::Public => Grantee::Public,
        };
        format!(
            "add it to grants.yaml: {}",
            Statement::change(true, vec![privilege], on, grantee).render(self.target())
        )
    }

    /// `p` as grants.yaml declares it (its kind matters on Redshift's GRANT).
    fn declared_as(&self, p: &Principal) -> Principal {
        let t = self.target();
        self.config
            .principals
            .iter()
            .map(|d| &d.principal)
            .find(|d| t.canonical_principal(d) == t.canonical_principal(p))
            .cloned()
            .unwrap_or_else(|| p.clone())
    }

    /// Every schema the file names exactly or that exists in the catalog, in order.
    fn schema_names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = self
            .snapshot
            .objects_of(ObjectKind::Schema)
            .iter()
            .map(|o| o.parts().first.to_string())
            .collect();
        for rule in self.config.rules_of(ObjectKind::Schema) {
            if let NamePart::Exact(n) = &rule.schema {
                names.insert(n.clone());
            }
        }
        names.into_iter().collect()
    }

    /// The tables the file names exactly in `schema`.
    fn named_tables(&self, schema: &str) -> Vec<Securable> {
        let mut out = Vec::new();
        for rule in self.config.rules_of(ObjectKind::Table) {
            if let (NamePart::Exact(s), Some(NamePart::Exact(n))) = (&rule.schema, &rule.name) {
                if s == schema {
                    let t = Securable::Table {
                        schema: s.clone(),
                        name: n.clone(),
                    };
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        out
    }

    /// Who `g`'s privileges come from: itself, PUBLIC, and every group or role it
    /// belongs to, through the file's `members:` and the catalog's memberships, to any
    /// depth.
    fn holders(&self, g: &Grantee) -> BTreeSet<Grantee> {
        let t = self.target();
        let mut out: BTreeSet<Grantee> = [t.canonical(g), Grantee::Public].into();
        let mut todo: Vec<Principal> = g.as_principal().into_iter().cloned().collect();
        while let Some(p) = todo.pop() {
            let p = t.canonical_principal(&p);
            let from_file = self.config.principals.iter().filter(|d| {
                d.members
                    .as_ref()
                    .is_some_and(|m| m.iter().any(|m| t.canonical_principal(&m.principal) == p))
            });
            let from_catalog = self
                .snapshot
                .memberships
                .iter()
                .filter(|m| t.canonical_principal(&m.member) == p);
            let parents = from_file
                .map(|d| d.principal.clone())
                .chain(from_catalog.map(|m| m.parent.clone()));
            for parent in parents {
                if out.insert(t.canonical(&Grantee::Principal(parent.clone()))) {
                    todo.push(parent);
                }
            }
        }
        out
    }

    /// Whether a grantee whose privileges come from `holders` ([`World::holders`]) will
    /// hold `privilege` on `on` once grants.yaml is applied.
    fn holds(&self, holders: &BTreeSet<Grantee>, privilege: Privilege, on: &Securable) -> bool {
        let t = self.target();
        let has = |x: &Grantee| holders.contains(&t.canonical(x));
        let kind = on.object_kind().expect("an object");
        let rules: Vec<&ObjectRule> = self
            .config
            .rules_of(kind)
            .iter()
            .filter(|r| r.matches(on))
            .collect();
        if rules
            .iter()
            .flat_map(|r| &r.grants)
            .any(|rg| rg.privilege == privilege && has(&rg.grantee))
        {
            return true;
        }
        let Some((owner, grants)) = self.snapshot.object(on) else {
            return false;
        };
        if holders
            .iter()
            .any(|h| h.as_principal().is_some_and(|p| p.name == owner))
        {
            return true;
        }
        // The catalog's grants stay where the file does not manage the object, and in
        // additive mode.
        (rules.is_empty() || self.config.mode == Mode::Additive)
            && grants
                .iter()
                .any(|a| a.privilege == privilege && has(&a.grantee))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Membership, ObjectInfo};
    use crate::model::PrincipalKind;

    fn lines(yaml: &str, snap: &Snapshot) -> Vec<(String, String)> {
        let config = crate::config::parse("grants.yaml", yaml).unwrap();
        access(&config, snap)
            .into_iter()
            .map(|c| {
                assert_eq!(c.status, Status::Warn);
                assert_eq!(c.topic, "ML access");
                (c.detail, c.fix.expect("every line says what to add"))
            })
            .collect()
    }

    fn redshift(schemas: &[&str]) -> Snapshot {
        let mut snap = Snapshot::empty(Target::Redshift);
        for s in schemas {
            snap.objects
                .push(ObjectInfo::new(schema_object(s), "admin", Vec::new()));
        }
        snap.normalize();
        snap
    }

    #[test]
    fn the_seed_file_leaves_no_path_missing() {
        let yaml = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("grants.yaml"),
        )
        .unwrap();
        assert_eq!(lines(&yaml, &redshift(&["demo_ml"])), []);
    }

    #[test]
    fn each_missing_path_is_a_line_with_the_grant_that_adds_it() {
        let yaml = "groups:\n  retention_analyst_grp: {create_model: true}\n  marketing_analyst_grp: {}\n  lost_builders: {create_model: true}\nusers:\n  dave: {}\nschemas:\n  demo_ml:\n    create: [retention_analyst_grp]\n    usage: [retention_analyst_grp]\nmodels:\n  demo_ml.churn: {execute: [marketing_analyst_grp, dave]}\ntables:\n  demo_ml.churn_training: {select: [marketing_analyst_grp]}\n";
        let mut snap = redshift(&["demo_ml"]);
        // dave uses the schema through the builders' group, which the catalog says he is in.
        snap.memberships.push(Membership {
            parent: Principal::new(PrincipalKind::Group, "retention_analyst_grp"),
            member: Principal::new(PrincipalKind::User, "dave"),
        });
        let got = lines(yaml, &snap);
        assert_eq!(
            got,
            [
                (
                    "group `retention_analyst_grp` may build models in `demo_ml` but will not \
                     SELECT from `demo_ml.churn_training`, which grants.yaml names there: \
                     CREATE MODEL ... FROM it would fail"
                        .to_string(),
                    "add it to grants.yaml: GRANT SELECT ON TABLE demo_ml.churn_training TO \
                     GROUP retention_analyst_grp;"
                        .to_string()
                ),
                (
                    "group `lost_builders` holds CREATE MODEL but will hold CREATE on no \
                     schema: CREATE MODEL builds the model in a schema, and needs CREATE there"
                        .to_string(),
                    "add it to grants.yaml: GRANT CREATE ON SCHEMA demo_ml TO GROUP \
                     lost_builders;"
                        .to_string()
                ),
                (
                    "group `marketing_analyst_grp` may execute models in `demo_ml` \
                     (demo_ml.churn) but will not hold USAGE on the schema: its queries cannot \
                     name the model's function"
                        .to_string(),
                    "add it to grants.yaml: GRANT USAGE ON SCHEMA demo_ml TO GROUP \
                     marketing_analyst_grp;"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn the_catalog_counts_where_the_file_does_not_manage_the_object() {
        let yaml = "groups:\n  b: {create_model: true}\n  r: {members: [u]}\nusers:\n  u: {}\nmodels:\n  s.m: {execute: [u]}\n";
        // Not managed by the file: the catalog's CREATE and USAGE stand (r through the
        // file's members:).
        let mut snap = redshift(&[]);
        let grant = |g: Grantee, p| crate::catalog::Acl {
            grantee: g,
            privilege: p,
            grant_option: false,
        };
        let b = Grantee::principal(PrincipalKind::Group, "b");
        let r = Grantee::principal(PrincipalKind::Group, "r");
        snap.objects.push(ObjectInfo::new(
            schema_object("s"),
            "admin",
            vec![grant(b, Privilege::Create), grant(r, Privilege::Usage)],
        ));
        snap.normalize();
        assert_eq!(lines(yaml, &snap), []);
        // Managed in authoritative mode: the file's lists are the whole truth.
        let managed = format!("{yaml}schemas:\n  s: {{usage: [b]}}\n");
        let got = lines(&managed, &snap);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].1.ends_with("GRANT CREATE ON SCHEMA s TO GROUP b;"),
            "{got:?}"
        );
        assert!(
            got[1].1.ends_with("GRANT USAGE ON SCHEMA s TO u;"),
            "{got:?}"
        );
        // Additive: the catalog's grants stay.
        assert_eq!(lines(&format!("mode: additive\n{managed}"), &snap), []);
        // The owner holds everything on its own.
        snap.objects[0].owner = "u".into();
        assert_eq!(lines(&managed, &snap).len(), 1);
    }
}
