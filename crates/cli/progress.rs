//! A progress bar on stderr while a long capture file is read: shown only when stderr is a
//! terminal and what is printed meanwhile does not go to that terminal (output redirected, or
//! a command such as `stats` that prints at the end), never in pipes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files smaller than this are read too fast for a bar to help.
const MIN_BYTES: u64 = 32 << 20;
/// How many frames go by between updates of the bar (each update is an atomic store).
const EVERY: u64 = 4096;

pub struct Progress {
    bar: Option<ProgressBar>,
    frames: u64,
}

impl Progress {
    /// A bar for reading `path`; `prints_meanwhile`: whether the command writes frames to
    /// stdout while it reads (then the bar shows only if stdout is not the terminal).
    pub fn for_file(path: &std::path::Path, prints_meanwhile: bool) -> Progress {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let show = size >= MIN_BYTES
            && std::io::stderr().is_terminal()
            && !(prints_meanwhile && std::io::stdout().is_terminal());
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr_with_hz(10));
            if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, frames: 0 }
    }

    /// Called once per frame with the bytes read so far.
    pub fn frame(&mut self, bytes_read: impl FnOnce() -> u64) {
        self.frames += 1;
        if self.frames.is_multiple_of(EVERY) {
            if let Some(bar) = &self.bar {
                bar.set_position(bytes_read());
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
