//! Release archives: a `.tar.gz` holding the `upsignon` binary, signed with
//! ed25519 (zipsign's format: the signature travels in the gzip header, so
//! the file stays an ordinary archive). `upgrade` refuses an archive that no
//! trusted key signed, before anything on the machine changes.

mod archive;
mod error;
mod feed;
mod keys;

pub use archive::{ARCHIVE_BINARY, archive_name, pack, verify_and_extract};
pub use error::ReleaseError;
pub use feed::{DEFAULT_FEED, Offered, download, newest};
pub use keys::{KeyPair, PROJECT_PUBLIC_KEY, generate_key_pair, trusted_keys};
