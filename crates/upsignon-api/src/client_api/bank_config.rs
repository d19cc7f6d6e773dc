//! `bank-config`: the tenant's name and policies, for an app before it
//! enrols. No authentication: nothing here is personal.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use upsignon_domain::TenantPolicy;

use super::ApiError;
use super::context::{blocking, tenant, tenant_slug};
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
    })))
}
