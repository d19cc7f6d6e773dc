//! `add-new-data`, `get-vault-data` and `update-vault-data`: the personal
//! vault as opaque ciphertext with a version. A write names the version it
//! read; a stale one gets 409 `outdated` with the current version, never a
//! silent overwrite. Reads carry an ETag, so an unchanged vault costs 304.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use upsignon_domain::TenantPolicy;
use upsignon_store::Store;
use upsignon_store::queries::{shared_vaults as shared, stats, users, vaults};

use super::ApiError;
use super::context::{blocking, now_ms, tenant_slug, with_session};
use super::identify::{DeviceRef, find, require_authorized, verify_challenge};
use super::sessions::open_session;
use crate::AppContext;
use crate::metrics::VaultSync;
use crate::proofs::sha256_hex;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddRequest {
    #[serde(flatten)]
    device: DeviceRef,
    device_challenge_response: String,
    new_encrypted_data: String,
    /// Key-derivation settings, kept in clear for the user's other devices.
    kdf: Value,
    password_challenge: String,
    password_challenge_response: String,
    sharing_public_key: String,
    signing_public_key: String,
}

pub(crate) async fn add(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<AddRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    ApiError::check_vault_size(&request.new_encrypted_data, ctx.vault_max_bytes)?;
    if !request.kdf.is_object() {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: "kdf must be an object".to_string(),
        });
    }
    let slug = tenant_slug(&req);
    let body = blocking(&ctx, move |store| {
        let mut conn = store.connection()?;
        let found = find(&mut conn, &slug, &request.device)?;
        require_authorized(&found.device)?;
        verify_challenge(&mut conn, &found.device, &request.device_challenge_response)?;
        drop(conn);
        let now = now_ms();
        let vault = vaults::VaultRow {
            user_id: found.user.id.clone(),
            encrypted_data: request.new_encrypted_data,
            version: 1,
            updated_at: now,
        };
        let check = vaults::PasswordCheckRow {
            user_id: found.user.id.clone(),
            kdf: request.kdf.to_string(),
            challenge: request.password_challenge,
            response_hash: sha256_hex(&request.password_challenge_response),
            updated_at: now,
        };
        let token = store.transaction_with(|conn| {
            if !vaults::create(conn, &vault, &check)? {
                return Err(ApiError::forbidden("conflict"));
            }
            users::set_public_keys_if_unset(
                conn,
                &found.user.id,
                &request.sharing_public_key,
                &request.signing_public_key,
            )?;
            open_session(conn, &found.tenant, &found.user.id, &found.device.id)
        })?;
        let policy = TenantPolicy::from_settings(&found.tenant.settings);
        Ok(json!({
            "version": 1,
            "deviceSession": token,
            "offlineMode": policy.offline_mode,
            "csvExport": policy.csv_export,
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The tag of the vault and the shared vaults it comes with: it changes
/// when any of them does.
fn combined_etag(version: i64, shared: &[(shared::SharedVaultRow, shared::MemberRow)]) -> String {
    if shared.is_empty() {
        return etag(version);
    }
    let mut parts = format!("v{version}");
    for (vault, member) in shared {
        parts.push_str(&format!(
            ";{}:{}:{}",
            vault.id, vault.version, member.access_level
        ));
    }
    format!(
        "\"v{version}-{}\"",
        &crate::proofs::sha256_hex(&parts)[..16]
    )
}

pub(crate) async fn get(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let if_none_match = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (tag, body) = with_session(&req, &ctx, move |conn, session| {
        let vault =
            vaults::find(conn, &session.user_id)?.ok_or(ApiError::forbidden("empty_data"))?;
        let shared_vaults = shared::for_user(conn, &session.user_id)?;
        let tag = combined_etag(vault.version, &shared_vaults);
        if if_none_match.as_deref() == Some(tag.as_str()) {
            return Ok((tag, None));
        }
        let policy = TenantPolicy::from_settings(&session.tenant.settings);
        let shared_list: Vec<Value> = shared_vaults
            .iter()
            .map(|(v, m)| super::shared_vaults::describe(v, m))
            .collect();
        let body = json!({
            "encryptedData": vault.encrypted_data,
            "version": vault.version,
            "updatedAt": vault.updated_at,
            "offlineMode": policy.offline_mode,
            "csvExport": policy.csv_export,
            "sharedVaults": shared_list,
        });
        Ok((tag, Some(body)))
    })
    .await?;
    ctx.metrics.vault_sync(match body {
        Some(_) => VaultSync::Read,
        None => VaultSync::NotModified,
    });
    Ok(match body {
        Some(body) => HttpResponse::Ok().insert_header(("ETag", tag)).json(body),
        None => HttpResponse::NotModified()
            .insert_header(("ETag", tag))
            .finish(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateRequest {
    new_encrypted_data: String,
    /// The version the client read and changed.
    version: i64,
    /// Password-strength counts of the new contents, kept with history.
    vault_stats: Option<VaultStats>,
}

/// Whose statistics a row holds.
pub(crate) enum StatsOwner<'a> {
    User(&'a str),
    SharedVault(&'a str),
}

/// Counts the app computes over the decrypted vault; only numbers.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VaultStats {
    nb_accounts: u32,
    nb_codes: u32,
    nb_accounts_strong: u32,
    nb_accounts_medium: u32,
    nb_accounts_weak: u32,
    nb_accounts_with_duplicated_password: u32,
    nb_accounts_with_no_password: u32,
}

impl VaultStats {
    /// The row for a personal vault (`user_id`) or a shared one.
    pub(crate) fn row_for(
        self,
        tenant_id: &str,
        owner: StatsOwner<'_>,
        now: i64,
    ) -> stats::StatsRow {
        let (user_id, shared_vault_id) = match owner {
            StatsOwner::User(id) => (Some(id.to_string()), None),
            StatsOwner::SharedVault(id) => (None, Some(id.to_string())),
        };
        stats::StatsRow {
            user_id,
            shared_vault_id,
            ..self.row(tenant_id, "", now)
        }
    }

    fn row(self, tenant_id: &str, user_id: &str, now: i64) -> stats::StatsRow {
        let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        stats::StatsRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant_id.to_string(),
            user_id: Some(user_id.to_string()),
            shared_vault_id: None,
            recorded_at: now,
            nb_accounts: n(self.nb_accounts),
            nb_codes: n(self.nb_codes),
            nb_strong: n(self.nb_accounts_strong),
            nb_medium: n(self.nb_accounts_medium),
            nb_weak: n(self.nb_accounts_weak),
            nb_duplicated: n(self.nb_accounts_with_duplicated_password),
            nb_without_password: n(self.nb_accounts_with_no_password),
        }
    }
}

pub(crate) async fn update(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<UpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    ApiError::check_vault_size(&request.new_encrypted_data, ctx.vault_max_bytes)?;
    let version = with_session(&req, &ctx, move |conn, session| {
        let now = now_ms();
        Store::transaction_on(conn, |conn| {
            let written = vaults::update_if_version(
                conn,
                &session.user_id,
                request.version,
                &request.new_encrypted_data,
                now,
            )?;
            if !written {
                let current = vaults::find(conn, &session.user_id)?
                    .ok_or(ApiError::forbidden("empty_data"))?;
                return Err(ApiError::Outdated {
                    current: current.version,
                });
            }
            if let Some(counts) = request.vault_stats {
                let owner = StatsOwner::User(&session.user_id);
                stats::insert(conn, &counts.row_for(&session.tenant.id, owner, now))?;
            }
            Ok(request.version + 1)
        })
    })
    .await;
    match &version {
        Ok(_) => ctx.metrics.vault_sync(VaultSync::Write),
        Err(ApiError::Outdated { .. }) => ctx.metrics.vault_sync(VaultSync::Conflict),
        Err(_) => {}
    }
    Ok(HttpResponse::Ok().json(json!({ "version": version? })))
}
