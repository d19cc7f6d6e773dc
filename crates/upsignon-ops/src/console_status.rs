//! What the console's server-status page shows, taken from the same
//! checks as `upsignon doctor` (schema, backups and their drill, standby).

use upsignon_config::Config;
use upsignon_console::{StatusLine, StatusSource};

use crate::doctor::{self, Status};

pub struct DoctorStatus {
    pub config: Config,
}

impl StatusSource for DoctorStatus {
    fn lines(&self) -> Vec<StatusLine> {
        doctor::status_checks(&self.config)
            .into_iter()
            .map(|check| StatusLine {
                label: check.name.to_string(),
                value: match &check.fix {
                    Some(fix) => format!("{} ({fix})", check.summary),
                    None => check.summary.clone(),
                },
                ok: check.status == Status::Ok,
            })
            .collect()
    }
}
