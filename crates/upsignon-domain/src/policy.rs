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
}

impl Default for TenantPolicy {
    fn default() -> Self {
        Self {
            offline_mode: true,
            csv_export: false,
            prevent_update_popup: false,
            password_reset_without_admin: false,
        }
    }
}

impl TenantPolicy {
    /// Reads the stored JSON; unknown keys are ignored, and unreadable
    /// settings give the defaults (the safe choice for every key).
    pub fn from_settings(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
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
}
