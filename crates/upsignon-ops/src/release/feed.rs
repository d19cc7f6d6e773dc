//! Where releases come from when no file is given: a release feed (a
//! `manifest.json` on any static HTTP(S) server: the project's, or a mirror
//! the sysadmin runs), read with self_update's manifest backend. The feed
//! only says what exists and where; the archive is still verified by its
//! signature before anything changes.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ReleaseError, archive_name};

/// The project's public release feed, the default of `release_feed_url`.
pub const DEFAULT_FEED: &str = "https://releases.upsignon.eu/server/manifest.json";

#[cfg(test)]
#[test]
fn the_config_default_is_the_project_feed() {
    assert_eq!(
        upsignon_config::Config::default().release_feed_url,
        DEFAULT_FEED
    );
}

/// A newer release the feed offers.
#[derive(Debug, Clone)]
pub struct Offered {
    pub version: String,
    pub url: String,
    /// `sha256:<hex>` when the feed gives one.
    pub digest: Option<String>,
}

/// The newest release in the feed when it is newer than `current`.
pub fn newest(feed_url: &str, current: &str) -> Result<Option<Offered>, ReleaseError> {
    let feed_error = |e: self_update::errors::Error| ReleaseError::Feed {
        url: feed_url.to_string(),
        reason: e.to_string(),
    };
    let releases = self_update::backends::manifest::Update::configure()
        .manifest_url(feed_url)
        .bin_name("upsignon")
        .current_version(current)
        .build()
        .map_err(feed_error)?
        .get_newer_releases()
        .map_err(feed_error)?;
    let Some(release) = releases.latest() else {
        return Ok(None);
    };
    let wanted = archive_name(release.version());
    let asset = release
        .assets()
        .iter()
        .find(|a| a.name() == wanted)
        .ok_or_else(|| ReleaseError::Feed {
            url: feed_url.to_string(),
            reason: format!(
                "release {} has no asset named {wanted} for this machine",
                release.version()
            ),
        })?;
    Ok(Some(Offered {
        version: release.version().to_string(),
        url: asset.download_url().to_string(),
        digest: asset.digest().map(str::to_string),
    }))
}

/// Downloads `offered` into `dir` and checks its digest when the feed gave
/// one. Returns the archive's path.
pub fn download(offered: &Offered, dir: &Path) -> Result<PathBuf, ReleaseError> {
    let path = dir.join(archive_name(&offered.version));
    let file = File::create(&path).map_err(|e| ReleaseError::Write {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    self_update::Download::from_url(&offered.url)
        .download_to(file)
        .map_err(|e| ReleaseError::Feed {
            url: offered.url.clone(),
            reason: e.to_string(),
        })?;
    if let Some(digest) = &offered.digest {
        let expected = digest
            .strip_prefix("sha256:")
            .unwrap_or(digest)
            .to_lowercase();
        let actual = sha256_of(&path)?;
        if actual != expected {
            let _ = std::fs::remove_file(&path);
            return Err(ReleaseError::DigestMismatch {
                url: offered.url.clone(),
                expected,
                actual,
            });
        }
    }
    Ok(path)
}

fn sha256_of(path: &Path) -> Result<String, ReleaseError> {
    let mut file = File::open(path).map_err(|e| ReleaseError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| ReleaseError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}
