//! The database: reachable and how fast, schema in sync with this binary,
//! and its clock against this machine's.

use std::time::Instant;

use upsignon_config::Config;
use upsignon_store::{Store, introspect};

use super::Check;

const SKEW_WARN_MS: i64 = 5_000;
const SKEW_FAIL_MS: i64 = 60_000;

pub fn checks(config: &Config) -> Vec<Check> {
    let url = config.database();
    if let Some(path) = url.sqlite_path()
        && !path.exists()
    {
        return vec![Check::warn(
            "database",
            format!("{} does not exist yet", path.display()),
            "run `upsignon install` (or `upsignon migrate up`) to create it",
        )];
    }
    let started = Instant::now();
    let store = match Store::open(&url, 1).and_then(|s| s.ping().map(|()| s)) {
        Ok(store) => store,
        Err(e) => {
            return vec![Check::fail(
                "database",
                format!(
                    "{} is unreachable: {}",
                    url.masked(),
                    first_line(&e.to_string())
                ),
                "check database_url and that the database server runs and accepts this host",
            )];
        }
    };
    let latency = started.elapsed();
    vec![
        Check::ok(
            "database",
            format!(
                "{} reachable, connected and answered in {} ms",
                url.masked(),
                latency.as_millis()
            ),
        ),
        schema(&store),
        clock(&store),
        sealed_values(&store, config),
    ]
}

/// Whether the secrets key opens the values it sealed (the admins' TOTP
/// secrets): after a restore or a move, another site's key would lock
/// every admin out at their next sign-in.
fn sealed_values(store: &Store, config: &Config) -> Check {
    const NAME: &str = "secrets key";
    let fix = "put back the site's secrets key (`upsignon restore` of a recent backup puts it in place; or copy it from your safe copy), or give each admin a new code with `upsignon admin reset EMAIL`";
    let sealed: Vec<String> = match store
        .connection()
        .and_then(|mut conn| upsignon_store::queries::admins::list(&mut conn))
    {
        Ok(admins) => admins.into_iter().filter_map(|a| a.totp_secret).collect(),
        Err(e) => return Check::fail(NAME, e.to_string(), "see the message"),
    };
    if sealed.is_empty() {
        return Check::ok(NAME, "no admin has enrolled a second factor yet");
    }
    let path = config.secrets_key();
    let key = match crate::secrets_key::load(&path) {
        Ok(key) => key,
        Err(e) => return Check::fail(NAME, first_line(&e.to_string()), fix),
    };
    let unreadable = sealed.iter().filter(|s| key.open(s).is_err()).count();
    if unreadable > 0 {
        return Check::fail(
            NAME,
            format!(
                "{} does not open the second-factor secrets of {unreadable} of {} admin(s): it is not the key they were sealed with",
                path.display(),
                sealed.len()
            ),
            fix,
        );
    }
    Check::ok(
        NAME,
        format!(
            "{} opens the second-factor secrets of {} admin(s)",
            path.display(),
            sealed.len()
        ),
    )
}

fn schema(store: &Store) -> Check {
    let status = match store.schema_status() {
        Ok(status) => status,
        Err(e) => return Check::fail("schema", e.to_string(), "see the message"),
    };
    if status.is_in_sync() {
        return Check::ok(
            "schema",
            format!("in sync at {}", status.head().unwrap_or("-")),
        );
    }
    match status.check_servable() {
        Ok(()) => Check::warn(
            "schema",
            "migrations are pending",
            "run `upsignon migrate up` (serve applies them at start unless migrate_on_start = false)",
        ),
        Err(e) => Check::fail(
            "schema",
            first_line(&e.to_string()),
            "run `upsignon migrate status`, then `upsignon migrate sync` (or install the newer release again)",
        ),
    }
}

fn clock(store: &Store) -> Check {
    let database_ms = match store
        .connection()
        .and_then(|mut c| introspect::database_time_ms(&mut c))
    {
        Ok(ms) => ms,
        Err(e) => return Check::warn("clock", e.to_string(), "see the message"),
    };
    let local_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let skew = (local_ms - database_ms).abs();
    let summary = format!("{skew} ms apart from the database server's clock");
    if skew > SKEW_FAIL_MS {
        Check::fail(
            "clock",
            summary,
            "synchronise both clocks (timedatectl set-ntp true): one-time codes and sessions expire by the clock",
        )
    } else if skew > SKEW_WARN_MS {
        Check::warn(
            "clock",
            summary,
            "enable NTP on this machine and the database server",
        )
    } else {
        Check::ok("clock", summary)
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
