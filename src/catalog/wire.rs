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
    PartialVisibility(String),
}

impl ReadError {
    /// The underlying tokio-postgres error, if any (e.g. to inspect the SQLSTATE).
    pub fn pg_error(&self) -> Option<&tokio_postgres::Error> {
        match self {
            ReadError::Query { source, .. } => Some(source),
            _ => None,
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

/// Runs one query and keeps its data rows.
pub(crate) async fn rows(
    client: &Client,
    target: Target,
    what: &'static str,
    sql: &str,
) -> Result<Vec<SimpleQueryRow>, ReadError> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|source| ReadError::Query {
            target,
            what,
            source,
        })?;
    Ok(messages
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r),
            _ => None,
        })
        .collect())
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
