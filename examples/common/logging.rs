//! `tracing` logs on stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace.
//! `RUST_LOG` overrides the level when set.

use tracing_subscriber::EnvFilter;

/// Install the global subscriber for `verbosity` (the number of `-v` flags).
pub fn init(verbosity: u8) {
    let level = match verbosity {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbosity >= 2)
        .try_init();
}
