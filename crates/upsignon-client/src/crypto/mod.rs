//! Client-side cryptography. Nothing here talks to the network.

mod aead;
mod device;
mod encoding;
mod error;
mod random;
mod sharing;
mod vault;

pub use device::DeviceKey;
pub use encoding::{b64, unb64};
pub use error::CryptoError;
pub use random::random_bytes;
pub use sharing::{SharedVaultKey, SharingKey};
pub use vault::{KdfParams, VaultKeys};
