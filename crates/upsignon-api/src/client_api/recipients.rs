//! Who a shared vault is shared with: `get-recipient-public-key`,
//! `get-matching-email-addresses-for-sharing`, `add-recipient-to-shared-vault`,
//! `get-recipients-for-shared-vault`, `update-recipient-rights-on-shared-vault`,
//! `remove-recipient-from-shared-vault`. Everything stays within the
//! tenant; listing needs membership; a vault always keeps an owner; keys
//! stored for a user are never replaced by a client.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use upsignon_domain::AccessLevel;
use upsignon_store::AnyConnection;
use upsignon_store::Store;
use upsignon_store::queries::{shared_vaults as shared, users};

use super::ApiError;
use super::context::{now_ms, with_session};
use super::identify::parse_email;
use super::shared_vaults::{locked_membership, membership, parse_level};
use crate::AppContext;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKeyRequest {
    email_address: String,
}

pub(crate) async fn public_key(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<PublicKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = parse_email(&body.email_address)?;
    let body = with_session(&req, &ctx, move |conn, session| {
        let user = users::find_by_email(conn, &session.tenant.id, email.as_str())?
            .filter(|u| !u.deactivated)
            .ok_or(ApiError::forbidden("unknown_recipient"))?;
        let key = user
            .sharing_public_key
            .ok_or(ApiError::forbidden("recipient_has_no_vault"))?;
        Ok(json!({ "id": user.id, "publicKey": key }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchRequest {
    email_address_search: String,
}

pub(crate) async fn search(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<SearchRequest>,
) -> Result<HttpResponse, ApiError> {
    let prefix = body.email_address_search.trim().to_lowercase();
    if prefix.chars().count() < 3 {
        return Err(ApiError::BadRequest {
            code: "search_too_short",
            detail: "emailAddressSearch needs at least 3 characters".to_string(),
        });
    }
    let emails = with_session(&req, &ctx, move |conn, session| {
        Ok(users::search_for_sharing(
            conn,
            &session.tenant.id,
            &prefix,
            20,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "emails": emails })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddRequest {
    shared_vault_id: String,
    recipient_id: String,
    encrypted_shared_vault_key: String,
    access_level: String,
}

pub(crate) async fn add(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<AddRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let level = parse_level(&request.access_level)?;
    with_session(&req, &ctx, move |conn, session| {
        Store::transaction_on(conn, |conn| {
            let (vault, _, mine) = locked_membership(conn, &session, &request.shared_vault_id)?;
            if !mine.can_manage() {
                return Err(ApiError::forbidden("not_an_owner"));
            }
            users::find(conn, &session.tenant.id, &request.recipient_id)?
                .filter(|u| !u.deactivated && u.sharing_public_key.is_some())
                .ok_or(ApiError::forbidden("unknown_recipient"))?;
            shared::put_member(
                conn,
                &shared::MemberRow {
                    shared_vault_id: vault.id.clone(),
                    user_id: request.recipient_id.clone(),
                    access_level: level.as_str().to_string(),
                    encrypted_vault_key: request.encrypted_shared_vault_key.clone(),
                    created_at: now_ms(),
                },
            )?;
            // An owner re-adding themself with less access: refused, and
            // the replacement rolled back.
            keeps_an_owner(conn, &vault.id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListRequest {
    shared_vault_id: String,
}

pub(crate) async fn list(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<ListRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let body = with_session(&req, &ctx, move |conn, session| {
        let (vault, _, _) = membership(conn, &session, &request.shared_vault_id)?;
        let recipients: Vec<_> = shared::members(conn, &vault.id)?
            .into_iter()
            .map(|(m, email)| json!({ "id": m.user_id, "email": email, "accessLevel": m.access_level }))
            .collect();
        Ok(json!({ "recipients": recipients }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RightsRequest {
    shared_vault_id: String,
    recipient_id: String,
    access_level: String,
}

pub(crate) async fn set_rights(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<RightsRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let level = parse_level(&request.access_level)?;
    with_session(&req, &ctx, move |conn, session| {
        Store::transaction_on(conn, |conn| {
            let (vault, _, mine) = locked_membership(conn, &session, &request.shared_vault_id)?;
            if !mine.can_manage() {
                return Err(ApiError::forbidden("not_an_owner"));
            }
            shared::member(conn, &vault.id, &request.recipient_id)?
                .ok_or(ApiError::forbidden("unknown_recipient"))?;
            shared::set_access(conn, &vault.id, &request.recipient_id, level.as_str())?;
            keeps_an_owner(conn, &vault.id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RemoveRequest {
    shared_vault_id: String,
    recipient_id: String,
}

pub(crate) async fn remove(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    body: web::Json<RemoveRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    with_session(&req, &ctx, move |conn, session| {
        Store::transaction_on(conn, |conn| {
            let (vault, _, mine) = locked_membership(conn, &session, &request.shared_vault_id)?;
            let leaving_myself = request.recipient_id == session.user_id;
            if !mine.can_manage() && !leaving_myself {
                return Err(ApiError::forbidden("not_an_owner"));
            }
            shared::member(conn, &vault.id, &request.recipient_id)?
                .ok_or(ApiError::forbidden("unknown_recipient"))?;
            shared::remove_member(conn, &vault.id, &request.recipient_id)?;
            keeps_an_owner(conn, &vault.id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Refuses (and so rolls back) a change that leaves the vault with no owner.
fn keeps_an_owner(conn: &mut AnyConnection, vault_id: &str) -> Result<(), ApiError> {
    let owners = shared::members(conn, vault_id)?
        .iter()
        .filter(|(m, _)| AccessLevel::parse(&m.access_level) == Some(AccessLevel::Owner))
        .count();
    if owners == 0 {
        return Err(ApiError::forbidden("last_owner_error"));
    }
    Ok(())
}
