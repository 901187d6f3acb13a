//! grantplan: Amazon Redshift ML permissions (and PostgreSQL grants) as code.
//!
//! The shape: [`config`] loads grants.yaml; a [`catalog`] reader (one module per target)
//! turns a live server into a [`catalog::Snapshot`]; the pure [`plan::plan`] function
//! diffs the two into typed [`sql::Statement`]s; [`sql`] renders them; [`executor`] applies
//! them in one transaction, and `apply` is the `grantplan apply` workflow around it
//! (connect, read, plan, compare with what was reviewed or confirmed, run, check, commit,
//! signals); [`sqlread`] reads that SQL back (a reviewed plan file) and refuses anything
//! grantplan does not write. Only the catalog readers and the executor touch a database;
//! [`cli`] is a thin layer that decides what to print where. [`iam`]
//! writes the IAM policies of the cluster's ML role from grants.yaml's `cluster:`
//! section, and calls no AWS API.

// What std has no safe form of (the login name libpq defaults to, fcntl's file status
// flags, mkfifo in tests) comes from whoami and rustix, which wrap the C calls. Only the
// binary (src/main.rs) makes such calls itself, to its allocator and the kernel.
#![forbid(unsafe_code)]

// The public modules are what the binary, tests/, benches/, examples/ and fuzz/ use; the
// others are private, so that the compiler reports what nothing calls.
mod apply;
pub mod catalog;
pub mod cli;
pub mod config;
mod conninfo;
pub mod db;
pub mod diag;
mod doctor;
pub mod executor;
pub mod explain;
mod export;
// The fuzz targets' checks: fuzz/ enables the feature, and so do the tests (Cargo.toml).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod iam_login;
mod ident;
mod input;
pub mod keywords;
pub mod model;
mod outfile;
pub mod output;
mod pgpass;
pub mod plan;
pub mod planfile;
pub mod sql;
pub mod sqlread;
pub mod state;
pub mod tls;
