//! The OpenAPI document is the contract: the server serves the file kept
//! in the repository, every client-API route is in it, and the answers of
//! real flows (through the reference client, both backends) match the
//! schemas it declares for their status.

mod common;

use std::collections::BTreeSet;

use common::{PASSWORD, Site, cheap_kdf};
use serde_json::{Value, json};
use upsignon_client::TenantApi;
use upsignon_client::crypto::SharingKey;
use upsignon_testkit::{Backend, backend_tests};

fn document() -> Value {
    serde_json::from_str(upsignon_api::OPENAPI).expect("openapi.json is JSON")
}

/// `$ref` resolution within the document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let path = reference.trim_start_matches("#/");
            path.split('/').fold(doc, |node, part| &node[part])
        }
        None => schema,
    }
}

fn type_matches(expected: &Value, value: &Value) -> bool {
    let one = |t: &str| match t {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    };
    match expected {
        Value::String(t) => one(t),
        Value::Array(types) => types.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

/// Checks `value` against `schema`: types, required properties, and the
/// declared properties and items, recursively. Returns what does not fit.
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut found = Vec::new();
    if let Some(expected) = schema.get("type")
        && !type_matches(expected, value)
    {
        return vec![format!("{at}: {value} is not {expected}")];
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if value.get(name).is_none() {
                found.push(format!("{at}: missing {name}"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (name, sub) in properties {
            if let Some(inner) = object.get(name) {
                found.extend(mismatches(doc, sub, inner, &format!("{at}.{name}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, inner) in array.iter().enumerate() {
            found.extend(mismatches(doc, items, inner, &format!("{at}[{i}]")));
        }
    }
    found
}

/// Posts to `route` and checks the answer against the document.
async fn checked(api: &TenantApi, route: &str, body: Value, session: Option<&str>) -> Value {
    let answer = api.call(route, &body, session, None).await.unwrap();
    let doc = document();
    let operation = &doc["paths"][format!("/{{tenant}}/api2/{route}")]["post"];
    assert!(operation.is_object(), "{route} is not in openapi.json");
    let response = &operation["responses"][answer.status.to_string()];
    assert!(
        response.is_object(),
        "{route} answered {} which openapi.json does not declare: {}",
        answer.status,
        answer.body
    );
    let response = resolve(&doc, response);
    if let Some(schema) = response.pointer("/content/application~1json/schema") {
        let wrong = mismatches(&doc, schema, &answer.body, route);
        assert!(wrong.is_empty(), "{route} {}: {wrong:?}", answer.status);
    }
    answer.body
}

#[test]
fn every_client_route_is_documented() {
    let source = include_str!("../src/client_api/mod.rs");
    let registered: BTreeSet<String> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.split('"').nth(1))
        .map(|path| format!("/{{tenant}}/api2{path}"))
        .collect();
    let doc = document();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/{tenant}/api2/"))
        .cloned()
        .collect();
    assert!(registered.len() >= 30, "{registered:?}");
    assert_eq!(registered, documented);
}

async fn the_server_serves_the_document_and_answers_match_it(backend: Backend) {
    let site = Site::new(backend);
    let served: Value = site
        .app
        .client
        .get(site.app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, document());

    let api = site.api("acme");
    checked(&api, "bank-config", json!({}), None).await;
    checked(&site.api("nobody"), "bank-config", json!({}), None).await;
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let sharing = SharingKey::generate();
    let keys = laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &sharing)
        .await
        .unwrap();
    let session = laptop.session().map(str::to_string);
    let session = session.as_deref();
    let id = json!({"userEmail": "user@acme.test", "deviceId": laptop.uid});
    checked(&api, "get-authentication-challenges", id.clone(), None).await;
    checked(
        &api,
        "check-device",
        json!({"userEmail": "user@acme.test", "deviceId": laptop.uid, "deviceValidationCode": "X"}),
        None,
    )
    .await;
    checked(&api, "get-vault-data", json!({}), session).await;
    checked(
        &api,
        "update-vault-data",
        json!({"newEncryptedData": keys.seal(b"v2").unwrap(), "version": 1}),
        session,
    )
    .await;
    checked(
        &api,
        "update-vault-data",
        json!({"newEncryptedData": "x", "version": 1}),
        session,
    )
    .await;
    checked(
        &api,
        "update-vault-data",
        json!({"newEncryptedData": 1}),
        session,
    )
    .await;
    checked(&api, "get-authorized-devices", json!({}), session).await;
    checked(&api, "url-list", json!({}), session).await;
    checked(
        &api,
        "log-event",
        json!({"event": "vault_unlocked"}),
        session,
    )
    .await;
    checked(&api, "log-event", json!({"event": "nope"}), session).await;
    let created = checked(
        &api,
        "create-shared-vault",
        json!({"sharedVaultName": "Team", "encryptedData": "x1.AAAA", "encryptedSharedVaultKey": "k", "contentDetails": {"accounts": []}}),
        session,
    )
    .await;
    let team = created["sharedVaultId"].clone();
    checked(
        &api,
        "get-shared-vault-data",
        json!({"sharedVaultId": team}),
        session,
    )
    .await;
    checked(
        &api,
        "get-recipients-for-shared-vault",
        json!({"sharedVaultId": team}),
        session,
    )
    .await;
    checked(
        &api,
        "get-recipient-public-key",
        json!({"emailAddress": "user@acme.test"}),
        session,
    )
    .await;
    checked(
        &api,
        "get-matching-email-addresses-for-sharing",
        json!({"emailAddressSearch": "use"}),
        session,
    )
    .await;
    checked(&api, "request-password-reset", id.clone(), None).await;
    checked(&api, "get-vault-data", json!({}), Some("expired-or-wrong")).await;
    checked(&api, "disconnect", json!({}), session).await;
}

/// Every client route, called on tenant `other` with everything of a user
/// of tenant `acme` (session, email, device, shared vault): nothing is
/// ever answered with that user's data, nor changed.
async fn no_route_crosses_tenants(backend: Backend) {
    let site = Site::new(backend);
    let mut laptop = site.enrolled("acme", "user@acme.test", "Laptop").await;
    let sharing = SharingKey::generate();
    laptop
        .create_vault(PASSWORD, &cheap_kdf(), b"items", &sharing)
        .await
        .unwrap();
    let session = laptop.session().unwrap().to_string();
    let team = laptop
        .create_shared_vault("Team", b"x", &sharing, json!({"accounts": []}))
        .await
        .unwrap()
        .0;
    let before = site.all_stored_text();
    let other = site.api("other");
    let body = json!({
        "userEmail": "user@acme.test",
        "deviceId": laptop.uid,
        "sharedVaultId": team,
        "emailAddress": "user@acme.test",
        "emailAddressSearch": "user",
        "deviceToRename": laptop.uid,
        "deviceToDelete": laptop.uid,
        "newName": "taken",
        "sharedVaultName": "x",
        "newEncryptedData": "x",
        "encryptedData": "x",
        "encryptedSharedVaultKey": "x",
        "version": 1,
        "event": "vault_unlocked",
        "backups": [],
        "deviceValidationCode": "X",
        "resetToken": "X",
        "recipientId": "x",
        "accessLevel": "reader",
    });
    let doc = document();
    let mut checked_routes = 0;
    for path in doc["paths"].as_object().unwrap().keys() {
        let Some(route) = path.strip_prefix("/{tenant}/api2/") else {
            continue;
        };
        if ["bank-config", "request-device-access"].contains(&route) {
            continue; // public by design, and tenant-specific by their own data
        }
        let answer = other
            .call(route, &body, Some(&session), None)
            .await
            .unwrap();
        assert!(
            (400..500).contains(&answer.status),
            "{route} on another tenant answered {}: {}",
            answer.status,
            answer.body
        );
        checked_routes += 1;
    }
    assert!(checked_routes >= 28, "{checked_routes}");
    assert_eq!(site.all_stored_text(), before, "nothing changed");
}

backend_tests!(
    async the_server_serves_the_document_and_answers_match_it,
    no_route_crosses_tenants
);
