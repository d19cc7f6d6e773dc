//! Text a database cannot store byte for byte never gets in: a NUL (or any
//! control character but tab, line feed and carriage return) in any text
//! field of any client-API route, as the OpenAPI document lists them, is
//! refused with 400 `invalid_field` and nothing is stored, on both
//! backends. A NUL once stored on SQLite made every later backup fail to
//! restore.

mod common;

use common::Site;
use serde_json::{Map, Value, json};
use upsignon_testkit::Backend;

/// Whether the schema takes a string (`"string"` or `["string", "null"]`).
fn is_text(schema: &Value) -> bool {
    schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "string"))
}

/// A value of the schema's type, with `text` for strings.
fn sample(schema: &Value, text: &str) -> Value {
    if is_text(schema) {
        return json!(text);
    }
    match schema["type"].as_str() {
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        _ => json!({}),
    }
}

/// For every client-API route with a JSON body and every string field of
/// it: the route and a body whose field holds `hostile` (the others hold
/// plain values).
fn hostile_bodies(hostile: &str) -> Vec<(String, String, Value)> {
    let document: Value =
        serde_json::from_str(include_str!("../openapi.json")).expect("the OpenAPI document");
    let mut cases = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(schema) = item.pointer("/post/requestBody/content/application~1json/schema")
        else {
            continue;
        };
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (field, field_schema) in properties {
            if !is_text(field_schema) {
                continue;
            }
            let mut body = Map::new();
            for (name, schema) in properties {
                let text = if name == field { hostile } else { "plain" };
                body.insert(name.clone(), sample(schema, text));
            }
            cases.push((
                path.replace("{tenant}", "acme"),
                field.clone(),
                Value::Object(body),
            ));
        }
    }
    cases
}

async fn control_characters_in_any_field_are_refused(backend: Backend) {
    let site = Site::new(backend);
    let device = site.enrolled("acme", "ana@acme.test", "laptop").await;
    drop(device);
    let before = site.all_stored_text();
    let cases = hostile_bodies("evil\u{0}name");
    assert!(
        cases.len() > 40,
        "only {} cases: is the document read?",
        cases.len()
    );
    for hostile in ["evil\u{0}name", "\u{1b}[31mred", "a\u{7f}"] {
        for (path, field, body) in hostile_bodies(hostile) {
            let answer = site
                .app
                .client
                .post(site.app.url(&path))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = answer.status();
            let text = answer.text().await.unwrap();
            assert_eq!(status, 400, "{path} field {field}: {text}");
            assert!(
                text.contains("invalid_field"),
                "{path} field {field}: {text}"
            );
        }
    }
    assert_eq!(site.all_stored_text(), before, "nothing was stored");
    // Tab, line feed and carriage return are text, and a name may hold them.
    let answer = site
        .app
        .client
        .post(site.app.url("/acme/api2/request-device-access"))
        .json(&json!({
            "deviceId": "d-tab", "userEmail": "tab@acme.test",
            "deviceName": "a\tb\r\nc", "deviceType": "desktop", "osFamily": "linux",
            "devicePublicKey": format!("{}=", "A".repeat(43))
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

upsignon_testkit::backend_tests!(async control_characters_in_any_field_are_refused);
