//! The reference client: what a password-manager app does on its side, in
//! plain Rust with well-known crates. It owns the client-side cryptography
//! (device signing keys, the vault key derived from the master password
//! with Argon2id, vault encryption with XChaCha20-Poly1305, the password
//! challenge response, shared-vault keys wrapped to members with age) and
//! the calls of the client-API flows (`Device`). The end-to-end tests and the
//! load benchmark drive the server through it. It must never depend on the
//! server's crates: it is the proof that the API alone is enough.

pub mod api;
pub mod crypto;
mod device;
mod shared;

pub use api::{ClientError, TenantApi};
pub use device::{Device, VaultCopy, Write};
pub use shared::SharedCopy;
