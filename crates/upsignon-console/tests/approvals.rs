//! Device approval when the server sends mail, on SQLite and PostgreSQL: a
//! device that has not proved its emailed code is neither listed nor
//! approvable (approval adds to the code, never replaces it); once it has,
//! under the tenant's approval policy, an admin approves it.

mod common;

use common::{FORM, Site, enrolled_admin, form_body, hidden_csrf, page};
use upsignon_store::queries::{devices, tenants};
use upsignon_testkit::{Backend, SmtpSink};

async fn approval_never_replaces_the_emailed_code(backend: Backend) {
    let mail = SmtpSink::start();
    let site = Site::with_smtp(backend, &mail);
    let (_, cookie) = enrolled_admin(&site).await;
    let laptop =
        upsignon_client::Device::new(site.api("acme"), "user@acme.test", "Laptop").unwrap();
    assert_eq!(laptop.request_access().await.unwrap(), "MAIL_SENT");
    let device_id = {
        let mut conn = site.store().connection().unwrap();
        let acme = tenants::find_by_slug(&mut conn, "acme").unwrap().unwrap();
        devices::waiting_for_tenant(&mut conn, &acme.id).unwrap()[0]
            .0
            .id
            .clone()
    };
    let listed = page(&site, "/console/t/acme/approvals", &cookie).await;
    assert!(
        !listed.contains(&device_id),
        "a device still owing its code is not listed"
    );
    let approve = site
        .http
        .post(site.url(&format!("/console/t/acme/devices/{device_id}/approve")))
        .header("Cookie", &cookie)
        .header("Content-Type", FORM)
        .body(form_body(&[("csrf", &hidden_csrf(&listed))]))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 409);
    let mut conn = site.store().connection().unwrap();
    let device = devices::find(&mut conn, &device_id).unwrap().unwrap();
    assert_eq!(device.status, "PENDING", "nothing changed");
}

upsignon_testkit::backend_tests!(async approval_never_replaces_the_emailed_code);
