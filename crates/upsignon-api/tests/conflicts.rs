//! Concurrent conflicting updates of one vault, on both backends: many
//! clients read and write the same vault at once. Every write the server
//! acknowledges becomes a new version in turn (none is silently
//! overwritten), every other write is told it conflicts (409), nothing
//! fails with 5xx, and the vault ends holding the newest acknowledged write.

mod common;

use std::collections::BTreeMap;

use common::{PASSWORD, Site, cheap_kdf};
use futures_util::future::join_all;
use upsignon_client::crypto::{SharingKey, VaultKeys};
use upsignon_client::{Device, Write};
use upsignon_testkit::{Backend, backend_tests};

const CLIENTS: usize = 8;
const ROUNDS: usize = 12;

/// What one client saw: the versions it wrote, and how many conflicts.
#[derive(Default)]
struct Seen {
    written: Vec<(i64, Vec<u8>)>,
    conflicts: usize,
}

async fn client(device: &Device, keys: &VaultKeys, id: usize) -> Seen {
    let mut seen = Seen::default();
    for round in 0..ROUNDS {
        let copy = device.read_vault(keys, None).await.unwrap().unwrap();
        let contents = format!("client {id} round {round} over v{}", copy.version).into_bytes();
        match device.write_vault(keys, copy.version, &contents).await {
            Ok(Write::Written { version }) => {
                assert_eq!(version, copy.version + 1);
                seen.written.push((version, contents));
            }
            Ok(Write::Outdated { current }) => {
                assert!(current > copy.version, "a conflict names a newer version");
                seen.conflicts += 1;
            }
            Err(error) => {
                panic!("client {id}: a write failed instead of landing or conflicting: {error}")
            }
        }
    }
    seen
}

async fn conflicting_updates_of_one_vault_lose_nothing(backend: Backend) {
    let site = Site::with_config(backend, |config| config.workers = 2);
    let mut device = site.enrolled("acme", "team@acme.test", "Laptop").await;
    let keys = device
        .create_vault(PASSWORD, &cheap_kdf(), b"v1", &SharingKey::generate())
        .await
        .unwrap();

    let all = join_all((0..CLIENTS).map(|id| client(&device, &keys, id))).await;

    let mut acknowledged = BTreeMap::new();
    for (version, contents) in all.iter().flat_map(|s| s.written.clone()) {
        assert!(
            acknowledged.insert(version, contents).is_none(),
            "version {version} was acknowledged twice: one write overwrote another"
        );
    }
    let conflicts: usize = all.iter().map(|s| s.conflicts).sum();
    assert_eq!(
        acknowledged.len() + conflicts,
        CLIENTS * ROUNDS,
        "every write answered"
    );
    let versions: Vec<i64> = acknowledged.keys().copied().collect();
    let expected: Vec<i64> = (2..2 + acknowledged.len() as i64).collect();
    assert_eq!(
        versions, expected,
        "acknowledged writes follow each other, none missing"
    );
    let current = device.read_vault(&keys, None).await.unwrap().unwrap();
    let (newest, contents) = acknowledged.last_key_value().unwrap();
    assert_eq!(current.version, *newest);
    assert_eq!(
        &current.plaintext, contents,
        "the vault holds the newest acknowledged write"
    );
    assert!(
        conflicts > 0,
        "the clients did collide ({} writes)",
        acknowledged.len()
    );
    println!(
        "{backend:?}: {} writes acknowledged, {conflicts} conflicts, 0 lost",
        acknowledged.len()
    );
}

backend_tests!(async conflicting_updates_of_one_vault_lose_nothing);
