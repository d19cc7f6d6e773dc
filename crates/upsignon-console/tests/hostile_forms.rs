//! Console forms with hostile bytes, over real HTTPS on SQLite and
//! PostgreSQL: a NUL, ESC or DEL in any field of any form that stores
//! something (percent-encoded as a browser sends it, or raw) is refused
//! with 400 before any page reads it, and every table holds what it held.

mod common;

use common::{ADMIN, FORM, Site, enrolled_admin, hidden_csrf, page};
use upsignon_store::dump;
use upsignon_testkit::Backend;

/// Every row of every table, as text: what "nothing changed" compares.
fn contents(site: &Site) -> Vec<String> {
    let mut lines = Vec::new();
    site.store()
        .snapshot(|conn| {
            for table in dump::tables_in_creation_order(conn)? {
                let columns = dump::column_kinds(conn, &table)?;
                lines.push(format!("table {table}"));
                dump::each_row(conn, &table, &columns, &mut |line| {
                    lines.push(line.to_string());
                    Ok::<_, upsignon_store::StoreError>(())
                })?;
            }
            Ok::<_, upsignon_store::StoreError>(())
        })
        .unwrap();
    lines
}

fn encoded(text: &str) -> String {
    upsignon_console::html::format::percent_encode(text)
}

async fn control_characters_in_any_form_field_change_nothing(backend: Backend) {
    let site = Site::new(backend);
    let (_, cookie) = enrolled_admin(&site).await;
    let csrf = hidden_csrf(&page(&site, "/console/t/acme/allowed-emails", &cookie).await);
    let forms: &[(&str, &[(&str, &str)])] = &[
        (
            "/console/tenants",
            &[("name", "Acme Two"), ("slug", "acme-two")],
        ),
        (
            "/console/admins",
            &[
                ("email", "new@acme.test"),
                ("role", "tenant_admin"),
                ("tenant", "acme"),
            ],
        ),
        (
            "/console/t/acme/allowed-emails",
            &[("pattern", "*@beta.test")],
        ),
        (
            "/console/t/acme/settings",
            &[
                ("master_password_min_length", "12"),
                ("session_minutes", "30"),
            ],
        ),
        (
            "/console/sign-in",
            &[("email", ADMIN), ("password", "x"), ("code", "123456")],
        ),
    ];
    let before = contents(&site);
    for (path, fields) in forms {
        for bad_field in 0..fields.len() {
            for bad in ["%00", "%1B", "%7F", "\u{1}"] {
                let mut body: Vec<String> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, (name, value))| {
                        let value = encoded(value);
                        match i == bad_field {
                            true => format!("{name}={value}{bad}x"),
                            false => format!("{name}={value}"),
                        }
                    })
                    .collect();
                body.push(format!("csrf={csrf}"));
                let answer = site
                    .http
                    .post(site.url(path))
                    .header("Cookie", &cookie)
                    .header("Content-Type", FORM)
                    .body(body.join("&"))
                    .send()
                    .await
                    .unwrap();
                let field = fields[bad_field].0;
                assert_eq!(answer.status(), 400, "{path} {field} with {bad:?}");
                let html = answer.text().await.unwrap();
                assert!(
                    html.contains("control character"),
                    "{path} {field}: the page says what was wrong: {html}"
                );
            }
        }
    }
    assert_eq!(
        contents(&site),
        before,
        "a refused form changed the database"
    );
}

upsignon_testkit::backend_tests!(async control_characters_in_any_form_field_change_nothing);
