//! A one-line progress display on standard error, only when it is a
//! terminal (scripts and journald get the final summary only).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use upsignon_ops::backup::Progress;

pub struct ProgressLine {
    verb: &'static str,
    on_terminal: bool,
    started: Instant,
    last: Option<Instant>,
}

impl ProgressLine {
    pub fn new(verb: &'static str) -> Self {
        Self {
            verb,
            on_terminal: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last: None,
        }
    }

    /// Redraws the line at most five times a second.
    pub fn update(&mut self, progress: Progress<'_>) {
        if !self.on_terminal
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r\x1b[2K{} {:<24} {:>12} rows  {:>8.0} rows/s",
            self.verb,
            progress.table,
            progress.rows,
            progress.rows as f64 / secs
        );
        let _ = err.flush();
    }

    /// Clears the line before the summary is printed.
    pub fn finish(&self) {
        if self.on_terminal && self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
