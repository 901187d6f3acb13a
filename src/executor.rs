//! Running a plan: every statement in ONE transaction, all or nothing; on PostgreSQL with
//! no other grantplan apply in between, and with every lock wait bounded.
//!
//! # The apply transaction ([`ApplyTransaction`])
//!
//! `grantplan apply` reads the catalog, plans, checks a reviewed plan file, runs the
//! statements and commits in one transaction, so that what it checked is what it changes.
//! On PostgreSQL, [`ApplyTransaction::begin`] sends
//!
//! ```sql
//! BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL lock_timeout = '10000ms';
//! SET LOCAL statement_timeout = '300000ms';
//! SET LOCAL idle_in_transaction_session_timeout = '60000ms';
//! SELECT pg_advisory_xact_lock(7454127460279413857);
//! ```
//!
//! then the caller ([`crate::apply`]) reads the catalog
//! ([`crate::catalog::read_in_transaction_with`]), plans and checks, [`ApplyTransaction::execute`]
//! runs the statements, the caller reads the catalog again and plans again (the plan must
//! now be empty), and [`ApplyTransaction::commit`] commits. Anything else rolls back.
//!
//! **Why READ COMMITTED, not REPEATABLE READ.** Under REPEATABLE READ the transaction's
//! snapshot is taken by its first query, and `SELECT pg_advisory_xact_lock(..)` is that
//! query: the snapshot would be taken *before* waiting for the lock, so an apply that
//! waited for another one would then plan from the catalog as it was before the other
//! one committed. (Only `LOCK TABLE` locks without taking a snapshot, and there is no
//! table of ours to lock.) Under READ COMMITTED every statement takes a fresh snapshot,
//! so the read after the lock sees everything the previous holder committed. A snapshot
//! would not protect the writes either: GRANT, REVOKE and CREATE ROLE update catalog rows
//! in their latest committed version, not as the transaction's snapshot shows them
//! (PostgreSQL manual, "Concurrency Control", Caveats: "Internal access to the system
//! catalogs is not done using the isolation level of the current transaction"), so a
//! change another session commits after the read is neither seen nor stopped by it.
//!
//! **What closes the remaining gap.** Other grantplan applies cannot run in between (the
//! advisory lock). Any other session may still change the catalog between the read and
//! the writes, or between two of the read's queries. So after the statements the caller
//! reads the catalog again, inside the same transaction (seeing its own changes and
//! everything committed since), and plans again: anything but an empty plan rolls back.
//! A concurrent change to a row this transaction already changed cannot commit before it
//! (it waits for this transaction's row lock); a concurrent change committed to a row
//! this transaction is about to change makes its statement fail ("tuple concurrently
//! updated"). Whatever commits after the final read is simply ordered after the apply.
//!
//! **The advisory lock.** `pg_advisory_xact_lock(bigint)` with one fixed key,
//! [`LOCK_KEY`]. PostgreSQL scopes advisory locks to the current database (the lock tag
//! carries the database's OID: `pg_locks.database`), so the one key is one lock per
//! database: applies to different databases do not wait for each other. The
//! transaction-level form is released by COMMIT and ROLLBACK and by the server when the
//! connection dies, so it cannot be left behind (a session-level lock could, and is lost
//! or leaked behind a transaction-pooling proxy). It is taken with a blocking call under
//! `lock_timeout` rather than a `pg_try_advisory_xact_lock` loop: the waiter wakes the
//! moment the holder ends, and the same `lock_timeout` then bounds every lock wait of the
//! statements themselves (another open transaction holding a row of `pg_namespace`,
//! `pg_proc`, `pg_authid` or `pg_auth_members` that a statement changes).
//!
//! **What is server-wide.** Roles and memberships belong to the whole server, not to a
//! database, so two applies to two databases that change the same group's members could
//! each check its own result (neither sees the other's uncommitted change), both commit,
//! and leave the group matching neither file. So an apply whose plan creates roles or
//! changes memberships first takes [`ROLES_LOCK_SQL`]: `SHARE UPDATE EXCLUSIVE` on
//! `pg_authid`, a shared catalog, whose lock tag carries no database and so conflicts
//! across databases. It conflicts with itself (a second apply waits, under
//! `lock_timeout`) but not with the `ROW EXCLUSIVE` that `CREATE ROLE` or `GRANT role`
//! take, nor with readers: only other grantplan applies wait. Taken before the
//! statements and held to COMMIT, it orders the second apply's statements and final
//! check after the first commits, so the final check sees the first's members and rolls
//! back instead of mixing. Only superusers may lock a catalog (LOCK TABLE needs UPDATE on
//! it); for anyone else the lock is skipped with a warning ([`RolesLock::NotPermitted`]),
//! and the README says what that leaves open.
//!
//! **Stalls.** `statement_timeout` bounds each statement (each one of a batch on its
//! own, PostgreSQL 13 and later) and `idle_in_transaction_session_timeout` ends the
//! session, rolling back and releasing every lock, when grantplan stops talking in the
//! middle of its transaction (the process stopped, the machine suspended): a stalled
//! client never holds its locks for longer than that.
//!
//! **Redshift** has no advisory lock functions and no `lock_timeout` setting, and does not
//! lock its system catalog tables within a transaction; there `begin` sends a plain
//! `BEGIN`. The apply is still all or nothing, but two concurrent applies are not kept
//! apart and a lock wait is not bounded by grantplan.
//!
//! # Statements
//!
//! Statements are sent in batches over the simple query protocol (many statements, one
//! round trip), which is what makes large applies fast. The server answers each statement
//! of a batch with a CommandComplete until one fails, so counting them names the failing
//! statement without replaying anything and without SAVEPOINT (which Redshift lacks).

use crate::db::describe_error;
use crate::model::Target;
use std::time::Duration;
use tokio_postgres::{Client, SimpleQueryMessage};

/// Statements per round trip. Large enough that round trips stop mattering, small enough
/// that progress is reported often.
pub const BATCH_SIZE: usize = 200;

/// The advisory lock every apply to a PostgreSQL database takes: the ASCII bytes of
/// `grantpla`, as one big-endian `bigint` (`0x6772616e74706c61`). In `pg_locks` it is the
/// `advisory` lock with `classid = 1735549294`, `objid = 1953524833`, `objsubid = 1`.
pub const LOCK_KEY: i64 = i64::from_be_bytes(*b"grantpla");

/// How long an apply waits, by default, for the apply lock and for each lock a statement
/// needs.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one statement of an apply may run, by default (a batch of a large apply
/// takes about a second; a catalog read of a very large database a few).
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long the apply's session may sit idle inside its transaction, by default, before
/// the server ends it (grantplan itself never pauses there: the confirmation prompt comes
/// before the transaction).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The server-wide lock an apply that creates roles or changes memberships takes (see
/// the module documentation, "What is server-wide").
pub const ROLES_LOCK_SQL: &str = "LOCK TABLE pg_catalog.pg_authid IN SHARE UPDATE EXCLUSIVE MODE";

/// The bounds of an apply's waits on PostgreSQL (Redshift has none of these settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For the apply lock and for each lock a statement waits for.
    pub lock: Duration,
    /// For each statement.
    pub statement: Duration,
    /// For the session idle inside the transaction.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock: DEFAULT_LOCK_TIMEOUT,
            statement: DEFAULT_STATEMENT_TIMEOUT,
            idle: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Whether [`ApplyTransaction::lock_roles`] holds the server-wide lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolesLock {
    Taken,
    /// The login may not lock `pg_authid` (not a superuser): the server's message.
    NotPermitted(String),
}

/// The longest lock timeout PostgreSQL accepts (`lock_timeout` is an `int` of
/// milliseconds).
pub const MAX_LOCK_TIMEOUT: Duration = Duration::from_millis(i32::MAX as u64);

/// What a successful apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub statements: usize,
    pub batches: usize,
}

/// Why an apply failed. Unless the variant says otherwise, the transaction was not
/// committed: nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// One statement was refused by the server.
    #[error("statement {number} of {total} failed, nothing was applied (rolled back)\n  statement: {shown}\n  server: {server}", shown = crate::sql::headline(.sql))]
    Statement {
        /// 1-based position in the plan.
        number: usize,
        total: usize,
        /// The statement exactly as sent; its message shows it shortened to one line
        /// ([`crate::sql::headline`]).
        sql: String,
        /// SQLSTATE, message, detail and hint; for a statement of several lines, the line
        /// the server's error position points into.
        server: String,
        /// The SQLSTATE alone, when the server sent one.
        code: Option<String>,
    },
    /// One statement waited longer than the lock timeout for a lock another session holds.
    #[error("statement {number} of {total} waited longer than the lock timeout ({}) for a lock that another session holds, nothing was applied (rolled back)\n  statement: {shown}\n  server: {server}\n  another open transaction holds a conflicting lock on what this statement changes (for example it changed the same schema, function or role and has not committed): let it finish and apply again, or raise --lock-timeout", humantime::format_duration(*.waited), shown = crate::sql::headline(.sql))]
    StatementLockTimeout {
        number: usize,
        total: usize,
        sql: String,
        server: String,
        waited: Duration,
    },
    /// The connection ended while a statement ran (the server was stopped, the backend
    /// was terminated, the network failed). COMMIT was never sent, so the server rolls
    /// the transaction back.
    #[error("the connection to the server was lost while statement {number} of {total} ran; the transaction was never committed, so the server rolled it back: nothing was changed\n  statement: {shown}\n  server: {server}", shown = crate::sql::headline(.sql))]
    ConnectionLost {
        number: usize,
        total: usize,
        sql: String,
        server: String,
    },
    /// A batch failed but the server's answers did not single out a statement.
    #[error("statements {first}..={last} of {total} failed, nothing was applied (rolled back)\n  server: {server}")]
    Batch {
        first: usize,
        last: usize,
        total: usize,
        server: String,
    },
    /// Another session holds the server-wide roles lock: another grantplan apply, to
    /// another database of the server maybe, is creating roles or changing memberships.
    #[error("another grantplan apply (or a session holding its lock) is creating roles or changing memberships on this server, maybe in another database: waited {} (the lock timeout) for its lock on pg_authid, nothing was applied. Apply again when it has finished, or raise --lock-timeout", humantime::format_duration(*.waited))]
    RolesLocked { waited: Duration },
    /// Another session holds the apply lock: another grantplan apply is running against
    /// this database.
    #[error("another grantplan apply (or a session holding its lock) is running against this database{}: waited {} (the lock timeout) for its lock, nothing was applied. Apply again when it has finished, or raise --lock-timeout", .holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default(), humantime::format_duration(*.waited))]
    Locked {
        /// Who holds the lock, as `pg_stat_activity` shows it, when it could be read.
        holder: Option<String>,
        waited: Duration,
    },
    /// The transaction could not be started, or COMMIT was refused by the server (which
    /// then rolled back).
    #[error("{what} failed, nothing was applied: {server}")]
    Transaction { what: &'static str, server: String },
    /// The connection ended while COMMIT was on its way: the server may or may not have
    /// committed.
    #[error("the connection to the server was lost during COMMIT, so whether the changes were committed is unknown: {server}\n  run `grantplan plan` against the server to see which state it is in (no changes left means they were committed)")]
    CommitUnknown { server: String },
}

/// Whether `e` means the connection is gone (rather than one statement refused).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::Severity;
    if e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        Some(db) => matches!(
            db.parsed_severity(),
            Some(Severity::Fatal) | Some(Severity::Panic)
        ),
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// The statements that open the apply transaction on `target` (the advisory lock is
/// taken separately, by [`lock_sql`], so that its timeout is told apart).
pub fn begin_sql(target: Target, timeouts: &Timeouts) -> String {
    match target {
        Target::Postgres => format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; \
             SET LOCAL lock_timeout = '{}ms'; SET LOCAL statement_timeout = '{}ms'; \
             SET LOCAL idle_in_transaction_session_timeout = '{}ms'",
            lock_timeout_ms(timeouts.lock),
            lock_timeout_ms(timeouts.statement),
            lock_timeout_ms(timeouts.idle)
        ),
        Target::Redshift => "BEGIN".to_string(),
    }
}

/// Takes the apply lock (PostgreSQL only), waiting at most `lock_timeout`.
pub fn lock_sql() -> String {
    format!("SELECT pg_advisory_xact_lock({LOCK_KEY})")
}

/// Who holds the apply lock in this database, one row per holder. `pg_locks` shows a
/// `bigint` key as its high 32 bits (`classid`) and low 32 bits (`objid`), with
/// `objsubid = 1`.
pub fn lock_holder_sql() -> String {
    format!(
        "SELECT concat_ws(', ', 'pid ' || a.pid, 'user ' || a.usename, \
         'application ' || nullif(a.application_name, ''), 'from ' || host(a.client_addr), \
         'in a transaction since ' || to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ')) \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND l.classid = {} AND l.objid = {} AND l.objsubid = 1",
        (LOCK_KEY >> 32) as u32,
        LOCK_KEY as u32
    )
}

/// A timeout in whole milliseconds, rounded up, within what PostgreSQL accepts (its
/// timeouts are `int`s of milliseconds).
fn lock_timeout_ms(d: Duration) -> u64 {
    let ms = d.as_nanos().div_ceil(1_000_000).max(1);
    ms.min(MAX_LOCK_TIMEOUT.as_millis()) as u64
}

/// An open apply transaction on a connection. Nothing rolls it back on drop (there is no
/// async drop): end it with [`ApplyTransaction::commit`] or
/// [`ApplyTransaction::rollback`], or close the connection, which makes the server roll
/// it back.
pub struct ApplyTransaction<'a> {
    client: &'a Client,
    lock_timeout: Duration,
}

impl<'a> ApplyTransaction<'a> {
    /// Opens the transaction and, on PostgreSQL, takes the apply lock (see the module
    /// documentation). A lock held past `lock_timeout` is [`ApplyError::Locked`], with the
    /// holder named when `pg_stat_activity` shows it; the transaction is then rolled back.
    pub async fn begin(
        client: &'a Client,
        target: Target,
        timeouts: &Timeouts,
    ) -> Result<ApplyTransaction<'a>, ApplyError> {
        let lock_timeout = timeouts.lock;
        let tx = Self::open(client, &begin_sql(target, timeouts), lock_timeout).await?;
        if target == Target::Postgres {
            if let Err(e) = client.batch_execute(&lock_sql()).await {
                tx.rollback().await;
                if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
                    return Err(ApplyError::Locked {
                        holder: lock_holder(client).await,
                        waited: lock_timeout,
                    });
                }
                return Err(ApplyError::Transaction {
                    what: "taking the apply lock",
                    server: describe_error(&e),
                });
            }
        }
        Ok(tx)
    }

    /// Sends `begin` (the statement that opens the transaction) and holds the result.
    async fn open(
        client: &'a Client,
        begin: &str,
        lock_timeout: Duration,
    ) -> Result<ApplyTransaction<'a>, ApplyError> {
        client
            .batch_execute(begin)
            .await
            .map_err(|e| ApplyError::Transaction {
                what: "BEGIN",
                server: describe_error(&e),
            })?;
        Ok(ApplyTransaction {
            client,
            lock_timeout,
        })
    }

    /// The connection, to read the catalog inside the transaction.
    pub fn client(&self) -> &'a Client {
        self.client
    }

    /// Takes the server-wide roles lock ([`ROLES_LOCK_SQL`], PostgreSQL only), waiting at
    /// most the lock timeout. A login that may not take it gets
    /// [`RolesLock::NotPermitted`] and the transaction goes on (the attempt is made inside
    /// a savepoint, so its failure does not abort the transaction).
    pub async fn lock_roles(&self) -> Result<RolesLock, ApplyError> {
        let failed = |e: &tokio_postgres::Error| ApplyError::Transaction {
            what: "taking the roles lock",
            server: describe_error(e),
        };
        self.client
            .batch_execute("SAVEPOINT grantplan_roles_lock")
            .await
            .map_err(|e| failed(&e))?;
        match self.client.batch_execute(ROLES_LOCK_SQL).await {
            Ok(()) => {
                // RELEASE keeps the lock: it is held to the end of the transaction.
                self.client
                    .batch_execute("RELEASE SAVEPOINT grantplan_roles_lock")
                    .await
                    .map_err(|e| failed(&e))?;
                Ok(RolesLock::Taken)
            }
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                Err(ApplyError::RolesLocked {
                    waited: self.lock_timeout,
                })
            }
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
            {
                self.client
                    .batch_execute(
                        "ROLLBACK TO SAVEPOINT grantplan_roles_lock; \
                         RELEASE SAVEPOINT grantplan_roles_lock",
                    )
                    .await
                    .map_err(|e| failed(&e))?;
                Ok(RolesLock::NotPermitted(describe_error(&e)))
            }
            Err(e) => Err(failed(&e)),
        }
    }

    /// Runs `statements` in order, [`BATCH_SIZE`] per round trip. `progress` is called
    /// with the number of statements done after each batch. On error the transaction is
    /// left aborted: roll it back.
    pub async fn execute(
        &self,
        statements: &[String],
        progress: &mut dyn FnMut(usize),
    ) -> Result<Applied, ApplyError> {
        let total = statements.len();
        let mut done = 0;
        let mut batches = 0;
        for chunk in statements.chunks(BATCH_SIZE) {
            batches += 1;
            if let Err((completed, e)) = run_batch(self.client, chunk).await {
                let (failed, at) = failing_statement(chunk, completed, &e);
                return Err(self.failure(chunk, done, (failed, at), total, e));
            }
            done += chunk.len();
            progress(done);
        }
        Ok(Applied {
            statements: total,
            batches,
        })
    }

    /// The error for the statement after the `completed` ones of `chunk` (which started
    /// after `done` statements); `at`, the character of that statement the server's error
    /// position points to.
    fn failure(
        &self,
        chunk: &[String],
        done: usize,
        (completed, at): (usize, Option<usize>),
        total: usize,
        e: tokio_postgres::Error,
    ) -> ApplyError {
        let mut server = describe_error(&e);
        let Some(sql) = chunk.get(completed) else {
            return ApplyError::Batch {
                first: done + 1,
                last: done + chunk.len(),
                total,
                server,
            };
        };
        let number = done + completed + 1;
        // The message shows a statement of several lines shortened: name the line the
        // server points into (its `at character` counts in the whole batch).
        if let Some((line, text)) = at.and_then(|at| line_at(sql, at)) {
            server.push_str(&format!(
                "\n  in line {line} of the statement: {}",
                text.trim_start()
            ));
        }
        let sql = sql.clone();
        if connection_lost(&e) {
            return ApplyError::ConnectionLost {
                number,
                total,
                sql,
                server,
            };
        }
        if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
            // The server's context line says what was waited for ("while updating tuple
            // (0,8) in relation pg_namespace").
            let server = match e.as_db_error().and_then(|d| d.where_()) {
                Some(w) => format!("{server}\n  waiting: {w}"),
                None => server,
            };
            return ApplyError::StatementLockTimeout {
                number,
                total,
                sql,
                server,
                waited: self.lock_timeout,
            };
        }
        ApplyError::Statement {
            number,
            total,
            sql,
            server,
            code: e.code().map(|c| c.code().to_string()),
        }
    }

    /// Commits. A refusal by the server means it rolled back; a lost connection means
    /// nobody knows ([`ApplyError::CommitUnknown`]).
    pub async fn commit(self) -> Result<(), ApplyError> {
        self.client.batch_execute("COMMIT").await.map_err(|e| {
            if connection_lost(&e) {
                ApplyError::CommitUnknown {
                    server: describe_error(&e),
                }
            } else {
                ApplyError::Transaction {
                    what: "COMMIT",
                    server: describe_error(&e),
                }
            }
        })
    }

    /// Rolls back. Errors are ignored: if ROLLBACK cannot be sent, the connection is gone
    /// and the server has rolled back already.
    pub async fn rollback(self) {
        let _ = self.client.batch_execute("ROLLBACK").await;
    }
}

/// Which statement of `chunk` failed with `e`, when `completed` had completed before it,
/// and, when the server gave a position in it, the character of that statement (0-based)
/// it points to.
///
/// PostgreSQL parses a whole simple-query batch before it runs any of it, so a syntax
/// error anywhere fails the batch with nothing completed: counting completions would
/// blame the first statement. Such an error carries its position in the batch's text
/// (`position`, in characters, 1-based), which names the statement exactly; a position
/// before the completed ones (impossible) is not trusted. Statements may span lines
/// ([`crate::sql`]): the position counts their line breaks like any other character.
fn failing_statement(
    chunk: &[String],
    completed: usize,
    e: &tokio_postgres::Error,
) -> (usize, Option<usize>) {
    use tokio_postgres::error::ErrorPosition;
    let Some(ErrorPosition::Original(position)) = e.as_db_error().and_then(|d| d.position()) else {
        return (completed, None);
    };
    statement_at(chunk, completed, *position as usize)
}

/// [`failing_statement`] for a server position (1-based, in characters of the batch).
fn statement_at(chunk: &[String], completed: usize, position: usize) -> (usize, Option<usize>) {
    // The batch is the statements joined by "\n" (see `run_batch`).
    let mut start = 0usize;
    for (i, sql) in chunk.iter().enumerate() {
        let end = start + sql.chars().count();
        if position <= end {
            return if i >= completed {
                (i, position.checked_sub(start + 1))
            } else {
                (completed, None)
            };
        }
        start = end + 1;
    }
    (completed, None)
}

/// For a statement of several lines, the line (1-based) holding its character `at`
/// (0-based) and that line's text; `None` for a statement of one line, which a message
/// shows whole.
fn line_at(sql: &str, at: usize) -> Option<(usize, &str)> {
    if !sql.contains('\n') {
        return None;
    }
    let mut seen = 0usize;
    for (i, line) in sql.split('\n').enumerate() {
        let n = line.chars().count();
        if at < seen + n + 1 {
            return Some((i + 1, line));
        }
        seen += n + 1;
    }
    None
}

/// What the statements run after the transaction committed did
/// ([`crate::sql::Statement::after_commit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterCommit {
    /// How many ran, in order, each committed on its own.
    pub ran: usize,
    pub total: usize,
    /// The first that failed, and the server's error; the ones after it did not run.
    pub failed: Option<(String, String)>,
}

/// Runs `statements` outside any transaction, one a round trip, each committed by the
/// server on its own (statements that may not run in a transaction block), stopping at
/// the first that fails. `done` is told how many have run.
pub async fn run_after_commit(
    client: &Client,
    statements: &[String],
    done: &mut dyn FnMut(usize),
) -> AfterCommit {
    let total = statements.len();
    for (i, sql) in statements.iter().enumerate() {
        // Alone in its query string: several in one would be one implicit transaction.
        if let Err(e) = client.batch_execute(sql).await {
            return AfterCommit {
                ran: i,
                total,
                failed: Some((sql.clone(), describe_error(&e))),
            };
        }
        done(i + 1);
    }
    AfterCommit {
        ran: total,
        total,
        failed: None,
    }
}

/// Runs one batch; on error, how many of its statements completed before the failing one.
async fn run_batch(
    client: &Client,
    chunk: &[String],
) -> Result<(), (usize, tokio_postgres::Error)> {
    use futures_util::StreamExt;
    let stream = client
        .simple_query_raw(&chunk.join("\n"))
        .await
        .map_err(|e| (0, e))?;
    let mut stream = std::pin::pin!(stream);
    let mut completed = 0;
    while let Some(message) = stream.next().await {
        match message {
            Ok(SimpleQueryMessage::CommandComplete(_)) => completed += 1,
            Ok(_) => {}
            Err(e) => return Err((completed, e)),
        }
    }
    Ok(())
}

/// The server's process id of `client`'s session, for [`lock_wait`] on another
/// connection.
pub async fn backend_pid(client: &Client) -> Result<i32, tokio_postgres::Error> {
    let rows = client.simple_query("SELECT pg_backend_pid()").await?;
    Ok(rows
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).and_then(|v| v.parse().ok()),
            _ => None,
        })
        .unwrap_or_default())
}

/// What backend `pid` is waiting for, seen from another connection: how long it has
/// waited for its lock and who holds it (`pg_blocking_pids`, PostgreSQL 9.6+;
/// `pg_locks.waitstart`, 14+). `None` when it waits for no lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockWait {
    /// Seconds since the wait began.
    pub waited: f64,
    /// The sessions in the way: pid, user, application, how long in a transaction.
    pub holders: String,
}

/// The query behind [`lock_wait`] (`pid` is an integer, written in).
pub fn lock_wait_sql(pid: i32) -> String {
    format!(
        "SELECT extract(epoch FROM now() - min(l.waitstart))::float8::text, \
         string_agg(DISTINCT concat_ws(', ', 'pid ' || b.pid, 'user ' || b.usename, \
         'application ' || nullif(b.application_name, ''), \
         'in a transaction for ' || date_trunc('second', now() - b.xact_start)::text), '; ') \
         FROM pg_locks l CROSS JOIN LATERAL unnest(pg_blocking_pids({pid})) AS bp(pid) \
         JOIN pg_stat_activity b ON b.pid = bp.pid \
         WHERE l.pid = {pid} AND NOT l.granted"
    )
}

/// Asks, on `observer` (another connection), whether backend `pid` waits for a lock.
pub async fn lock_wait(
    observer: &Client,
    pid: i32,
) -> Result<Option<LockWait>, tokio_postgres::Error> {
    let rows = observer.simple_query(&lock_wait_sql(pid)).await?;
    Ok(rows.iter().find_map(|m| match m {
        SimpleQueryMessage::Row(r) => Some(LockWait {
            waited: r.get(0)?.parse().ok()?,
            holders: r.get(1)?.to_string(),
        }),
        _ => None,
    }))
}

/// Whoever holds the apply lock, when `pg_stat_activity` says (it shows other users'
/// sessions only partly to non-superusers; what it hides is left out).
async fn lock_holder(client: &Client) -> Option<String> {
    let rows = client.simple_query(&lock_holder_sql()).await.ok()?;
    let holders: Vec<String> = rows
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!holders.is_empty()).then(|| holders.join("; "))
}

/// Stops the server's work at once and rolls back, when a signal ends an apply: a cancel
/// request for the running statement (the server would otherwise finish it first, or wait
/// out a lock), then ROLLBACK. Each step is bounded; if the server cannot be reached, the
/// connection closes when the process exits and the server rolls back then. COMMIT was
/// never sent, so in every case nothing was changed.
pub async fn abandon(session: &crate::db::Session) {
    let limit = Duration::from_secs(5);
    let cancel = session.client.cancel_token();
    let _ = tokio::time::timeout(limit, cancel.cancel_query(session.tls.clone())).await;
    let _ = tokio::time::timeout(limit, session.client.batch_execute("ROLLBACK")).await;
}

/// Runs `statements` in one plain transaction of their own (`BEGIN`, the statements,
/// `COMMIT`), without the apply lock or a lock timeout: the executor on its own, for
/// callers that did their own planning and checking. `grantplan apply` uses
/// [`ApplyTransaction`].
pub async fn apply(
    client: &mut Client,
    statements: &[String],
    progress: &mut dyn FnMut(usize),
) -> Result<Applied, ApplyError> {
    let tx = ApplyTransaction::open(client, "BEGIN", Duration::ZERO).await?;
    match tx.execute(statements, progress).await {
        Ok(applied) => {
            tx.commit().await?;
            Ok(applied)
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions count the characters of the whole batch, line breaks of statements that
    /// span lines included (the statements are joined by one more `\n`).
    #[test]
    fn a_position_names_the_statement_and_its_line() {
        let chunk: Vec<String> = [
            "GRANT USAGE ON SCHEMA\n    a,\n    b\n  TO r;",
            "GRANT EXECUTE ON FUNCTION\n    s.f(integer),\n    s.g(integer,,)\n  TO r;",
            "CREATE ROLE é;",
        ]
        .map(String::from)
        .to_vec();
        let first = chunk[0].chars().count();
        let second_at = |needle: &str| first + 1 + chunk[1].find(needle).unwrap() + 1;
        let (i, at) = statement_at(&chunk, 0, second_at(",,"));
        assert_eq!(i, 1);
        assert_eq!(
            line_at(&chunk[1], at.unwrap()),
            Some((3, "    s.g(integer,,)"))
        );
        // The first character of a statement, and the last (its `;`).
        assert_eq!(statement_at(&chunk, 0, 1), (0, Some(0)));
        assert_eq!(statement_at(&chunk, 0, first), (0, Some(first - 1)));
        // (the `\n` between two statements counts as the next one's)
        assert_eq!(statement_at(&chunk, 0, first + 1), (1, None));
        assert_eq!(statement_at(&chunk, 0, first + 2), (1, Some(0)));
        assert_eq!(line_at(&chunk[0], first - 1), Some((4, "  TO r;")));
        // Past the end, or before the completed ones: the count of completions decides.
        assert_eq!(statement_at(&chunk, 0, 10_000), (0, None));
        assert_eq!(statement_at(&chunk, 2, 3), (2, None));
        // A statement of one line is shown whole: no line is named.
        assert_eq!(line_at(&chunk[2], 3), None);
    }

    #[test]
    fn the_lock_key_is_grantpla_and_the_documented_numbers_are_its_own() {
        assert_eq!(LOCK_KEY, 0x6772_616e_7470_6c61);
        assert_eq!(LOCK_KEY, 7454127460279413857);
        assert_eq!(
            lock_sql(),
            "SELECT pg_advisory_xact_lock(7454127460279413857)"
        );
        assert!(
            lock_holder_sql().contains("l.classid = 1735549294 AND l.objid = 1953524833"),
            "{}",
            lock_holder_sql()
        );
    }

    #[test]
    fn lock_timeouts_are_whole_milliseconds_within_the_servers_range() {
        assert_eq!(lock_timeout_ms(Duration::from_secs(10)), 10_000);
        assert_eq!(lock_timeout_ms(Duration::from_micros(1500)), 2);
        assert_eq!(lock_timeout_ms(Duration::from_nanos(1)), 1);
        assert_eq!(
            lock_timeout_ms(Duration::from_secs(100 * 24 * 3600)),
            i32::MAX as u64
        );
        let timeouts = Timeouts {
            lock: Duration::from_secs(1),
            statement: Duration::from_millis(2500),
            idle: Duration::from_secs(3),
        };
        assert_eq!(
            begin_sql(Target::Postgres, &timeouts),
            "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL lock_timeout = '1000ms'; \
             SET LOCAL statement_timeout = '2500ms'; \
             SET LOCAL idle_in_transaction_session_timeout = '3000ms'"
        );
        // Redshift knows neither these settings nor advisory locks.
        assert_eq!(begin_sql(Target::Redshift, &timeouts), "BEGIN");
    }
}
