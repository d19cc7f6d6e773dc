//! `upsignon migrate status | up | down | sync`, each returning a report
//! whose `Display` is what the sysadmin reads.

use std::fmt;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::format_description;
use upsignon_api::SERVER_VERSION;
use upsignon_store::{Backend, SchemaStatus, Store};

use crate::OpsError;

pub struct StatusReport {
    pub backend: Backend,
    pub status: SchemaStatus,
    pub expected: Option<String>,
}

pub fn status(store: &Store) -> Result<StatusReport, OpsError> {
    Ok(StatusReport {
        backend: store.backend(),
        status: store.schema_status()?,
        expected: store.expected_schema().map(str::to_string),
    })
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:<28} {:<18} {:<10} APPLIED AT (UTC)",
            "VERSION", "NAME", "STATE", "APPLIED BY"
        )?;
        for m in &self.status.migrations {
            let state = if m.irreversible {
                format!("{} (irreversible)", m.state.label())
            } else {
                m.state.label().into()
            };
            writeln!(
                f,
                "{:<8} {:<28} {:<18} {:<10} {}",
                m.version,
                m.name,
                state,
                m.applied_by.as_deref().unwrap_or("-"),
                m.applied_at_ms.map(format_ms).unwrap_or_else(|| "-".into())
            )?;
        }
        let head = self.status.head().unwrap_or("none");
        let expected = self.expected.as_deref().unwrap_or("none");
        let verdict = match self.status.check_servable() {
            Ok(()) => "in sync".to_string(),
            Err(e) => e.to_string(),
        };
        write!(
            f,
            "{} schema {head}, upsignon {SERVER_VERSION} expects {expected}: {verdict}",
            self.backend
        )
    }
}

/// One line: what changed, where, and how long it took.
pub struct ChangeReport {
    pub action: &'static str,
    pub versions: Vec<String>,
    pub backend: Backend,
    pub elapsed: Duration,
}

impl fmt::Display for ChangeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.elapsed.as_millis();
        match self.versions.as_slice() {
            [] => write!(
                f,
                "migrate {}: nothing to do on {} ({ms} ms)",
                self.action, self.backend
            ),
            versions => write!(
                f,
                "migrate {}: {} {} migration(s) ({}) on {} in {ms} ms",
                self.action,
                if self.action == "up" {
                    "applied"
                } else {
                    "reverted"
                },
                versions.len(),
                versions.join(", "),
                self.backend
            ),
        }
    }
}

pub fn up(store: &Store) -> Result<ChangeReport, OpsError> {
    let started = Instant::now();
    let versions = store.migrate_up(SERVER_VERSION)?;
    Ok(ChangeReport {
        action: "up",
        versions,
        backend: store.backend(),
        elapsed: started.elapsed(),
    })
}

/// Reverts migrations above `target`. Without `confirmed`, refuses and says
/// which migrations it would revert.
pub fn down(store: &Store, target: &str, confirmed: bool) -> Result<ChangeReport, OpsError> {
    if !confirmed {
        let status = store.schema_status()?;
        let doomed: Vec<&str> = status
            .migrations
            .iter()
            .filter(|m| m.applied_at_ms.is_some() && (target == "0" || m.version.as_str() > target))
            .map(|m| m.version.as_str())
            .collect();
        let plan = if doomed.is_empty() {
            format!("nothing is applied above {target}")
        } else {
            format!(
                "this would revert {} and drop what they added",
                doomed.join(", ")
            )
        };
        return Err(OpsError::NeedsConfirmation { plan });
    }
    let started = Instant::now();
    let versions = store.migrate_down_to(target)?;
    Ok(ChangeReport {
        action: "down",
        versions,
        backend: store.backend(),
        elapsed: started.elapsed(),
    })
}

pub struct SyncReport {
    pub reverted: Vec<String>,
    pub applied: Vec<String>,
    pub backend: Backend,
    pub elapsed: Duration,
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        write!(
            f,
            "migrate sync: reverted {} (applied by a newer release), applied {} on {} in {} ms; schema now matches upsignon {SERVER_VERSION}",
            list(&self.reverted),
            list(&self.applied),
            self.backend,
            self.elapsed.as_millis()
        )
    }
}

pub fn sync(store: &Store) -> Result<SyncReport, OpsError> {
    let started = Instant::now();
    let report = store.migrate_sync(SERVER_VERSION)?;
    Ok(SyncReport {
        reverted: report.reverted,
        applied: report.applied,
        backend: store.backend(),
        elapsed: started.elapsed(),
    })
}

fn format_ms(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}
