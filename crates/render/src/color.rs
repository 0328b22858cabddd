//! When to colour, and which colour each of the five layers gets.

use std::ffi::OsString;

use anstyle::{AnsiColor, Style};
use netlayers_core::{LayerKind, Severity};

/// The user's `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when the output is a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether to write colour codes.
///
/// `Always` and `Never` are final: an explicit flag beats the environment. For `Auto`, in this
/// order (the order anstream follows): a non-empty `NO_COLOR` turns colour off
/// (<https://no-color.org>); a `CLICOLOR_FORCE` other than empty or `0` turns it on even for a
/// pipe; `CLICOLOR=0` or `TERM=dumb` turn it off; otherwise colour iff the output is a terminal.
pub fn color_enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    let var = |k| std::env::var_os(k);
    decide(choice, is_terminal, &Env {
        no_color: var("NO_COLOR"),
        clicolor_force: var("CLICOLOR_FORCE"),
        clicolor: var("CLICOLOR"),
        term: var("TERM"),
    })
}

/// The environment [`color_enabled`] reads, passed in so tests need not change the process's.
struct Env {
    no_color: Option<OsString>,
    clicolor_force: Option<OsString>,
    clicolor: Option<OsString>,
    term: Option<OsString>,
}

fn decide(choice: ColorChoice, is_terminal: bool, env: &Env) -> bool {
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|s| !s.is_empty());
    let on = |v: &Option<OsString>| v.as_ref().is_some_and(|s| !s.is_empty() && s != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set(&env.no_color) {
                false
            } else if on(&env.clicolor_force) {
                true
            } else if env.clicolor.as_ref().is_some_and(|s| s == "0") || env.term.as_ref().is_some_and(|t| t == "dumb") {
                false
            } else {
                is_terminal
            }
        }
    }
}

/// The colour of a layer of this kind, used the same way in the hexdump, the tree headings
/// and the Protocol column, so a student learns one colour per layer of the model. `alternate`
/// picks the bright shade, which tells apart two adjacent layers of one kind (VLAN after
/// Ethernet, IP in IP).
pub fn kind_style(kind: LayerKind, alternate: bool) -> Style {
    let (normal, bright) = match kind {
        // The physical layer (the frame itself, padding) stays uncoloured.
        LayerKind::Physical => return if alternate { Style::new().dimmed() } else { Style::new() },
        LayerKind::Link => (AnsiColor::Yellow, AnsiColor::BrightYellow),
        LayerKind::Network => (AnsiColor::Green, AnsiColor::BrightGreen),
        LayerKind::Transport => (AnsiColor::Cyan, AnsiColor::BrightCyan),
        LayerKind::Application => (AnsiColor::Magenta, AnsiColor::BrightMagenta),
    };
    Style::new().fg_color(Some(if alternate { bright } else { normal }.into()))
}

pub(crate) fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Chat => Style::new().fg_color(Some(AnsiColor::Blue.into())),
        Severity::Note => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Warn => Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold(),
        Severity::Error => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
    }
}

pub(crate) const HEADING: Style = Style::new().bold();
pub(crate) const QUIET: Style = Style::new().dimmed();

#[cfg(test)]
mod tests {
    use super::*;

    fn env(no_color: Option<&str>, force: Option<&str>, clicolor: Option<&str>, term: Option<&str>) -> Env {
        Env {
            no_color: no_color.map(Into::into),
            clicolor_force: force.map(Into::into),
            clicolor: clicolor.map(Into::into),
            term: term.map(Into::into),
        }
    }

    #[test]
    fn explicit_choice_beats_environment() {
        let hostile = env(Some("1"), None, Some("0"), Some("dumb"));
        assert!(decide(ColorChoice::Always, false, &hostile));
        let force = env(None, Some("1"), None, None);
        assert!(!decide(ColorChoice::Never, true, &force));
    }

    #[test]
    fn auto_follows_the_terminal() {
        let plain = env(None, None, None, Some("xterm-256color"));
        assert!(decide(ColorChoice::Auto, true, &plain));
        assert!(!decide(ColorChoice::Auto, false, &plain));
    }

    #[test]
    fn no_color_disables_auto_only_when_non_empty() {
        assert!(!decide(ColorChoice::Auto, true, &env(Some("1"), None, None, None)));
        assert!(decide(ColorChoice::Auto, true, &env(Some(""), None, None, None)));
        // NO_COLOR wins over CLICOLOR_FORCE, as in anstream.
        assert!(!decide(ColorChoice::Auto, true, &env(Some("yes"), Some("1"), None, None)));
    }

    #[test]
    fn clicolor_force_colours_a_pipe() {
        assert!(decide(ColorChoice::Auto, false, &env(None, Some("1"), None, None)));
        assert!(!decide(ColorChoice::Auto, false, &env(None, Some("0"), None, None)));
        assert!(!decide(ColorChoice::Auto, false, &env(None, Some(""), None, None)));
    }

    #[test]
    fn dumb_terminals_and_clicolor_zero_get_no_colour() {
        assert!(!decide(ColorChoice::Auto, true, &env(None, None, Some("0"), None)));
        assert!(!decide(ColorChoice::Auto, true, &env(None, None, None, Some("dumb"))));
        assert!(decide(ColorChoice::Auto, true, &env(None, None, Some("1"), None)));
    }

    #[test]
    fn adjacent_layers_of_one_kind_differ() {
        for k in [LayerKind::Link, LayerKind::Network, LayerKind::Transport, LayerKind::Application] {
            assert_ne!(kind_style(k, false), kind_style(k, true));
            assert!(!kind_style(k, false).is_plain());
        }
    }
}
