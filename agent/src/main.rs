//! `parley`: the person's command line. A thin client of the `parley-agent` library:
//! it parses arguments, calls the library, prints, and maps errors to exit codes
//! (1 for a refused operation or failed check, 2 for usage and unusable input).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
