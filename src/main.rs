//! The `grantplan` binary: all logic lives in the library; see `grantplan::cli`.

/// mimalloc rather than glibc's malloc: see Cargo.toml and docs/benchmarks.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    no_huge_pages();
    return_freed_memory_soon();
    grantplan::cli::main()
}

/// mimalloc's `mi_option_purge_delay`: its value in the `mi_option_e` enum of mimalloc 2
/// and 3 (the enum keeps retired options' slots, so values do not move), for which
/// libmimalloc-sys has no constant.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc give freed memory back to the system 10 ms after it is freed.
///
/// mimalloc 3 waits a whole second by default, longer than a whole `plan` of the large
/// benchmark catalog takes: the memory loading grants.yaml needs for a moment (its YAML
/// events and marks) then stayed resident through the catalog read and the plan, on top of
/// what those need. With 10 ms (mimalloc 2's default) the large live plan peaks markedly
/// lower for a little more time (pages given back and faulted in again are system time):
/// memory was the target with the smaller margin. A longer delay keeps more resident.
/// Figures in docs/benchmarks.md.
fn return_freed_memory_soon() {
    // SAFETY: sets one integer option; mimalloc reads options at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) }
}

/// Asks Linux not to back this process with transparent huge pages.
///
/// mimalloc marks its arenas `MADV_HUGEPAGE`, so on a kernel whose THP mode is
/// `madvise` (the common default) every arena is faulted in 2 MiB at a time: a run that
/// touches part of a huge page still holds all of it. Planning the large benchmark
/// catalog peaks lower without huge pages, in the same wall and CPU time
/// (docs/benchmarks.md). A grants run is
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

#[cfg(test)]
mod tests {
    use libmimalloc_sys::mi_option_get;

    /// The option at [`super::MI_OPTION_PURGE_DELAY`] is the purge delay: before it is set
    /// it holds mimalloc 3's default for that option, 1000 ms, which neither neighbour
    /// has (1 and 0). An upgrade that moves the option or its default fails here.
    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one integer option.
            assert_eq!(unsafe { mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 1000);
        }
        super::return_freed_memory_soon();
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 10);
    }
}
