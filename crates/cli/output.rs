//! What every command shares: language, colour, exit outcomes and one-line errors.

use std::io::IsTerminal;

use netlayers_core::Lang;

use crate::args::{ColorArg, Global, LangArg};

/// How a command ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Exit code 1: the command ran but nothing matched (no frame selected).
    NothingMatched,
}

/// The user's choices that shape output.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub lang: Lang,
    /// Colour on standard output.
    pub color: bool,
}

impl Ui {
    pub fn new(g: &Global) -> Ui {
        let lang = match g.lang {
            Some(LangArg::En) => Lang::En,
            Some(LangArg::Zh) => Lang::Zh,
            None => Lang::from_env(),
        };
        let choice = match g.color {
            ColorArg::Auto => netlayers_render::ColorChoice::Auto,
            ColorArg::Always => netlayers_render::ColorChoice::Always,
            ColorArg::Never => netlayers_render::ColorChoice::Never,
        };
        let color = netlayers_render::color_enabled(choice, std::io::stdout().is_terminal());
        Ui { lang, color }
    }
}

/// True when the error is only that the reader of our output went away (`| head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line: `what: because: because`.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in e.chain() {
        let s = c.to_string().replace('\n', " ");
        // anyhow's context often repeats the cause's text: keep each piece once.
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}
