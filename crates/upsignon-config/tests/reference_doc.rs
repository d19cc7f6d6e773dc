//! docs/configuration.md documents exactly the keys the server knows.

use std::collections::BTreeSet;

use upsignon_config::Config;

#[test]
fn the_configuration_reference_lists_every_key_and_no_other() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .unwrap();
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|line| {
            line.strip_prefix("| `")?
                .split_once('`')
                .map(|(key, _)| key.to_string())
        })
        .collect();
    let serde_json::Value::Object(fields) = serde_json::to_value(Config::default()).unwrap() else {
        panic!("the config serialises to a map");
    };
    let known: BTreeSet<String> = fields.keys().cloned().collect();
    assert_eq!(
        documented, known,
        "docs/configuration.md and the Config type disagree"
    );
}
