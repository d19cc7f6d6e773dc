//! A standby inside `serve`: one thread pulls on the schedule, another
//! watches for `upsignon promote` and, when it comes, switches the running
//! server to primary at once and starts its scheduled backups.

use std::sync::Arc;
use std::time::{Duration, Instant};

use upsignon_api::ServerRole;
use upsignon_config::Config;
use upsignon_store::Store;

use super::pull::{pull_once, record};
use super::role::is_promoted;
use super::{PullReport, StandbyState};

/// When pulls happen.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval: Duration,
    /// After a failed pull.
    pub retry: Duration,
}

impl Schedule {
    pub fn from_config(config: &Config) -> Self {
        let interval = Duration::from_secs(config.standby_interval_secs);
        Self {
            interval,
            retry: interval.min(Duration::from_secs(60)),
        }
    }
}

/// How often the promotion watcher looks at the state directory.
const WATCH: Duration = Duration::from_millis(250);

/// Starts the puller and the promotion watcher; the first pull is at once.
pub fn start(
    config: &Config,
    store: Store,
    role: Arc<ServerRole>,
    state: StandbyState,
    schedule: Schedule,
) {
    let (puller_config, puller_store, puller_role) = (config.clone(), store.clone(), role.clone());
    let spawned = std::thread::Builder::new()
        .name("standby-pull".to_string())
        .spawn(move || pull_loop(&puller_config, &puller_store, &puller_role, state, schedule));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the standby's puller");
    }
    let config = config.clone();
    let spawned = std::thread::Builder::new()
        .name("standby-watch".to_string())
        .spawn(move || watch_for_promotion(&config, store, &role));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the promotion watcher");
    }
}

fn pull_loop(
    config: &Config,
    store: &Store,
    role: &ServerRole,
    mut state: StandbyState,
    schedule: Schedule,
) {
    let mut next = Instant::now();
    while !is_promoted(&config.state_dir) {
        if Instant::now() < next {
            std::thread::sleep(WATCH.min(next.saturating_duration_since(Instant::now())));
            continue;
        }
        let outcome = pull_once(config, store, &state.primary);
        record(&config.state_dir, &mut state, &outcome);
        role.set_report(state.report());
        next = Instant::now()
            + match &outcome {
                Ok(report @ PullReport::Applied { .. }) => {
                    tracing::info!(primary = %state.primary, "{report}");
                    schedule.interval
                }
                Ok(PullReport::DroppedPromoted) => break,
                Err(error) => {
                    tracing::error!(%error, "standby pull failed; the data stays as it was and the pull is retried");
                    schedule.retry
                }
            };
    }
    tracing::info!("promoted: the standby stops pulling");
}

fn watch_for_promotion(config: &Config, store: Store, role: &ServerRole) {
    while !is_promoted(&config.state_dir) {
        std::thread::sleep(WATCH);
    }
    role.promote();
    tracing::info!("promoted: this server now serves as a primary");
    crate::backup::schedule::start(config, store);
}
