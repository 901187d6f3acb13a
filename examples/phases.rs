//! Where the time of an offline plan goes, phase by phase: for profiling, not a benchmark
//! of record (that is `cargo bench --bench scale`, docs/benchmarks.md).
//!
//! ```text
//! cargo bench --bench scale -- --size small --runs 1 --no-heavy --dir /tmp/gp
//! cargo run --release --example phases -- /tmp/gp/grants-offline.yaml /tmp/gp/snapshot-offline.json
//! ```
//!
//! Loads grants.yaml, reads and parses the snapshot, plans, reads the statements back,
//! renders them and frees everything, the way `grantplan plan --catalog` does, and prints
//! the best of `--runs` (default 5) for each phase. The binary's allocator, its purge
//! delay and its transparent-huge-page setting are the ones `grantplan` uses, so the phases add up to
//! what users wait for (less process start-up and printing).

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

fn main() {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain prctl on this process, as src/main.rs does.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // SAFETY: sets one integer option (mimalloc's purge delay, as src/main.rs does).
    unsafe { libmimalloc_sys::mi_option_set(15, 10) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (files, runs) = match args.as_slice() {
        [yaml, snap] => ((yaml, snap), 5),
        [yaml, snap, flag, n] if flag == "--runs" => match n.parse() {
            Ok(n) if n > 0 => ((yaml, snap), n),
            _ => usage(),
        },
        _ => usage(),
    };
    const PHASES: [&str; 7] = [
        "load grants.yaml",
        "read snapshot",
        "parse snapshot",
        "plan",
        "verify",
        "render",
        "free",
    ];
    let mut best = [Duration::MAX; PHASES.len()];
    for _ in 0..runs {
        let mut times = [Duration::ZERO; PHASES.len()];
        let mut t = Instant::now();
        let mut lap = |i: usize| {
            times[i] = t.elapsed();
            t = Instant::now();
        };
        let config = grantplan::config::load(std::path::Path::new(files.0))
            .unwrap_or_else(|d| fail(&format!("{} does not load: {d:?}", files.0)));
        lap(0);
        let text = std::fs::read_to_string(files.1)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", files.1)));
        lap(1);
        let snapshot = grantplan::catalog::Snapshot::from_json(&text)
            .unwrap_or_else(|e| fail(&format!("{}: {e}", files.1)));
        drop(text);
        lap(2);
        let plan = grantplan::plan::plan_owned(&config, Some(snapshot), Default::default())
            .unwrap_or_else(|d| fail(&format!("planning failed: {d:?}")));
        lap(3);
        plan.verify()
            .unwrap_or_else(|d| fail(&format!("verify failed: {d:?}")));
        lap(4);
        let sql = plan.sql_statements();
        std::hint::black_box(&sql);
        lap(5);
        drop((sql, plan, config));
        lap(6);
        for (b, t) in best.iter_mut().zip(times) {
            *b = (*b).min(t);
        }
    }
    let total: Duration = best.iter().sum();
    for (name, d) in PHASES.iter().zip(best) {
        println!("{name:>17}: {:>7.1} ms", d.as_secs_f64() * 1e3);
    }
    println!(
        "{:>17}: {:>7.1} ms (best of {runs} per phase)",
        "sum",
        total.as_secs_f64() * 1e3
    );
}

fn usage() -> ! {
    fail("usage: phases GRANTS.yaml SNAPSHOT.json [--runs N]")
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
