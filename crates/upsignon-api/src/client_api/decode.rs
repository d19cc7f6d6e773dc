//! Every client-API request body decoded the way its handler decodes it,
//! without a server: what the `request_decoders` fuzz target drives. It
//! must give an answer for any bytes, never panic or recurse without
//! bound.

use serde::de::DeserializeOwned;

use super::{
    audit, check_device, devices, identify, recipients, recovery, request_device_access, sessions,
    shared_vaults, vault_data,
};
use crate::json_depth::nesting_exceeds;

/// The routes [`decode`] knows, in the order a fuzzer's first byte picks.
pub const ROUTES: [&str; 23] = [
    "log-event",
    "check-device",
    "rename-device",
    "revoke-device",
    "update-device-metadata",
    "get-recipient-public-key",
    "get-matching-email-addresses-for-sharing",
    "add-recipient-to-shared-vault",
    "get-recipients-for-shared-vault",
    "update-recipient-rights-on-shared-vault",
    "remove-recipient-from-shared-vault",
    "backup-password",
    "request-password-reset",
    "get-password-backup",
    "request-device-access",
    "get-authentication-challenges",
    "authenticate",
    "create-shared-vault",
    "get-shared-vault-data",
    "update-shared-vault-data",
    "rename-shared-vault",
    "add-new-data",
    "update-vault-data",
];

/// Decodes `body` as `route`'s request (with the depth limit of the
/// default config first), then runs the field checks that need no
/// database. `Ok` when the handler would go on with it.
pub fn decode(route: &str, body: &[u8]) -> Result<(), String> {
    if nesting_exceeds(body, 32) {
        return Err("too deep".to_string());
    }
    match route {
        "log-event" => parse::<audit::Request>(body).map(drop),
        "check-device" => parse::<check_device::Request>(body).map(drop),
        "rename-device" => parse::<devices::RenameRequest>(body).map(drop),
        "revoke-device" => parse::<devices::RevokeRequest>(body).map(drop),
        "update-device-metadata" => parse::<devices::MetadataRequest>(body).map(drop),
        "get-recipient-public-key" => parse::<recipients::PublicKeyRequest>(body).map(drop),
        "get-matching-email-addresses-for-sharing" => {
            parse::<recipients::SearchRequest>(body).map(drop)
        }
        "add-recipient-to-shared-vault" => parse::<recipients::AddRequest>(body).map(drop),
        "get-recipients-for-shared-vault" => parse::<recipients::ListRequest>(body).map(drop),
        "update-recipient-rights-on-shared-vault" => {
            parse::<recipients::RightsRequest>(body).map(drop)
        }
        "remove-recipient-from-shared-vault" => parse::<recipients::RemoveRequest>(body).map(drop),
        "backup-password" => parse::<recovery::BackupRequest>(body).map(drop),
        "request-password-reset" => parse::<recovery::ResetRequest>(body).map(drop),
        "get-password-backup" => parse::<recovery::GetBackupRequest>(body).map(drop),
        "request-device-access" => {
            let request = parse::<request_device_access::Request>(body)?;
            request_device_access::check_fields(&request).map_err(|e| e.to_string())
        }
        "get-authentication-challenges" => parse::<identify::DeviceRef>(body).map(drop),
        "authenticate" => parse::<sessions::AuthenticateRequest>(body).map(drop),
        "create-shared-vault" => {
            let request = parse::<shared_vaults::CreateRequest>(body)?;
            request.check_details().map_err(|e| e.to_string())
        }
        "get-shared-vault-data" => parse::<shared_vaults::VaultRef>(body).map(drop),
        "rename-shared-vault" => parse::<shared_vaults::RenameRequest>(body).map(drop),
        "update-shared-vault-data" => {
            let request = parse::<shared_vaults::UpdateRequest>(body)?;
            request.check_details().map_err(|e| e.to_string())
        }
        "add-new-data" => parse::<vault_data::AddRequest>(body).map(drop),
        "update-vault-data" => parse::<vault_data::UpdateRequest>(body).map(drop),
        other => Err(format!("unknown route {other}")),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_refuses_garbage_and_decodes_a_minimal_body() {
        for route in ROUTES {
            assert!(decode(route, b"\xff[").is_err(), "{route}");
        }
        assert_eq!(
            decode(
                "update-vault-data",
                br#"{"newEncryptedData":"x","version":1}"#
            ),
            Ok(())
        );
        assert!(decode("create-shared-vault", br#"{"sharedVaultName":"x","encryptedData":"x","encryptedSharedVaultKey":"k","contentDetails":{"accounts":[{"id":"a","urls":[]},{"id":"a","urls":[]}]}}"#).is_err());
    }
}
