//! Validation and name resolution: from the raw, typed file to a [`Config`] in which
//! every name is checked, folded the way the target stores it, and resolved to a
//! declared principal, each item keeping the location of the token that asked for it.
//!
//! Every problem is collected (not only the first), each located at the exact key or
//! list item, with advice.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::cluster::{self, Cluster, Partition, Problem};
use super::marks::{index_path, key_path, located, nearest, Found, Marks, NodeKind, Span, NOWHERE};
use super::names::{split_key, split_prefix, KeyPart};
use super::raw::{
    RawAccountId, RawAssumeRole, RawCluster, RawConfig, RawDefault, RawRule, ASSUME_ROLE_KEYS,
};
use super::{
    AssumeRoleRule, Config, DeclaredPrincipal, DefaultRule, IgnorePattern, Member, NamePart,
    ObjectRule, RuleGrant,
};
use crate::diag::{Diagnostic, Location};
use crate::ident;
use crate::model::{Grantee, ObjectKind, Principal, PrincipalKind, Privilege, Target};

/// A declared principal, as the resolver looks names up.
struct Decl {
    kind: PrincipalKind,
    /// Folded, as the server stores it.
    name: String,
    /// As written in the file.
    written: String,
    line: usize,
    /// The first declaration of the same kind and name (itself, unless declared twice):
    /// two grantees are the same principal exactly when their `same` are equal.
    same: usize,
    /// This principal as a grantee, shared by every list entry that names it: a large
    /// file has hundreds of thousands of entries naming a few dozen principals, and a
    /// copy of the name for each was a fifth of the loaded configuration.
    grantee: Arc<Grantee>,
}

/// Name comparisons the "did you mean" suggestions for principals may make in one file.
/// Each suggestion compares a name with every declaration: a hostile file with 100,000
/// declarations and as many misspelt names would otherwise take hours to be refused.
/// Past the budget, errors still name the problem, only without a suggestion.
const SUGGESTION_BUDGET: usize = 1_000_000;

/// The key of the list that grants `privilege` (`create`, `usage`, `execute`).
fn list_key(privilege: Privilege) -> &'static str {
    crate::model::list_key(privilege).unwrap_or("execute")
}

/// Where one grantee of a rule is written, in 16 bytes: a large grants.yaml lists
/// hundreds of thousands of grantees, and a full [`Location`] for each (the file name
/// and the YAML path as strings) was most of the loaded configuration's memory.
/// [`ObjectRule::grant_location`] makes the full location when a message needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantLoc {
    line: u32,
    column: u32,
    len: u32,
    /// The entry's index in its list.
    index: u32,
}

impl GrantLoc {
    fn new(span: Span, index: usize) -> GrantLoc {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        GrantLoc {
            line: n(span.line),
            column: n(span.column),
            len: n(span.len),
            index: n(index),
        }
    }
}

impl ObjectRule {
    /// Where `grant` (one of this rule's) is written: its list entry.
    pub fn grant_location(&self, grant: &RuleGrant) -> Location {
        grant_location(&self.loc, grant)
    }
}

/// Whether `arn` reads as an IAM role's ARN (IAM's role names: letters, digits and
/// `_+=,.@-`, with a path of `/`-separated such names): `Err` says what is wrong.
fn iam_role_arn(arn: &str) -> Result<(), &'static str> {
    let rest = ["arn:aws:iam::", "arn:aws-cn:iam::", "arn:aws-us-gov:iam::"]
        .iter()
        .find_map(|p| arn.strip_prefix(p))
        .ok_or("it does not start with arn:aws:iam:: (or arn:aws-cn / arn:aws-us-gov)")?;
    let (account, role) = rest.split_once(":role/").ok_or("it has no `:role/` part")?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the account id is not 12 digits");
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c);
    if role.is_empty() || role.ends_with('/') || !role.chars().all(name_char) {
        return Err("the role name holds a character IAM does not allow (letters, digits, _+=,.@- and / between path parts)");
    }
    Ok(())
}

/// Why a list may not be written where it is, beyond the target lacking its privilege:
/// (message, help), or `None` when it may (see `Resolver::lists`).
type Refusal<'a> = dyn Fn(Privilege, &str) -> Option<(String, String)> + 'a;

/// Where `grant` is written, in the rule whose key is at `rule`: its list entry.
pub(super) fn grant_location(rule: &Location, grant: &RuleGrant) -> Location {
    let list = key_path(&rule.path, list_key(grant.privilege));
    Location {
        file: rule.file.clone(),
        line: grant.loc.line as usize,
        column: grant.loc.column as usize,
        path: index_path(&list, grant.loc.index as usize),
        len: grant.loc.len as usize,
    }
}

/// Entries of one list so far, to catch one listed twice: compared one by one while the
/// list is short, hashed once it is long (a list may hold thousands of names).
struct Repeats<T> {
    hashed: Option<HashSet<T>>,
}

impl<T: Clone + Eq + std::hash::Hash> Repeats<T> {
    const SHORT: usize = 32;

    fn new() -> Self {
        Repeats { hashed: None }
    }

    /// True when `item` is among `earlier` (the list's entries so far, which the caller
    /// then extends with `item` when this is false).
    fn seen<'a>(&mut self, earlier: impl ExactSizeIterator<Item = &'a T>, item: &T) -> bool
    where
        T: 'a,
    {
        if let Some(set) = &mut self.hashed {
            return !set.insert(item.clone());
        }
        let n = earlier.len();
        let mut set = HashSet::new();
        for e in earlier {
            if e == item {
                return true;
            }
            if n >= Self::SHORT {
                set.insert(e.clone());
            }
        }
        if n >= Self::SHORT {
            set.insert(item.clone());
            self.hashed = Some(set);
        }
        false
    }
}

/// One principal entry as written: kind, name, `create_model`, `members`, `system`.
type RawPrincipal = (
    PrincipalKind,
    String,
    Option<bool>,
    Option<Vec<String>>,
    Option<Vec<String>>,
);

struct Resolver<'a> {
    file: &'a str,
    marks: &'a Marks,
    target: Target,
    case_sensitive: bool,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Spellings already warned about, so a name used ten times warns once.
    warned: HashSet<String>,
    decls: Vec<Decl>,
    /// Indices into `decls` by folded name, in declaration order, so that every lookup
    /// costs the same however many principals the file declares.
    by_name: HashMap<String, Vec<usize>, foldhash::fast::RandomState>,
    /// What is left of [`SUGGESTION_BUDGET`].
    suggestions_left: usize,
    /// PUBLIC as a grantee, shared like [`Decl::grantee`].
    public: Arc<Grantee>,
}

/// Checks and resolves `raw`. Returns the config (meaningful only when there are no
/// errors) and the errors.
pub(crate) fn resolve(file: &str, mut raw: RawConfig, marks: &Marks) -> (Config, Vec<Diagnostic>) {
    let sections = ObjectKind::ALL.map(|k| (k, raw.take_rules(k)));
    let target_given = raw.target.is_some();
    let target = raw.target.unwrap_or_default();
    let mut r = Resolver {
        file,
        marks,
        target,
        case_sensitive: raw.case_sensitive_identifiers.unwrap_or(false),
        errors: Vec::new(),
        warnings: Vec::new(),
        warned: HashSet::new(),
        decls: Vec::new(),
        by_name: HashMap::default(),
        public: Arc::new(Grantee::Public),
        suggestions_left: SUGGESTION_BUDGET,
    };
    if target == Target::Postgres && r.case_sensitive {
        let loc = r.key_loc("case_sensitive_identifiers");
        r.warnings.push(
            Diagnostic::warning("`case_sensitive_identifiers` has no effect on postgres")
                .at(Some(loc))
                .help("PostgreSQL keeps the case of every name grantplan writes; remove the key"),
        );
    }

    let ignore = r.ignore(raw.ignore.unwrap_or_default());

    // Principals: groups, then roles, then users, each in file order.
    let mut entries: Vec<RawPrincipal> = Vec::new();
    for (kind, section) in [
        (PrincipalKind::Group, raw.groups),
        (PrincipalKind::Role, raw.roles),
    ] {
        for (name, e) in section.unwrap_or_default() {
            let e = e.unwrap_or_default();
            entries.push((kind, name, e.create_model, e.members, e.system));
        }
    }
    for (name, e) in raw.users.unwrap_or_default() {
        let e = e.unwrap_or_default();
        entries.push((PrincipalKind::User, name, e.create_model, None, None));
    }
    let mut principals = Vec::new();
    let mut members = Vec::new();
    for (kind, name, create_model, list, system) in entries {
        let (mut p, path) = r.declare(kind, &name, create_model);
        p.system = r.system(&mut p, &path, system);
        principals.push(p);
        members.push((path, list));
    }
    for (p, (path, list)) in principals.iter_mut().zip(members) {
        p.members = r.members(&p.principal, &path, list);
    }

    // Object rules: one section per kind, in kind order. A section of a kind that does
    // not exist on the target is an error, and its rules are left out.
    let mut rules = Vec::new();
    for (kind, entries) in sections {
        let section = kind.section();
        if kind.exists_on(target) {
            rules.extend(r.rules(kind, entries));
        } else if marks.contains(section) {
            let loc = r.key_loc(section);
            let there = kind.info().targets[0];
            r.errors.push(
                Diagnostic::error(format!(
                    "`{section}:` cannot be used with `target: {target}`: {}",
                    kind.info().absent.0
                ))
                .at(Some(loc))
                .help(format!(
                    "set `target: {there}` if this file manages {}, or remove the \
                     `{section}:` section",
                    there.server_noun()
                )),
            );
        }
    }
    let defaults = r.defaults(raw.default_privileges.take());
    let assume_role = raw.assume_role.take();
    let cluster = r.cluster(raw.cluster);
    let assume_roles = r.assume_roles(assume_role, cluster.as_ref());

    let config = Config {
        file: file.to_string(),
        sha256: String::new(), // set by `parse`, which has the text
        target,
        target_given,
        mode: raw.mode.unwrap_or_default(),
        case_sensitive_identifiers: r.case_sensitive,
        ignore,
        principals,
        rules,
        defaults,
        assume_roles,
        cluster,
        warnings: r.warnings,
    };
    (config, r.errors)
}

fn target_name(t: Target) -> &'static str {
    match t {
        Target::Redshift => "Redshift",
        Target::Postgres => "PostgreSQL",
    }
}

/// `a group`, `a role`, `a user`.
fn a(kind: PrincipalKind) -> String {
    format!("a {kind}")
}

impl Resolver<'_> {
    fn key_loc(&self, path: &str) -> Location {
        self.marks.key_loc(self.file, path)
    }

    fn value_loc(&self, path: &str) -> Location {
        self.marks.value_loc(self.file, path)
    }

    fn error(&mut self, message: impl Into<String>, loc: &Location, help: impl Into<String>) {
        self.errors
            .push(Diagnostic::error(message).at(Some(loc.clone())).help(help));
    }

    fn warn(&mut self, message: impl Into<String>, loc: &Location, help: impl Into<String>) {
        self.warnings.push(
            Diagnostic::warning(message)
                .at(Some(loc.clone()))
                .help(help),
        );
    }

    /// Checks one identifier: not empty, no control characters, within the target's
    /// length limit in bytes. `what` names it for messages (`group name`).
    fn check_name(&mut self, name: &str, what: &str, loc: &Location) -> bool {
        if name.is_empty() {
            self.error(
                format!("empty {what}"),
                loc,
                "write a name, or remove the entry",
            );
            return false;
        }
        if name.chars().any(char::is_control) {
            self.error(
                format!("{what} {name:?} contains a control character"),
                loc,
                "remove it: names cannot hold line breaks, tabs or other control characters",
            );
            return false;
        }
        let max = self.target.max_identifier_bytes();
        if name.len() > max {
            let why = match self.target {
                Target::Postgres => {
                    "PostgreSQL would silently truncate it and the plan could never converge"
                }
                Target::Redshift => "Redshift rejects longer names",
            };
            let multibyte = if name.is_ascii() {
                ""
            } else {
                " (non-ASCII characters take 2 to 4 bytes each)"
            };
            self.error(
                format!(
                    "{what} `{name}` is {} bytes long; {} allows at most {max} bytes",
                    name.len(),
                    target_name(self.target)
                ),
                loc,
                format!("shorten it to {max} bytes or fewer{multibyte}: {why}"),
            );
            return false;
        }
        true
    }

    /// Warns when the target will store `written` as `folded`.
    fn warn_folded(&mut self, written: &str, folded: &str, loc: &Location) {
        self.warn_folded_at(written, folded, &|| loc.clone());
    }

    /// [`Resolver::warn_folded`], the location made only when there is a warning.
    fn warn_folded_at(&mut self, written: &str, folded: &str, at: &dyn Fn() -> Location) {
        if written != folded && self.warned.insert(written.to_string()) {
            let loc = &at();
            self.warn(
                format!(
                    "`{written}` is stored as `{folded}` on Redshift; write it that way or set \
                     case_sensitive_identifiers: true"
                ),
                loc,
                "Redshift folds ASCII letters to lower case, even inside double quotes, unless \
                 enable_case_sensitive_identifier is on",
            );
        }
    }

    fn fold(&self, name: &str, kind: PrincipalKind) -> String {
        ident::fold(
            self.target,
            name,
            self.case_sensitive,
            kind == PrincipalKind::User,
        )
    }

    fn ignore(&mut self, list: Vec<String>) -> Vec<IgnorePattern> {
        let mut out = Vec::new();
        for (i, text) in list.into_iter().enumerate() {
            let loc = self.value_loc(&index_path("ignore", i));
            if text.is_empty() {
                self.error(
                    "empty pattern in `ignore`",
                    &loc,
                    "write a principal name or a glob such as `ds:*`, or remove the entry",
                );
                continue;
            }
            match glob::Pattern::new(&text) {
                Ok(pattern) => out.push(IgnorePattern { text, pattern, loc }),
                Err(e) => self.error(
                    format!("invalid glob `{text}` in `ignore`: {}", e.msg),
                    &loc,
                    "globs use `*`, `?` and `[...]`; write `[*]`, `[?]` or `[[]` for the \
                     character itself",
                ),
            }
        }
        out
    }

    /// Declares one group, role or user; returns it and its YAML path.
    fn declare(
        &mut self,
        kind: PrincipalKind,
        name: &str,
        create_model: Option<bool>,
    ) -> (DeclaredPrincipal, String) {
        let path = key_path(kind.section(), name);
        let loc = self.key_loc(&path);
        let what = format!("{kind} name");
        self.check_name(name, &what, &loc);
        if name.eq_ignore_ascii_case("public") {
            self.error(
                format!("`{name}` cannot be declared as {}", a(kind)),
                &loc,
                format!(
                    "PUBLIC means every user: grant to it by writing `public` in a list, and give \
                     the {kind} another name"
                ),
            );
        }
        let folded = self.fold(name, kind);
        self.warn_folded(name, &folded, &loc);

        let same_name = self.by_name.get(&folded).map_or(&[][..], Vec::as_slice);
        let same_section_index = same_name
            .iter()
            .copied()
            .find(|&i| self.decls[i].kind == kind && self.decls[i].name == folded);
        let same_section = same_section_index.map(|i| &self.decls[i]);
        if let Some(d) = same_section {
            let (written, line) = (d.written.clone(), d.line);
            self.error(
                format!(
                    "{kind} `{folded}` is declared twice (as `{written}` at line {line} and as \
                     `{name}` here)"
                ),
                &loc,
                format!(
                    "{} stores both spellings as `{folded}`: keep one entry",
                    target_name(self.target)
                ),
            );
        } else {
            let clash = same_name.iter().map(|&i| &self.decls[i]).find(|d| {
                d.name == folded
                    && match self.target {
                        Target::Postgres => true,
                        Target::Redshift => {
                            matches!(
                                (d.kind, kind),
                                (PrincipalKind::Role, PrincipalKind::User)
                                    | (PrincipalKind::User, PrincipalKind::Role)
                            )
                        }
                    }
            });
            if let Some(d) = clash {
                let (other, line) = (d.kind, d.line);
                let help = match self.target {
                    Target::Postgres => format!(
                        "PostgreSQL has one namespace: groups, roles and users are all roles. \
                         Declare `{folded}` once, under the section that describes it"
                    ),
                    Target::Redshift => "Redshift does not allow a role and a user to share a \
                                         name: rename one of them or remove one declaration"
                        .to_string(),
                };
                self.error(
                    format!(
                        "`{folded}` is declared under both `{}:` (line {line}) and `{}:`",
                        other.section(),
                        kind.section()
                    ),
                    &loc,
                    help,
                );
            }
        }
        self.by_name
            .entry(folded.clone())
            .or_default()
            .push(self.decls.len());
        let same = same_section_index.unwrap_or(self.decls.len());
        self.decls.push(Decl {
            kind,
            name: folded.clone(),
            written: name.to_string(),
            line: loc.line,
            same,
            grantee: Arc::new(Grantee::principal(kind, folded.clone())),
        });

        let cm_path = key_path(&path, "create_model");
        let mut create_model = create_model.unwrap_or(false);
        if self.target == Target::Postgres && self.marks.contains(&cm_path) {
            let cm_loc = self.key_loc(&cm_path);
            self.error(
                "`create_model` cannot be used with `target: postgres`: CREATE MODEL exists only \
                 on Amazon Redshift (Redshift ML)",
                &cm_loc,
                format!(
                    "set `target: redshift` if this file manages a Redshift cluster, or remove \
                     `create_model` from this {kind}"
                ),
            );
            create_model = false;
        }
        let principal = DeclaredPrincipal {
            principal: Principal::new(kind, folded),
            create_model,
            members: None,
            system: None,
            loc,
        };
        (principal, path)
    }

    /// Resolves a `system:` list (Redshift roles only): each entry a system permission
    /// in any case and spacing (`drop model`, `ACCESS SYSTEM TABLE`); `create model` sets
    /// `create_model`, which grants the same.
    fn system(
        &mut self,
        p: &mut DeclaredPrincipal,
        path: &str,
        list: Option<Vec<String>>,
    ) -> Option<Vec<Privilege>> {
        let list = list?;
        let (file, marks) = (self.file, self.marks);
        let at_key = self.key_loc(&key_path(path, "system"));
        if self.target != Target::Redshift || p.principal.kind != PrincipalKind::Role {
            let why = if self.target != Target::Redshift {
                "system permissions are Redshift's (RBAC)".to_string()
            } else {
                format!(
                    "system permissions go to roles only (r_GRANT: \"you can only grant \
                     permissions to roles, not users\"), and `{}` is {}",
                    p.principal.name,
                    a(p.principal.kind)
                )
            };
            self.error(
                format!("`system:` cannot be used here: {why}"),
                &at_key,
                "declare a role under `roles:` with `system:`, and make the users members of it",
            );
            return None;
        }
        let in_list = marks.locate(&key_path(path, "system"));
        let mut out: Vec<Privilege> = Vec::new();
        for (i, text) in list.iter().enumerate() {
            let span = marks.value_span(marks.index(in_list, i));
            let at = located(file, &index_path(&key_path(path, "system"), i), span);
            let words: Vec<String> = text
                .split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect();
            let phrase = words.join(" ");
            if phrase == "CREATE MODEL" {
                p.create_model = true;
                continue;
            }
            match Privilege::SYSTEM.iter().find(|s| s.sql() == phrase) {
                Some(&s) if out.contains(&s) => self.warn(
                    format!("`{text}` is listed twice in `system`"),
                    &at,
                    "remove the repeated entry",
                ),
                Some(&s) => out.push(s),
                None => {
                    let names: Vec<String> = Privilege::SYSTEM
                        .iter()
                        .map(|s| s.sql().to_ascii_lowercase())
                        .collect();
                    let near =
                        nearest(&text.to_ascii_lowercase(), names.iter().map(String::as_str))
                            .map(|n| format!("did you mean `{n}`? "))
                            .unwrap_or_default();
                    let near = format!("{near}T");
                    self.error(
                        format!("`{text}` is not one of Redshift's system permissions"),
                        &at,
                        format!(
                            "{near}he permissions are r_GRANT's: {}, and create model",
                            names.join(", ")
                        ),
                    );
                }
            }
        }
        out.sort();
        Some(out)
    }

    /// Resolves the `members:` list of `owner` (declared at `path`).
    fn members(
        &mut self,
        owner: &Principal,
        path: &str,
        list: Option<Vec<String>>,
    ) -> Option<Vec<Member>> {
        let mpath = key_path(path, "members");
        let Some(list) = list else {
            if self.marks.contains(&mpath) {
                let loc = self.key_loc(&mpath);
                self.warn(
                    "`members:` has no value, so membership is not managed",
                    &loc,
                    "write `members: []` to remove every member, list the members, or remove \
                     the key",
                );
            }
            return None;
        };
        let mut out: Vec<Member> = Vec::new();
        let mut repeats = Repeats::new();
        for (i, text) in list.iter().enumerate() {
            let loc = self.value_loc(&index_path(&mpath, i));
            let (prefix, name) = split_prefix(text);
            let principal = match prefix {
                None if text.eq_ignore_ascii_case("public") => {
                    self.error(
                        "`public` cannot be a member",
                        &loc,
                        "PUBLIC already includes every user: list user names instead",
                    );
                    continue;
                }
                Some(PrincipalKind::Group) => {
                    self.error(
                        format!("group `{name}` cannot be a member of {}", a(owner.kind)),
                        &loc,
                        "groups cannot be members: list the group's users instead, or make it a \
                         role (roles can be granted to roles)",
                    );
                    continue;
                }
                Some(PrincipalKind::Role) => {
                    if owner.kind != PrincipalKind::Role {
                        self.error(
                            format!("role `{name}` cannot be a member of a group"),
                            &loc,
                            "a group's members are users: list users, or declare this as a role \
                             under `roles:`, where `role:NAME` members are allowed",
                        );
                        continue;
                    }
                    if !self.check_name(name, "role name", &loc) {
                        continue;
                    }
                    let folded = self.fold(name, PrincipalKind::Role);
                    if !self.is_declared(PrincipalKind::Role, &folded) {
                        let help = self.suggest_in(PrincipalKind::Role, name);
                        self.error(
                            format!("role `{name}` is not declared under `roles:`"),
                            &loc,
                            help,
                        );
                        continue;
                    }
                    self.warn_folded(name, &folded, &loc);
                    if folded == owner.name {
                        self.error(
                            format!("role `{folded}` cannot be a member of itself"),
                            &loc,
                            "remove this entry",
                        );
                        continue;
                    }
                    Principal::new(PrincipalKind::Role, folded)
                }
                Some(PrincipalKind::User) | None => {
                    if name.eq_ignore_ascii_case("public") {
                        self.error(
                            "`public` cannot be a member",
                            &loc,
                            "PUBLIC already includes every user: list user names instead",
                        );
                        continue;
                    }
                    if !self.check_name(name, "member name", &loc) {
                        continue;
                    }
                    if prefix.is_none() && self.target == Target::Redshift {
                        self.warn_member_kind(owner, name, &loc);
                    }
                    Principal::new(PrincipalKind::User, self.fold(name, PrincipalKind::User))
                }
            };
            if repeats.seen(out.iter().map(|m| &m.principal), &principal) {
                self.warn(
                    format!("`{text}` is listed twice in `members`"),
                    &loc,
                    "remove the repeated entry",
                );
                continue;
            }
            out.push(Member { principal, loc });
        }
        Some(out)
    }

    /// A bare member name is a user; warn when the file only declares it as a group or
    /// role, which is likely a mistake.
    fn warn_member_kind(&mut self, owner: &Principal, name: &str, loc: &Location) {
        if self.is_declared(PrincipalKind::User, name) {
            return;
        }
        let other = [PrincipalKind::Group, PrincipalKind::Role]
            .into_iter()
            .find(|k| self.is_declared(*k, &self.fold(name, *k)));
        if let Some(k) = other {
            let help = if k == PrincipalKind::Role && owner.kind == PrincipalKind::Role {
                format!("to make the role a member, write `role:{name}`; if a user of that name is meant, write `user:{name}`")
            } else {
                format!("a bare member name is a user; write `user:{name}` if that user is meant")
            };
            self.warn(
                format!(
                    "member `{name}` is taken as a user, but `{name}` is declared as {}",
                    a(k)
                ),
                loc,
                help,
            );
        }
    }

    fn is_declared(&self, kind: PrincipalKind, folded: &str) -> bool {
        self.named(folded).any(|d| d.kind == kind)
    }

    /// The declarations whose folded name is `folded`.
    fn named<'s>(&'s self, folded: &str) -> impl Iterator<Item = &'s Decl> + 's {
        self.by_name
            .get(folded)
            .into_iter()
            .flatten()
            .map(|&i| &self.decls[i])
    }

    /// The declarations a written `name` can mean, in file order: each kind folds it its
    /// own way (on Redshift a user's name keeps its case).
    fn meaning(&self, name: &str) -> Vec<&Decl> {
        let mut found: Vec<usize> = Vec::new();
        let mut forms: Vec<String> = [
            PrincipalKind::Group,
            PrincipalKind::Role,
            PrincipalKind::User,
        ]
        .into_iter()
        .map(|k| self.fold(name, k))
        .collect();
        forms.dedup();
        for form in &forms {
            for &i in self.by_name.get(form).into_iter().flatten() {
                if self.decls[i].name == self.fold(name, self.decls[i].kind) {
                    found.push(i);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.decls[i]).collect()
    }

    /// The declared name nearest to `name` among those of `kind` (any kind for `None`),
    /// while the suggestion budget lasts.
    fn suggestion(&mut self, name: &str, kind: Option<PrincipalKind>) -> Option<String> {
        let cost = self.decls.len().max(1);
        if cost > self.suggestions_left {
            return None;
        }
        self.suggestions_left -= cost;
        let candidates = self
            .decls
            .iter()
            .filter(|d| kind.is_none_or(|k| d.kind == k))
            .map(|d| d.written.as_str());
        nearest(name, candidates).map(str::to_string)
    }

    /// Advice for a name not declared under `kind`'s section.
    fn suggest_in(&mut self, kind: PrincipalKind, name: &str) -> String {
        let section = kind.section();
        match self.suggestion(name, Some(kind)) {
            Some(s) => {
                format!("did you mean `{kind}:{s}`? If not, declare `{name}` under `{section}:`")
            }
            None => format!("declare `{name}` under `{section}:`"),
        }
    }

    /// Resolves one entry of a `create`, `usage` or `execute` list; `at` makes its
    /// location, which only a message needs. With the grantee comes a number that is
    /// equal for two entries exactly when their grantees are (cheaper to compare).
    fn grantee(&mut self, text: &str, at: &dyn Fn() -> Location) -> Option<(Arc<Grantee>, usize)> {
        if text.eq_ignore_ascii_case("public") {
            return Some((self.public.clone(), usize::MAX));
        }
        let (prefix, name) = split_prefix(text);
        if name.is_empty() {
            self.error(
                format!("empty name in grantee `{text}`"),
                &at(),
                "write a name after the prefix, e.g. `group:analysts`",
            );
            return None;
        }
        if name.eq_ignore_ascii_case("public") {
            self.error(
                format!("`{text}` is not a principal"),
                &at(),
                "write `public` (without a prefix) to grant to every user",
            );
            return None;
        }
        // The declarations `name` resolves to: those whose stored name is `name` folded
        // for their kind (users keep their case), in declaration order. Looked up by
        // name: a file lists hundreds of thousands of grantees.
        let folded_name: Cow<str> = if self.target == Target::Redshift
            && !self.case_sensitive
            && name.bytes().any(|b| b.is_ascii_uppercase())
        {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        let fits = |d: &Decl| {
            prefix.is_none_or(|k| k == d.kind || self.target == Target::Postgres)
                && d.name
                    == if d.kind == PrincipalKind::User {
                        name
                    } else {
                        &*folded_name
                    }
        };
        let named = |n: &str| self.by_name.get(n).map_or(&[][..], Vec::as_slice);
        let also = if *folded_name != *name {
            named(&folded_name)
        } else {
            &[]
        };
        let found = || {
            named(name)
                .iter()
                .chain(also)
                .copied()
                .filter(|&i| fits(&self.decls[i]))
        };
        // Counted first: the list of matches is needed only to report an ambiguity.
        let (count, first) = found().fold((0, usize::MAX), |(n, f), i| (n + 1, f.min(i)));
        let found: Vec<usize> = if count > 1 && self.target != Target::Postgres {
            let mut all: Vec<usize> = found().collect();
            all.sort_unstable();
            all
        } else {
            Vec::new()
        };
        match (count, prefix) {
            (0, Some(kind)) => {
                // Looked up by name: a hostile file may hold as many undeclared grantees
                // as declarations.
                let elsewhere: Vec<PrincipalKind> =
                    self.meaning(name).iter().map(|d| d.kind).collect();
                let help = match elsewhere.first() {
                    Some(k) => format!(
                        "`{name}` is declared under `{}:`; write `{k}:{name}`",
                        k.section()
                    ),
                    None => self.suggest_in(kind, name),
                };
                self.error(
                    format!(
                        "{kind} `{name}` is not declared under `{}:`",
                        kind.section()
                    ),
                    &at(),
                    help,
                );
                None
            }
            (0, None) => {
                let help = match self.suggestion(name, None) {
                    Some(s) => format!(
                        "did you mean `{s}`? If not, declare `{name}` under `groups:`, `roles:` \
                         or `users:`"
                    ),
                    None => {
                        format!("declare `{name}` under `groups:`, `roles:` or `users:`")
                    }
                };
                self.error(format!("grantee `{name}` is not declared"), &at(), help);
                None
            }
            _ if count == 1 || self.target == Target::Postgres => {
                let d = &self.decls[first];
                let (folded, same, grantee) = (d.name.clone(), d.same, d.grantee.clone());
                self.warn_folded_at(name, &folded, at);
                Some((grantee, same))
            }
            (_, _) => {
                let kinds: Vec<PrincipalKind> = found.iter().map(|&i| self.decls[i].kind).collect();
                let sections = kinds
                    .iter()
                    .map(|k| format!("`{}:`", k.section()))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let forms = kinds
                    .iter()
                    .map(|k| format!("`{k}:{name}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                self.error(
                    format!("grantee `{name}` is ambiguous: it is declared under {sections}"),
                    &at(),
                    format!("say which one: write {forms}"),
                );
                None
            }
        }
    }

    /// Resolves the rules of one object section.
    fn rules(&mut self, kind: ObjectKind, entries: Vec<RawRule>) -> Vec<ObjectRule> {
        let (file, marks) = (self.file, self.marks);
        let mut out = Vec::with_capacity(entries.len());
        // Folded parts of each rule so far, to catch two keys naming the same objects
        // (hashed: files name tens of thousands of functions).
        let mut seen: HashMap<Vec<(bool, String)>, (usize, String), foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(entries.len(), Default::default());
        // Each rule's node is looked up under its section's (as `marks.locate(&path)`
        // would, without parsing the path back).
        let in_section = marks.locate(kind.section());
        let mut next_rule = 0;
        // Who each entry of the current list names (see `grantee`).
        let mut listed: Vec<usize> = Vec::new();
        let single = kind.info().single;
        for (key, lists) in entries {
            // A single section (`database:`) is itself the rule: its lists are its keys.
            let (path, found, loc) = if single {
                let path = kind.section().to_string();
                let loc = self.key_loc(&path);
                (path, in_section, loc)
            } else {
                let path = key_path(kind.section(), &key);
                let found = marks.descend_next(in_section, &key, &mut next_rule);
                let loc = located(file, &path, marks.key_span(found));
                (path, found, loc)
            };
            let (name_key, args) = if kind.info().has_args {
                match split_args(&key) {
                    Ok(split) => split,
                    Err(problem) => {
                        self.error(
                            format!("cannot read {} key `{key}`: {problem}", kind.noun()),
                            &loc,
                            format!(
                                "name one overload as `{}(integer, text)`: the argument types \
                                 in parentheses after the name, as the server writes them",
                                kind.info().example
                            ),
                        );
                        (key.as_str(), None)
                    }
                }
            } else {
                (key.as_str(), None)
            };
            let parts = if single {
                // Whatever the database is called: the one the plan connects to (the
                // catalog lists that one alone).
                Some(vec![NamePart::Glob(
                    glob::Pattern::new("*").expect("a valid pattern"),
                )])
            } else {
                self.object_key(kind, name_key, &loc)
            };

            let (grants, written) = self.lists(kind, &path, found, lists, &mut listed, None);

            let Some(mut parts) = parts else { continue };
            let mut identity: Vec<(bool, String)> = parts
                .iter()
                .map(|p| match p {
                    NamePart::Exact(n) => (false, n.clone()),
                    NamePart::Glob(g) => (true, g.as_str().to_string()),
                })
                .collect();
            // One overload is not its name: both may be listed.
            identity.extend(args.iter().map(|a| (false, format!("({a})"))));
            if let Some((line, first)) = seen.get(&identity) {
                let (line, first) = (*line, first.clone());
                self.error(
                    format!(
                        "`{key}` names the same {} as `{first}` (line {line})",
                        kind.noun()
                    ),
                    &loc,
                    "merge the two entries into one",
                );
                continue;
            }
            seen.insert(identity, (loc.line, key.clone()));
            let name = if parts.len() > 1 { parts.pop() } else { None };
            let schema = parts.pop().expect("a key has at least one part");
            if args.is_some() && (schema.is_glob() || name.as_ref().is_some_and(NamePart::is_glob))
            {
                self.error(
                    format!("`{key}` names one overload of a glob; an overload's name is exact"),
                    &loc,
                    "name one overload of one name, or leave out the argument types to match \
                     every overload",
                );
                continue;
            }
            out.push(ObjectRule {
                kind,
                key,
                schema,
                name,
                args,
                grants,
                written,
                loc,
            });
        }
        out
    }

    /// Resolves one rule's lists of grantees (`lists`, in the order of `kind`'s
    /// privileges) at `path`, whose node is `found`: its grants, and the privileges whose
    /// list it writes. A list of a privilege the target lacks is an error and left out;
    /// so is one `refuse` gives a reason for (message, help). `listed` is scratch space.
    fn lists(
        &mut self,
        kind: ObjectKind,
        path: &str,
        found: Found,
        lists: Vec<Option<Vec<String>>>,
        listed: &mut Vec<usize>,
        refuse: Option<&Refusal<'_>>,
    ) -> (Vec<RuleGrant>, Vec<Privilege>) {
        let info = kind.info();
        let on = (kind.sql(), info.privileges, info.list_keys);
        self.lists_of(on, path, found, lists, listed, refuse)
    }

    /// [`Resolver::lists`] for lists of `privileges` under `keys` (in the same order),
    /// granted `ON what`.
    fn lists_of(
        &mut self,
        (what, privileges, keys): (&str, &[Privilege], &[&'static str]),
        path: &str,
        found: Found,
        lists: Vec<Option<Vec<String>>>,
        listed: &mut Vec<usize>,
        refuse: Option<&Refusal<'_>>,
    ) -> (Vec<RuleGrant>, Vec<Privilege>) {
        let (file, marks) = (self.file, self.marks);
        let mut grants: Vec<RuleGrant> =
            Vec::with_capacity(lists.iter().flatten().map(Vec::len).sum());
        let mut written: Vec<Privilege> = Vec::new();
        let mut next_list = 0;
        for ((&privilege, &field), list) in privileges.iter().zip(keys).zip(lists) {
            let in_list = marks.descend_next(found, field, &mut next_list);
            if list.is_some() && !privilege.exists_on(self.target) {
                let at = located(file, &key_path(path, field), marks.key_span(in_list));
                let only = privilege
                    .targets()
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>();
                self.error(
                    format!(
                        "`{field}` ({} ON {}) exists only on {}, and this file's target is {}",
                        privilege.sql(),
                        what,
                        only.join(" and "),
                        self.target
                    ),
                    &at,
                    format!("remove `{field}`, or set `target:` to the server's kind"),
                );
                continue;
            }
            if let Some((message, help)) = list
                .as_ref()
                .and(refuse)
                .and_then(|refuse| refuse(privilege, field))
            {
                let at = located(file, &key_path(path, field), marks.key_span(in_list));
                self.error(message, &at, help);
                continue;
            }
            if list.is_some() {
                written.push(privilege);
            }
            let list = list.unwrap_or_default();
            listed.clear();
            let mut repeats = Repeats::new();
            for (i, text) in list.iter().enumerate() {
                let span = marks.value_span(marks.index(in_list, i));
                let at = || located(file, &index_path(&key_path(path, field), i), span);
                let Some((grantee, who)) = self.grantee(text, &at) else {
                    continue;
                };
                if repeats.seen(listed.iter(), &who) {
                    self.warn(
                        format!("`{text}` is listed twice in `{field}`"),
                        &at(),
                        "remove the repeated entry",
                    );
                    continue;
                }
                listed.push(who);
                grants.push(RuleGrant {
                    privilege,
                    grantee,
                    loc: GrantLoc::new(span.unwrap_or(NOWHERE), i),
                });
            }
        }
        (grants, written)
    }

    /// Parses and checks an object key: one part for a schema, `schema.name` otherwise.
    fn object_key(&mut self, kind: ObjectKind, key: &str, loc: &Location) -> Option<Vec<NamePart>> {
        let object = kind.noun();
        let example = kind.info().example;
        let parts = match split_key(key) {
            Ok(p) => p,
            Err(problem) => {
                self.error(
                    format!("cannot read {object} key `{key}`: {problem}"),
                    loc,
                    "write names with `.` between them; put a part that holds `.` or `\"` in \
                     double quotes (`\"my.schema\"`), doubling any `\"` inside",
                );
                return None;
            }
        };
        let wanted = kind.info().parts;
        if parts.len() != wanted {
            if wanted == 1 {
                self.error(
                    format!(
                        "{object} key `{key}` has {} parts; a {object} name has one",
                        parts.len()
                    ),
                    loc,
                    format!(
                        "write the {object} name alone; for a name that holds a dot, quote it: \
                         `'\"{key}\"':`"
                    ),
                );
            } else {
                self.error(
                    format!(
                        "{object} key `{key}` has {} part{}; it must be schema.{object}",
                        parts.len(),
                        if parts.len() == 1 { "" } else { "s" }
                    ),
                    loc,
                    format!(
                        "write it as schema.{object}, e.g. `{example}`; put a part that holds a \
                         dot in double quotes"
                    ),
                );
            }
            return None;
        }
        let mut out = Vec::with_capacity(parts.len());
        let mut ok = true;
        for (i, part) in parts.iter().enumerate() {
            let what = if i + 1 < wanted {
                Cow::Borrowed("schema name")
            } else {
                Cow::Owned(format!("{object} name"))
            };
            match self.name_part(part, &what, key, loc) {
                Some(p) => out.push(p),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn name_part(
        &mut self,
        part: &KeyPart,
        what: &str,
        key: &str,
        loc: &Location,
    ) -> Option<NamePart> {
        if part.text.is_empty() {
            self.error(
                format!("empty {what} in `{key}`"),
                loc,
                "write a name on each side of the `.`",
            );
            return None;
        }
        let folded = ident::fold(self.target, &part.text, self.case_sensitive, false);
        if part.is_glob() {
            if part.text.chars().any(char::is_control) {
                // Reports the control character.
                self.check_name(&part.text, what, loc);
                return None;
            }
            return match glob::Pattern::new(&folded) {
                Ok(p) => {
                    self.warn_folded(&part.text, &folded, loc);
                    Some(NamePart::Glob(p))
                }
                Err(e) => {
                    self.error(
                        format!("invalid glob `{}` in `{key}`: {}", part.text, e.msg),
                        loc,
                        "globs use `*`, `?` and `[...]`; to name an object with such characters \
                         exactly, put the part in double quotes",
                    );
                    None
                }
            };
        }
        if !self.check_name(&part.text, what, loc) {
            return None;
        }
        self.warn_folded(&part.text, &folded, loc);
        Some(NamePart::Exact(folded))
    }
}

/// A minimal `cluster:` section, for messages.
pub const CLUSTER_EXAMPLE: &str = "cluster: {account_id: \"123456789012\", region: \
                                          us-east-1, role_name: RedshiftML, bucket: my-ml-bucket}";

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Resolver<'_> {
    fn problem(&mut self, p: Problem, loc: &Location) {
        self.error(p.message, loc, p.help);
    }

    /// Resolves `default_privileges:`: each entry's `for:` (a declared principal; a user
    /// on Redshift), `schema:` and each kind it writes, into one rule per kind.
    fn defaults(&mut self, raw: Option<Vec<RawDefault>>) -> Vec<DefaultRule> {
        const SECTION: &str = "default_privileges";
        let (file, marks, target) = (self.file, self.marks, self.target);
        let mut out = Vec::new();
        let in_section = marks.locate(SECTION);
        let mut listed = Vec::new();
        // Each (principal, schema) pair an entry names, with the entry's path.
        let mut seen: HashMap<(Principal, Option<String>), String> = HashMap::new();
        for (i, mut entry) in raw.unwrap_or_default().into_iter().enumerate() {
            let path = index_path(SECTION, i);
            let found = marks.index(in_section, i);
            let entry_loc = located(file, &path, marks.value_span(found));
            let role = match entry.for_.take() {
                None => {
                    self.error(
                        format!("{path} has no `for:`: whose new objects it is about"),
                        &entry_loc,
                        "write the role (a user on Redshift) that creates the objects: \
                         `for: role:etl`",
                    );
                    None
                }
                Some(text) => {
                    let at_path = key_path(&path, "for");
                    let span = marks.value_span(marks.descend(found, "for"));
                    let at = || located(file, &at_path, span);
                    match self.grantee(&text, &at).map(|(g, _)| g) {
                        None => None,
                        Some(g) => match &*g {
                            Grantee::Public => {
                                self.error(
                                    "`for: public` names no one whose objects get defaults",
                                    &at(),
                                    "write the role (a user on Redshift) that creates the objects",
                                );
                                None
                            }
                            Grantee::Principal(p)
                                if target == Target::Redshift && p.kind != PrincipalKind::User =>
                            {
                                self.error(
                                    format!(
                                        "`for:` names {} `{}`; Redshift sets default privileges \
                                         for users only (ALTER DEFAULT PRIVILEGES FOR USER)",
                                        p.kind, p.name
                                    ),
                                    &at(),
                                    "name the user that creates the objects (declared under \
                                     `users:`)",
                                );
                                None
                            }
                            Grantee::Principal(p) => Some(p.clone()),
                        },
                    }
                }
            };
            let schema = match entry.schema.take() {
                None => Some(None),
                Some(text) => {
                    let at = located(
                        file,
                        &key_path(&path, "schema"),
                        marks.value_span(marks.descend(found, "schema")),
                    );
                    self.object_key(ObjectKind::Schema, &text, &at)
                        .and_then(|mut parts| parts.pop())
                        .map(Some)
                }
            };
            let keep_public = entry.keep_public.unwrap_or(true);
            let kinds = entry.take_lists();
            if kinds.is_empty() {
                self.warn(
                    format!("{path} names no kind of object: it changes nothing"),
                    &entry_loc,
                    format!(
                        "add the kinds whose new objects get grants: {}",
                        crate::catalog::defaults_kinds(target)
                    ),
                );
            }
            let mut rules = Vec::new();
            for (kind, lists) in kinds {
                let kind_path = key_path(&path, kind.section());
                let kind_found = marks.descend(found, kind.section());
                let loc = located(file, &kind_path, marks.key_span(kind_found));
                if kind.defaults_sql(target).is_none() {
                    let why = match (kind, target) {
                        (ObjectKind::Procedure, Target::Postgres) => {
                            "PostgreSQL keeps one default for functions and procedures: \
                             write `functions:`"
                        }
                        (ObjectKind::Sequence, Target::Redshift) => "Redshift has no sequences",
                        _ => "the target keeps no default privileges for them",
                    };
                    self.error(
                        format!(
                            "`{}:` cannot be a default privilege on {}: {why}",
                            kind.section(),
                            target_name(target)
                        ),
                        &loc,
                        format!(
                            "{} keeps default privileges for {}",
                            target_name(target),
                            crate::catalog::defaults_kinds(target)
                        ),
                    );
                    continue;
                }
                let refuse = |p: Privilege, field: &str| {
                    (!kind.defaults_allow(p, target)).then(|| {
                        (
                            format!(
                                "`{field}` cannot be a default privilege on {}: its ALTER \
                                 DEFAULT PRIVILEGES ... ON {} has no {}",
                                target_name(target),
                                kind.defaults_sql(target).unwrap_or_default(),
                                p.sql()
                            ),
                            format!(
                                "remove `{field}`; grant it on each object under `{}:`",
                                kind.section()
                            ),
                        )
                    })
                };
                let (grants, written) = self.lists(
                    kind,
                    &kind_path,
                    kind_found,
                    lists,
                    &mut listed,
                    Some(&refuse),
                );
                rules.push((kind, grants, written, loc));
            }
            let (Some(role), Some(schema)) = (role, schema) else {
                continue;
            };
            let pair = (
                target.canonical_principal(&role),
                schema.as_ref().map(|s| s.as_str().to_string()),
            );
            if let Some(first) = seen.get(&pair) {
                let first = first.clone();
                self.error(
                    format!("{path} is for the same principal and schema as {first}"),
                    &entry_loc,
                    "merge the two entries into one",
                );
                continue;
            }
            seen.insert(pair, path.clone());
            for (kind, grants, written, loc) in rules {
                out.push(DefaultRule {
                    role: role.clone(),
                    schema: schema.clone(),
                    kind,
                    grants,
                    written,
                    keep_public,
                    loc,
                });
            }
        }
        out
    }

    /// Resolves `assume_role:`: each key an IAM role (an ARN, `default`, or the name of
    /// the role `cluster:` sets up), each list a purpose; Redshift only.
    fn assume_roles(
        &mut self,
        raw: Option<indexmap::IndexMap<String, Option<RawAssumeRole>>>,
        cluster: Option<&Cluster>,
    ) -> Vec<AssumeRoleRule> {
        const SECTION: &str = "assume_role";
        let (file, marks) = (self.file, self.marks);
        let Some(raw) = raw else { return Vec::new() };
        if self.target != Target::Redshift {
            let loc = self.key_loc(SECTION);
            self.error(
                format!(
                    "`{SECTION}:` cannot be used with `target: {}`: ASSUMEROLE grants who may \
                     use a Redshift cluster's IAM roles",
                    self.target
                ),
                &loc,
                "set `target: redshift` if this file manages a Redshift cluster, or remove the \
                 `assume_role:` section",
            );
            return Vec::new();
        }
        let in_section = marks.locate(SECTION);
        let mut next = 0;
        let mut listed = Vec::new();
        let mut seen: HashMap<Option<String>, String> = HashMap::new();
        let mut out = Vec::new();
        for (key, entry) in raw {
            let path = key_path(SECTION, &key);
            let found = marks.descend_next(in_section, &key, &mut next);
            let loc = located(file, &path, marks.key_span(found));
            let arn = if key == "default" {
                Some(None)
            } else if key.starts_with("arn:") {
                match iam_role_arn(&key) {
                    Ok(()) => Some(Some(key.clone())),
                    Err(why) => {
                        self.error(
                            format!("`{key}` is not an IAM role's ARN: {why}"),
                            &loc,
                            "write it as arn:aws:iam::123456789012:role/NAME (arn:aws-cn or \
                             arn:aws-us-gov in those partitions)",
                        );
                        None
                    }
                }
            } else if let Some(c) = cluster.filter(|c| c.role_name == key) {
                Some(Some(c.role_arn()))
            } else {
                let named = match cluster {
                    Some(c) => format!(", or `{}` (the role `cluster:` sets up)", c.role_name),
                    None => String::new(),
                };
                self.error(
                    format!("`{key}` names no IAM role"),
                    &loc,
                    format!("write the role's ARN (arn:aws:iam::ACCOUNT:role/NAME), `default` (the cluster's default IAM role){named}"),
                );
                None
            };
            let mut lists = entry.unwrap_or_default().lists();
            let all = lists.pop().expect("`all` is the last list");
            let (mut grants, mut written) = self.lists_of(
                ("IAM ROLE", &Privilege::PURPOSES, &ASSUME_ROLE_KEYS[..4]),
                &path,
                found,
                lists,
                &mut listed,
                None,
            );
            // `all:` stands for every purpose.
            let (every, all_written) = self.lists_of(
                (
                    "IAM ROLE",
                    &[Privilege::CreateModel],
                    &ASSUME_ROLE_KEYS[4..],
                ),
                &path,
                found,
                vec![all],
                &mut listed,
                None,
            );
            if !all_written.is_empty() {
                written = Privilege::PURPOSES.to_vec();
            }
            for g in every {
                grants.extend(Privilege::PURPOSES.iter().map(|&privilege| RuleGrant {
                    privilege,
                    ..g.clone()
                }));
            }
            let Some(arn) = arn else { continue };
            if let Some(first) = seen.get(&arn) {
                let first = first.clone();
                self.error(
                    format!("`{key}` names the same IAM role as `{first}`"),
                    &loc,
                    "merge the two entries into one",
                );
                continue;
            }
            seen.insert(arn.clone(), key.clone());
            out.push(AssumeRoleRule {
                arn,
                key,
                grants,
                written,
                loc,
            });
        }
        out
    }

    /// Checks and resolves `cluster:`. `None` when the section is absent or wrong.
    fn cluster(&mut self, raw: Option<RawCluster>) -> Option<Cluster> {
        if !self.marks.contains("cluster") {
            return None;
        }
        let loc = self.key_loc("cluster");
        if self.target == Target::Postgres {
            self.error(
                "`cluster:` cannot be used with `target: postgres`: it describes the IAM role \
                 of an Amazon Redshift cluster for Redshift ML",
                &loc,
                "set `target: redshift` if this file manages a Redshift cluster, or remove the \
                 `cluster:` section",
            );
            return None;
        }
        let raw = raw.unwrap_or_default();

        // Required keys: absent ones are named together at `cluster`; a key written with
        // no value is pointed at.
        let required = [
            ("account_id", raw.account_id.is_none()),
            ("region", raw.region.is_none()),
            ("role_name", raw.role_name.is_none()),
            ("bucket", raw.bucket.is_none()),
        ];
        let mut absent = Vec::new();
        for (key, missing) in required {
            if !missing {
                continue;
            }
            let path = key_path("cluster", key);
            if self.marks.contains(&path) {
                let kloc = self.key_loc(&path);
                self.error(
                    format!("`cluster.{key}` has no value"),
                    &kloc,
                    super::raw::cluster_expectation(key),
                );
            } else {
                absent.push(format!("`{key}`"));
            }
        }
        if !absent.is_empty() {
            self.error(
                format!("`cluster:` is missing {}", and_list(&absent)),
                &loc,
                format!(
                    "`grantplan iam` needs the account, region, role name and bucket: \
                     `{CLUSTER_EXAMPLE}`"
                ),
            );
        }

        let account_id = raw.account_id.and_then(|a| {
            let path = "cluster.account_id";
            let (text, plain) = match self.marks.get(path) {
                Some(n) if n.kind == NodeKind::Scalar && self.marks.scalar(n).is_some() => (
                    self.marks.scalar(n).unwrap_or_default().to_string(),
                    !n.quoted,
                ),
                _ => match a {
                    RawAccountId::Number(n) => (n.to_string(), true),
                    RawAccountId::Text(t) => (t, false),
                },
            };
            match cluster::account_id(&text, plain) {
                Ok(id) => Some(id),
                Err(p) => {
                    let vloc = self.value_loc(path);
                    self.problem(p, &vloc);
                    None
                }
            }
        });

        let region = raw
            .region
            .and_then(|region| match cluster::region(&region) {
                Ok(derived) => Some((region, derived)),
                Err(p) => {
                    let vloc = self.value_loc("cluster.region");
                    self.problem(p, &vloc);
                    None
                }
            });
        let partition = match (raw.partition, &region) {
            (Some(written), Some((name, derived))) if written != *derived => {
                let vloc = self.value_loc("cluster.partition");
                self.error(
                    format!(
                        "`partition: {written}` disagrees with `region: {name}`, a region of \
                         the `{derived}` partition"
                    ),
                    &vloc,
                    format!(
                        "remove `partition` (it follows the region) or correct the region: ARNs \
                         of `{written}` do not name resources in {name}"
                    ),
                );
                None
            }
            (Some(written), _) => Some(written),
            (None, Some((_, derived))) => Some(*derived),
            (None, None) => None,
        };

        let role_name = raw.role_name.filter(|name| match cluster::role_name(name) {
            Ok(()) => true,
            Err(p) => {
                let vloc = self.value_loc("cluster.role_name");
                self.problem(p, &vloc);
                false
            }
        });
        let bucket = raw.bucket.filter(|name| match cluster::bucket(name) {
            Ok(()) => true,
            Err(p) => {
                let vloc = self.value_loc("cluster.bucket");
                self.problem(p, &vloc);
                false
            }
        });

        let serverless = self.serverless(raw.workgroup, raw.namespace);

        // The key's form is checked even when the values it is placed in are wrong.
        let kms_key = match raw.kms_key_id {
            None => Some(None),
            Some(text) => {
                let vloc = self.value_loc("cluster.kms_key_id");
                let result = cluster::kms_key(
                    &text,
                    partition.unwrap_or_default(),
                    region.as_ref().map_or("REGION", |(r, _)| r.as_str()),
                    account_id.as_deref().unwrap_or("ACCOUNT"),
                );
                match result {
                    Ok((key, warning)) => {
                        if let Some(w) = warning {
                            self.warn(w.message, &vloc, w.help);
                        }
                        Some(Some(key))
                    }
                    Err(p) => {
                        self.problem(p, &vloc);
                        None
                    }
                }
            }
        };

        let policy = raw.policy.unwrap_or_default();
        if policy == cluster::PolicyStyle::Managed && raw.redshift_downloads.is_some() {
            let kloc = self.key_loc("cluster.redshift_downloads");
            self.warn(
                "`redshift_downloads` has no effect with `policy: managed`",
                &kloc,
                "AmazonS3FullAccess covers every bucket; remove the key, or use \
                 `policy: restrictive` to choose the buckets",
            );
        }
        if let (Some(p), None, cluster::PolicyStyle::Restrictive) =
            (partition, raw.redshift_downloads, policy)
        {
            if p != Partition::Aws {
                self.warn(
                    format!(
                        "the restrictive policy grants object access to the `redshift-downloads` \
                         bucket, AWS's sample data in the aws partition; no source grantplan \
                         has names it in `{p}`, where the name may belong to anyone"
                    ),
                    &loc,
                    "set `redshift_downloads: false` unless you load AWS's sample data (or \
                     `true` to keep it and silence this warning)",
                );
            }
        }

        let (
            Some(account_id),
            Some((region, _)),
            Some(partition),
            Some(role_name),
            Some(bucket),
            Some(kms_key),
            Some(serverless),
        ) = (
            account_id, region, partition, role_name, bucket, kms_key, serverless,
        )
        else {
            return None;
        };
        Some(Cluster {
            account_id,
            region,
            partition,
            role_name,
            bucket,
            kms_key,
            enhanced_vpc_routing: raw.enhanced_vpc_routing.unwrap_or(false),
            forecast: raw.forecast.unwrap_or(false),
            policy,
            redshift_downloads: raw.redshift_downloads.unwrap_or(true),
            serverless,
            loc,
        })
    }

    /// `cluster.workgroup` and `cluster.namespace`: both (Redshift Serverless) or neither
    /// (a provisioned cluster). `None` when they are wrong, after reporting why.
    fn serverless(
        &mut self,
        workgroup: Option<String>,
        namespace: Option<String>,
    ) -> Option<Option<cluster::Serverless>> {
        let mut ok = true;
        // A key written with no value is pointed at, as for the required keys.
        for (key, value) in [("workgroup", &workgroup), ("namespace", &namespace)] {
            let path = key_path("cluster", key);
            if value.is_none() && self.marks.contains(&path) {
                let kloc = self.key_loc(&path);
                self.error(
                    format!("`cluster.{key}` has no value"),
                    &kloc,
                    super::raw::cluster_expectation(key),
                );
                ok = false;
            }
        }
        let mut check = |key: &str, name: &Option<String>| match name {
            Some(name) => match cluster::serverless_name(key, name) {
                Ok(()) => true,
                Err(p) => {
                    let vloc = self.value_loc(&key_path("cluster", key));
                    self.problem(p, &vloc);
                    false
                }
            },
            None => true,
        };
        ok &= check("workgroup", &workgroup);
        ok &= check("namespace", &namespace);
        match (workgroup, namespace) {
            (Some(workgroup), Some(namespace)) => ok.then_some(Some(cluster::Serverless {
                workgroup,
                namespace,
            })),
            (None, None) => ok.then_some(None),
            (Some(_), None) if ok => {
                let kloc = self.key_loc("cluster.workgroup");
                self.error(
                    "`cluster.workgroup` is written without `namespace`: Redshift Serverless \
                     takes both",
                    &kloc,
                    "add the name of the workgroup's namespace, which the IAM role is \
                     associated with (`aws redshift-serverless get-workgroup --workgroup-name \
                     NAME --query workgroup.namespaceName` prints it): `namespace: NAME`; for a \
                     provisioned cluster, remove `workgroup`",
                );
                None
            }
            (None, Some(_)) if ok => {
                let kloc = self.key_loc("cluster.namespace");
                self.error(
                    "`cluster.namespace` is written without `workgroup`: Redshift Serverless \
                     takes both",
                    &kloc,
                    "add the name of the workgroup that serves the namespace \
                     (`aws redshift-serverless list-workgroups` lists them with their \
                     namespaces): `workgroup: NAME`; for a provisioned cluster, remove \
                     `namespace`",
                );
                None
            }
            _ => None,
        }
    }
}

/// A key of a kind with argument lists split into its name and, when it names one
/// overload (`s.f(integer, text)`), the argument types as the server writes identity
/// arguments: separated by `, `, runs of spaces as one, ASCII letters outside double
/// quotes in lower case (type names are case-insensitive unless quoted). The `(` is the
/// first outside double quotes; the key must then end with `)`.
fn split_args(key: &str) -> Result<(&str, Option<String>), String> {
    let mut quoted = false;
    let Some(open) = key.char_indices().find_map(|(i, c)| {
        if c == '"' {
            quoted = !quoted;
        }
        (c == '(' && !quoted).then_some(i)
    }) else {
        return Ok((key, None));
    };
    let Some(inner) = key[open + 1..].strip_suffix(')') else {
        return Err("its argument types do not end with `)`".to_string());
    };
    let mut types = Vec::new();
    let (mut depth, mut quoted, mut current) = (0usize, false, String::new());
    for c in inner.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                types.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(if quoted { c } else { c.to_ascii_lowercase() });
    }
    types.push(current);
    let types: Vec<String> = types
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if types.len() == 1 && types[0].is_empty() {
        return Ok((&key[..open], Some(String::new())));
    }
    if types.iter().any(String::is_empty) {
        return Err("an argument type is empty".to_string());
    }
    Ok((&key[..open], Some(types.join(", "))))
}

#[cfg(test)]
mod split_args_tests {
    use super::split_args;

    #[test]
    fn argument_types_are_written_as_the_server_writes_them() {
        assert_eq!(split_args("s.f"), Ok(("s.f", None)));
        assert_eq!(split_args("s.f()"), Ok(("s.f", Some(String::new()))));
        assert_eq!(
            split_args("s.f(INTEGER ,  character   varying)"),
            Ok(("s.f", Some("integer, character varying".into())))
        );
        assert_eq!(
            split_args("\"a(b\".\"F(x)\"(numeric(10,2), \"My Type\")"),
            Ok((
                "\"a(b\".\"F(x)\"",
                Some("numeric(10,2), \"My Type\"".into())
            ))
        );
        assert!(split_args("s.f(integer").is_err());
        assert!(split_args("s.f(integer,)").is_err());
    }
}
