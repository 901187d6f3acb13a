//! Running a plan: every statement in ONE transaction, all or nothing.
//!
//! Statements are sent in batches (`batch_execute`, the simple query protocol: many
//! statements, one round trip) rather than one round trip each, which is what makes large
//! applies fast. A failing batch aborts the transaction and the server rolls everything
//! back. The server does not say which statement of a batch failed, so the executor then
//! finds it by replaying the same statements, again inside a transaction that is rolled
//! back: earlier batches whole, the failing batch one statement at a time. The replay
//! costs time only when an apply has already failed, and needs no SAVEPOINT (which
//! Redshift lacks).

use crate::db::describe_error;
use tokio_postgres::Client;

/// Statements per round trip. Large enough that round trips stop mattering, small
/// enough that a failing batch is replayed quickly.
pub const BATCH_SIZE: usize = 200;

/// What a successful apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub statements: usize,
    pub batches: usize,
}

/// Why an apply failed. In every case the transaction was rolled back: nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// One statement was refused by the server.
    #[error("statement {number} of {total} failed, nothing was applied (rolled back)\n  statement: {sql}\n  server: {server}")]
    Statement {
        /// 1-based position in the plan.
        number: usize,
        total: usize,
        sql: String,
        /// SQLSTATE, message, detail and hint.
        server: String,
        /// The SQLSTATE alone, when the server sent one.
        code: Option<String>,
    },
    /// A batch failed but the replay could not single out a statement (the failure did
    /// not repeat).
    #[error("statements {first}..={last} of {total} failed, nothing was applied (rolled back)\n  server: {server}")]
    Batch {
        first: usize,
        last: usize,
        total: usize,
        server: String,
    },
    /// The transaction could not be started or committed.
    #[error("{what} failed, nothing was applied: {server}")]
    Transaction { what: &'static str, server: String },
}

/// Runs `statements` in one transaction. `progress` is called with the number of
/// statements done after each batch.
pub async fn apply(
    client: &mut Client,
    statements: &[String],
    progress: &mut dyn FnMut(usize),
) -> Result<Applied, ApplyError> {
    let total = statements.len();
    let chunks: Vec<&[String]> = statements.chunks(BATCH_SIZE).collect();
    let tx = client
        .transaction()
        .await
        .map_err(|e| ApplyError::Transaction {
            what: "BEGIN",
            server: describe_error(&e),
        })?;
    let mut done = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        if let Err(e) = tx.batch_execute(&chunk.join("\n")).await {
            // Dropping `tx` rolls back; do it explicitly so the replay starts clean.
            let _ = tx.rollback().await;
            return Err(locate_failure(client, &chunks, i, total, e).await);
        }
        done += chunk.len();
        progress(done);
    }
    tx.commit().await.map_err(|e| ApplyError::Transaction {
        what: "COMMIT",
        server: describe_error(&e),
    })?;
    Ok(Applied {
        statements: total,
        batches: chunks.len(),
    })
}

/// Replays up to the failing batch inside a transaction that is always rolled back, to
/// name the statement that failed.
async fn locate_failure(
    client: &mut Client,
    chunks: &[&[String]],
    failed: usize,
    total: usize,
    original: tokio_postgres::Error,
) -> ApplyError {
    let first = chunks[..failed].iter().map(|c| c.len()).sum::<usize>() + 1;
    let fallback = |server: String| ApplyError::Batch {
        first,
        last: first + chunks[failed].len() - 1,
        total,
        server,
    };
    let Ok(tx) = client.transaction().await else {
        return fallback(describe_error(&original));
    };
    for chunk in &chunks[..failed] {
        if tx.batch_execute(&chunk.join("\n")).await.is_err() {
            let _ = tx.rollback().await;
            return fallback(describe_error(&original));
        }
    }
    for (offset, sql) in chunks[failed].iter().enumerate() {
        if let Err(e) = tx.batch_execute(sql).await {
            let _ = tx.rollback().await;
            return ApplyError::Statement {
                number: first + offset,
                total,
                sql: sql.clone(),
                server: describe_error(&e),
                code: e.code().map(|c| c.code().to_string()),
            };
        }
    }
    let _ = tx.rollback().await;
    fallback(describe_error(&original))
}
