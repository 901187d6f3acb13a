//! `apply PLANFILE` reads a plan file at the size limit in memory bounded by its size,
//! whatever the file holds (issue 15, point 4). Anyone can recompute a plan file's seal,
//! so a file of 64 MiB of blank lines or comments is a file `apply` must read; its
//! tokenizer once kept a token of about a hundred bytes for each blank.
//!
//! A test binary of its own: the peak resident size Linux reports for a child includes
//! the memory of the process that started it (see `common::wait4`), so that process
//! must stay small, and these files are written to disk a line at a time, never held.

mod common;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// [`grantplan::planfile::MAX_FILE_BYTES`]: the files are just under it.
const LIMIT: u64 = grantplan::planfile::MAX_FILE_BYTES;

const GRANTS: &str = "target: postgres\nroles:\n  g: {}\nschemas:\n  s:\n    usage: [g]\n";

/// Writes a resealed plan file for [`GRANTS`]: `filler` then `eol`, repeated to fill the
/// file up to just under the limit, then `last` (a statement). Returns its size.
fn write_plan_file(path: &Path, eol: &str, filler: &str, last: &str) -> u64 {
    let config = format!("sha256:{}", grantplan::state::hex(&Sha256::digest(GRANTS)));
    let header = [
        grantplan::planfile::FIRST_LINE.to_string(),
        "-- Review it, then run exactly it: grantplan apply -f GRANTS.yaml THIS_FILE".into(),
        "-- target: postgres".into(),
        "-- database: postgres@localhost:5432/postgres".into(),
        "-- config: grants.yaml".into(),
        format!("-- config-sha256: {config}"),
        format!("-- grantplan: {}", env!("CARGO_PKG_VERSION")),
        "-- catalog: sha256:00".into(),
        "-- statements: 1".into(),
    ];
    let fill = (LIMIT as usize - 4096) / (filler.len() + eol.len());
    // Written and hashed a block of lines at a time.
    let per_block = 64 * 1024 / (filler.len() + eol.len());
    let block_lines = |n: usize, eol: &str| format!("{filler}{eol}").repeat(n);
    let (block, sealed_block) = (block_lines(per_block, eol), block_lines(per_block, "\n"));
    let (tail, sealed_tail) = (
        block_lines(fill % per_block, eol),
        block_lines(fill % per_block, "\n"),
    );
    // The seal: SHA-256 of the header lines and the body lines, each joined by `\n`
    // (a CRLF file's lines without their `\r`), the two joined by `\n`.
    let mut seal = Sha256::new();
    seal.update(header.join("\n"));
    seal.update("\n");
    for _ in 0..fill / per_block {
        seal.update(&sealed_block);
    }
    seal.update(&sealed_tail);
    seal.update(last);
    let seal = format!(
        "-- seal: sha256:{}",
        grantplan::state::hex(&seal.finalize())
    );
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in header.iter().chain([&seal]) {
        write!(out, "{line}{eol}").unwrap();
    }
    for _ in 0..fill / per_block {
        out.write_all(block.as_bytes()).unwrap();
    }
    out.write_all(tail.as_bytes()).unwrap();
    write!(out, "{last}{eol}").unwrap();
    out.flush().unwrap();
    let size = std::fs::metadata(path).unwrap().len();
    assert!(size <= LIMIT && size > LIMIT - 8192, "{size}");
    size
}

/// A port nothing listens on: `apply` reads and checks the whole plan file before it
/// connects, so "cannot connect" means the file was read and accepted.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn plan_files_of_blank_lines_or_comments_at_the_limit_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let grants = dir.path().join("grants.yaml");
    std::fs::write(&grants, GRANTS).unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port());
    let grant = "GRANT USAGE ON SCHEMA s TO g;";
    let cases = [
        ("blank lines", "\n", "", grant),
        ("`--` comment lines", "\n", "--", grant),
        ("blank lines, CRLF", "\r\n", "", grant),
        ("spaces", "\n", &" ".repeat(4095), grant),
        ("blank lines before a DROP", "\n", "", "DROP TABLE t;"),
    ];
    for (what, eol, filler, last) in cases {
        let file = dir.path().join("plan.sql");
        let size = write_plan_file(&file, eol, filler, last);
        // Read in pieces, the text itself is most of the memory (a CRLF file's body
        // is copied once without its `\r`): twice the file and a margin for the
        // binary, the allocator and a piece's tokens.
        let bound = 2 * size + 32 * 1024 * 1024;
        let out = common::run_bounded(
            common::grantplan_process()
                .args(["apply", "--yes", "--database-url", &url, "-f"])
                .arg(&grants)
                .arg(&file),
            bound,
            Duration::from_secs(300),
        );
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        eprintln!(
            "{what}: {:.1} MiB file, peak RSS {:.1} MiB (bound {:.1} MiB)",
            mib(size),
            mib(out.peak_rss),
            mib(bound)
        );
        assert!(
            !out.killed && out.peak_rss < bound,
            "{what}: killed {}, peak RSS {:.1} MiB, bound {:.1} MiB\n{}",
            out.killed,
            mib(out.peak_rss),
            mib(bound),
            out.stderr
        );
        assert_eq!(out.code, 1, "{what}: {}", out.stderr);
        if last == grant {
            assert!(
                out.stderr.contains("cannot connect"),
                "{what}: {}",
                out.stderr
            );
        } else {
            // The DROP stands on the file's last line: 10 header lines, then the blanks.
            let fill = (LIMIT as usize - 4096) / eol.len();
            let line = 10 + fill + 1;
            assert!(
                out.stderr.contains(&format!(
                    "`DROP` is not a statement grantplan writes; a plan file may only \
                     hold GRANT, REVOKE and CREATE ROLE ... NOLOGIN (line {line} of the file)"
                )),
                "{what}: {}",
                out.stderr
            );
        }
    }
}
