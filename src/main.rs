//! The `grantplan` binary: all logic lives in the library; see `grantplan::cli`.

/// mimalloc rather than glibc's malloc: see Cargo.toml and docs/benchmarks.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    grantplan::cli::main()
}
