//! The command line: arguments in, exit code out. Everything it does is a call into the
//! library; this module only decides what to print where.
//!
//! Exit codes (stable, relied on by CI recipes): 0 success and no changes; 1 error; 2
//! changes present (only with `--detailed-exitcode`).

use crate::catalog::{self, Snapshot};
use crate::config::{self, Config};
use crate::diag::{self, Diagnostic};
use crate::output::{self, Source};
use crate::plan::{self, Plan, PlanOptions};
use crate::planfile;
use crate::{apply, db, executor};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `--version` shows after the name: the package version and the git commit the
/// binary was built from (`0.1.0 (abc1234)`), or `unknown commit` when the source had no
/// `.git` (build.rs says where the commit comes from).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("GRANTPLAN_BUILD_COMMIT"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "grantplan",
    version = VERSION,
    about = "Amazon Redshift ML permissions (and PostgreSQL grants) as code",
    long_about = "Describe groups, roles, users, schemas, models and functions with their \
                  CREATE MODEL, CREATE/USAGE and EXECUTE grants in grants.yaml; grantplan \
                  reads what the server holds and prints, or applies in one transaction, \
                  the GRANT/REVOKE statements that make it match."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour in what is printed for a person (diagnostics, the summary line): `auto`
    /// colours when standard error is a terminal and NO_COLOR is not set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--color`, set once at start-up.
static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check grants.yaml; exit 0 when valid, 1 when not.
    Validate {
        #[command(flatten)]
        file: FileArg,
    },
    /// Print the statements that would make the server match grants.yaml.
    Plan(PlanArgs),
    /// Plan (or read a reviewed plan file), show it, confirm, and run it in one
    /// transaction.
    Apply(ApplyArgs),
    /// Show who holds what on everything grants.yaml manages, now and after the plan, as
    /// a unified diff.
    Diff(DiffArgs),
    /// Write the server's current principals and grants as JSON (for `plan --catalog`).
    Snapshot(SnapshotArgs),
    /// Write the server's current principals and grants as a grants.yaml that plans no
    /// change against it (for adopting grantplan on an existing server).
    Export(ExportArgs),
    /// Check that this login can plan and apply safely against this server: a checklist
    /// of pass / warn / FAIL lines with what to do; exit 1 when something blocks.
    Doctor(DoctorArgs),
    /// Print (or write with --out) the IAM policies of the cluster's Redshift ML role and
    /// the AWS CLI commands that create it, from grants.yaml's `cluster:` section.
    /// grantplan calls no AWS API.
    Iam(IamArgs),
    /// Who can train (CREATE MODEL) and who can run (EXECUTE) on Redshift, and why: for
    /// one principal (--who) or one model (--model), every path that gives or withholds
    /// the ability, from a live catalog or a snapshot; --after shows the state after the
    /// plan of grants.yaml.
    Explain(ExplainArgs),
    /// Print the JSON Schema of grants.yaml (for editors; the repository ships it as
    /// grants.schema.json), or of a JSON output: plan, diff, doctor, apply.
    Schema {
        #[arg(value_enum, value_name = "OUTPUT")]
        of: Option<output::JsonDoc>,
    },
    /// Print the shell completion script for SHELL (the README says where each shell
    /// reads it), e.g. `grantplan completions bash > ~/.local/share/bash-completion/completions/grantplan`.
    Completions {
        /// The shell the script is for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page, grantplan(1), as roff: every command with its options, and the
    /// exit codes. `grantplan man | man -l -` reads it; the README says where to install it.
    Man,
}

#[derive(Args, Debug)]
pub struct FileArg {
    /// The grants file: a regular file (a pipe, device or directory is refused, never
    /// waited on), or `-` for standard input. [default: grants.yaml; for `apply PLANFILE`, the file the plan file
    /// names when ./grants.yaml does not exist]
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub given: Option<PathBuf>,
}

impl FileArg {
    /// The grants file to read: `-f`'s, else `./grants.yaml`.
    pub fn path(&self) -> &Path {
        self.given.as_deref().unwrap_or(Path::new(DEFAULT_FILE))
    }
}

/// The grants file read when `-f` is not given.
pub const DEFAULT_FILE: &str = "grants.yaml";

#[derive(Args)]
pub struct DbArg {
    /// Connection URL (postgres://USER@HOST:PORT/DB, or key=value pairs), read as libpq
    /// reads it. Default: $GRANTPLAN_DATABASE_URL, then $DATABASE_URL. What it leaves
    /// out comes from the PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
    /// PGDATABASE, ...), then libpq's defaults; `postgres://` alone uses only them.
    /// Without any URL grantplan does not connect.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// TLS, with libpq's meanings. Default: sslmode= in the URL, then $PGSSLMODE, else
    /// require when grants.yaml says `target: redshift` and prefer otherwise.
    #[arg(long, value_enum, value_name = "MODE")]
    pub sslmode: Option<crate::tls::SslMode>,
    /// PEM file of CA certificates to verify the server with (for Redshift, AWS's
    /// amazon-trust-ca-bundle.crt; a regular file), or `system` for the system's trust
    /// store (verify-full only). Default, as in libpq: sslrootcert= in the URL, then
    /// $PGSSLROOTCERT, then ~/.postgresql/root.crt if it exists (which makes require
    /// verify like verify-ca).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// How long to wait for the server to answer, from the name lookup to the end of the
    /// login, per host: seconds (10), or a number with a unit (500ms, 10s, 2m); 0 waits
    /// as long as it takes. Default: connect_timeout= in the URL, then
    /// $PGCONNECT_TIMEOUT (whole seconds, as libpq reads them), else 10s.
    #[arg(long, value_name = "DURATION", value_parser = parse_connect_timeout)]
    pub connect_timeout: Option<std::time::Duration>,
    /// Log in with temporary credentials from Redshift's GetClusterCredentials instead of
    /// a password, as the URL's user (the database user), asked with the standard AWS
    /// credential chain (environment, profile, SSO, web identity, container and instance
    /// roles). Also iam=true in the URL, as AWS's redshift_connector writes it.
    #[arg(long)]
    pub iam: bool,
    /// With --iam: the provisioned cluster's identifier (cluster_identifier= in the URL).
    #[arg(long, value_name = "ID")]
    pub cluster_id: Option<String>,
    /// With --iam: the Serverless workgroup's name, for GetCredentials
    /// (serverless_work_group= in the URL).
    #[arg(long, value_name = "NAME", conflicts_with = "cluster_id")]
    pub workgroup: Option<String>,
    /// With --iam: the AWS region (region= in the URL). Default: the SDK's (AWS_REGION,
    /// the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// With --iam: database groups the temporary user joins, comma-separated (db_groups=
    /// in the URL).
    #[arg(long, value_name = "GROUPS")]
    pub db_groups: Option<String>,
    /// With --iam: create the database user if it does not exist (auto_create=true).
    #[arg(long)]
    pub auto_create: bool,
}

/// Written by hand so that the URL's password never reaches a debug print.
impl std::fmt::Debug for DbArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbArg")
            .field(
                "database_url",
                &self
                    .database_url
                    .as_ref()
                    .map(|u| db::redact(u, std::slice::from_ref(u))),
            )
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("iam", &self.iam)
            .field("cluster_id", &self.cluster_id)
            .field("workgroup", &self.workgroup)
            .field("region", &self.region)
            .field("db_groups", &self.db_groups)
            .field("auto_create", &self.auto_create)
            .finish()
    }
}

#[derive(Args, Debug)]
pub struct CatalogArg {
    /// Use a snapshot written by `grantplan snapshot` instead of a database (a regular
    /// file, like every file grantplan reads).
    #[arg(long, value_name = "SNAPSHOT.json", conflicts_with = "database_url")]
    pub catalog: Option<PathBuf>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// SQL statements after a comment line saying what was planned against: one line
    /// each, or one object per line when a statement names several objects or grantees.
    Sql,
    /// A JSON document with every statement, a summary and the warnings.
    Json,
    /// A pull-request comment: verdict, counts, warnings, the SQL in a fenced block.
    Markdown,
}

/// How `diff`, `doctor` and `apply` print what they found.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TextOrJson {
    /// For a person (the default).
    #[default]
    Text,
    /// One JSON document on stdout (docs/json.md); messages stay on stderr.
    Json,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub catalog: CatalogArg,
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
    /// Exit 2 when the plan has changes, 0 when it has none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// A named schema, model or function that does not exist is an error.
    #[arg(long)]
    pub strict: bool,
    /// Also write the plan as a reviewed-plan file: into DIR as `<UTC time>_<slug>.sql`
    /// when the path ends in `/` (the directory is created when missing) or is an
    /// existing directory; otherwise to that FILE. `apply PLANFILE` runs exactly that file.
    /// The file is always created new: an existing file or symbolic link is refused,
    /// never overwritten or followed (a reviewed plan is never replaced).
    #[arg(long, short = 'o', value_name = "FILE_OR_DIR")]
    pub out: Option<PathBuf>,
    /// With --format markdown: keep the output under CHARS characters (GitHub refuses a
    /// comment over 65,536); statements (each shown whole) and warnings past that are
    /// counted, and the note names the plan file from --out, which holds them all.
    #[arg(long, value_name = "CHARS", default_value_t = output::DEFAULT_MARKDOWN_LIMIT)]
    pub markdown_limit: usize,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub catalog: CatalogArg,
    /// Exit 2 when the states differ, 0 when they do not, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// `text`: a unified diff; `json`: the two states and what goes and comes.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub db: DbArg,
    /// Apply without asking for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// A plan file written by `plan --out`: run exactly its statements, or refuse when
    /// the file was edited, grants.yaml changed, or the catalog moved since it was
    /// planned.
    #[arg(value_name = "PLANFILE")]
    pub planfile: Option<PathBuf>,
    /// A named schema, model or function that does not exist is an error.
    #[arg(long)]
    pub strict: bool,
    /// How long to wait for a lock before giving up with nothing applied (exit 1): for
    /// the lock another `grantplan apply` to the same database holds while it runs, and
    /// for each lock a statement needs that another session's open transaction holds.
    /// PostgreSQL only: Redshift has no lock timeout. Seconds (10), or a number with a
    /// unit (500ms, 10s, 2m), as for every timeout option. [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_lock_timeout)]
    pub lock_timeout: Option<std::time::Duration>,
    /// How long one statement of the apply may run before the server cancels it and
    /// nothing is applied (exit 1). PostgreSQL only. Seconds, or a number with a unit.
    /// [default: 5m]
    #[arg(long, value_name = "DURATION", value_parser = parse_lock_timeout)]
    pub statement_timeout: Option<std::time::Duration>,
    /// How long the apply's session may sit idle inside its transaction (grantplan
    /// stopped or suspended mid-apply) before the server ends it, rolling back and
    /// releasing its locks. PostgreSQL only. Seconds, or a number with a unit.
    /// [default: 1m]
    #[arg(long, value_name = "DURATION", value_parser = parse_lock_timeout)]
    pub idle_timeout: Option<std::time::Duration>,
    /// `text`: the plan as SQL and a line saying what was applied; `json`: one document
    /// at the end saying what was applied (the plan is not printed; requires --yes or a
    /// terminal for the question).
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Write to FILE instead of standard output. FILE is created new: an existing file
    /// or symbolic link is refused (checked before connecting), unless --force.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub catalog: CatalogArg,
    /// Write the grants.yaml to FILE instead of standard output. FILE is created new: an
    /// existing file or symbolic link is refused (checked before reading the catalog),
    /// unless --force.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
}

/// `--force` of the commands whose `--out` may replace a file (see [`crate::outfile`]).
#[derive(Args, Debug)]
pub struct ForceArg {
    /// With --out: replace files that already exist. The new file is written beside the
    /// old one, synced, and renamed over it, so a symbolic link there is replaced itself
    /// and what it points to is left untouched; a directory is never replaced.
    #[arg(long, requires = "out")]
    pub force: bool,
}

impl ForceArg {
    fn if_exists(&self) -> crate::outfile::IfExists {
        if self.force {
            crate::outfile::IfExists::Replace
        } else {
            crate::outfile::IfExists::Refuse
        }
    }
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The grants file to check against the server. Default: ./grants.yaml when it
    /// exists; without one, only the connection and the login are checked.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
    /// `text`: the checklist; `json`: the same checks as a document.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

#[derive(Args, Debug)]
pub struct IamArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// Write the files (trust-policy.json, permission-policy.json or
    /// managed-policies.txt, ..., commands.sh) into DIR, created if missing; without it
    /// they are printed. Each file is created new: if any of them exists (a file or a
    /// symbolic link), nothing is written, unless --force.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub force: ForceArg,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("subject").required(true).args(["who", "model"])))]
pub struct ExplainArgs {
    /// The principal to explain: group:NAME, role:NAME, user:NAME, or a bare NAME that
    /// exactly one principal of the catalog has.
    #[arg(long, value_name = "PRINCIPAL")]
    pub who: Option<String>,
    /// The model to explain: SCHEMA.MODEL (who owns it, who can run it and why).
    #[arg(long, value_name = "SCHEMA.MODEL")]
    pub model: Option<String>,
    /// The grants file: its `cluster:` role is the IAM role CREATE MODEL uses (without
    /// one, the cluster's default role), and --after plans it. Default: ./grants.yaml
    /// when it exists.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub catalog: CatalogArg,
    /// Explain the state after the plan of grants.yaml is applied (planned against the
    /// same catalog, nothing sent), and say which verdicts the plan changes.
    #[arg(long)]
    pub after: bool,
    /// `text`: for people, one line per path; `json`: the same as a document.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextOrJson,
}

/// Why a command stopped; rendered once, by [`Failure::report`].
enum Failure {
    /// Located findings (bad grants.yaml, missing users, ...).
    Diagnostics(Vec<Diagnostic>),
    /// Anything else: a message that already says what to do.
    Message(String),
}

impl From<Vec<Diagnostic>> for Failure {
    fn from(d: Vec<Diagnostic>) -> Self {
        Failure::Diagnostics(d)
    }
}

impl From<String> for Failure {
    fn from(m: String) -> Self {
        Failure::Message(m)
    }
}

/// The typed errors of the layers under the CLI: each one's `Display` is its whole
/// message, so the CLI only keeps it to print, once, in [`Failure::report`].
macro_rules! failure_from_error {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for Failure {
            fn from(e: $error) -> Self {
                Failure::Message(e.to_string())
            }
        })*
    };
}

failure_from_error!(
    db::OpenError,
    db::SettingsError,
    planfile::Error,
    crate::outfile::Error,
);

impl From<apply::Error> for Failure {
    fn from(e: apply::Error) -> Self {
        match e {
            apply::Error::Plan(d) | apply::Error::Replan(d) => Failure::Diagnostics(d),
            e => Failure::Message(e.to_string()),
        }
    }
}

type Outcome = Result<u8, Failure>;

/// Runs the command line. Broken pipes end quietly.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let code = match run(cli) {
        Ok(code) => code,
        Err(f) => {
            f.report();
            1
        }
    };
    ExitCode::from(code)
}

/// clap's message for a command line it cannot parse (or `--help`, `--version`). clap
/// repeats arguments it does not expect (`unexpected argument
/// 'postgres://admin:secret@...'`), so passwords in the arguments are masked first.
///
/// Exit 1 for a command line that cannot be read, 0 for help and version: not clap's own
/// 2, which `plan --detailed-exitcode` means "changes present" (a CI job that misspelt
/// an option would otherwise read it as a plan to review).
fn usage_error(e: &clap::Error) -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let text = db::redact(&e.render().to_string(), &args);
    if e.use_stderr() {
        let _ = write!(std::io::stderr(), "{text}");
    } else {
        let _ = print(&text);
    }
    ExitCode::from(if e.use_stderr() { 1 } else { 0 })
}

fn run(cli: Cli) -> Outcome {
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Validate { file } => validate(file.path()),
        Command::Plan(args) => plan_cmd(args),
        Command::Apply(args) => apply_cmd(args),
        Command::Diff(args) => diff_cmd(args),
        Command::Snapshot(args) => snapshot_cmd(args),
        Command::Export(args) => export_cmd(args),
        Command::Doctor(args) => doctor_cmd(args),
        Command::Iam(args) => iam_cmd(args),
        Command::Explain(args) => explain_cmd(args),
        Command::Schema { of } => {
            print(&match of {
                None => config::json_schema(),
                Some(doc) => output::json_schema(doc),
            })?;
            Ok(0)
        }
        Command::Completions { shell } => {
            print(&completions(shell))?;
            Ok(0)
        }
        Command::Man => {
            print(&man_page())?;
            Ok(0)
        }
    }
}

/// The completion script for `shell`, from the command line's definition.
pub fn completions(shell: clap_complete::Shell) -> String {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "grantplan", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// grantplan(1), one page: clap_mangen's title, name, synopsis, description and global
/// options of the whole program; then a section per command (`GRANTPLAN PLAN`) holding
/// that command's synopsis, description and options, where clap_mangen alone would
/// point at a page per command (grantplan-plan(1)) that a single installed file does
/// not have; then the exit codes and the version.
pub fn man_page() -> String {
    use clap::CommandFactory;
    use clap_mangen::roff::{roman, Roff};
    /// Appends one rendered piece. Each starts with roff's definition of the `Aq`
    /// string (the apostrophe); the page needs it once, at the top.
    fn add(page: &mut String, render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) {
        const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
        let mut piece = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = render(&mut piece);
        let piece = String::from_utf8_lossy(&piece);
        match piece.strip_prefix(PREAMBLE) {
            Some(rest) if !page.is_empty() => page.push_str(rest),
            _ => page.push_str(&piece),
        }
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone()).title("GRANTPLAN");
    let mut page = String::new();
    add(&mut page, |w| man.render_title(w));
    add(&mut page, |w| man.render_name_section(w));
    add(&mut page, |w| man.render_synopsis_section(w));
    add(&mut page, |w| man.render_description_section(w));
    add(&mut page, |w| man.render_options_section(w));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let heading = format!("GRANTPLAN {}", sub.get_name().to_uppercase());
        add(&mut page, |w| {
            Roff::new().control("SH", [heading.as_str()]).to_writer(w)
        });
        // `--color` is the whole program's, shown once under OPTIONS above.
        let sub = sub
            .clone()
            .mut_args(|a| if a.is_global_set() { a.hide(true) } else { a });
        let sub_man = clap_mangen::Man::new(sub.clone());
        let mut body = String::new();
        add(&mut body, |w| sub_man.render_synopsis_section(w));
        add(&mut body, |w| sub_man.render_description_section(w));
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            add(&mut body, |w| sub_man.render_options_section(w));
        }
        // Its sections become subsections: roff escapes a text line that starts with a
        // dot, so only clap_mangen's own section requests start with `.SH `.
        add(&mut page, |w| {
            for line in body.lines() {
                match line.strip_prefix(".SH ") {
                    Some(title) => writeln!(w, ".SS {title}")?,
                    None => writeln!(w, "{line}")?,
                }
            }
            Ok(())
        });
    }
    add(&mut page, |w| {
        let mut exit = Roff::new();
        exit.control("SH", ["EXIT STATUS"]);
        for (code, meaning) in [
            ("0", "success; with --detailed-exitcode, no changes"),
            (
                "1",
                "error, and nothing was changed (a command line grantplan cannot read included)",
            ),
            (
                "2",
                "changes present (plan or diff with --detailed-exitcode)",
            ),
        ] {
            exit.control("TP", [])
                .text([roman(code)])
                .text([roman(meaning)]);
        }
        exit.to_writer(w)
    });
    add(&mut page, |w| man.render_version_section(w));
    page
}

/// Whether what goes to standard error is coloured: `--color`, and for `auto` a
/// terminal without NO_COLOR (<https://no-color.org>: set to anything non-empty).
fn color() -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The plan's one-line summary on standard error, for a person at a terminal (after
/// `plan`, before apply's question); scripts reading the output never see it.
fn print_summary(plan: &Plan) {
    if std::io::stderr().is_terminal() || COLOR.get() == Some(&ColorChoice::Always) {
        let _ = writeln!(std::io::stderr(), "{}", output::summary_line(plan, color()));
    }
}

/// Renders diagnostics to stderr with the source line of each location.
fn report_diagnostics(diags: &[Diagnostic]) {
    let mut sources: HashMap<String, Option<diag::SourceLines>> = HashMap::new();
    let color = color();
    let mut err = std::io::stderr().lock();
    for shown in diag::condense(diags, diag::SHOWN_PER_KIND) {
        let d = match shown {
            diag::Shown::One(d) => d,
            diag::Shown::More { count, like } => {
                let _ = writeln!(err, "{}\n", diag::render_more(count, like));
                continue;
            }
        };
        // Each file read and indexed once (bounded like its first reading), its line
        // borrowed per diagnostic.
        let line = d.location.as_ref().and_then(|l| {
            sources
                .entry(l.file.clone())
                .or_insert_with(|| {
                    if l.file == crate::input::STDIN_NAME {
                        return crate::input::stdin_text()
                            .map(|t| diag::SourceLines::new(t.to_string()));
                    }
                    let limit = crate::config::MAX_FILE_BYTES.max(planfile::MAX_FILE_BYTES);
                    crate::input::read_text(Path::new(&l.file), limit)
                        .ok()
                        .map(diag::SourceLines::new)
                })
                .as_ref()
                .map(|s| s.line(l.line).unwrap_or(""))
        });
        let _ = writeln!(err, "{}", diag::render_line(d, line, color));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 1 {
        let _ = writeln!(
            err,
            "error: {errors} errors; nothing was sent to the database"
        );
    }
}

impl Failure {
    fn report(self) {
        match self {
            Failure::Diagnostics(d) => report_diagnostics(&d),
            Failure::Message(m) => {
                // Messages quote SQL and names from the catalog: shown, never obeyed.
                let _ = writeln!(std::io::stderr(), "error: {}", diag::visible_lines(&m));
            }
        }
    }
}

/// Writes to stdout; a closed pipe (`grantplan plan | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    write_stdout(text).map_err(|e| Failure::Message(format!("cannot write output: {e}")))
}

/// [`print()`]'s write, with the error as it came.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result,
    }
}

fn load_config(path: &Path) -> Result<Config, Failure> {
    let config = config::load(path)?;
    Ok(config)
}

/// The async runtime of one command.
///
/// Dropped without waiting for blocking work: a host name lookup runs on a blocking
/// thread that cannot be cancelled (getaddrinfo), and one the connect timeout gave up
/// on must not keep the process alive after the error was reported, which tokio's own
/// `Drop` would.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.0
            .as_ref()
            .expect("the runtime is only taken when dropped")
            .block_on(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|rt| Runtime(Some(rt)))
        .map_err(|e| Failure::Message(format!("cannot start the async runtime: {e}")))
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// The resolved connection settings, or `None` when no URL was given anywhere.
fn connection(db: &DbArg) -> Result<Option<db::Settings>, Failure> {
    let flags = db::ConnectFlags {
        sslmode: db.sslmode,
        ca_file: db.ca_file.as_deref(),
        connect_timeout: db.connect_timeout,
        iam: db.iam,
        cluster_id: db.cluster_id.as_deref(),
        workgroup: db.workgroup.as_deref(),
        region: db.region.as_deref(),
        db_groups: db.db_groups.as_deref(),
        auto_create: db.auto_create,
    };
    match db::url_from(db.database_url.as_deref(), &env) {
        None => Ok(None),
        Some((url, _)) => {
            let settings = db::settings(&url, &flags, &env)?;
            let warnings: Vec<Diagnostic> = settings
                .warnings
                .iter()
                .map(|w| Diagnostic::warning(w.to_string()))
                .collect();
            report_diagnostics(&warnings);
            Ok(Some(settings))
        }
    }
}

fn require_connection(db: &DbArg, command: &str) -> Result<db::Settings, Failure> {
    connection(db)?.ok_or_else(|| {
        let unused = unused_pg_variables()
            .map(|u| format!(". {u}"))
            .unwrap_or_default();
        Failure::Message(format!(
            "{command} needs a database: pass --database-url postgres://USER@HOST:PORT/DB, \
             or set GRANTPLAN_DATABASE_URL{unused}"
        ))
    })
}

/// When no URL was given anywhere but `PGHOST`, `PGHOSTADDR` or `PGDATABASE` is set:
/// that they were not used, and how to use them.
///
/// Why they are not used on their own: without a URL, `plan` plans offline, and a
/// variable left in a shell (or a CI job's environment) must not silently turn every
/// offline plan into a connection to whatever server it names. But someone who set
/// them for psql expects them to count, so grantplan says that they did not, instead of
/// an offline plan or a "needs a database" that looks as if they were never read.
fn unused_pg_variables() -> Option<String> {
    let set: Vec<String> = ["PGHOST", "PGHOSTADDR", "PGDATABASE"]
        .iter()
        .filter(|v| env(v).is_some_and(|x| !x.is_empty()))
        .map(|v| format!("${v}"))
        .collect();
    let (names, verb) = match set.as_slice() {
        [] => return None,
        [one] => (one.clone(), "is set but was"),
        [rest @ .., last] => (
            format!("{} and {last}", rest.join(", ")),
            "are set but were",
        ),
    };
    Some(format!(
        "{names} {verb} not used: grantplan connects only to a database URL given with \
         --database-url, $GRANTPLAN_DATABASE_URL or $DATABASE_URL, whose missing parts the \
         PG* variables then fill; to connect with the PG* variables alone, pass \
         --database-url postgres://"
    ))
}

async fn read_catalog(session: &db::Session) -> Result<Snapshot, Failure> {
    read_showing(&session.client, session.target)
        .await
        .map_err(|e| Failure::Message(format!("cannot read the catalog: {e}")))
}

/// Reads the catalog with a [`CatalogSpinner`].
async fn read_showing(
    client: &tokio_postgres::Client,
    target: crate::model::Target,
) -> Result<Snapshot, catalog::ReadError> {
    let spinner = CatalogSpinner::start();
    let snap = catalog::read_with(client, target, &|p: catalog::Progress| spinner.show(p)).await;
    spinner.0.finish_and_clear();
    snap
}

/// A spinner with the catalog read's current query and row count on stderr, when stderr
/// is a terminal; nothing otherwise.
struct CatalogSpinner(indicatif::ProgressBar);

impl CatalogSpinner {
    fn start() -> Self {
        if !std::io::stderr().is_terminal() {
            return CatalogSpinner(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} reading catalog: {msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        CatalogSpinner(bar)
    }

    fn show(&self, p: catalog::Progress) {
        if !self.0.is_hidden() {
            self.0
                .set_message(format!("{} {} rows", p.step, indicatif::HumanCount(p.rows)));
        }
    }
}

impl apply::Meter<catalog::Progress> for CatalogSpinner {
    fn update(&self, p: catalog::Progress) {
        self.show(p);
    }

    fn finish(self: Box<Self>) {
        self.0.finish_and_clear();
    }
}

fn validate(path: &Path) -> Outcome {
    let config = load_config(path)?;
    report_diagnostics(&config.warnings);
    let count = |k| {
        config
            .principals
            .iter()
            .filter(|d| d.principal.kind == k)
            .count()
    };
    use crate::model::PrincipalKind::*;
    let cluster = match &config.cluster {
        Some(c) => format!(
            "; cluster role {} in account {} ({}, {} policy)",
            c.role_name, c.account_id, c.region, c.policy
        ),
        None => String::new(),
    };
    let n = |n: usize, one: &'static str, many: &'static str| {
        format!("{n} {}", output::plural(n, one, many))
    };
    // The kinds of the target; a single section (`database:`) only when written.
    let kinds: Vec<String> = crate::model::ObjectKind::ALL
        .into_iter()
        .filter(|k| k.exists_on(config.target))
        .filter_map(|k| {
            let info = k.info();
            let rules = config.rules_of(k).len();
            match info.single {
                true => (rules > 0).then(|| format!("the {}", info.noun)),
                false => Some(n(rules, info.noun, info.section)),
            }
        })
        .collect();
    let mut kinds = kinds.join(", ");
    if !config.assume_roles.is_empty() {
        let n = config.assume_roles.len();
        kinds.push_str(&format!(
            ", {n} IAM {} (assume_role)",
            output::plural(n, "role", "roles")
        ));
    }
    if !config.defaults.is_empty() {
        let n = config.defaults.len();
        kinds.push_str(&format!(
            ", {n} default {} (principal, schema and kind)",
            output::plural(n, "privilege", "privileges")
        ));
    }
    print(&format!(
        "{} is valid (target {}, mode {}): {}, {}, {}, {}{cluster}\n",
        config.file,
        config.target,
        match config.mode {
            crate::model::Mode::Authoritative => "authoritative",
            crate::model::Mode::Additive => "additive",
        },
        n(count(Group), "group", "groups"),
        n(count(Role), "role", "roles"),
        n(count(User), "user", "users"),
        kinds
    ))?;
    Ok(0)
}

/// The largest snapshot file `--catalog` reads.
const MAX_SNAPSHOT_BYTES: u64 = 512 * 1024 * 1024;

/// The catalog to work from: a snapshot file, a live server, or none (offline).
/// `expected` is the grants.yaml's target and name, when there is one: a server of
/// another kind is refused before anything is read.
///
/// Snapshots are at most [`MAX_SNAPSHOT_BYTES`]: the 500,000-privilege benchmark snapshot
/// is 61 MB.
fn catalog_source(
    catalog: Option<&Path>,
    db: &DbArg,
    expected: Option<&Config>,
) -> Result<(Option<Snapshot>, Source), Failure> {
    if let Some(file) = catalog {
        // Bounded like plan files: a device or a huge file is refused, not read.
        let text = crate::input::read_text(file, MAX_SNAPSHOT_BYTES)
            .map_err(|e| e.describe(&format!("snapshot {}", file.display())))?;
        let snap = Snapshot::from_json(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok((
            Some(snap),
            Source::Snapshot {
                file: file.display().to_string(),
            },
        ))
    } else if let Some(conn) = connection(db)? {
        let server = db::describe_target(&conn.config);
        let snap = runtime()?.block_on(async {
            let session = db::open(&conn, expected).await?;
            read_catalog(&session).await
        })?;
        Ok((Some(snap), Source::Database { server }))
    } else {
        if let Some(unused) = unused_pg_variables() {
            report_diagnostics(&[Diagnostic::warning(unused)]);
        }
        Ok((None, Source::Offline))
    }
}

fn plan_cmd(args: PlanArgs) -> Outcome {
    let config = load_config(args.file.path())?;
    if let Some(out) = args.out.as_deref().filter(|out| !is_dir_target(out)) {
        // Before reading the catalog: an --out FILE that exists will be refused anyway.
        crate::outfile::check(out, crate::outfile::IfExists::RefuseAlways)?;
    }
    let options = PlanOptions {
        strict: args.strict,
    };
    let (snapshot, source) =
        catalog_source(args.catalog.catalog.as_deref(), &args.db, Some(&config))?;
    let plan = plan::plan_owned(&config, snapshot, options)?;
    plan.verify()?;
    // The plan file's name is fixed before printing, so that markdown can point at it.
    let plan_file = args
        .out
        .as_deref()
        .map(|out| plan_file_path(out, args.file.path()));
    let writes_file = !plan.offline && !plan.is_empty();
    match args.format {
        Format::Markdown => print(&output::markdown_with(
            &plan,
            &source,
            &output::MarkdownOptions {
                limit: args.markdown_limit,
                plan_file: plan_file
                    .as_ref()
                    .filter(|_| writes_file)
                    .map(|p| p.display().to_string()),
            },
        ))?,
        format => print_plan(&plan, &source, format)?,
    }
    if args.format == Format::Sql {
        print_summary(&plan);
    }
    if let (Some(out), Some(path)) = (&args.out, &plan_file) {
        write_plan_file(out, path, &config, &plan, &source)?;
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        2
    } else {
        0
    })
}

/// Whether `plan --out PATH` names a directory: PATH ends in `/` (created when missing,
/// as `migrations/` in a fresh checkout must be), or is one already. Anything else is
/// the plan file's own name.
fn is_dir_target(out: &Path) -> bool {
    out.as_os_str().to_string_lossy().ends_with('/') || out.is_dir()
}

/// `plan --out`: the reviewed-plan file, pinned to grants.yaml and the catalog scope.
/// Where `plan --out OUT` writes: into OUT, named after the time and grants file, when
/// OUT is a directory ([`is_dir_target`]); else OUT itself.
fn plan_file_path(out: &Path, config_path: &Path) -> PathBuf {
    if is_dir_target(out) {
        out.join(planfile::file_name(
            std::time::SystemTime::now(),
            config_path,
        ))
    } else {
        out.to_path_buf()
    }
}

fn write_plan_file(
    out: &Path,
    path: &Path,
    config: &Config,
    plan: &Plan,
    source: &Source,
) -> Result<(), Failure> {
    let database = match source {
        Source::Offline => {
            return Err(Failure::Message(format!(
                "not writing {}: an offline plan knows no catalog, so nothing could check \
                 it before it runs; plan against the server (--database-url) or a snapshot \
                 (--catalog)",
                out.display()
            )))
        }
        Source::Database { server } => server.clone(),
        Source::Snapshot { file } => format!("snapshot {file}"),
    };
    if plan.is_empty() {
        eprintln!("no changes: no plan file written");
        return Ok(());
    }
    let header = planfile::Header {
        target: plan.target,
        database,
        config: config.file.clone(),
        config_sha256: config.sha256.clone(),
        grantplan: env!("CARGO_PKG_VERSION").to_string(),
        catalog: plan.scope.fingerprint(),
    };
    if is_dir_target(out) {
        std::fs::create_dir_all(out).map_err(|e| {
            Failure::Message(format!(
                "cannot create the directory {} for the plan file: {e}",
                out.display()
            ))
        })?;
    }
    if let Some((n, shown)) = planfile::unshowable(&plan.statements, plan.target) {
        return Err(Failure::Message(format!(
            "not writing {}: statement {n} names something holding a control or \
             bidirectional character, which a reviewer cannot see in a file: {shown}; apply \
             without a plan file (its preview shows such names escaped)",
            path.display()
        )));
    }
    let text = planfile::write(&header, &plan.statements);
    // Never over an existing file nor through a symbolic link, and no --force: a
    // reviewed plan file is the thing that was reviewed.
    crate::outfile::write(path, crate::outfile::IfExists::RefuseAlways, |w| {
        w.write_all(text.as_bytes())
    })?;
    eprintln!(
        "wrote {} ({} {}); after review: grantplan apply -f {} {}",
        path.display(),
        plan.statements.len(),
        output::plural(plan.statements.len(), "statement", "statements"),
        config.file,
        path.display()
    );
    Ok(())
}

fn diff_cmd(args: DiffArgs) -> Outcome {
    let config = load_config(args.file.path())?;
    let (snapshot, source) =
        catalog_source(args.catalog.catalog.as_deref(), &args.db, Some(&config))?;
    let plan = plan::plan_owned(&config, snapshot, PlanOptions::default())?;
    report_diagnostics(&plan.warnings);
    if args.format == TextOrJson::Json {
        let doc = output::DiffDoc::new(
            plan.target,
            &source,
            plan.scope.listing(),
            plan.scope.after(&plan.statements, plan.target).listing(),
            &plan.warnings,
        );
        let differs = !doc.removed.is_empty() || !doc.added.is_empty();
        print(&output::to_json(&doc))?;
        return Ok(if args.detailed_exitcode && differs {
            2
        } else {
            0
        });
    }
    // Each listing is joined as soon as it is made, and the plan freed before diffing:
    // a large catalog has a line per privilege on each side.
    let old = lines_text(&plan.scope.listing());
    let new = lines_text(&plan.scope.after(&plan.statements, plan.target).listing());
    drop(plan);
    let now = match &source {
        Source::Offline => "offline (no catalog)".to_string(),
        Source::Database { server } => server.clone(),
        Source::Snapshot { file } => format!("snapshot {file}"),
    };
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("now: {now}"), &format!("with {}", config.file))
        .to_string();
    if diff.is_empty() {
        print(&format!(
            "-- no difference: {now} already holds what {} says\n",
            config.file
        ))?;
    } else {
        print(&diff)?;
    }
    Ok(if args.detailed_exitcode && !diff.is_empty() {
        2
    } else {
        0
    })
}

/// The lines of a `diff` side, each as [`diag::visible`] shows it (a name in a listing
/// must not rewrite the reviewer's terminal; both sides are shown the same way).
fn lines_text(lines: &[String]) -> String {
    let shown: Vec<std::borrow::Cow<'_, str>> = lines
        .iter()
        .map(|l| {
            if l.chars().any(diag::is_unshowable) {
                std::borrow::Cow::Owned(diag::visible(l))
            } else {
                std::borrow::Cow::Borrowed(l.as_str())
            }
        })
        .collect();
    let mut s = shown.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

fn print_plan(plan: &Plan, source: &Source, format: Format) -> Result<(), Failure> {
    match format {
        Format::Sql => {
            report_diagnostics(&plan.warnings);
            print(&output::sql(plan, source))
        }
        Format::Json => print(&output::json(plan, source)),
        Format::Markdown => print(&output::markdown(plan, source)),
    }
}

/// `grantplan apply`: what can be checked without the server is checked here first (bad
/// input never opens a connection); [`apply::run`] does the rest (its module
/// documentation has the steps and why), and this prints what it reports.
fn apply_cmd(args: ApplyArgs) -> Outcome {
    let planfile = match &args.planfile {
        // Bounded (planfile::MAX_FILE_BYTES): a device or a huge file is refused, not read.
        Some(path) => Some((path.display().to_string(), planfile::load(path)?)),
        None => None,
    };
    let config_path = grants_file_for(&args.file, planfile.as_ref().map(|(_, f)| f))?;
    let config = load_config(&config_path)?;
    let reviewed = match planfile {
        Some((name, file)) => Some(apply::ReviewedPlan::check(name, file, &config)?),
        None => None,
    };
    let conn = require_connection(&args.db, "apply")?;
    let server = db::describe_target(&conn.config);
    if let Some(warning) = reviewed.as_ref().and_then(|r| r.made_elsewhere(&server)) {
        report_diagnostics(&[warning]);
    }
    let rt = runtime()?;
    let request = apply::Request {
        config: &config,
        strict: args.strict,
        reviewed: reviewed.as_ref(),
        settings: &conn,
        timeouts: apply::GivenTimeouts {
            lock: args.lock_timeout,
            statement: args.statement_timeout,
            idle: args.idle_timeout,
        },
        confirmation: if args.yes {
            apply::Confirmation::Given
        } else {
            apply::Confirmation::Ask
        },
        record: args.format == TextOrJson::Json,
    };
    let ui = ApplyUi {
        server: &server,
        format: args.format,
    };
    let (target, result, statements, round_trips, warnings) =
        match rt.block_on(apply::run(&request, &ui))? {
            apply::Outcome::Interrupted(signal) => return Ok(signal.exit_code()),
            apply::Outcome::Applied(c) => (c.target, "applied", c.sql, c.round_trips, c.warnings),
            apply::Outcome::Nothing(u) => (u.target, "nothing", Vec::new(), 0, u.warnings),
            apply::Outcome::AlreadyApplied(u) => {
                (u.target, "already_applied", Vec::new(), 0, u.warnings)
            }
        };
    if args.format == TextOrJson::Json {
        print(&output::to_json(&output::ApplyDoc {
            format: "grantplan-apply",
            version: 1,
            target,
            server,
            result,
            statements,
            round_trips,
            warnings,
        }))?;
    }
    Ok(0)
}

/// How `apply` shows the plan and what happens on stderr, and asks on the terminal.
struct ApplyUi<'a> {
    /// The server, as output names it.
    server: &'a str,
    /// `--format`: with `json`, the plan is not printed and one document ends the apply.
    format: TextOrJson,
}

impl apply::Ui for ApplyUi<'_> {
    fn warn(&self, warnings: &[Diagnostic]) {
        report_diagnostics(warnings);
    }

    fn show(&self, plan: &Plan) -> Result<(), apply::UiError> {
        report_diagnostics(&plan.warnings);
        if self.format == TextOrJson::Json {
            // The document at the end says what was applied; warnings go to stderr.
            return Ok(());
        }
        let source = Source::Database {
            server: self.server.to_string(),
        };
        write_stdout(&output::sql(plan, &source)).map_err(apply::UiError::Output)
    }

    fn confirm(&self, plan: &Plan) -> Result<(), apply::UiError> {
        print_summary(plan);
        confirm(&format!(
            "Apply {} {} to {} in one transaction?",
            plan.statements.len(),
            output::plural(plan.statements.len(), "statement", "statements"),
            self.server
        ))
    }

    fn notice(&self, notice: &apply::Notice<'_>) {
        match notice {
            // They quote names from grants.yaml and the catalog: shown, never obeyed.
            apply::Notice::Nothing { .. } | apply::Notice::LockWait { .. } => {
                eprintln!("{}", diag::visible(&notice.to_string()))
            }
            _ => eprintln!("{notice}"),
        }
    }

    fn reading_catalog(&self) -> Box<dyn apply::Meter<catalog::Progress> + '_> {
        Box::new(CatalogSpinner::start())
    }

    fn running(&self, total: usize) -> Box<dyn apply::Meter<usize> + '_> {
        Box::new(StatementsBar::new(total))
    }
}

/// Reads a timeout option the one way all of them take it: a bare whole number is
/// seconds, anything else a number with a unit (`500ms`, `10s`, `2m`, `1h 30m`).
///
/// Why one form: `--connect-timeout 10` took seconds (as libpq's `connect_timeout`
/// does) while `--lock-timeout 10` was refused for want of a unit, and PostgreSQL's own
/// `lock_timeout = 10` means milliseconds. A person who has just typed one timeout
/// should be able to type the next the same way, and a bare number meaning seconds
/// everywhere is what the connect timeout already promised.
fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map(std::time::Duration::from_secs)
            .map_err(|_| DurationError::TooManySeconds {
                seconds: t.to_string(),
            });
    }
    humantime::parse_duration(t).map_err(|reason| DurationError::Unreadable { reason })
}

/// Why a timeout option was refused. clap prints its `Display` after the option
/// (`invalid value '0' for '--lock-timeout <DURATION>': must be more than zero...`);
/// the variants say which rule the value broke.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum DurationError {
    /// Digits only, more seconds than a `u64` holds.
    #[error("`{seconds}` seconds is too long")]
    TooManySeconds { seconds: String },
    /// Neither a number nor a number with a unit; `reason` is humantime's.
    #[error("{reason}: write a number of seconds (10), or a number with a unit (500ms, 10s, 2m)")]
    Unreadable { reason: humantime::DurationError },
    /// Zero, for a timeout where zero would mean no limit.
    #[error("must be more than zero: grantplan never waits without a bound")]
    Zero,
    /// Over PostgreSQL's limit, `max`.
    #[error("must be at most {} (PostgreSQL's limit)", humantime::format_duration(*.max))]
    OverLimit { max: std::time::Duration },
}

/// Parses `--connect-timeout`: [`parse_duration`]; zero waits as long as it takes, as
/// libpq's `connect_timeout=0` does.
fn parse_connect_timeout(text: &str) -> Result<std::time::Duration, DurationError> {
    parse_duration(text)
}

/// Parses `--lock-timeout` (and the other apply timeouts): [`parse_duration`], more
/// than zero (PostgreSQL's 0 would mean no limit, and an apply must never wait without
/// one), within PostgreSQL's limit.
fn parse_lock_timeout(text: &str) -> Result<std::time::Duration, DurationError> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(DurationError::Zero);
    }
    if d > executor::MAX_LOCK_TIMEOUT {
        return Err(DurationError::OverLimit {
            max: executor::MAX_LOCK_TIMEOUT,
        });
    }
    Ok(d)
}

/// The grants file `apply` reads: `-f`'s; else `./grants.yaml`; else, with a plan file,
/// the one its header names (it was planned from that file, and its SHA-256 is checked
/// next), said on stderr.
fn grants_file_for(
    file: &FileArg,
    planfile: Option<&planfile::PlanFile>,
) -> Result<PathBuf, Failure> {
    match (&file.given, planfile) {
        (Some(given), _) => Ok(given.clone()),
        (None, Some(pf)) if !Path::new(DEFAULT_FILE).exists() => {
            let named = PathBuf::from(&pf.header.config);
            if !named.is_file() {
                return Err(Failure::Message(format!(
                    "there is no ./{DEFAULT_FILE}, and the grants file the plan file names, \
                     {}, does not exist here: give the grants file with -f",
                    diag::visible(&pf.header.config)
                )));
            }
            eprintln!(
                "using {}, the grants file the plan file was made from (no ./{DEFAULT_FILE} here)",
                diag::visible(&pf.header.config)
            );
            Ok(named)
        }
        _ => Ok(PathBuf::from(DEFAULT_FILE)),
    }
}

/// A progress bar on stderr for long applies; hidden when stderr is not a terminal.
struct StatementsBar(indicatif::ProgressBar);

impl StatementsBar {
    fn new(total: usize) -> Self {
        if total < executor::BATCH_SIZE || !std::io::stderr().is_terminal() {
            return StatementsBar(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("applying {bar:40} {pos}/{len} statements")
        {
            bar.set_style(style);
        }
        StatementsBar(bar)
    }
}

impl apply::Meter<usize> for StatementsBar {
    fn update(&self, done: usize) {
        self.0.set_position(done as u64);
    }

    fn finish(self: Box<Self>) {
        self.0.finish_and_clear();
    }
}

/// Asks on the terminal; without a terminal there is nobody to ask, so it refuses.
fn confirm(question: &str) -> Result<(), apply::UiError> {
    if !std::io::stdin().is_terminal() {
        return Err(apply::UiError::NoTerminal);
    }
    eprint!("{question} Type yes to continue: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(apply::UiError::Unreadable)?;
    // Exactly `yes`: a stray `y` (or any other key) never applies.
    match answer.trim() {
        "yes" => Ok(()),
        _ => Err(apply::UiError::NotYes),
    }
}

fn snapshot_cmd(args: SnapshotArgs) -> Outcome {
    let conn = require_connection(&args.db, "snapshot")?;
    let if_exists = args.force.if_exists();
    if let Some(path) = &args.out {
        // Before connecting: reading a large catalog only to refuse its file wastes minutes.
        crate::outfile::check(path, if_exists)?;
    }
    let snap = runtime()?.block_on(async {
        let session = db::open(&conn, None).await?;
        read_catalog(&session).await
    })?;
    // Written as it is serialized: the JSON of a large catalog is larger than the
    // snapshot itself, and building it as one string first doubled the peak memory.
    match &args.out {
        Some(path) => crate::outfile::write(path, if_exists, |w| snap.write_json(w))?,
        None => match snap.write_json(std::io::BufWriter::new(std::io::stdout().lock())) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(Failure::Message(format!("cannot write output: {e}")))
            }
            _ => {}
        },
    }
    Ok(0)
}

/// `grantplan export`: the YAML to stdout or `--out`, what it cannot represent to stderr.
fn export_cmd(args: ExportArgs) -> Outcome {
    let if_exists = args.force.if_exists();
    if let Some(path) = &args.out {
        // Before reading the catalog. An existing grants.yaml is refused: it may hold
        // hand edits that an export would throw away.
        crate::outfile::check(path, if_exists)?;
    }
    let (snap, _) = catalog_source(args.catalog.catalog.as_deref(), &args.db, None)?;
    let snap = snap.ok_or_else(|| {
        Failure::Message(
            "export needs a database or a snapshot: pass --database-url \
             postgres://USER@HOST:PORT/DB (or set GRANTPLAN_DATABASE_URL), or --catalog \
             SNAPSHOT.json"
                .to_string(),
        )
    })?;
    let exported = crate::export::export(&snap);
    report_diagnostics(&exported.warnings);
    match &args.out {
        Some(path) => {
            crate::outfile::write(path, if_exists, |w| w.write_all(exported.yaml.as_bytes()))?
        }
        None => print(&exported.yaml)?,
    }
    Ok(0)
}

/// `grantplan doctor`: gathers what the checks need, prints the checklist.
fn doctor_cmd(args: DoctorArgs) -> Outcome {
    let path = match &args.file {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("grants.yaml")).filter(|p| p.exists()),
    };
    let config = match &path {
        Some(p) => Some(load_config(p)?),
        None => None,
    };
    let conn = require_connection(&args.db, "doctor")?;
    let server = db::describe_target(&conn.config);
    let authentication = match &conn.password {
        Some(iam @ db::PasswordSource::Iam { .. }) => iam.to_string(),
        Some(source) => format!("a password {source}"),
        None => "no password".to_string(),
    };
    let checks = runtime()?.block_on(async {
        let session = match db::connect_detailed(&conn, config.as_ref().map(|c| c.target)).await {
            Ok(s) => s,
            Err(e) => {
                let error = db::OpenError::connect(e, config.as_ref());
                return vec![crate::doctor::unreachable(&server, &error)];
            }
        };
        let setup = catalog::read_setup(&session.client, session.target).await;
        let snapshot = read_showing(&session.client, session.target).await;
        crate::doctor::examine(&crate::doctor::Findings {
            server: &server,
            target: session.target,
            evidence: &session.evidence,
            encrypted: session.encrypted,
            certificate_check: &session.certificate_check,
            config: config.as_ref(),
            setup: setup.as_ref(),
            catalog: snapshot.as_ref(),
            authentication: &authentication,
        })
    });
    if config.is_none() {
        report_diagnostics(&[Diagnostic::warning(
            "no grants.yaml here: declared principals and objects were not checked",
        )
        .help("pass -f FILE to check them")]);
    }
    match args.format {
        TextOrJson::Text => print(&crate::doctor::render(&server, &checks))?,
        TextOrJson::Json => print(&output::to_json(&crate::doctor::document(&server, &checks)))?,
    }
    Ok(crate::doctor::exit_code(&checks))
}

/// `grantplan explain`: reads the catalog (and grants.yaml when there is one), explains
/// the principal or model asked about, now or after the plan.
fn explain_cmd(args: ExplainArgs) -> Outcome {
    use crate::explain;
    let path = match &args.file {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
    };
    let config = path.as_deref().map(load_config).transpose()?;
    if args.after && config.is_none() {
        return Err(Failure::Message(
            "--after explains the state after the plan of grants.yaml, and there is no \
             ./grants.yaml: pass -f FILE"
                .to_string(),
        ));
    }
    let (snapshot, source) =
        catalog_source(args.catalog.catalog.as_deref(), &args.db, config.as_ref())?;
    let Some(snapshot) = snapshot else {
        return Err(Failure::Message(
            "explain needs a catalog: pass --catalog SNAPSHOT.json (written by `grantplan \
             snapshot`) or --database-url URL"
                .to_string(),
        ));
    };
    let source = match &source {
        Source::Offline => "offline".to_string(),
        Source::Database { server } => server.clone(),
        Source::Snapshot { file } => format!("snapshot {file}"),
    };
    let fail = |e: explain::Error| Failure::Message(e.to_string());
    explain::supported(snapshot.target).map_err(fail)?;
    let query = match (args.who, args.model) {
        (Some(who), _) => explain::Query::Who(who),
        (None, Some(model)) => explain::Query::Model(model),
        (None, None) => unreachable!("clap requires --who or --model"),
    };
    let role = config
        .as_ref()
        .and_then(|c| c.cluster.as_ref())
        .map(|c| c.role_arn());
    let explanation = match config.as_ref().filter(|_| args.after) {
        Some(config) => {
            let plan = plan::plan(config, Some(&snapshot), PlanOptions::default())?;
            report_diagnostics(&plan.warnings);
            let mut after = snapshot.clone();
            explain::apply_statements(&mut after, &plan.statements);
            let subject = explain::resolve(&after, &query, &source).map_err(fail)?;
            explain::explain_change(
                &snapshot,
                &after,
                &subject,
                role.as_deref(),
                &source,
                &config.file,
                plan.statements.len(),
            )
        }
        None => {
            let subject = explain::resolve(&snapshot, &query, &source).map_err(fail)?;
            explain::explain(&snapshot, &subject, role.as_deref(), &source)
        }
    };
    match args.format {
        TextOrJson::Text => print(&diag::visible_lines(&explain::render(&explanation)))?,
        TextOrJson::Json => print(&output::to_json(&explanation))?,
    }
    Ok(0)
}

/// `grantplan iam`: the role's documents to stdout, or into `--out DIR`.
/// The `iam` output's last section: the ASSUMEROLE statements an offline plan of
/// `config` gives (every `assume_role:` grant), or a line saying there are none.
fn assume_role_section(config: &config::Config) -> String {
    let mut out = String::from(
        "\n# --- ASSUMEROLE grants in grants.yaml (`grantplan apply` runs them, after its \
         transaction; commands.sh does not) ---\n",
    );
    let statements: Vec<String> = plan::plan(config, None, PlanOptions::default())
        .map(|p| {
            p.statements
                .iter()
                .filter(|s| s.after_commit())
                .map(|s| s.render(config.target))
                .collect()
        })
        .unwrap_or_default();
    if statements.is_empty() {
        out.push_str(
            "-- none: grants.yaml has no assume_role: section, so who may use the role is \
             not managed (until `REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL`, every user \
             may)\n",
        );
    }
    for s in statements {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

fn iam_cmd(args: IamArgs) -> Outcome {
    let config = load_config(args.file.path())?;
    report_diagnostics(&config.warnings);
    let Some(cluster) = &config.cluster else {
        return Err(Failure::Diagnostics(vec![Diagnostic::error(format!(
            "{} has no `cluster:` section: `grantplan iam` writes the IAM role of the \
             cluster it describes",
            config.file
        ))
        .at(Some(diag::Location {
            file: config.file.clone(),
            line: 1,
            column: 1,
            path: String::new(),
            len: 1,
        }))
        .help(format!(
            "add one with the account, region, role name and S3 bucket of your cluster, \
             e.g. `{}`",
            config::CLUSTER_EXAMPLE
        ))]));
    };
    let files = crate::iam::files(cluster);
    // The other half of who may use the role: the ASSUMEROLE grants the file asks for,
    // as an offline plan writes them (apply runs them; commands.sh does not).
    let grants = assume_role_section(&config);
    let Some(dir) = &args.out else {
        print(&crate::iam::render(&files))?;
        print(&grants)?;
        eprintln!(
            "grantplan calls no AWS API: review these documents, write them with --out DIR, \
             then run commands.sh there"
        );
        return Ok(0);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::Message(format!("cannot create {}: {e}", dir.display())))?;
    // Every file is checked before any is written: a refused run leaves DIR as it was,
    // not half of one variant's files beside half of another's.
    let if_exists = args.force.if_exists();
    let refused: Vec<crate::outfile::Error> = files
        .iter()
        .filter_map(|f| crate::outfile::check(&dir.join(f.name), if_exists).err())
        .collect();
    if let Some((last, before)) = refused.split_last() {
        for r in before {
            eprintln!("error: {r}");
        }
        return Err(Failure::Message(format!(
            "{last}; nothing was written into {}",
            dir.display()
        )));
    }
    for f in &files {
        let path = dir.join(f.name);
        crate::outfile::write(&path, if_exists, |w| w.write_all(f.contents.as_bytes()))?;
        eprintln!("wrote {}", path.display());
    }
    print(&grants)?;
    for stale in crate::iam::ALL_FILES {
        let path = dir.join(stale);
        if !files.iter().any(|f| f.name == *stale) && path.exists() {
            report_diagnostics(&[Diagnostic::warning(format!(
                "{} is left from an earlier run: commands.sh does not use it",
                path.display()
            ))
            .help("delete it, so that nobody applies it by mistake")]);
        }
    }
    let run = match cluster.serverless {
        None => "CLUSTER_ID=<your cluster> sh commands.sh",
        Some(_) => "sh commands.sh",
    };
    eprintln!(
        "grantplan calls no AWS API: review the files, then run `{run}` in {}",
        dir.display()
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap checks the definition (unique argument ids, valid conflicts) only when a
    /// debug binary parses: check it here, for every subcommand, without running one.
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn every_timeout_reads_bare_seconds_and_numbers_with_units() {
        use std::time::Duration;
        for (text, want) in [
            ("10", Duration::from_secs(10)),
            (" 7 ", Duration::from_secs(7)),
            ("500ms", Duration::from_millis(500)),
            ("10s", Duration::from_secs(10)),
            ("2m", Duration::from_secs(120)),
            ("1h 30m", Duration::from_secs(5400)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
            assert_eq!(parse_lock_timeout(text), Ok(want), "{text}");
            assert_eq!(parse_connect_timeout(text), Ok(want), "{text}");
        }
        // 0 waits as long as it takes for the connection only.
        for zero in ["0", "0s", "0ms"] {
            assert_eq!(parse_connect_timeout(zero), Ok(Duration::ZERO), "{zero}");
            let e = parse_lock_timeout(zero).unwrap_err();
            assert_eq!(e, DurationError::Zero);
            let e = e.to_string();
            assert!(e.contains("more than zero"), "{zero}: {e}");
        }
        for bad in ["", "soon", "1.5", "-1", "10x"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(
                matches!(e, DurationError::Unreadable { .. }),
                "{bad}: {e:?}"
            );
            let e = e.to_string();
            assert!(e.contains("(500ms, 10s, 2m)"), "{bad}: {e}");
        }
        assert_eq!(
            parse_lock_timeout("30d").unwrap_err(),
            DurationError::OverLimit {
                max: executor::MAX_LOCK_TIMEOUT
            }
        );
        assert!(parse_lock_timeout("30d")
            .unwrap_err()
            .to_string()
            .contains("at most"));
        assert_eq!(
            parse_duration("99999999999999999999").unwrap_err(),
            DurationError::TooManySeconds {
                seconds: "99999999999999999999".into()
            }
        );
    }

    #[test]
    fn debug_output_of_the_command_line_holds_no_password() {
        for args in [
            &[
                "grantplan",
                "plan",
                "--database-url",
                "postgres://admin:Hunter2x@h/db",
            ][..],
            &[
                "grantplan",
                "snapshot",
                "--database-url=postgresql://a:Hunter2x@h:1/db",
            ],
            &[
                "grantplan",
                "doctor",
                "--database-url",
                "host=h password=Hunter2x",
            ],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            let debug = format!("{cli:?} {cli:#?}");
            assert!(!debug.contains("Hunter2x"), "{debug}");
            assert!(debug.contains("***"), "{debug}");
        }
    }
}
