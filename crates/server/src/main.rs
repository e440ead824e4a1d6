use std::process::ExitCode;

fn main() -> ExitCode {
    wspolnota_server::cli::main()
}
