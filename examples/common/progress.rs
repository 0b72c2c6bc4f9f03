//! Progress bars (indicatif, on stderr) fed by the engine's [`ProgressEvent`]s.
//!
//! Bars are drawn only when stderr is a terminal; piped output stays clean.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netbox_windhcp::sync::source::{Progress, ProgressEvent};

/// A [`Progress`] that draws one bar per gather and one per apply.
#[derive(Debug)]
pub struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars that draw when `enabled` (and stderr is a terminal).
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            bar: Mutex::new(None),
        }
    }

    fn start(&self, len: usize, what: &str) {
        let bar = if self.enabled {
            ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        let style = ProgressStyle::with_template(
            "  {prefix:>9} [{bar:40.cyan/blue}] {pos:>6}/{len:<6} {elapsed_precise} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut slot) = self.bar.lock()
            && let Some(old) = slot.replace(bar)
        {
            old.finish_and_clear();
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            f(bar);
        }
    }

    /// Remove the current bar, if any.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn event(&self, event: ProgressEvent) {
        match event {
            ProgressEvent::GatherStarted { servers } => self.start(servers, "reading"),
            ProgressEvent::ServerRead {
                server,
                reachable,
                failed_reads,
            } => {
                if !reachable {
                    tracing::warn!(%server, "server unreachable");
                } else if failed_reads > 0 {
                    tracing::warn!(%server, failed_reads, "some reads failed");
                } else {
                    tracing::info!(%server, "server read");
                }
                self.with_bar(|b| {
                    b.set_message(server);
                    b.inc(1);
                });
            }
            ProgressEvent::ReadingPartner {
                failover,
                primary,
                partner,
            } => {
                tracing::warn!(%failover, %primary, %partner, "primary unreadable, reading partner");
            }
            ProgressEvent::ApplyStarted { actions } => self.start(actions, "applying"),
            ProgressEvent::ActionsDone { count } => self.with_bar(|b| b.inc(count as u64)),
            _ => {}
        }
    }
}
