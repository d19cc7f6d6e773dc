//! Shared vaults from a member's side: create one (the vault key wrapped
//! to yourself), share it by wrapping the key to a colleague's public
//! sharing key, read and write it with its version, manage members.

use serde_json::{Value, json};

use crate::api::{ClientError, text};
use crate::crypto::{SharedVaultKey, SharingKey};
use crate::{Device, Write};

/// A shared vault as a member reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedCopy {
    pub id: String,
    pub version: i64,
    pub access_level: String,
    pub plaintext: Vec<u8>,
}

impl Device {
    /// `create-shared-vault`: a new vault key wrapped to `mine`; `details`
    /// are the accounts' URL and login, which the server keeps in clear.
    pub async fn create_shared_vault(
        &self,
        name: &str,
        plaintext: &[u8],
        mine: &SharingKey,
        details: Value,
    ) -> Result<(String, SharedVaultKey), ClientError> {
        let key = SharedVaultKey::generate()?;
        let body = json!({
            "sharedVaultName": name,
            "encryptedData": key.seal(plaintext)?,
            "encryptedSharedVaultKey": key.wrap_for(&mine.public())?,
            "contentDetails": details,
        });
        let answer = self
            .api()
            .expect_ok("create-shared-vault", &body, self.session())
            .await?;
        Ok((text(&answer.body, "sharedVaultId")?, key))
    }

    /// `get-shared-vault-data`, opened with the member's own key copy.
    pub async fn read_shared_vault(
        &self,
        id: &str,
        mine: &SharingKey,
    ) -> Result<SharedCopy, ClientError> {
        let answer = self
            .api()
            .expect_ok(
                "get-shared-vault-data",
                &json!({ "sharedVaultId": id }),
                self.session(),
            )
            .await?;
        let vault = &answer.body["sharedVault"];
        let key = SharedVaultKey::unwrap(&text(vault, "encryptedKey")?, mine)?;
        Ok(SharedCopy {
            id: id.to_string(),
            version: vault["version"].as_i64().unwrap_or_default(),
            access_level: text(vault, "accessLevel")?,
            plaintext: key.open(&text(vault, "encryptedData")?)?,
        })
    }

    /// `update-shared-vault-data` over `read_version`.
    pub async fn write_shared_vault(
        &self,
        id: &str,
        key: &SharedVaultKey,
        read_version: i64,
        plaintext: &[u8],
    ) -> Result<Write, ClientError> {
        let body = json!({
            "sharedVaultId": id,
            "newEncryptedData": key.seal(plaintext)?,
            "version": read_version,
        });
        self.write("update-shared-vault-data", body).await
    }

    /// Shares the vault with `email` at `level` (`reader`, `editor`,
    /// `owner`): fetches their public key and wraps the vault key to it.
    pub async fn share(
        &self,
        id: &str,
        key: &SharedVaultKey,
        email: &str,
        level: &str,
    ) -> Result<String, ClientError> {
        let recipient = self
            .api()
            .expect_ok(
                "get-recipient-public-key",
                &json!({ "emailAddress": email }),
                self.session(),
            )
            .await?;
        let recipient_id = text(&recipient.body, "id")?;
        let body = json!({
            "sharedVaultId": id,
            "recipientId": recipient_id,
            "encryptedSharedVaultKey": key.wrap_for(&text(&recipient.body, "publicKey")?)?,
            "accessLevel": level,
        });
        self.api()
            .expect_ok("add-recipient-to-shared-vault", &body, self.session())
            .await?;
        Ok(recipient_id)
    }

    /// Any of the member-management routes, by name, with its body.
    pub async fn manage(&self, route: &str, body: Value) -> Result<Value, ClientError> {
        let answer = self.api().expect_ok(route, &body, self.session()).await?;
        Ok(answer.body)
    }
}
