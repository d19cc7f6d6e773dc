//! The client API the password-manager apps call: `POST
//! /{tenant}/api2/{route}` with JSON, one file per action. Every action
//! resolves the tenant of the URL first, so a request for one tenant never
//! reaches another's data. Refusals are `ApiError`s with stable codes.

mod account;
mod audit;
mod bank_config;
mod check_device;
mod context;
pub mod decode;
mod devices;
mod error;
mod identify;
mod recipients;
mod recovery;
mod request_device_access;
mod sessions;
mod shared_vaults;
mod vault_data;

use actix_web::web;

pub(crate) use context::bearer;
pub use error::ApiError;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/{tenant}/api2")
            .route("/bank-config", web::post().to(bank_config::handle))
            .route("/url-list", web::post().to(bank_config::url_list))
            .route(
                "/request-device-access",
                web::post().to(request_device_access::handle),
            )
            .route("/check-device", web::post().to(check_device::handle))
            .route(
                "/get-authentication-challenges",
                web::post().to(sessions::challenges),
            )
            .route("/authenticate", web::post().to(sessions::authenticate))
            .route("/disconnect", web::post().to(sessions::disconnect))
            .route("/add-new-data", web::post().to(vault_data::add))
            .route("/get-vault-data", web::post().to(vault_data::get))
            .route("/update-vault-data", web::post().to(vault_data::update))
            .route("/get-authorized-devices", web::post().to(devices::list))
            .route("/rename-device", web::post().to(devices::rename))
            .route("/revoke-device", web::post().to(devices::revoke))
            .route(
                "/update-device-metadata",
                web::post().to(devices::update_metadata),
            )
            .route("/delete-account", web::post().to(account::delete))
            .route("/log-event", web::post().to(audit::log_event))
            .route("/backup-password", web::post().to(recovery::backup))
            .route(
                "/request-password-reset",
                web::post().to(recovery::request_reset),
            )
            .route("/get-password-backup", web::post().to(recovery::get_backup))
            .route(
                "/create-shared-vault",
                web::post().to(shared_vaults::create),
            )
            .route("/get-shared-vault-data", web::post().to(shared_vaults::get))
            .route(
                "/update-shared-vault-data",
                web::post().to(shared_vaults::update),
            )
            .route(
                "/rename-shared-vault",
                web::post().to(shared_vaults::rename),
            )
            .route(
                "/delete-shared-vault",
                web::post().to(shared_vaults::delete),
            )
            .route(
                "/get-recipient-public-key",
                web::post().to(recipients::public_key),
            )
            .route(
                "/get-matching-email-addresses-for-sharing",
                web::post().to(recipients::search),
            )
            .route(
                "/add-recipient-to-shared-vault",
                web::post().to(recipients::add),
            )
            .route(
                "/get-recipients-for-shared-vault",
                web::post().to(recipients::list),
            )
            .route(
                "/update-recipient-rights-on-shared-vault",
                web::post().to(recipients::set_rights),
            )
            .route(
                "/remove-recipient-from-shared-vault",
                web::post().to(recipients::remove),
            ),
    );
}
