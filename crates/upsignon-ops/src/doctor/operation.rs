//! An upgrade or rollback that did not finish: the operation journal says
//! which, and the one command that finishes it.

use upsignon_config::Config;

use super::Check;
use crate::upgrade::journal::{self, Journal, Kind};

pub fn check(config: &Config) -> Check {
    match journal::read(&config.state_dir) {
        Ok(None) => Check::ok("operation", "no upgrade or rollback under way"),
        Ok(Some(unfinished)) => {
            Check::fail("operation", unfinished.to_string(), finish(&unfinished))
        }
        Err(e) => Check::fail(
            "operation",
            e.to_string(),
            "run `upsignon rollback --yes --to VERSION` with the version that should run",
        ),
    }
}

/// The command that finishes `unfinished` (and, for an upgrade, the one
/// that completes it instead).
pub fn finish(unfinished: &Journal) -> String {
    match unfinished.kind {
        Kind::Upgrade => format!(
            "run `upsignon rollback --yes`: it goes back to {} with every write kept (or `upsignon upgrade --from` the archive of {} finishes the upgrade); maintenance mode and the server are put right by either",
            unfinished.from, unfinished.to
        ),
        Kind::Rollback => format!(
            "run `upsignon rollback --yes`: it finishes going back to {} (apps get 503 until then)",
            unfinished.to
        ),
    }
}

/// While an operation is unfinished, no other check may suggest moving
/// the schema (`migrate sync` would move it forward again).
pub fn override_schema_fix(checks: &mut [Check], config: &Config) {
    let Ok(Some(unfinished)) = journal::read(&config.state_dir) else {
        return;
    };
    for check in checks.iter_mut().filter(|c| c.name == "schema") {
        if check.fix.is_some() {
            check.fix = Some(finish(&unfinished));
        }
    }
}
