//! grantplan: Amazon Redshift ML permissions (and PostgreSQL grants) as code.
//!
//! The shape: [`config`] loads grants.yaml; a [`catalog`] reader (one module per target)
//! turns a live server into a [`catalog::Snapshot`]; the pure [`plan::plan`] function
//! diffs the two into typed [`sql::Statement`]s; [`sql`] renders them; [`executor`] applies
//! them in one transaction, and [`apply`] is the `grantplan apply` workflow around it
//! (connect, read, plan, compare with what was reviewed or confirmed, run, check, commit,
//! signals); [`sqlread`] reads that SQL back (a reviewed plan file) and refuses anything
//! grantplan does not write. Only the catalog readers and the executor touch a database;
//! [`cli`] is a thin layer that decides what to print where. [`iam`]
//! writes the IAM policies of the cluster's ML role from grants.yaml's `cluster:`
//! section, and calls no AWS API.

pub mod apply;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod conninfo;
pub mod db;
pub mod diag;
pub mod doctor;
pub mod executor;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod ident;
pub mod input;
pub mod keywords;
pub mod model;
pub mod outfile;
pub mod output;
pub mod pgpass;
pub mod plan;
pub mod planfile;
pub mod sql;
pub mod sqlread;
pub mod state;
pub mod tls;
