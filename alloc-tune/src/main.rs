//! `wasm-heap-tune <profile.json> [--classes N]`: see README.md. The report is
//! `wasm_heap_tune::report`'s; this only reads the arguments and the file and sets the exit
//! code (0 done, 1 the profile cannot be read, 2 the arguments are wrong).

use std::process::ExitCode;

use wasm_heap_tune::{Command, USAGE, parse_args, report_on_json};

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> =
        std::env::args_os().skip(1).map(|a| a.into_string()).collect();
    let Ok(args) = args else {
        eprintln!(
            "error: the arguments must be UTF-8 (the path is repeated in Rust source)\n\n{USAGE}"
        );
        return ExitCode::from(2);
    };
    let (path, classes) = match parse_args(args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Report { path, classes }) => (path, classes),
        Err(mistake) => {
            eprintln!("error: {mistake}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let json = match std::fs::read_to_string(&path) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match report_on_json(&path, &json, classes) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}
