//! The `netlayers` binary: parse arguments, call a library, render. No protocol logic lives here.
//!
//! Exit codes: 0 success, 1 nothing matched, 2 error (one line on stderr naming the file,
//! interface or argument at fault). A closed pipe (`| head`) exits 0 quietly.

#![forbid(unsafe_code)]

mod ahead;
mod args;
mod chat;
mod demo;
mod encap;
mod fields;
mod filter_args;
mod flow;
mod follow;
mod frames;
mod hops;
mod live;
mod output;
mod progress;
mod read;
mod select;
mod sim;
mod stats;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = output::Ui::new(&cli.global);
    let result = match &cli.command {
        Command::Demo(a) => demo::run(a, &ui),
        Command::Read(a) => read::run(a, &ui),
        Command::Encap(a) => encap::run(a, &ui),
        Command::Send(a) => live::run_send(a, &ui),
        Command::Capture(a) => live::run_capture(a, &ui),
        Command::Ifaces(a) => live::run_ifaces(a, &ui),
        Command::Arping(a) => live::run_arping(a, &ui),
        Command::Chat(a) => chat::run(a, &ui),
        Command::Follow(a) => follow::run(a, &ui),
        Command::Flow(a) => flow::run(a, &ui),
        Command::Stats(a) => stats::run(a, &ui),
        Command::Sim(a) => sim::run(a, &ui),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "netlayers", &mut std::io::stdout());
            Ok(output::Outcome::Success)
        }
    };
    match result {
        Ok(output::Outcome::Success) => ExitCode::SUCCESS,
        Ok(output::Outcome::NothingMatched) => ExitCode::from(1),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // A bad display filter is the one error that needs three lines: the caret under it.
            match e.downcast_ref::<netlayers_analyze::FilterError>() {
                Some(f) => eprintln!("netlayers: {}", f.render(ui.lang)),
                None => eprintln!("netlayers: {}", output::one_line(&e)),
            }
            ExitCode::from(2)
        }
    }
}
