//! `bank-config`: the tenant's name and policies, for an app before it
//! enrols (no authentication: nothing here is personal); `url-list`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use upsignon_domain::TenantPolicy;

use super::ApiError;
use super::context::{blocking, tenant, tenant_slug, with_session};
use crate::AppContext;

pub(crate) async fn handle(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let slug = tenant_slug(&req);
    let tenant = blocking(&ctx, move |store| tenant(&mut *store.connection()?, &slug)).await?;
    let policy = TenantPolicy::from_settings(&tenant.settings);
    Ok(HttpResponse::Ok().json(json!({
        "bankName": tenant.name,
        "newUrl": tenant.new_url,
        "offlineMode": policy.offline_mode,
        "csvExport": policy.csv_export,
        "preventUpdatePopup": policy.prevent_update_popup,
        "passwordPolicy": { "minLength": policy.master_password_min_length },
        "sessionMinutes": policy.session_minutes,
    })))
}

/// `url-list`: the company URLs the tenant lists for autofill, from its
/// settings (`url_list`: `[{name, url, usesHttpBasic}]`). Signed in only.
pub(crate) async fn url_list(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse, ApiError> {
    let session = with_session(&req, &ctx, |_, session| Ok(session)).await?;
    let settings: serde_json::Value =
        serde_json::from_str(&session.tenant.settings).unwrap_or_default();
    let urls = settings
        .get("url_list")
        .filter(|v| v.is_array())
        .cloned()
        .unwrap_or_else(|| json!([]));
    Ok(HttpResponse::Ok().json(json!({ "urlList": urls })))
}
