//! The `grantplan` binary: all logic lives in the library; see `grantplan::cli`.

/// mimalloc rather than glibc's malloc: see Cargo.toml and docs/benchmarks.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    no_huge_pages();
    grantplan::cli::main()
}

/// Asks Linux not to back this process with transparent huge pages.
///
/// mimalloc marks its arenas `MADV_HUGEPAGE`, so on a kernel whose THP mode is
/// `madvise` (the common default) every arena is faulted in 2 MiB at a time: a run that
/// touches part of a huge page still holds all of it. Planning the large benchmark
/// catalog peaked at 73 MB resident with huge pages and 59.5 MB without, in the same
/// wall and CPU time (15 interleaved runs each; docs/benchmarks.md). A grants run is
/// short-lived and its memory is small next to a huge page's reach, so there is nothing
/// for huge pages to win. The flag is the process's (checked at each page fault), so it
/// also covers the memory mimalloc reserved before `main`. Failure (an old kernel) only
/// leaves the default.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of
    // ours; it cannot fail in a way that matters.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
