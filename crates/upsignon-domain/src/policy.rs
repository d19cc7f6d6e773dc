//! A tenant's policies as the apps receive them. Stored as JSON in
//! `tenants.settings`; a missing key takes the product's default.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenantPolicy {
    /// Apps keep the last synced copy and read it when the server is away.
    pub offline_mode: bool,
    /// Apps may export the vault as CSV (done in the app; off by default).
    pub csv_export: bool,
    /// Apps do not prompt their users to update.
    pub prevent_update_popup: bool,
    /// A forgotten-password request is granted at once with an emailed
    /// token, instead of waiting for an admin.
    pub password_reset_without_admin: bool,
    /// A device that proved its emailed code still waits for an admin's
    /// approval in the console before it may sign in.
    pub admin_approves_new_devices: bool,
    /// How long an app's session lasts before it must authenticate again.
    pub session_minutes: u32,
    /// The shortest master password the apps accept (they enforce it; the
    /// server never sees the password).
    pub master_password_min_length: u32,
}

/// Bounds an admin may set; outside them the console refuses the change.
pub const SESSION_MINUTES: std::ops::RangeInclusive<u32> = 5..=1440;
pub const MASTER_PASSWORD_MIN_LENGTH: std::ops::RangeInclusive<u32> = 8..=128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("session length must be between {} and {} minutes", SESSION_MINUTES.start(), SESSION_MINUTES.end())]
    SessionMinutes,
    #[error("minimum master password length must be between {} and {} characters", MASTER_PASSWORD_MIN_LENGTH.start(), MASTER_PASSWORD_MIN_LENGTH.end())]
    MasterPasswordMinLength,
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self {
            offline_mode: true,
            csv_export: false,
            prevent_update_popup: false,
            password_reset_without_admin: false,
            admin_approves_new_devices: false,
            session_minutes: 60,
            master_password_min_length: 12,
        }
    }
}

impl TenantPolicy {
    /// Reads the stored JSON; unknown keys are ignored, and unreadable
    /// settings give the defaults (the safe choice for every key).
    pub fn from_settings(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The policy if every value is within its bounds.
    pub fn validated(self) -> Result<Self, PolicyError> {
        if !SESSION_MINUTES.contains(&self.session_minutes) {
            return Err(PolicyError::SessionMinutes);
        }
        if !MASTER_PASSWORD_MIN_LENGTH.contains(&self.master_password_min_length) {
            return Err(PolicyError::MasterPasswordMinLength);
        }
        Ok(self)
    }

    /// Writes the policy into the stored settings JSON, keeping the keys it
    /// does not own (such as the URL list).
    pub fn merge_into(&self, settings: &str) -> String {
        let mut value: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(settings).unwrap_or_default();
        if let Ok(serde_json::Value::Object(own)) = serde_json::to_value(self) {
            value.extend(own);
        }
        serde_json::Value::Object(value).to_string()
    }

    /// Session lifetime in milliseconds.
    pub fn session_lifetime_ms(&self) -> i64 {
        i64::from(
            self.session_minutes
                .clamp(*SESSION_MINUTES.start(), *SESSION_MINUTES.end()),
        ) * 60_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_take_the_product_defaults() {
        let policy = TenantPolicy::from_settings("{\"csv_export\":true}");
        assert!(policy.offline_mode);
        assert!(policy.csv_export);
        assert_eq!(
            TenantPolicy::from_settings("not json"),
            TenantPolicy::default()
        );
    }

    #[test]
    fn out_of_bounds_values_are_refused() {
        let mut policy = TenantPolicy {
            session_minutes: 2,
            ..TenantPolicy::default()
        };
        assert_eq!(policy.validated(), Err(PolicyError::SessionMinutes));
        policy.session_minutes = 60;
        policy.master_password_min_length = 4;
        assert_eq!(
            policy.validated(),
            Err(PolicyError::MasterPasswordMinLength)
        );
    }

    #[test]
    fn merging_keeps_keys_the_policy_does_not_own() {
        let policy = TenantPolicy {
            csv_export: true,
            ..TenantPolicy::default()
        };
        let merged = policy.merge_into(r#"{"url_list":[{"name":"intranet"}],"csv_export":false}"#);
        assert!(merged.contains("intranet"), "{merged}");
        assert!(TenantPolicy::from_settings(&merged).csv_export);
    }
}
