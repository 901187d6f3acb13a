//! What both catalog readers share: running a query over the simple query protocol,
//! decoding text columns with errors that name the query and column, and the error type.
//!
//! Why the simple query protocol for catalog reads, on both targets: results arrive as
//! text, so types without a binary output function (`aclitem`) can be read, and no
//! type-introspection query is sent (Redshift lacks parts of what tokio-postgres would
//! ask for); Redshift also rejects bind parameters in places. Queries therefore return
//! only text, integer and boolean columns, decoded here.

use crate::db::describe_error;
use crate::model::Target;
use tokio_postgres::{Client, SimpleQueryMessage, SimpleQueryRow};

/// Why a catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The server (or the connection) failed a query.
    #[error("reading the {target} catalog ({what}) failed: {}", describe_error(.source))]
    Query {
        target: Target,
        /// Which step: `roles`, `schemas`, ...
        what: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    /// A query returned something the reader does not understand.
    #[error("unexpected result while reading the {target} catalog ({what}): {detail}")]
    Unexpected {
        target: Target,
        what: &'static str,
        detail: String,
    },
    /// The login sees only part of the catalog: a plan from it would revoke grants it
    /// cannot see, so nothing is planned.
    #[error("{0}")]
    PartialVisibility(super::redshift::PartialVisibility),
}

/// Runs `read` (a reader's `read_in_transaction_with`) in a transaction of its own:
/// `begin`, then `read`, then `commit`; on error the transaction is rolled back so the
/// session stays usable, and the reader's error is the one returned.
pub(crate) async fn in_own_transaction<T>(
    client: &Client,
    target: Target,
    begin: &str,
    commit: &str,
    read: impl std::future::Future<Output = Result<T, ReadError>>,
) -> Result<T, ReadError> {
    run(client, target, "begin", begin).await?;
    match read.await {
        Ok(value) => {
            run(client, target, "commit", commit).await?;
            Ok(value)
        }
        Err(e) => {
            let _ = client.simple_query("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Runs statements whose rows do not matter (BEGIN, COMMIT).
pub(crate) async fn run(
    client: &Client,
    target: Target,
    what: &'static str,
    sql: &str,
) -> Result<(), ReadError> {
    client
        .simple_query(sql)
        .await
        .map(drop)
        .map_err(|source| ReadError::Query {
            target,
            what,
            source,
        })
}

/// Where a catalog read is, for a progress display: the step (the query's name, as in
/// [`ReadError`]: `roles`, `functions`, ...) and how many rows of it have arrived.
///
/// The library never prints: readers report to a callback and the caller (the CLI)
/// decides whether and how to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub step: &'static str,
    pub rows: u64,
}

/// A progress callback that shows nothing.
pub fn no_progress(_: Progress) {}

/// Rows between two progress reports within one query: often enough for a display that
/// redraws a few times a second, rare enough to cost nothing per row.
const REPORT_EVERY: u64 = 1024;

/// Runs one query and hands each data row to `each` as it arrives, reporting progress;
/// returns the row count.
///
/// Why a stream: `simple_query` collects every row message before returning, so a large
/// catalog was held twice at its peak (all rows' raw bytes, then the snapshot built from
/// them). Here each row is decoded and dropped as it arrives; tokio-postgres's response
/// channel holds one batch of messages, so the server waits for the reader rather than
/// the reader buffering the server. On an error from `each` the rest of the response is
/// discarded by the connection (tokio-postgres pages through it), so the session stays
/// usable.
pub(crate) async fn each_row(
    client: &Client,
    target: Target,
    what: &'static str,
    sql: &str,
    progress: &(dyn Fn(Progress) + Sync),
    mut each: impl FnMut(Cols<'_>) -> Result<(), ReadError>,
) -> Result<u64, ReadError> {
    stream_rows(client, target, what, sql, progress, |row| {
        each(Cols::new(&row, target, what))
    })
    .await
}

/// Runs one query and keeps its data rows (for small results, where keeping them is
/// simpler than decoding them as they arrive).
pub(crate) async fn rows(
    client: &Client,
    target: Target,
    what: &'static str,
    sql: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<SimpleQueryRow>, ReadError> {
    let mut kept = Vec::new();
    stream_rows(client, target, what, sql, progress, |row| {
        kept.push(row);
        Ok(())
    })
    .await?;
    Ok(kept)
}

async fn stream_rows(
    client: &Client,
    target: Target,
    what: &'static str,
    sql: &str,
    progress: &(dyn Fn(Progress) + Sync),
    mut each: impl FnMut(SimpleQueryRow) -> Result<(), ReadError>,
) -> Result<u64, ReadError> {
    use futures_util::StreamExt;
    let query_error = |source| ReadError::Query {
        target,
        what,
        source,
    };
    progress(Progress {
        step: what,
        rows: 0,
    });
    let stream = client.simple_query_raw(sql).await.map_err(query_error)?;
    let mut stream = std::pin::pin!(stream);
    let mut n = 0u64;
    while let Some(message) = stream.next().await {
        if let SimpleQueryMessage::Row(row) = message.map_err(query_error)? {
            each(row)?;
            n += 1;
            if n.is_multiple_of(REPORT_EVERY) {
                progress(Progress {
                    step: what,
                    rows: n,
                });
            }
        }
    }
    progress(Progress {
        step: what,
        rows: n,
    });
    Ok(n)
}

/// Typed access to one text row, with errors that name the query and column.
pub(crate) struct Cols<'a> {
    row: &'a SimpleQueryRow,
    target: Target,
    what: &'static str,
}

impl<'a> Cols<'a> {
    pub fn new(row: &'a SimpleQueryRow, target: Target, what: &'static str) -> Self {
        Cols { row, target, what }
    }

    pub fn unexpected(&self, detail: String) -> ReadError {
        ReadError::Unexpected {
            target: self.target,
            what: self.what,
            detail,
        }
    }

    pub fn opt(&self, i: usize) -> Result<Option<&'a str>, ReadError> {
        self.row
            .try_get(i)
            .map_err(|e| self.unexpected(format!("column {i}: {}", describe_error(&e))))
    }

    pub fn text(&self, i: usize) -> Result<&'a str, ReadError> {
        self.opt(i)?
            .ok_or_else(|| self.unexpected(format!("column {i} is NULL")))
    }

    pub fn flag(&self, i: usize) -> Result<bool, ReadError> {
        match self.text(i)? {
            "t" | "true" => Ok(true),
            "f" | "false" => Ok(false),
            other => Err(self.unexpected(format!("column {i}: `{other}` is not a boolean"))),
        }
    }
}
