//! `upsignon promote`: a standby becomes a primary in one command. It
//! waits for a pull being applied (never half-way), records the promotion,
//! and says how old the data is and which DNS change to make.

use std::fmt;
use std::time::{Duration, Instant};

use upsignon_config::Config;

use super::role::{Role, now_unix, promoted_file, role, standby_file, write_json};
use super::{Promoted, StandbyError, lock};

/// How long `promote` waits for a pull being applied.
const APPLY_WAIT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct PromoteReport {
    pub former_primary: String,
    pub data_as_of_unix: Option<i64>,
    pub promoted_unix: i64,
    pub last_error: Option<String>,
    pub this_server: String,
    pub elapsed: Duration,
}

impl PromoteReport {
    pub fn data_age_secs(&self) -> Option<i64> {
        self.data_as_of_unix
            .map(|t| (self.promoted_unix - t).max(0))
    }

    /// The host name clients use: the former primary's.
    pub fn client_host(&self) -> &str {
        let rest = self
            .former_primary
            .split_once("://")
            .map_or(self.former_primary.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or(rest);
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
    }
}

impl fmt::Display for PromoteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "promoted in {:.2} s: this server is now a primary.",
            self.elapsed.as_secs_f64()
        )?;
        match (self.data_as_of_unix, self.data_age_secs()) {
            (Some(at), Some(age)) => writeln!(
                f,
                "Data age: {} ({} s old): the primary's changes after {} are not here.",
                human_age(age),
                age,
                utc(at)
            )?,
            _ => writeln!(
                f,
                "Data age: unknown: no pull ever completed, so this server holds only its own data."
            )?,
        }
        if let Some(error) = &self.last_error {
            writeln!(f, "The last pull had failed: {error}")?;
        }
        writeln!(
            f,
            "Next: point the DNS name `{}` (which clients use) at this server ({}), and keep {} stopped so that only one server takes changes.",
            self.client_host(),
            self.this_server,
            self.former_primary
        )?;
        write!(
            f,
            "A running server switches within a second; scheduled backups start now."
        )
    }
}

/// Promotes this server. Works whether or not the server is running.
pub fn promote(config: &Config) -> Result<PromoteReport, StandbyError> {
    let started = Instant::now();
    let Role::Standby(state) = role(config) else {
        return Err(StandbyError::NotStandby);
    };
    let _lock = lock::acquire(&config.state_dir, APPLY_WAIT)?;
    // The apply that held the lock may have moved the data forward.
    let state = super::role::read_standby(&config.state_dir).unwrap_or(state);
    let promoted = Promoted {
        promoted_unix: now_unix(),
        former_primary: state.primary.clone(),
        data_as_of_unix: state.data_as_of_unix,
    };
    write_json(&promoted_file(&config.state_dir), &promoted)?;
    let _ = std::fs::remove_file(standby_file(&config.state_dir));
    Ok(PromoteReport {
        former_primary: state.primary,
        data_as_of_unix: state.data_as_of_unix,
        promoted_unix: promoted.promoted_unix,
        last_error: state.last_error,
        this_server: config.effective_public_url(),
        elapsed: started.elapsed(),
    })
}

fn human_age(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s / 60),
        s if s < 172_800 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(primary: &str) -> PromoteReport {
        PromoteReport {
            former_primary: primary.to_string(),
            data_as_of_unix: Some(1_000),
            promoted_unix: 1_600,
            last_error: None,
            this_server: "https://10.0.0.2:8443".to_string(),
            elapsed: Duration::from_millis(20),
        }
    }

    #[test]
    fn the_dns_name_to_move_is_the_former_primarys_host() {
        assert_eq!(
            report("https://passwords.example.com:8443/").client_host(),
            "passwords.example.com"
        );
        assert_eq!(
            report("https://vault.example.org").client_host(),
            "vault.example.org"
        );
    }

    #[test]
    fn the_report_says_how_old_the_data_is() {
        let text = report("https://passwords.example.com").to_string();
        assert!(text.contains("10 minutes (600 s old)"), "{text}");
        assert!(text.contains("`passwords.example.com`"), "{text}");
    }
}
