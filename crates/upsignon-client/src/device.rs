//! One device of one user, driving the flows an app runs: ask for access,
//! confirm the emailed code, create the vault, sign in, read and write the
//! vault. Everything secret stays here; the server gets ciphertext, public
//! keys, signatures and a hash-checked password response.

use serde_json::{Value, json};

use crate::api::{Answer, ClientError, TenantApi, refused, text};
use crate::crypto::{DeviceKey, KdfParams, SharingKey, VaultKeys, b64, random_bytes};

pub struct Device {
    api: TenantApi,
    pub email: String,
    pub uid: String,
    pub name: String,
    key: DeviceKey,
    session: Option<String>,
}

/// The vault as last read: its version and decrypted contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultCopy {
    pub version: i64,
    pub etag: Option<String>,
    pub plaintext: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Written {
        version: i64,
    },
    /// Someone else wrote first; fetch, merge, retry.
    Outdated {
        current: i64,
    },
}

impl Device {
    pub fn new(api: TenantApi, email: &str, name: &str) -> Result<Self, ClientError> {
        Ok(Self {
            api,
            email: email.to_string(),
            uid: b64(&random_bytes::<12>()?),
            name: name.to_string(),
            key: DeviceKey::generate()?,
            session: None,
        })
    }

    /// A device saved earlier (by the CLI): its id, secret seed and session.
    pub fn restore(
        api: TenantApi,
        email: &str,
        uid: &str,
        seed_b64: &str,
        session: Option<String>,
    ) -> Result<Self, ClientError> {
        Ok(Self {
            api,
            email: email.to_string(),
            uid: uid.to_string(),
            name: String::new(),
            key: DeviceKey::from_seed_b64(seed_b64)?,
            session,
        })
    }

    /// The device's secret seed, to save it (keep it private).
    pub fn seed_b64(&self) -> String {
        self.key.seed_b64()
    }

    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    pub fn api(&self) -> &TenantApi {
        &self.api
    }

    fn id(&self) -> Value {
        json!({ "userEmail": self.email, "deviceId": self.uid })
    }

    fn with_id(&self, extra: Value) -> Value {
        let mut body = self.id();
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    }

    /// `request-device-access`; returns the authorisation status.
    pub async fn request_access(&self) -> Result<String, ClientError> {
        let body = self.with_id(json!({
            "devicePublicKey": self.key.public_b64(),
            "deviceName": self.name,
            "deviceType": "desktop",
            "osFamily": "linux",
            "osNameAndVersion": "Debian 13",
            "appVersion": "reference-client",
        }));
        let answer = self
            .api
            .expect_ok("request-device-access", &body, None)
            .await?;
        text(&answer.body, "authorizationStatus")
    }

    /// `check-device`: sign the challenge the first call returns, then send
    /// the code with the signature.
    pub async fn confirm_code(&self, code: &str) -> Result<(), ClientError> {
        let first = self
            .api
            .call(
                "check-device",
                &self.with_id(json!({ "deviceValidationCode": code })),
                None,
                None,
            )
            .await?;
        if first.status == 200 {
            return Ok(());
        }
        if first.status != 401 {
            return Err(refused(first));
        }
        let challenge = text(&first.body, "deviceChallenge")?;
        let body = self.with_id(json!({
            "deviceValidationCode": code,
            "deviceChallengeResponse": self.key.sign_challenge(&challenge)?,
        }));
        self.api
            .expect_ok("check-device", &body, None)
            .await
            .map(|_| ())
    }

    /// The challenges; an empty vault answers 403 `empty_data` with a
    /// device challenge, which is returned as an answer too.
    async fn challenges(&self) -> Result<Answer, ClientError> {
        let answer = self
            .api
            .call("get-authentication-challenges", &self.id(), None, None)
            .await?;
        match (answer.status, answer.body["error"].as_str()) {
            (200, _) | (403, Some("empty_data")) => Ok(answer),
            _ => Err(refused(answer)),
        }
    }

    /// `add-new-data`: the first vault of a user, sealed under keys derived
    /// from `password`; signs in at the same time.
    pub async fn create_vault(
        &mut self,
        password: &str,
        kdf: &KdfParams,
        plaintext: &[u8],
        sharing: &SharingKey,
    ) -> Result<VaultKeys, ClientError> {
        let challenges = self.challenges().await?;
        let device_challenge = text(&challenges.body, "deviceChallenge")?;
        let keys = VaultKeys::derive(password, kdf)?;
        let password_challenge = b64(&random_bytes::<32>()?);
        let body = self.with_id(json!({
            "deviceChallengeResponse": self.key.sign_challenge(&device_challenge)?,
            "newEncryptedData": keys.seal(plaintext)?,
            "kdf": kdf_json(kdf),
            "passwordChallenge": password_challenge,
            "passwordChallengeResponse": keys.password_response(&password_challenge)?,
            "sharingPublicKey": sharing.public(),
            "signingPublicKey": self.key.public_b64(),
        }));
        let answer = self.api.expect_ok("add-new-data", &body, None).await?;
        self.session = Some(text(&answer.body, "deviceSession")?);
        Ok(keys)
    }

    /// `get-authentication-challenges` then `authenticate`.
    pub async fn sign_in(&mut self, password: &str) -> Result<VaultKeys, ClientError> {
        let challenges = self.challenges().await?;
        if challenges.status != 200 {
            return Err(refused(challenges));
        }
        let kdf = kdf_from_json(&challenges.body["kdf"])?;
        let keys = VaultKeys::derive(password, &kdf)?;
        let body = self.with_id(json!({
            "deviceChallengeResponse": self.key.sign_challenge(&text(&challenges.body, "deviceChallenge")?)?,
            "passwordChallengeResponse": keys.password_response(&text(&challenges.body, "passwordChallenge")?)?,
        }));
        let answer = self.api.expect_ok("authenticate", &body, None).await?;
        self.session = Some(text(&answer.body, "deviceSession")?);
        Ok(keys)
    }

    /// `get-vault-data`; `None` when `known_etag` is still current (304).
    pub async fn read_vault(
        &self,
        keys: &VaultKeys,
        known_etag: Option<&str>,
    ) -> Result<Option<VaultCopy>, ClientError> {
        let answer = self
            .api
            .call("get-vault-data", &json!({}), self.session(), known_etag)
            .await?;
        match answer.status {
            304 => Ok(None),
            200 => Ok(Some(VaultCopy {
                version: answer.body["version"].as_i64().unwrap_or_default(),
                plaintext: keys.open(&text(&answer.body, "encryptedData")?)?,
                etag: answer.etag,
            })),
            _ => Err(refused(answer)),
        }
    }

    /// `update-vault-data` over `read_version`.
    pub async fn write_vault(
        &self,
        keys: &VaultKeys,
        read_version: i64,
        plaintext: &[u8],
    ) -> Result<Write, ClientError> {
        let body = json!({ "newEncryptedData": keys.seal(plaintext)?, "version": read_version });
        self.write("update-vault-data", body).await
    }

    /// `update-vault-data` with the new contents' password-strength counts
    /// (`vaultStats`: numbers only, computed here over the decrypted items).
    pub async fn write_vault_with_stats(
        &self,
        keys: &VaultKeys,
        read_version: i64,
        plaintext: &[u8],
        stats: Value,
    ) -> Result<Write, ClientError> {
        let body = json!({
            "newEncryptedData": keys.seal(plaintext)?,
            "version": read_version,
            "vaultStats": stats,
        });
        self.write("update-vault-data", body).await
    }

    /// A versioned write: written, or outdated with the current version.
    pub(crate) async fn write(&self, route: &str, body: Value) -> Result<Write, ClientError> {
        let answer = self.api.call(route, &body, self.session(), None).await?;
        match answer.status {
            200 => Ok(Write::Written {
                version: answer.body["version"].as_i64().unwrap_or_default(),
            }),
            409 => Ok(Write::Outdated {
                current: answer.body["currentVersion"].as_i64().unwrap_or_default(),
            }),
            _ => Err(refused(answer)),
        }
    }

    /// `get-authorized-devices`: this user's devices.
    pub async fn devices(&self) -> Result<Vec<Value>, ClientError> {
        let answer = self
            .api
            .expect_ok("get-authorized-devices", &json!({}), self.session())
            .await?;
        Ok(answer.body["devices"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// `rename-device` for one of this user's devices (by its id).
    pub async fn rename_device(&self, device_uid: &str, name: &str) -> Result<(), ClientError> {
        let body = json!({ "deviceToRename": device_uid, "newName": name });
        self.api
            .expect_ok("rename-device", &body, self.session())
            .await
            .map(|_| ())
    }

    /// `revoke-device` for one of this user's devices (by its id).
    pub async fn revoke_device(&self, device_uid: &str) -> Result<(), ClientError> {
        let body = json!({ "deviceToDelete": device_uid });
        self.api
            .expect_ok("revoke-device", &body, self.session())
            .await
            .map(|_| ())
    }

    /// `log-event`: report a security-relevant event to the audit log.
    pub async fn log_event(&self, event: &str, details: Option<&str>) -> Result<(), ClientError> {
        let body = json!({ "event": event, "details": details });
        self.api
            .expect_ok("log-event", &body, self.session())
            .await
            .map(|_| ())
    }

    /// `url-list`: the tenant's company URLs for autofill.
    pub async fn url_list(&self) -> Result<Vec<Value>, ClientError> {
        let answer = self
            .api
            .expect_ok("url-list", &json!({}), self.session())
            .await?;
        Ok(answer.body["urlList"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// `backup-password`: this device's own encrypted copy of the master
    /// password, which only this device can open.
    pub async fn backup_password(&self, password: &str) -> Result<(), ClientError> {
        let body = json!({ "backups": [{
            "deviceId": self.uid,
            "encryptedPassword": self.key.seal_for_self(password.as_bytes())?,
        }]});
        self.api
            .expect_ok("backup-password", &body, self.session())
            .await
            .map(|_| ())
    }

    /// A signed call: the first answer is a challenge to sign.
    async fn signed_call(&self, route: &str, extra: Value) -> Result<Answer, ClientError> {
        let first = self
            .api
            .call(route, &self.with_id(extra.clone()), None, None)
            .await?;
        if first.status != 401 || first.body["error"] != "device_challenge_required" {
            return Err(refused(first));
        }
        let challenge = text(&first.body, "deviceChallenge")?;
        let mut body = self.with_id(extra);
        body["deviceChallengeResponse"] = json!(self.key.sign_challenge(&challenge)?);
        self.api.expect_ok(route, &body, None).await
    }

    /// `request-password-reset`: `mail_sent` or `pending_admin_check`.
    pub async fn request_password_reset(&self) -> Result<String, ClientError> {
        let answer = self
            .signed_call("request-password-reset", json!({}))
            .await?;
        text(&answer.body, "resetStatus")
    }

    /// `get-password-backup` with the emailed token; returns the password.
    pub async fn recover_password(&self, token: &str) -> Result<String, ClientError> {
        let answer = self
            .signed_call("get-password-backup", json!({ "resetToken": token }))
            .await?;
        let sealed = text(&answer.body, "encryptedPasswordBackup")?;
        String::from_utf8(self.key.open_for_self(&sealed)?)
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// `update-device-metadata` (signed): a new name, OS or app version.
    pub async fn update_metadata(
        &self,
        name: &str,
        os: &str,
        app: &str,
    ) -> Result<(), ClientError> {
        let extra = json!({ "deviceName": name, "osNameAndVersion": os, "appVersion": app });
        self.signed_call("update-device-metadata", extra)
            .await
            .map(|_| ())
    }

    /// `delete-account`: the user and everything of theirs is deleted.
    pub async fn delete_account(&mut self) -> Result<(), ClientError> {
        self.api
            .expect_ok("delete-account", &json!({}), self.session())
            .await?;
        self.session = None;
        Ok(())
    }

    /// `disconnect`: the session ends on the server.
    pub async fn disconnect(&mut self) -> Result<(), ClientError> {
        self.api
            .expect_ok("disconnect", &json!({}), self.session())
            .await?;
        self.session = None;
        Ok(())
    }
}

fn kdf_json(kdf: &KdfParams) -> Value {
    json!({
        "algorithm": kdf.algorithm,
        "memoryKib": kdf.memory_kib,
        "iterations": kdf.iterations,
        "salt": kdf.salt_b64,
    })
}

fn kdf_from_json(value: &Value) -> Result<KdfParams, ClientError> {
    let number = |field: &str| {
        value[field]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ClientError::Protocol(format!("kdf.{field} missing in {value}")))
    };
    Ok(KdfParams {
        algorithm: text(value, "algorithm")?,
        memory_kib: number("memoryKib")?,
        iterations: number("iterations")?,
        salt_b64: text(value, "salt")?,
    })
}
