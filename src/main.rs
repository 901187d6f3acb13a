//! The `grantplan` binary: all logic lives in the library; see `grantplan::cli`.

fn main() -> std::process::ExitCode {
    grantplan::cli::main()
}
