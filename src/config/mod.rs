//! grants.yaml: loading, validation and name resolution.
//!
//! The result of loading is a [`Config`] in which every name is resolved (grantees know
//! whether they are a group, role, user or PUBLIC; names are folded the way the target
//! stores them) and every item keeps the [`Location`] it came from, so the planner can
//! point back at the line that asked for something.

mod cluster;
mod fast;
#[cfg(test)]
pub(crate) mod hostile;
mod marks;
pub(crate) mod names;
mod raw;
mod resolve;
#[cfg(test)]
mod tests;
mod typed;

pub use cluster::{Cluster, KmsKey, Partition, PolicyStyle, Serverless};
pub(crate) use marks::{nearest, DEFAULT_KEYS};
pub(crate) use raw::ASSUME_ROLE_KEYS;
pub use resolve::{GrantLoc, CLUSTER_EXAMPLE};

use std::sync::Arc;

use crate::diag::{Diagnostic, Location, Severity};
use crate::model::{Grantee, Mode, ObjectKind, Principal, Privilege, Securable, Target};

/// A loaded, validated, resolved grants.yaml.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file as the user named it, for messages.
    pub file: String,
    /// `sha256:` and the hex SHA-256 of the text this configuration was read from:
    /// plan files pin it, so a reviewed plan runs only with the file it was made from.
    pub sha256: String,
    pub target: Target,
    /// Whether the file says `target:`. Without it the target is Redshift, whose TLS
    /// default (`require`) is the first thing a local PostgreSQL refuses: messages about
    /// that failure, or about the server turning out to be PostgreSQL, say so and what
    /// to write, since the file itself shows nothing about Redshift.
    pub target_given: bool,
    pub mode: Mode,
    /// Redshift's `enable_case_sensitive_identifier`: when false, ASCII letters of
    /// non-user names fold to lower case.
    pub case_sensitive_identifiers: bool,
    /// Principals never granted to nor revoked from.
    pub ignore: Vec<IgnorePattern>,
    /// Declared principals in file order: `groups:`, then `roles:`, then `users:`.
    /// This order is also the order of grantees within a plan.
    pub principals: Vec<DeclaredPrincipal>,
    /// The rules of the object sections (`schemas:`, `models:`, `functions:`): kind by
    /// kind in [`ObjectKind`] order, each kind's in file order.
    pub rules: Vec<ObjectRule>,
    /// `default_privileges:`: one rule per kind an entry writes, in file order.
    pub defaults: Vec<DefaultRule>,
    /// `assume_role:`: one rule per IAM role, in file order (Redshift).
    pub assume_roles: Vec<AssumeRoleRule>,
    /// `cluster:`: the Redshift cluster's ML role (`grantplan iam`, `grantplan doctor`);
    /// `None` when the file has no such section.
    pub cluster: Option<Cluster>,
    /// Findings that do not stop loading (a name the target will fold, ...).
    pub warnings: Vec<Diagnostic>,
}

/// One entry of `ignore:`.
#[derive(Debug, Clone)]
pub struct IgnorePattern {
    /// As written.
    pub text: String,
    pub pattern: glob::Pattern,
    pub loc: Location,
}

/// A group, role or user declared in grants.yaml.
#[derive(Debug, Clone)]
pub struct DeclaredPrincipal {
    /// Kind and name as the server stores it (folded).
    pub principal: Principal,
    /// `create_model: true`.
    pub create_model: bool,
    /// `None` when `members` is absent: membership is then not managed.
    pub members: Option<Vec<Member>>,
    /// A role's `system:` permissions ([`Privilege::SYSTEM`]; CREATE MODEL written there
    /// sets `create_model`); `None` when absent: its system permissions are then not
    /// managed.
    pub system: Option<Vec<Privilege>>,
    /// The declaring key.
    pub loc: Location,
}

/// One entry of `members:`; a user unless written `role:NAME`.
#[derive(Debug, Clone)]
pub struct Member {
    pub principal: Principal,
    pub loc: Location,
}

/// One part of an object name: exact, or a glob over existing objects.
#[derive(Debug, Clone)]
pub enum NamePart {
    Exact(String),
    Glob(glob::Pattern),
}

impl NamePart {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamePart::Exact(n) => n == name,
            NamePart::Glob(p) => p.matches(name),
        }
    }

    pub fn is_glob(&self) -> bool {
        matches!(self, NamePart::Glob(_))
    }

    /// The name, or the glob's pattern, as written (after folding).
    pub fn as_str(&self) -> &str {
        match self {
            NamePart::Exact(n) => n,
            NamePart::Glob(g) => g.as_str(),
        }
    }
}

/// One key of an object section (`schemas:`, `tables:`...) with what it grants.
#[derive(Debug, Clone)]
pub struct ObjectRule {
    /// The kind of object, by the section the key is in.
    pub kind: ObjectKind,
    /// The key as written (`demo_ml.*`).
    pub key: String,
    /// For `schemas:` the schema name; for two-part kinds the schema part.
    pub schema: NamePart,
    /// For two-part kinds the object part; `None` for schemas.
    pub name: Option<NamePart>,
    /// For a kind with argument lists, a key that names one overload
    /// (`demo_ml.score(integer, text)`): its argument types, written as the server
    /// writes identity arguments (`integer, text`). Such a rule wins over the rules for
    /// the name on that overload.
    pub args: Option<String>,
    /// Every privilege this rule grants. An empty list still claims the object: in
    /// authoritative mode its current grants are revoked.
    pub grants: Vec<RuleGrant>,
    /// The privileges whose list the rule writes (`temp: []` included), in privilege
    /// order: for the database, PUBLIC's built-in privileges change only where written.
    pub written: Vec<Privilege>,
    pub loc: Location,
}

impl ObjectRule {
    pub fn is_glob(&self) -> bool {
        self.schema.is_glob() || self.name.as_ref().is_some_and(NamePart::is_glob)
    }

    /// True when this rule names or matches `object` (whose kind the caller has checked
    /// is the rule's).
    pub fn matches(&self, object: &Securable) -> bool {
        let Some(parts) = object.name_parts() else {
            return false;
        };
        self.schema.matches(parts.first)
            && match (&self.name, parts.second) {
                (Some(rule), Some(name)) => rule.matches(name),
                (None, None) => true,
                _ => false,
            }
            && self.args.as_deref().is_none_or(|a| parts.args == Some(a))
    }
}

/// What one `default_privileges:` entry says of one kind: what `role`'s objects of
/// `kind` created later (in the schemas `schema` names, or anywhere) get.
#[derive(Debug, Clone)]
pub struct DefaultRule {
    /// `for:`, as declared (folded).
    pub role: Principal,
    /// `schema:`: `None` for the global default.
    pub schema: Option<NamePart>,
    /// The kind of the new objects (the entry's key: `tables`, ...).
    pub kind: ObjectKind,
    /// As an [`ObjectRule`]'s: every privilege granted; an empty list still claims the
    /// default, whose grants are then revoked in authoritative mode.
    pub grants: Vec<RuleGrant>,
    /// The privileges whose list is written, in privilege order.
    pub written: Vec<Privilege>,
    /// `keep_public:` (default true): PUBLIC's built-in holdings are left as they are
    /// unless listed.
    pub keep_public: bool,
    /// The kind's key in the entry (`default_privileges[0].tables`).
    pub loc: Location,
}

impl DefaultRule {
    /// Where `grant` (one of this rule's) is written: its list entry.
    pub fn grant_location(&self, grant: &RuleGrant) -> Location {
        resolve::grant_location(&self.loc, grant)
    }

    /// `for: role:etl, schema: demo_ml, tables` for messages.
    pub fn describe(&self) -> String {
        let place = match &self.schema {
            Some(s) => format!(" in schema `{}`", s.as_str()),
            None => String::new(),
        };
        format!(
            "default privileges of {} `{}`{place} on new {}",
            self.role.kind,
            self.role.name,
            self.kind.section()
        )
    }
}

/// Who may use one IAM role for what: `assume_role:` entry.
#[derive(Debug, Clone)]
pub struct AssumeRoleRule {
    /// The role's ARN; `None` for the cluster's default role (`default`).
    pub arn: Option<String>,
    /// The key as written.
    pub key: String,
    /// Each grantee with a purpose ([`Privilege::PURPOSES`]); `all:` is all four.
    pub grants: Vec<RuleGrant>,
    /// The purposes whose lists the entry writes: the rule is the whole truth for these
    /// alone.
    pub written: Vec<Privilege>,
    /// The key's place.
    pub loc: Location,
}

impl AssumeRoleRule {
    /// Where `grant` (one of this rule's) is written: its list entry (for `all:`, the
    /// `all` list).
    pub fn grant_location(&self, grant: &RuleGrant) -> Location {
        resolve::grant_location(&self.loc, grant)
    }
}

/// One grantee in one privilege list.
#[derive(Debug, Clone)]
pub struct RuleGrant {
    pub privilege: Privilege,
    /// Shared by every entry naming the same principal (see the resolver's `Decl`).
    pub grantee: Arc<Grantee>,
    /// Compact: [`ObjectRule::grant_location`] gives the full [`Location`].
    pub loc: GrantLoc,
}

impl Config {
    /// What to add to a failure that the Redshift default may have caused (a TLS
    /// failure, a server that is PostgreSQL) when the file does not say `target:`;
    /// `None` when it does.
    pub fn default_target_hint(&self) -> Option<String> {
        (!self.target_given).then(|| {
            format!(
                "{} has no `target:`, so its target is redshift (the default), which \
                 connects with sslmode require and expects a Redshift server; for a \
                 PostgreSQL server write `target: postgres` in {}",
                self.file, self.file
            )
        })
    }

    /// The declared principal matching `p` as the target compares principals.
    #[cfg(test)]
    pub fn declared(&self, p: &Principal) -> Option<&DeclaredPrincipal> {
        let key = self.target.canonical_principal(p);
        self.principals
            .iter()
            .find(|d| self.target.canonical_principal(&d.principal) == key)
    }

    /// The rules of the section of `kind`, in file order.
    pub fn rules_of(&self, kind: ObjectKind) -> &[ObjectRule] {
        let from = self.rules.partition_point(|r| r.kind < kind);
        let to = self.rules.partition_point(|r| r.kind <= kind);
        &self.rules[from..to]
    }

    /// True when `name` matches an `ignore:` pattern.
    pub fn is_ignored(&self, name: &str) -> bool {
        self.ignore.iter().any(|i| i.pattern.matches(name))
    }
}

/// The largest grants.yaml grantplan reads: 16 MiB.
///
/// The largest generated benchmark (2,000 schemas, 20,000 functions, 50 groups) is a
/// grants.yaml of 1.5 MB and 160,000 YAML values. A file of this size holds about as many
/// values as the marks pass accepts ([`marks::MAX_VALUES`]); loading the worst such file
/// takes about 1 GB of memory, and refusing a larger one takes next to none.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and validates `path`. On failure returns every error found (not only the
/// first), each with a location.
///
/// A file over [`MAX_FILE_BYTES`] is refused before it is read whole; its diagnostic
/// carries no location, so nothing re-reads the file to show a source line.
pub fn load(path: &std::path::Path) -> Result<Config, Vec<Diagnostic>> {
    use crate::input::ReadTextError;
    // `-f -`: standard input, bounded like a file.
    let stdin = path == std::path::Path::new("-");
    let file = if stdin {
        crate::input::STDIN_NAME.to_string()
    } else {
        path.display().to_string()
    };
    let read = if stdin {
        crate::input::read_stdin_text(MAX_FILE_BYTES)
    } else {
        crate::input::read_text(path, MAX_FILE_BYTES)
    };
    let text = read.map_err(|e| {
        let d = Diagnostic::error(e.describe(&file));
        vec![match e {
            ReadTextError::Io(_) | ReadTextError::NotRegular { .. } => {
                d.help("pass the file with -f PATH, or run grantplan where grants.yaml is")
            }
            ReadTextError::TooLarge { .. } => d.help(
                "grants.yaml lists what grantplan manages, not every object: use globs \
                 (`sales_*`, `demo_ml.*`) for many objects of one kind, and check that -f \
                 names the grants file",
            ),
            ReadTextError::NotUtf8 { line, column, .. } => d
                .at(Some(Location {
                    file: file.clone(),
                    line,
                    column,
                    path: String::new(),
                    len: 1,
                }))
                .help("save the file as UTF-8"),
        }]
    })?;
    parse(&file, &text)
}

/// The JSON Schema of grants.yaml (`grantplan schema`).
pub fn json_schema() -> String {
    raw::json_schema()
}

/// Validates and resolves the text of a grants.yaml named `file`.
///
/// Three stages, each collecting every problem it finds:
/// 1. the marks pass, one walk over yaml-rust2's events (`marks.rs`): the hostile-input
///    bounds, syntax errors, duplicate and unknown keys, and the line and column of every
///    YAML path;
/// 2. typed deserialization by serde_yaml into the structs of `raw.rs`, through an
///    adaptor (`typed.rs`) that passes over the entries stage 1 found wrong (so the rest
///    is still checked in the same run) and locates a serde error at the node it was
///    reading; in a file without errors, the big plain sections are read from the marks
///    instead (`fast.rs`: serde_yaml's memory for a large file);
/// 3. validation and name resolution (`resolve.rs`), locating each finding through the
///    marks.
///
/// On failure the errors come first, in file order, followed by the warnings.
pub fn parse(file: &str, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let whole = text;
    // A byte order mark (editors on Windows write one) is not part of the document:
    // yaml-rust2 would read it into the first key. Columns are counted without it, as
    // editors show them; the hash is of the file as it is.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let scan = marks::scan(file, text);
    let mut errors = scan.errors;
    if scan.fatal {
        return Err(finish(file, errors, Vec::new()));
    }
    if scan.empty {
        errors.push(
            Diagnostic::error(format!("{file} declares nothing: the document is empty"))
                .at(Some(Location {
                    file: file.to_string(),
                    line: 1,
                    column: 1,
                    path: String::new(),
                    len: 1,
                }))
                .help(
                    "declare what grantplan manages: `target: redshift`, then `groups:`, \
                     `schemas:` and `models:` with their grants",
                ),
        );
        return Err(finish(file, errors, Vec::new()));
    }
    let raw = match typed::read(text, &scan.marks, errors.is_empty()) {
        Ok(raw) => raw,
        Err((e, failure)) => {
            // An entry the marks pass reported can be one libyaml (under serde_yaml) does
            // not parse at all (yaml-rust2 reads a line `: x` as a key ``, libyaml
            // refuses it): its syntax error would only repeat the report, elsewhere.
            if errors.is_empty() || typed::parses(text) {
                errors.push(raw::serde_error(file, &e, failure, &scan.marks));
            }
            return Err(finish(file, errors, Vec::new()));
        }
    };
    let (mut config, more) = resolve::resolve(file, raw, &scan.marks);
    config.sha256 = crate::state::sha256(whole.as_bytes());
    errors.extend(more);
    if errors.is_empty() {
        config.warnings.sort_by_key(file_order);
        cap(file, &mut config.warnings, Severity::Warning);
        Ok(config)
    } else {
        Err(finish(file, errors, config.warnings))
    }
}

fn file_order(d: &Diagnostic) -> Option<(usize, usize)> {
    d.location.as_ref().map(|l| (l.line, l.column))
}

/// The most errors, and the most warnings, one run reports; past that, one line says how
/// many more there are. A generated or hostile file can hold a million mistakes (the
/// same undeclared name in every entry); showing each, with its source line, would take
/// minutes and help nobody.
pub const MAX_REPORTED: usize = 100;

/// Errors in file order, then warnings in file order, each capped at [`MAX_REPORTED`].
fn finish(
    file: &str,
    mut errors: Vec<Diagnostic>,
    mut warnings: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    errors.sort_by_key(file_order);
    warnings.sort_by_key(file_order);
    cap(file, &mut errors, Severity::Error);
    cap(file, &mut warnings, Severity::Warning);
    errors.extend(warnings);
    errors
}

/// Keeps the first [`MAX_REPORTED`] of `diags` (all of one severity) and says how many
/// more there were.
fn cap(file: &str, diags: &mut Vec<Diagnostic>, severity: Severity) {
    if diags.len() <= MAX_REPORTED {
        return;
    }
    let more = diags.len() - MAX_REPORTED;
    diags.truncate(MAX_REPORTED);
    diags.push(match severity {
        Severity::Error => Diagnostic::error(format!("{file} has {more} more errors, not shown"))
            .help("fix the errors above and run again to see the rest"),
        Severity::Warning => {
            Diagnostic::warning(format!("{file} has {more} more warnings, not shown"))
        }
    });
}
