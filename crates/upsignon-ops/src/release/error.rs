use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error(
        "{path} fails its signature check ({reason}): it was changed after it was signed (a damaged or tampered download) or signed by a key this server does not trust. Refusing it; nothing was changed.\nDownload the release again from the official source (and compare its checksum), or check release_public_keys if you sign your own builds."
    )]
    BadSignature { path: PathBuf, reason: String },
    #[error("{path} does not contain the upsignon binary: is it a release archive?")]
    NoBinary { path: PathBuf },
    #[error("invalid release key: {0}\nA key is 64 hexadecimal characters (32 bytes).")]
    BadKey(String),
    #[error(
        "cannot read the release feed {url}: {reason}\nCheck release_feed_url, or copy the archive to this server and use --from FILE."
    )]
    Feed { url: String, reason: String },
    #[error(
        "the download from {url} does not match the feed's checksum (expected {expected}, got {actual}): refusing it, nothing was changed."
    )]
    DigestMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("cannot sign the archive: {0}")]
    Sign(String),
}
