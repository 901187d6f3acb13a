//! `grantplan apply`: the workflow that changes a server, from the connection to COMMIT.
//!
//! Everything that can be checked without the server is checked before [`run`] is
//! called: bad input never opens a connection (the caller loads grants.yaml, and a
//! reviewed plan file is pinned to it by [`ReviewedPlan::check`]). Then [`run`]:
//!
//! 1. **Connects** ([`db::open`]), refusing a server of another kind than grants.yaml's
//!    `target` before anything is read.
//! 2. **Previews**, unless the confirmation was given in advance ([`Confirmation`]): the
//!    catalog is read, the plan made and shown and the person asked, all outside any
//!    transaction, so that someone taking minutes to type `yes` holds no lock and no
//!    transaction open.
//! 3. **Opens the apply transaction** ([`executor::ApplyTransaction`]; on PostgreSQL READ
//!    COMMITTED, under the apply lock, with every wait bounded): the executor's module
//!    documentation says why each of these.
//! 4. **Reads the catalog again and plans again inside it**, and compares that plan with
//!    the one confirmed or the reviewed plan file ([`Drift`]): what runs is what the
//!    person saw, planned from what the transaction sees.
//! 5. **Runs the statements**, taking the server-wide roles lock first when they create
//!    roles or change memberships.
//! 6. **Reads and plans a third time** (PostgreSQL), which must leave nothing to do: a
//!    change another session made meanwhile, or a statement without effect, rolls back
//!    ([`Error::NotConverged`]).
//! 7. **Commits**.
//!
//! While the transaction is open, SIGINT and SIGTERM cancel the running statement on the
//! server and roll back ([`Outcome::Interrupted`]). Outside it they keep their default
//! effect: nothing has started, or everything is committed.
//!
//! The library never prints nor reads a terminal: what the person sees and answers goes
//! through the caller's [`Ui`]. Only the catalog readers, the executor and [`db`] touch the
//! database; this module orchestrates them.

use crate::catalog::{self, Snapshot};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::model::Target;
use crate::plan::{self, Plan, PlanOptions};
use crate::planfile::PlanFile;
use crate::sql::Statement;
use crate::{db, executor, output};
use std::fmt;
use std::time::Duration;

/// What to apply, where, and how.
pub struct Request<'a> {
    /// grants.yaml, loaded and validated.
    pub config: &'a Config,
    /// A named schema, model or function that does not exist is an error.
    pub strict: bool,
    /// The reviewed plan file, when one was given: exactly its statements run, or none.
    pub reviewed: Option<&'a ReviewedPlan>,
    /// Where to connect; also how to open the second connection that shows lock waits.
    pub settings: &'a db::Settings,
    pub timeouts: GivenTimeouts,
    pub confirmation: Confirmation,
    /// Keep the statements sent and the plan's warnings for the [`Outcome`] (a document
    /// written at the end needs them). Without it they are freed as soon as they are no
    /// longer needed: a large apply's SQL is large, and the check before COMMIT plans
    /// the whole catalog again.
    pub record: bool,
}

/// The apply's timeouts as given; `None` takes the executor's default. Whether one was
/// given matters on Redshift, which has none of these settings: a given one is warned
/// about ([`GivenTimeouts::ignored_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GivenTimeouts {
    pub lock: Option<Duration>,
    pub statement: Option<Duration>,
    pub idle: Option<Duration>,
}

impl GivenTimeouts {
    /// The timeouts the transaction runs with.
    pub fn resolve(&self) -> executor::Timeouts {
        executor::Timeouts {
            lock: self.lock.unwrap_or(executor::DEFAULT_LOCK_TIMEOUT),
            statement: self
                .statement
                .unwrap_or(executor::DEFAULT_STATEMENT_TIMEOUT),
            idle: self.idle.unwrap_or(executor::DEFAULT_IDLE_TIMEOUT),
        }
    }

    /// The warnings for timeouts given that `target` cannot honour, one per warning (an
    /// option that silently did nothing would read as a bound that holds).
    pub fn ignored_on(&self, target: Target) -> Vec<Diagnostic> {
        let mut warnings = Vec::new();
        if target != Target::Redshift {
            return warnings;
        }
        if self.lock.is_some() {
            warnings.push(Diagnostic::warning(
                "--lock-timeout has no effect on Redshift: it has neither lock_timeout nor \
                 advisory locks, so grantplan neither bounds lock waits there nor keeps two \
                 applies apart",
            ));
        }
        if self.statement.is_some() || self.idle.is_some() {
            warnings.push(Diagnostic::warning(
                "--statement-timeout and --idle-timeout have no effect on Redshift: grantplan \
                 sets them only on PostgreSQL (use the cluster's WLM query timeouts)",
            ));
        }
        warnings
    }
}

/// Whether the person confirms the plan before the transaction opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Preview: read and plan outside any transaction, [`Ui::show`] the plan and
    /// [`Ui::confirm`] it; the plan made inside the transaction must then be the same.
    Ask,
    /// Confirmed in advance (`--yes`): no preview; the plan is shown from inside the
    /// transaction, just before it runs.
    Given,
}

/// What the apply shows the person running it and asks them, implemented by the caller
/// (the CLI). Each method is called at the moment its output belongs, in order with the
/// work on the server.
pub trait Ui: Sync {
    /// Warnings: the apply's own (an ignored option, a lock it may not take).
    fn warn(&self, warnings: &[Diagnostic]);
    /// The plan about to be confirmed or run, with its warnings, for review.
    fn show(&self, plan: &Plan) -> Result<(), UiError>;
    /// Asks whether to apply `plan` (already shown); an error stops the apply before
    /// anything has started.
    fn confirm(&self, plan: &Plan) -> Result<(), UiError>;
    /// What happened, as it happens.
    fn notice(&self, notice: &Notice<'_>);
    /// A catalog read starts: what shows its progress until it ends.
    fn reading_catalog(&self) -> Box<dyn Meter<catalog::Progress> + '_>;
    /// `total` statements start to run: what shows how many have run.
    fn running(&self, total: usize) -> Box<dyn Meter<usize> + '_>;
}

/// The display of one long step's progress. [`Meter::finish`] is called when the step
/// ends; a meter dropped without it belongs to a step that was abandoned (a signal).
pub trait Meter<T>: Sync {
    fn update(&self, at: T);
    fn finish(self: Box<Self>);
}

/// Why the person's side ([`Ui::show`], [`Ui::confirm`]) stopped the apply.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The plan could not be written out (a closed pipe is not an error).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// There is nobody to ask.
    #[error(
        "refusing to apply without confirmation: standard input is not a terminal; \
         review the plan above and pass --yes to apply it"
    )]
    NoTerminal,
    #[error("cannot read the answer: {0}")]
    Unreadable(std::io::Error),
    /// Anything but exactly `yes`: a stray `y` (or any other key) never applies.
    #[error("not applied: the answer was not yes")]
    NotYes,
}

/// What [`Ui::notice`] reports. Its `Display` is the line the CLI prints.
#[derive(Debug)]
pub enum Notice<'a> {
    /// The server already matches grants.yaml: nothing to apply. `plan_file`: the
    /// reviewed plan file whose changes the server already holds, when there is one.
    /// Any transaction open is rolled back next.
    Nothing {
        server: &'a str,
        config: &'a str,
        plan_file: Option<&'a str>,
    },
    /// The apply waits for a lock another session holds (PostgreSQL): who, and how long
    /// until the lock timeout gives up.
    LockWait {
        wait: &'a executor::LockWait,
        lock_timeout: Duration,
    },
    /// COMMIT succeeded.
    Committed {
        server: &'a str,
        statements: usize,
        round_trips: usize,
    },
    /// The statements that run after the commit ran, each committed on its own.
    AfterCommit { server: &'a str, statements: usize },
    /// A signal arrived while COMMIT was under way: the apply is complete all the same,
    /// and the exit code the signal would have given is not used.
    SignalDuringCommit(Signal),
    /// A signal ended the transaction; it was rolled back.
    Interrupted,
}

impl fmt::Display for Notice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Nothing {
                server,
                config,
                plan_file: Some(path),
            } => write!(
                f,
                "already applied: {server} already holds what {path} produces ({server} \
                 matches {config}); nothing to apply"
            ),
            Notice::Nothing {
                server,
                config,
                plan_file: None,
            } => write!(f, "nothing to apply: {server} already matches {config}"),
            Notice::LockWait { wait, lock_timeout } => write!(
                f,
                "waiting {:.0}s for a lock held by {}; giving up in {:.0}s (--lock-timeout {})",
                wait.waited.max(0.0),
                wait.holders,
                (lock_timeout.as_secs_f64() - wait.waited).max(0.0),
                humantime::format_duration(*lock_timeout)
            ),
            Notice::Committed {
                server,
                statements,
                round_trips,
            } => write!(
                f,
                "applied {statements} {} to {server} in one transaction ({round_trips} {})",
                output::plural(*statements, "statement", "statements"),
                output::plural(*round_trips, "round trip", "round trips")
            ),
            Notice::AfterCommit { server, statements } => write!(
                f,
                "then ran {statements} ASSUMEROLE {} on {server}, each committed on its own",
                output::plural(*statements, "statement", "statements")
            ),
            Notice::SignalDuringCommit(signal) => write!(
                f,
                "(signal received during COMMIT, exit code {} withheld: the apply had been \
                 committed and is complete)",
                signal.exit_code()
            ),
            Notice::Interrupted => f.write_str("interrupted: nothing was changed (rolled back)"),
        }
    }
}

/// The signals that end an open apply transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// 128 + the signal's number, as a shell reports a process the signal ended.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// How an apply ended without error.
#[derive(Debug)]
pub enum Outcome {
    /// The statements ran and were committed.
    Applied(Committed),
    /// The server already matched grants.yaml: nothing ran.
    Nothing(Unchanged),
    /// A reviewed plan file whose changes the server already holds (a CI job's re-run):
    /// nothing ran.
    AlreadyApplied(Unchanged),
    /// A signal ended the transaction before COMMIT: nothing was changed.
    Interrupted(Signal),
}

/// What [`Outcome::Applied`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub target: Target,
    pub statements: usize,
    pub round_trips: usize,
    /// The statements exactly as sent, with [`Request::record`]; otherwise empty.
    pub sql: Vec<String>,
    /// The warnings of the plan made inside the transaction, with [`Request::record`].
    pub warnings: Vec<Diagnostic>,
    /// Statements run after the commit, each on its own
    /// ([`crate::sql::Statement::after_commit`]).
    pub after_commit: usize,
}

/// What [`Outcome::Nothing`] and [`Outcome::AlreadyApplied`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Unchanged {
    pub target: Target,
    /// The warnings of the plan made inside the transaction, with [`Request::record`];
    /// empty when the preview found nothing to do and no transaction was opened.
    pub warnings: Vec<Diagnostic>,
}

/// Why an apply failed. Nothing was committed, unless the executor's error says that
/// COMMIT's fate is unknown ([`executor::ApplyError::CommitUnknown`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reviewed plan file was planned for another kind of server than grants.yaml
    /// names.
    #[error("{name} was planned for target `{planned}` but {config} declares `{declared}`")]
    PlanFileTarget {
        name: String,
        planned: Target,
        config: String,
        declared: Target,
    },
    /// grants.yaml is not the file the reviewed plan was made from.
    #[error(
        "{config} changed since {name} was planned (it was {was}, it is {is}); nothing was \
         applied. Plan again with `grantplan plan --out DIR` and review the new file"
    )]
    GrantsFileChanged {
        name: String,
        config: String,
        was: String,
        is: String,
    },
    #[error(transparent)]
    Connect(#[from] db::OpenError),
    #[error("cannot read the catalog: {0}")]
    ReadCatalog(#[source] catalog::ReadError),
    /// Planning failed, or a statement's SQL does not mean what was planned: located
    /// findings, shown as diagnostics.
    #[error("{}", messages(.0))]
    Plan(Vec<Diagnostic>),
    #[error(transparent)]
    Drifted(#[from] Drift),
    #[error(transparent)]
    Ui(#[from] UiError),
    #[error(transparent)]
    Execute(#[from] executor::ApplyError),
    /// A statement waited out the lock timeout; `holders` is who held the lock, as the
    /// lock-wait watcher last saw it.
    #[error("{source}\n  held by: {holders}")]
    LockHeld {
        source: executor::ApplyError,
        holders: String,
    },
    #[error(
        "cannot read the catalog again after the statements ran: {0}; nothing was applied \
         (rolled back)"
    )]
    Reread(#[source] catalog::ReadError),
    /// Planning again after the statements failed: the planner's findings and, last, what
    /// that means for the apply.
    #[error("{}", messages(.0))]
    Replan(Vec<Diagnostic>),
    /// After the statements ran, planning again inside the transaction still gives
    /// `remaining`: the result is not what was checked and shown.
    #[error("{}", not_converged(*.ran, .server, .config, .remaining))]
    NotConverged {
        ran: usize,
        server: String,
        config: String,
        remaining: Vec<String>,
    },
    /// The transaction committed; of the statements run after it, one at a time
    /// ([`crate::sql::Statement::after_commit`]), `ran` did before `statement` failed.
    #[error(
        "the transaction committed ({committed} {}); then {ran} of {total} ASSUMEROLE \
         statements applied, and the next failed, so the rest did not run\n  statement: \
         {shown}\n  server: {server}\n  run apply again to converge: it plans what is left",
        output::plural(*.committed, "statement", "statements"),
        shown = crate::sql::headline(.statement)
    )]
    AfterCommit {
        committed: usize,
        ran: usize,
        total: usize,
        statement: String,
        server: String,
    },
}

/// The messages of diagnostics, one a line (the CLI shows them located instead).
fn messages(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    lines.join("\n")
}

/// What a rolled-back apply says about itself.
const ROLLED_BACK: &str = "nothing was applied (rolled back)";

/// [`Error::NotConverged`]'s message: the first 20 statements left to do, shortened to a
/// line each, then how many more.
fn not_converged(ran: usize, server: &str, config: &str, remaining: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut listed: String = remaining
        .iter()
        .take(SHOWN)
        .map(|l| format!("\n  {}", crate::sql::headline(l)))
        .collect();
    if remaining.len() > SHOWN {
        listed.push_str(&format!("\n  ... and {} more", remaining.len() - SHOWN));
    }
    format!(
        "after its {ran} statements ran, {server} still differs from {config}: planning again \
         inside the transaction gives {} more statement(s):{listed}\n{ROLLED_BACK}. Either \
         another session changed these grants while grantplan applied them (apply again), or \
         a statement had no effect (for example a REVOKE of a privilege that another role \
         granted: only that grantor can revoke it)",
        remaining.len()
    )
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Self {
        Error::Plan(d)
    }
}

/// A plan made now that is not the one reviewed or confirmed: nothing is applied, and the
/// message shows the difference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Drift {
    pub against: Against,
    /// The catalog fingerprints, when they differ: the catalog changed since.
    pub catalog: Option<Moved>,
    /// The statements as a unified diff, the baseline's against the plan made now; empty
    /// when only the fingerprint moved.
    pub diff: String,
}

/// What a plan made in the transaction is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// A reviewed plan file, by the name it was given.
    Reviewed(String),
    /// The plan shown in the preview and confirmed.
    Confirmed,
}

/// A catalog fingerprint that moved: what it was, what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub was: String,
    pub is: String,
}

impl Against {
    /// `reviewed` or `confirmed`.
    fn kind(&self) -> &'static str {
        match self {
            Against::Reviewed(_) => "reviewed",
            Against::Confirmed => "confirmed",
        }
    }

    /// The diff's header for the baseline.
    fn label(&self) -> String {
        match self {
            Against::Reviewed(name) => format!("reviewed: {name}"),
            Against::Confirmed => "confirmed: the plan above".into(),
        }
    }

    /// Why, when the fingerprint moved.
    fn changed(&self) -> String {
        match self {
            Against::Reviewed(name) => format!("the catalog changed since {name} was planned"),
            Against::Confirmed => {
                "the catalog changed while the plan above waited for confirmation".into()
            }
        }
    }

    /// Why, when only the statements differ.
    fn other(&self) -> String {
        match self {
            Against::Reviewed(name) => {
                format!("planning now gives other statements than {name} holds")
            }
            Against::Confirmed => {
                "planning again gives other statements than the ones confirmed".into()
            }
        }
    }

    /// What to do.
    fn again(&self) -> &'static str {
        match self {
            Against::Reviewed(_) => {
                "Plan again with `grantplan plan --out DIR` and review the new file"
            }
            Against::Confirmed => "Run apply again and review the new plan",
        }
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.catalog {
            Some(Moved { was, is }) => write!(
                f,
                "{} (its fingerprint was {was}, it is {is})",
                self.against.changed()
            )?,
            None => f.write_str(&self.against.other())?,
        }
        writeln!(
            f,
            "; nothing was applied. The {} plan and a plan made now differ:",
            self.against.kind()
        )?;
        if self.diff.is_empty() {
            f.write_str("(the statements are the same; what they were planned from is not)\n")?;
        } else {
            f.write_str(&self.diff)?;
        }
        f.write_str(self.against.again())
    }
}

/// Compares a plan made now with the `statements` reviewed or confirmed, planned from a
/// catalog whose fingerprint was `fingerprint`: both must be the same (the statements as
/// the target keeps them).
///
/// Why the fingerprint too: the same statements planned from another catalog may be
/// right by chance, but they were not what was checked; the person reviewed a plan for
/// the catalog as it was.
pub fn compare(
    statements: &[Statement],
    fingerprint: &str,
    against: Against,
    now: &Plan,
) -> Result<(), Drift> {
    let now_fingerprint = now.scope.fingerprint();
    let canonical =
        |s: &[Statement]| -> Vec<Statement> { s.iter().map(|s| s.canonical(now.target)).collect() };
    let same = canonical(statements) == canonical(&now.statements);
    if now_fingerprint == fingerprint && same {
        return Ok(());
    }
    let old = statements_text(statements, now.target);
    let new = statements_text(&now.statements, now.target);
    let diff = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .header(&against.label(), "planned now")
        .to_string();
    Err(Drift {
        catalog: (now_fingerprint != fingerprint).then(|| Moved {
            was: fingerprint.to_string(),
            is: now_fingerprint,
        }),
        against,
        diff,
    })
}

/// Statements as [`output::sql`] shows them (in their layout, names escaped), each ending
/// a line: a diff of two of these shows an object added to a statement as a line added.
fn statements_text(statements: &[Statement], target: Target) -> String {
    let mut text = String::new();
    for s in statements {
        text.push_str(&output::shown(s, target).0);
        text.push('\n');
    }
    text
}

/// A reviewed plan file (`plan --out`), checked against the grants file it is applied
/// with: only [`ReviewedPlan::check`] makes one.
#[derive(Debug, Clone)]
pub struct ReviewedPlan {
    name: String,
    file: PlanFile,
}

impl ReviewedPlan {
    /// Pins a plan file read before any connection to grants.yaml: its target, and the
    /// SHA-256 of the grants file it was planned from. A plan made from another grants
    /// file is not the plan that was reviewed for this one. `name`: the file as the user
    /// gave it, for messages.
    pub fn check(name: String, file: PlanFile, config: &Config) -> Result<Self, Error> {
        if file.header.target != config.target {
            return Err(Error::PlanFileTarget {
                name,
                planned: file.header.target,
                config: config.file.clone(),
                declared: config.target,
            });
        }
        if config.sha256 != file.header.config_sha256 {
            return Err(Error::GrantsFileChanged {
                name,
                config: config.file.clone(),
                was: file.header.config_sha256,
                is: config.sha256.clone(),
            });
        }
        Ok(ReviewedPlan { name, file })
    }

    /// Before connecting to `server` (as [`db::describe_target`] names it): a warning
    /// when the file was made for another database. A plan file for staging pointed at
    /// production is applied only if the grants it depends on are the same there, and
    /// says so first.
    pub fn made_elsewhere(&self, server: &str) -> Option<Diagnostic> {
        (self.file.header.database != server).then(|| {
            Diagnostic::warning(format!(
                "{} was made for {}, this is {server}: it applies only if every grant it \
                 was planned from is the same here (checked next, inside the transaction)",
                self.name, self.file.header.database
            ))
        })
    }

    /// Whether the file holds statements (an applied one leaves nothing to do: "already
    /// applied").
    fn holds_changes(&self) -> bool {
        !self.file.statements.is_empty()
    }

    /// Checks a plan made now against the file: the same statements from the same
    /// catalog, or the file's changes already on the server (a CI job's re-run: nothing
    /// left to do, and each of the file's statements would change nothing of what the
    /// plan consulted; a missing schema is not "already granted", since a GRANT on it
    /// would add to it).
    pub fn check_against(&self, now: &Plan) -> Result<(), Drift> {
        let already = now.is_empty()
            && self.holds_changes()
            && now.scope.after(&self.file.statements, now.target) == now.scope;
        if already {
            return Ok(());
        }
        compare(
            &self.file.statements,
            &self.file.header.catalog,
            Against::Reviewed(self.name.clone()),
            now,
        )
    }
}

/// Runs one apply: see the module documentation for its steps and why each is there.
pub async fn run(request: &Request<'_>, ui: &dyn Ui) -> Result<Outcome, Error> {
    let session = db::open(request.settings, Some(request.config)).await?;
    let run = Run {
        request,
        ui,
        session: &session,
        server: db::describe_target(&request.settings.config),
        timeouts: request.timeouts.resolve(),
    };
    for warning in request.timeouts.ignored_on(session.target) {
        ui.warn(&[warning]);
    }
    let confirmed = match request.confirmation {
        Confirmation::Given => None,
        Confirmation::Ask => {
            let snap = run
                .read(&session.client, false)
                .await
                .map_err(Error::ReadCatalog)?;
            let plan = run.plan(snap)?;
            run.show(&plan)?;
            if plan.is_empty() {
                ui.notice(&run.nothing());
                return Ok(run.unchanged(Vec::new()));
            }
            ui.confirm(&plan)?;
            Some(plan)
        }
    };
    run.transaction(confirmed.as_ref()).await
}

/// One apply under way.
struct Run<'a> {
    request: &'a Request<'a>,
    ui: &'a dyn Ui,
    session: &'a db::Session,
    /// The server, as messages name it.
    server: String,
    timeouts: executor::Timeouts,
}

/// How the part of the transaction that may be interrupted ended.
enum Ready<'a> {
    /// Nothing to do; the transaction was rolled back. The plan's warnings, if recorded.
    Nothing(Vec<Diagnostic>),
    /// The statements ran and the catalog matches: COMMIT is next, then the statements
    /// that run after it.
    Commit(executor::ApplyTransaction<'a>, Committed, Vec<String>),
}

/// What the work inside the transaction found.
enum Inside {
    Nothing(Vec<Diagnostic>),
    /// What ran, and the statements to run after COMMIT.
    Ran(Committed, Vec<String>),
}

impl Run<'_> {
    /// Reads the catalog, in the transaction open on `client` if `in_transaction`, with
    /// its progress shown.
    async fn read(
        &self,
        client: &tokio_postgres::Client,
        in_transaction: bool,
    ) -> Result<Snapshot, catalog::ReadError> {
        let meter = self.ui.reading_catalog();
        let show = |p: catalog::Progress| meter.update(p);
        let target = self.session.target;
        let snap = if in_transaction {
            catalog::read_in_transaction_with(client, target, &show).await
        } else {
            catalog::read_with(client, target, &show).await
        };
        meter.finish();
        snap
    }

    /// Plans against `snap` (freed once the planner has indexed it), checks that the SQL
    /// means what was planned, and that a reviewed plan file still holds.
    fn plan(&self, snap: Snapshot) -> Result<Plan, Error> {
        let plan = plan::plan_owned(
            self.request.config,
            Some(snap),
            PlanOptions {
                strict: self.request.strict,
            },
        )?;
        plan.verify()?;
        if let Some(reviewed) = self.request.reviewed {
            reviewed.check_against(&plan)?;
        }
        Ok(plan)
    }

    /// Shows the plan for review.
    fn show(&self, plan: &Plan) -> Result<(), Error> {
        if let Some(reviewed) = self.request.reviewed {
            // Same scope, other server (staging vs production, or a snapshot): the
            // statements are right for this catalog, but say so plainly.
            if reviewed.file.header.database != self.server && !plan.is_empty() {
                self.ui.warn(&[Diagnostic::warning(format!(
                    "{} was planned against {}, and is applied to {}, whose managed \
                     grants are the same",
                    reviewed.name, reviewed.file.header.database, self.server
                ))]);
            }
        }
        Ok(self.ui.show(plan)?)
    }

    /// What is said when there is nothing to apply.
    fn nothing(&self) -> Notice<'_> {
        Notice::Nothing {
            server: &self.server,
            config: &self.request.config.file,
            plan_file: self
                .request
                .reviewed
                .filter(|r| r.holds_changes())
                .map(|r| r.name.as_str()),
        }
    }

    /// Nothing to apply: for a plan file whose changes the server holds, already applied.
    fn unchanged(&self, warnings: Vec<Diagnostic>) -> Outcome {
        unchanged(self.request.reviewed, self.session.target, warnings)
    }

    /// The SQL to run: with a plan file exactly its statements, otherwise the plan's;
    /// those inside the transaction, and those after it
    /// ([`crate::sql::Statement::after_commit`]).
    fn sql(&self, plan: &Plan) -> (Vec<String>, Vec<String>) {
        let (statements, target) = match self.request.reviewed {
            Some(reviewed) => (&reviewed.file.statements, reviewed.file.header.target),
            None => (&plan.statements, plan.target),
        };
        let (after, inside): (Vec<&Statement>, Vec<&Statement>) =
            statements.iter().partition(|s| s.after_commit());
        let render = |v: Vec<&Statement>| v.into_iter().map(|s| s.render(target)).collect();
        (render(inside), render(after))
    }

    /// The apply transaction, with SIGINT / SIGTERM watched until COMMIT is sent.
    async fn transaction(&self, confirmed: Option<&Plan>) -> Result<Outcome, Error> {
        let mut interrupts = Interrupts::watch();
        let ready = tokio::select! {
            biased;
            signal = interrupts.next() => {
                executor::abandon(self.session).await;
                self.ui.notice(&Notice::Interrupted);
                return Ok(Outcome::Interrupted(signal));
            }
            ready = self.until_commit(confirmed) => ready?,
        };
        let (tx, mut committed, after) = match ready {
            Ready::Nothing(warnings) => return Ok(self.unchanged(warnings)),
            Ready::Commit(tx, committed, after) => (tx, committed, after),
        };
        // Not interruptible: once COMMIT is sent, only its answer tells what happened.
        tx.commit().await?;
        // An empty transaction before the after-commit statements is no news.
        if committed.statements > 0 || after.is_empty() {
            self.ui.notice(&Notice::Committed {
                server: &self.server,
                statements: committed.statements,
                round_trips: committed.round_trips,
            });
        }
        if let Some(signal) = futures_util::FutureExt::now_or_never(interrupts.next()) {
            self.ui.notice(&Notice::SignalDuringCommit(signal));
        }
        if !after.is_empty() {
            let meter = self.ui.running(after.len());
            let done =
                executor::run_after_commit(&self.session.client, &after, &mut |n| meter.update(n))
                    .await;
            meter.finish();
            if let Some((statement, server)) = done.failed {
                return Err(Error::AfterCommit {
                    committed: committed.statements,
                    ran: done.ran,
                    total: done.total,
                    statement,
                    server,
                });
            }
            committed.after_commit = done.ran;
            if self.request.record {
                committed.sql.extend(after);
            }
            self.ui.notice(&Notice::AfterCommit {
                server: &self.server,
                statements: done.ran,
            });
        }
        Ok(Outcome::Applied(committed))
    }

    /// Everything up to COMMIT; any failure rolls back.
    async fn until_commit(&self, confirmed: Option<&Plan>) -> Result<Ready<'_>, Error> {
        let session = self.session;
        // What the transaction waits for, shown from a second connection within a second
        // (PostgreSQL only: Redshift has neither pg_blocking_pids nor lock timeouts).
        let last_wait = std::sync::Mutex::new(None::<String>);
        let pid = match session.target {
            Target::Postgres => executor::backend_pid(&session.client).await.ok(),
            Target::Redshift => None,
        };
        let work = async {
            let tx =
                executor::ApplyTransaction::begin(&session.client, session.target, &self.timeouts)
                    .await?;
            match self.inside(&tx, confirmed).await {
                Ok(Inside::Ran(committed, after)) => Ok(Ready::Commit(tx, committed, after)),
                Ok(Inside::Nothing(warnings)) => {
                    tx.rollback().await;
                    Ok(Ready::Nothing(warnings))
                }
                Err(e) => {
                    tx.rollback().await;
                    Err(e)
                }
            }
        };
        let result = match pid {
            Some(pid) => tokio::select! {
                biased;
                r = work => r,
                never = watch_waits(self.request.settings, pid, self.timeouts.lock, &last_wait, self.ui) => match never {},
            },
            None => work.await,
        };
        result.map_err(|e| with_holders(e, last_wait.lock().ok().and_then(|l| l.clone())))
    }

    /// Inside the transaction: read, plan, compare, show, run, check.
    async fn inside(
        &self,
        tx: &executor::ApplyTransaction<'_>,
        confirmed: Option<&Plan>,
    ) -> Result<Inside, Error> {
        let target = self.session.target;
        let snap = self
            .read(tx.client(), true)
            .await
            .map_err(Error::ReadCatalog)?;
        let mut plan = self.plan(snap)?;
        match confirmed {
            // A plan file was compared with in `plan`.
            Some(shown) if self.request.reviewed.is_none() => compare(
                &shown.statements,
                &shown.scope.fingerprint(),
                Against::Confirmed,
                &plan,
            )?,
            Some(_) => {}
            None => self.show(&plan)?,
        }
        let warnings = if self.request.record {
            std::mem::take(&mut plan.warnings)
        } else {
            Vec::new()
        };
        if plan.is_empty() {
            self.ui.notice(&self.nothing());
            return Ok(Inside::Nothing(warnings));
        }
        if target == Target::Postgres && plan.changes_roles() {
            if let executor::RolesLock::NotPermitted(why) = tx.lock_roles().await? {
                self.ui.warn(&[Diagnostic::warning(format!(
                    "this plan creates roles or changes memberships, which belong to the whole \
                     server, but this login may not take the server-wide lock that keeps \
                     grantplan applies to other databases of the server from interleaving \
                     with it ({why}); apply as a superuser to have it"
                ))]);
            }
        }
        let (sql, after) = self.sql(&plan);
        let meter = self.ui.running(sql.len());
        let result = tx.execute(&sql, &mut |done| meter.update(done)).await;
        meter.finish();
        let applied = result?;
        // The check below reads and plans the whole catalog again: free this plan and
        // its SQL first (unless recorded), or a large apply holds two of each at its peak.
        let sql = if self.request.record {
            sql
        } else {
            drop(sql);
            Vec::new()
        };
        drop(plan);
        // Redshift: its catalog views are not known to show a transaction its own
        // uncommitted grants, and a false "still differs" would block every apply there.
        if target == Target::Postgres {
            self.check_converged(tx, applied.statements).await?;
        }
        Ok(Inside::Ran(
            Committed {
                target,
                statements: applied.statements,
                round_trips: applied.batches,
                sql,
                warnings,
                after_commit: 0,
            },
            after,
        ))
    }

    /// After the statements, inside the same transaction: reads the catalog again (its
    /// own changes and whatever other sessions committed meanwhile) and plans again.
    /// Anything left to do means the result is not what was checked and shown: another
    /// session changed these grants during the apply, or a statement had no effect.
    async fn check_converged(
        &self,
        tx: &executor::ApplyTransaction<'_>,
        ran: usize,
    ) -> Result<(), Error> {
        let snap = self.read(tx.client(), true).await.map_err(Error::Reread)?;
        let again = plan::plan_owned(
            self.request.config,
            Some(snap),
            PlanOptions {
                strict: self.request.strict,
            },
        )
        .map_err(|mut diags| {
            diags.push(Diagnostic::error(format!(
                "planning again after the {ran} statements ran failed (above); {ROLLED_BACK}"
            )));
            Error::Replan(diags)
        })?;
        if again.is_empty() {
            return Ok(());
        }
        Err(Error::NotConverged {
            ran,
            server: self.server.clone(),
            config: self.request.config.file.clone(),
            remaining: again.sql_statements(),
        })
    }
}

/// [`Outcome::Nothing`], or [`Outcome::AlreadyApplied`] for a reviewed plan file with
/// statements (the checks let an empty plan through for one only when the server already
/// holds its changes).
fn unchanged(
    reviewed: Option<&ReviewedPlan>,
    target: Target,
    warnings: Vec<Diagnostic>,
) -> Outcome {
    let unchanged = Unchanged { target, warnings };
    match reviewed {
        Some(r) if r.holds_changes() => Outcome::AlreadyApplied(unchanged),
        _ => Outcome::Nothing(unchanged),
    }
}

/// A statement's lock timeout names who held the lock, as the watcher last saw them.
fn with_holders(e: Error, holders: Option<String>) -> Error {
    match (e, holders) {
        (
            Error::Execute(source @ executor::ApplyError::StatementLockTimeout { .. }),
            Some(holders),
        ) => Error::LockHeld { source, holders },
        (e, _) => e,
    }
}

/// Watches, from a second connection opened after a second, whether backend `pid` waits
/// for a lock, and tells `ui` who holds it and how long until `lock_timeout` gives up:
/// when the holders change, and every 5 seconds while they do not. Never returns (it is
/// dropped when the apply ends); if the second connection cannot be opened or asked, it
/// falls silent: the apply itself is unaffected.
async fn watch_waits(
    settings: &db::Settings,
    pid: i32,
    lock_timeout: Duration,
    last: &std::sync::Mutex<Option<String>>,
    ui: &dyn Ui,
) -> std::convert::Infallible {
    let idle = || std::future::pending::<std::convert::Infallible>();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let Ok(observer) = db::connect(settings, None).await else {
        return idle().await;
    };
    let mut said: Option<(String, std::time::Instant)> = None;
    loop {
        match executor::lock_wait(&observer.client, pid).await {
            Ok(Some(wait)) => {
                let again = said.as_ref().is_none_or(|(h, at)| {
                    *h != wait.holders || at.elapsed() >= Duration::from_secs(5)
                });
                if again {
                    ui.notice(&Notice::LockWait {
                        wait: &wait,
                        lock_timeout,
                    });
                    said = Some((wait.holders.clone(), std::time::Instant::now()));
                }
                if let Ok(mut l) = last.lock() {
                    *l = Some(wait.holders);
                }
            }
            Ok(None) => said = None,
            Err(_) => return idle().await,
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// SIGINT and SIGTERM, watched while the apply transaction is open. A signal that cannot
/// be watched keeps its default effect (the process ends, the connection closes, and the
/// server rolls back): still nothing is changed, only without the message.
struct Interrupts {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    fn watch() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Interrupts {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Interrupts {}
    }

    /// The next signal.
    async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.int) => Signal::Interrupt,
                _ = recv(&mut self.term) => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Acl, ObjectInfo, PrincipalInfo};
    use crate::model::{Grantee, PrincipalKind, Privilege, Securable};
    use crate::planfile::Header;

    const GRANTS: &str = "target: postgres
roles:
  readers: {}
schemas:
  app:
    usage: [readers]
";

    fn config() -> Config {
        crate::config::parse("grants.yaml", GRANTS).unwrap()
    }

    /// A PostgreSQL catalog with the role `readers` and, when `schema`, the schema `app`
    /// (with USAGE for readers when `granted`).
    fn catalog(schema: bool, granted: bool) -> Snapshot {
        let mut snap = Snapshot::empty(Target::Postgres);
        snap.server.login_superuser = true;
        snap.principals.push(PrincipalInfo {
            kind: PrincipalKind::Role,
            name: "readers".into(),
            login: false,
            superuser: false,
        });
        if schema {
            snap.objects.push(ObjectInfo::new(
                Securable::Schema { name: "app".into() },
                "postgres",
                granted
                    .then(|| Acl {
                        grantee: Grantee::principal(PrincipalKind::Role, "readers"),
                        privilege: Privilege::Usage,
                        grant_option: false,
                    })
                    .into_iter()
                    .collect(),
            ));
        }
        snap
    }

    fn plan_against(snap: &Snapshot) -> Plan {
        plan::plan(&config(), Some(snap), PlanOptions::default()).unwrap()
    }

    /// The plan file `plan --out` would write for `plan`, read back.
    fn file_of(plan: &Plan, config: &Config) -> PlanFile {
        PlanFile {
            header: Header {
                target: plan.target,
                database: "admin@db.example:5432/app".into(),
                config: config.file.clone(),
                config_sha256: config.sha256.clone(),
                grantplan: "0.1.0".into(),
                catalog: plan.scope.fingerprint(),
            },
            statements: plan.statements.clone(),
        }
    }

    fn reviewed(plan: &Plan) -> ReviewedPlan {
        let config = config();
        ReviewedPlan::check("migrations/x.sql".into(), file_of(plan, &config), &config).unwrap()
    }

    #[test]
    fn a_plan_file_is_pinned_to_the_target_and_the_bytes_of_its_grants_file() {
        let config = config();
        let plan = plan_against(&catalog(true, false));
        let file = file_of(&plan, &config);
        assert!(ReviewedPlan::check("x.sql".into(), file.clone(), &config).is_ok());

        let mut other_target = file.clone();
        other_target.header.target = Target::Redshift;
        let e = ReviewedPlan::check("x.sql".into(), other_target, &config).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.sql was planned for target `redshift` but grants.yaml declares `postgres`"
        );

        let edited = crate::config::parse("grants.yaml", &format!("{GRANTS}# edited\n")).unwrap();
        let e = ReviewedPlan::check("x.sql".into(), file, &edited).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "grants.yaml changed since x.sql was planned (it was {}, it is {}); nothing \
                 was applied. Plan again with `grantplan plan --out DIR` and review the new file",
                config.sha256, edited.sha256
            )
        );
    }

    #[test]
    fn a_plan_file_made_for_another_database_is_named_before_connecting() {
        let r = reviewed(&plan_against(&catalog(true, false)));
        assert_eq!(r.made_elsewhere("admin@db.example:5432/app"), None);
        let warning = r.made_elsewhere("admin@prod.example:5432/app").unwrap();
        assert!(!warning.is_error());
        assert_eq!(
            warning.message,
            "migrations/x.sql was made for admin@db.example:5432/app, this is \
             admin@prod.example:5432/app: it applies only if every grant it was planned from \
             is the same here (checked next, inside the transaction)"
        );
    }

    #[test]
    fn the_same_statements_from_the_same_catalog_pass_and_any_difference_is_shown() {
        let plan = plan_against(&catalog(true, false));
        assert_eq!(plan.statements.len(), 1);
        let fingerprint = plan.scope.fingerprint();
        compare(&plan.statements, &fingerprint, Against::Confirmed, &plan).unwrap();

        // Other statements from the same catalog: the diff says which.
        let drift = compare(&[], &fingerprint, Against::Confirmed, &plan).unwrap_err();
        assert_eq!(drift.catalog, None);
        assert_eq!(
            drift.to_string(),
            "planning again gives other statements than the ones confirmed; nothing was \
             applied. The confirmed plan and a plan made now differ:\n\
             --- confirmed: the plan above\n\
             +++ planned now\n\
             @@ -0,0 +1 @@\n\
             +GRANT USAGE ON SCHEMA app TO readers;\n\
             Run apply again and review the new plan"
        );

        // The same statements from another catalog: not what was checked.
        let drift = compare(
            &plan.statements,
            "sha256:old",
            Against::Reviewed("x.sql".into()),
            &plan,
        )
        .unwrap_err();
        assert_eq!(
            drift.to_string(),
            format!(
                "the catalog changed since x.sql was planned (its fingerprint was sha256:old, it \
                 is {fingerprint}); nothing was applied. The reviewed plan and a plan made now \
                 differ:\n(the statements are the same; what they were planned from is not)\n\
                 Plan again with `grantplan plan --out DIR` and review the new file"
            )
        );
    }

    #[test]
    fn a_plan_file_whose_changes_the_server_holds_is_already_applied() {
        let before = plan_against(&catalog(true, false));
        let file = reviewed(&before);
        // The catalog it was planned from: the same statements.
        file.check_against(&before).unwrap();
        // Applied since: nothing left to do, and the file's statements change nothing.
        let after = plan_against(&catalog(true, true));
        assert!(after.is_empty());
        file.check_against(&after).unwrap();
        assert!(matches!(
            unchanged(Some(&file), Target::Postgres, Vec::new()),
            Outcome::AlreadyApplied(_)
        ));
        assert!(matches!(
            unchanged(None, Target::Postgres, Vec::new()),
            Outcome::Nothing(_)
        ));

        // Nothing to do because the schema is gone is not "already applied": a GRANT on
        // it would add to it.
        let gone = plan_against(&catalog(false, false));
        assert!(gone.is_empty());
        let drift = file.check_against(&gone).unwrap_err();
        assert_eq!(drift.against, Against::Reviewed("migrations/x.sql".into()));
        assert!(drift.catalog.is_some(), "{drift}");
        assert!(
            drift
                .diff
                .contains("-GRANT USAGE ON SCHEMA app TO readers;"),
            "{drift}"
        );
    }

    #[test]
    fn a_plan_file_without_statements_finds_nothing_rather_than_already_applied() {
        let after = plan_against(&catalog(true, true));
        let empty = reviewed(&after);
        empty.check_against(&after).unwrap();
        assert!(matches!(
            unchanged(Some(&empty), Target::Postgres, Vec::new()),
            Outcome::Nothing(_)
        ));
    }

    #[test]
    fn what_is_said_as_it_happens() {
        let nothing = Notice::Nothing {
            server: "u@h:5432/d",
            config: "grants.yaml",
            plan_file: None,
        };
        assert_eq!(
            nothing.to_string(),
            "nothing to apply: u@h:5432/d already matches grants.yaml"
        );
        let already = Notice::Nothing {
            server: "u@h:5432/d",
            config: "grants.yaml",
            plan_file: Some("x.sql"),
        };
        assert_eq!(
            already.to_string(),
            "already applied: u@h:5432/d already holds what x.sql produces (u@h:5432/d matches \
             grants.yaml); nothing to apply"
        );
        let wait = executor::LockWait {
            waited: 3.4,
            holders: "pid 7, user bob".into(),
        };
        let waiting = Notice::LockWait {
            wait: &wait,
            lock_timeout: Duration::from_secs(10),
        };
        assert_eq!(
            waiting.to_string(),
            "waiting 3s for a lock held by pid 7, user bob; giving up in 7s (--lock-timeout 10s)"
        );
        for (statements, round_trips, text) in [
            (
                1,
                1,
                "applied 1 statement to u@h:5432/d in one transaction (1 round trip)",
            ),
            (
                401,
                3,
                "applied 401 statements to u@h:5432/d in one transaction (3 round trips)",
            ),
        ] {
            let committed = Notice::Committed {
                server: "u@h:5432/d",
                statements,
                round_trips,
            };
            assert_eq!(committed.to_string(), text);
        }
        assert_eq!(
            Notice::SignalDuringCommit(Signal::Terminate).to_string(),
            "(signal received during COMMIT, exit code 143 withheld: the apply had been \
             committed and is complete)"
        );
        assert_eq!(
            Notice::Interrupted.to_string(),
            "interrupted: nothing was changed (rolled back)"
        );
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Terminate.exit_code(), 143);
    }

    #[test]
    fn what_redshift_cannot_bound_is_said_once_per_kind_of_timeout() {
        let none = GivenTimeouts::default();
        assert_eq!(none.resolve(), executor::Timeouts::default());
        let all = GivenTimeouts {
            lock: Some(Duration::from_secs(1)),
            statement: Some(Duration::from_secs(2)),
            idle: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            all.resolve(),
            executor::Timeouts {
                lock: Duration::from_secs(1),
                statement: Duration::from_secs(2),
                idle: Duration::from_secs(3),
            }
        );
        assert!(all.ignored_on(Target::Postgres).is_empty());
        assert!(none.ignored_on(Target::Redshift).is_empty());
        let warned: Vec<String> = all
            .ignored_on(Target::Redshift)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(warned.len(), 2, "{warned:?}");
        assert!(warned[0].starts_with("--lock-timeout has no effect on Redshift"));
        assert!(warned[1].starts_with("--statement-timeout and --idle-timeout"));
        let idle_only = GivenTimeouts {
            idle: Some(Duration::from_secs(3)),
            ..GivenTimeouts::default()
        };
        assert_eq!(idle_only.ignored_on(Target::Redshift).len(), 1);
    }

    #[test]
    fn only_a_statement_lock_timeout_names_who_held_the_lock() {
        let timeout = || {
            Error::Execute(executor::ApplyError::StatementLockTimeout {
                number: 2,
                total: 3,
                sql: "GRANT USAGE ON SCHEMA app TO readers;".into(),
                server: "55P03: canceling statement due to lock timeout".into(),
                waited: Duration::from_secs(10),
            })
        };
        let plain = timeout().to_string();
        let held = with_holders(timeout(), Some("pid 7, user bob".into()));
        assert!(matches!(held, Error::LockHeld { .. }));
        assert_eq!(
            held.to_string(),
            format!("{plain}\n  held by: pid 7, user bob")
        );
        assert!(matches!(with_holders(timeout(), None), Error::Execute(_)));
        let locked = Error::Execute(executor::ApplyError::Locked {
            holder: None,
            waited: Duration::from_secs(10),
        });
        assert!(matches!(
            with_holders(locked, Some("pid 7".into())),
            Error::Execute(executor::ApplyError::Locked { .. })
        ));
    }

    #[test]
    fn a_result_that_still_differs_lists_twenty_statements_and_counts_the_rest() {
        let remaining: Vec<String> = (0..25)
            .map(|i| format!("GRANT USAGE ON SCHEMA s{i} TO readers;"))
            .collect();
        let e = Error::NotConverged {
            ran: 4,
            server: "u@h:5432/d".into(),
            config: "grants.yaml".into(),
            remaining,
        }
        .to_string();
        assert!(
            e.starts_with(
                "after its 4 statements ran, u@h:5432/d still differs from grants.yaml: \
                 planning again inside the transaction gives 25 more statement(s):\n  GRANT \
                 USAGE ON SCHEMA s0 TO readers;\n"
            ),
            "{e}"
        );
        assert!(e.contains("\n  GRANT USAGE ON SCHEMA s19 TO readers;\n  ... and 5 more\nnothing was applied (rolled back). Either another session"), "{e}");
        assert!(!e.contains("s20 "), "{e}");
    }
}
