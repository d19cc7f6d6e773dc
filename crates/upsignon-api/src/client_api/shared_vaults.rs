//! Shared vaults: `create-shared-vault`, `get-shared-vault-data`,
//! `update-shared-vault-data`, `rename-shared-vault`, `delete-shared-vault`.
//! The contents are opaque; each member holds the vault key wrapped to
//! them. Rights are enforced here: readers read, editors write, owners
//! manage. Only the URL and login of each account are in clear
//! (`contentDetails`), as the data inventory says.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use upsignon_domain::AccessLevel;
use upsignon_store::AnyConnection;
use upsignon_store::Store;
use upsignon_store::queries::{shared_vaults as shared, stats};

use super::ApiError;
use super::context::{SignedIn, now_ms, with_session};
use crate::AppContext;

/// The vault and the caller's right on it; not a member (or another
/// tenant's vault) is the same refusal.
pub(crate) fn membership(
    conn: &mut AnyConnection,
    session: &SignedIn,
    vault_id: &str,
) -> Result<(shared::SharedVaultRow, shared::MemberRow, AccessLevel), ApiError> {
    let not_member = || ApiError::forbidden("not_a_member");
    let vault = shared::find(conn, &session.tenant.id, vault_id)?.ok_or_else(not_member)?;
    let member = shared::member(conn, vault_id, &session.user_id)?.ok_or_else(not_member)?;
    let level = AccessLevel::parse(&member.access_level).ok_or_else(|| {
        ApiError::Internal(format!("unknown access level {}", member.access_level))
    })?;
    Ok((vault, member, level))
}

/// [`membership`] under the vault's lock (`shared::lock`): call it first
/// inside `Store::transaction_on`, before any change of the members, so that
/// "a vault always keeps an owner" holds for changes sent at the same time.
pub(crate) fn locked_membership(
    conn: &mut AnyConnection,
    session: &SignedIn,
    vault_id: &str,
) -> Result<(shared::SharedVaultRow, shared::MemberRow, AccessLevel), ApiError> {
    if !shared::lock(conn, &session.tenant.id, vault_id)? {
        return Err(ApiError::forbidden("not_a_member"));
    }
    membership(conn, session, vault_id)
}

pub(crate) fn parse_level(text: &str) -> Result<AccessLevel, ApiError> {
    AccessLevel::parse(text).ok_or_else(|| ApiError::BadRequest {
        code: "invalid_field",
        detail: "accessLevel must be reader, editor or owner".to_string(),
    })
}

/// `{accounts: [{id, urls: [..], login}]}` as rows.
#[derive(Debug, Deserialize)]
pub(crate) struct ContentDetails {
    accounts: Vec<AccountDetail>,
}

#[derive(Debug, Deserialize)]
struct AccountDetail {
    id: String,
    urls: Vec<String>,
    login: Option<String>,
}

impl ContentDetails {
    fn rows(&self, vault_id: &str) -> Result<Vec<shared::AccountRow>, ApiError> {
        if self.accounts.len() > 5000 {
            return Err(ApiError::BadRequest {
                code: "invalid_field",
                detail: "contentDetails lists at most 5000 accounts".to_string(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(twice) = self.accounts.iter().find(|a| !seen.insert(a.id.as_str())) {
            return Err(ApiError::BadRequest {
                code: "invalid_field",
                detail: format!("contentDetails lists the account id {:?} twice", twice.id),
            });
        }
        Ok(self
            .accounts
            .iter()
            .map(|a| shared::AccountRow {
                shared_vault_id: vault_id.to_string(),
                account_ref: a.id.clone(),
                urls: serde_json::to_string(&a.urls).unwrap_or_default(),
                login: a.login.clone(),
            })
            .collect())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateRequest {
    shared_vault_name: String,
    encrypted_data: String,
    encrypted_shared_vault_key: String,
    content_details: Option<ContentDetails>,
}

impl CreateRequest {
    /// The checks on `contentDetails` that need no database.
    pub(crate) fn check_details(&self) -> Result<(), ApiError> {
        check_details(self.content_details.as_ref())
    }
}

fn check_details(details: Option<&ContentDetails>) -> Result<(), ApiError> {
    details.map(|d| d.rows("")).transpose().map(drop)
}

pub(crate) async fn create(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<CreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    ApiError::check_vault_size(&request.encrypted_data, ctx.vault_max_bytes)?;
    check_name(&request.shared_vault_name)?;
    let id = with_session(&req, &ctx, move |conn, session| {
        let now = now_ms();
        let id = uuid::Uuid::new_v4().to_string();
        Store::transaction_on(conn, |conn| {
            shared::insert(
                conn,
                &shared::SharedVaultRow {
                    id: id.clone(),
                    tenant_id: session.tenant.id.clone(),
                    name: request.shared_vault_name.trim().to_string(),
                    encrypted_data: request.encrypted_data,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            shared::put_member(
                conn,
                &shared::MemberRow {
                    shared_vault_id: id.clone(),
                    user_id: session.user_id.clone(),
                    access_level: AccessLevel::Owner.as_str().to_string(),
                    encrypted_vault_key: request.encrypted_shared_vault_key,
                    created_at: now,
                },
            )?;
            if let Some(details) = &request.content_details {
                shared::replace_accounts(conn, &id, &details.rows(&id)?)?;
            }
            Ok::<_, ApiError>(id.clone())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "sharedVaultId": id, "version": 1 })))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            detail: "the shared vault's name must be 1 to 128 characters".to_string(),
        });
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VaultRef {
    pub shared_vault_id: String,
}

/// What a member receives of a shared vault.
pub(crate) fn describe(vault: &shared::SharedVaultRow, member: &shared::MemberRow) -> Value {
    json!({
        "id": vault.id,
        "name": vault.name,
        "encryptedData": vault.encrypted_data,
        "version": vault.version,
        "updatedAt": vault.updated_at,
        "encryptedKey": member.encrypted_vault_key,
        "accessLevel": member.access_level,
    })
}

pub(crate) async fn get(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<VaultRef>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let body = with_session(&req, &ctx, move |conn, session| {
        let (vault, member, _) = membership(conn, &session, &request.shared_vault_id)?;
        Ok(json!({ "sharedVault": describe(&vault, &member) }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateRequest {
    shared_vault_id: String,
    new_encrypted_data: String,
    version: i64,
    content_details: Option<ContentDetails>,
    /// Password-strength counts of the new contents, kept with history.
    vault_stats: Option<super::vault_data::VaultStats>,
}

impl UpdateRequest {
    /// The checks on `contentDetails` that need no database.
    pub(crate) fn check_details(&self) -> Result<(), ApiError> {
        check_details(self.content_details.as_ref())
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
        let (vault, _, level) = membership(conn, &session, &request.shared_vault_id)?;
        if !level.can_write() {
            return Err(ApiError::forbidden("not_an_editor"));
        }
        Store::transaction_on(conn, |conn| {
            if !shared::update_if_version(
                conn,
                &vault.id,
                request.version,
                &request.new_encrypted_data,
                now_ms(),
            )? {
                let current = shared::find(conn, &session.tenant.id, &vault.id)?
                    .map_or(vault.version, |v| v.version);
                return Err(ApiError::Outdated { current });
            }
            if let Some(details) = &request.content_details {
                shared::replace_accounts(conn, &vault.id, &details.rows(&vault.id)?)?;
            }
            if let Some(counts) = request.vault_stats {
                let owner = super::vault_data::StatsOwner::SharedVault(&vault.id);
                stats::insert(conn, &counts.row_for(&session.tenant.id, owner, now_ms()))?;
            }
            Ok(request.version + 1)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "version": version })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenameRequest {
    shared_vault_id: String,
    new_name: String,
}

pub(crate) async fn rename(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<RenameRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    check_name(&request.new_name)?;
    with_session(&req, &ctx, move |conn, session| {
        let (vault, _, level) = membership(conn, &session, &request.shared_vault_id)?;
        if !level.can_manage() {
            return Err(ApiError::forbidden("not_an_owner"));
        }
        shared::rename(conn, &vault.id, request.new_name.trim())?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<VaultRef>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    with_session(&req, &ctx, move |conn, session| {
        let (vault, _, level) = membership(conn, &session, &request.shared_vault_id)?;
        if !level.can_manage() {
            return Err(ApiError::forbidden("not_an_owner"));
        }
        Store::transaction_on(conn, |conn| shared::delete(conn, &vault.id))?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
