//! A standby and its promotion. A standby pulls an encrypted snapshot from
//! its primary's replication endpoint on a schedule, verifies it whole and
//! applies it in one transaction; it answers no client route. `promote`
//! makes it a primary in one command. The role lives in two small files
//! in the state directory (`standby.json`, `promoted.json`), so a restart
//! keeps it. The primary side, [`snapshots`], makes the snapshots the
//! replication endpoint streams.

mod after_promotion;
mod become_standby;
mod error;
mod lock;
mod promote;
mod pull;
mod role;
mod runner;
pub mod snapshots;

pub use after_promotion::running_server_after_promotion;
pub use become_standby::{BecomeReport, become_standby};
pub use error::StandbyError;
pub use promote::{PromoteReport, promote};
pub use pull::{PullReport, pull_once};
pub use role::{Promoted, Role, StandbyState, is_recorded, role};
pub use runner::{Schedule, start};
