//! Secrets the server itself must read back (admins' TOTP secrets), sealed
//! with AES-256-GCM under a key kept outside the database, with a random
//! nonce per value. The stored text is versioned: `g1.` + base64(nonce ||
//! ciphertext), so a later format can be told apart.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

const PREFIX: &str = "g1.";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretBoxError {
    #[error("the secrets key must be exactly 32 bytes")]
    KeyLength,
    #[error("no random numbers from the operating system: {0}")]
    Random(String),
    #[error(
        "a sealed secret cannot be opened: it was sealed with another secrets key or is damaged"
    )]
    Open,
}

/// Seals and opens secrets with one key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8]) -> Result<Self, SecretBoxError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SecretBoxError::KeyLength)?;
        Ok(Self { cipher })
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<String, SecretBoxError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SecretBoxError::Random(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| SecretBoxError::Open)?;
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        Ok(format!("{PREFIX}{}", STANDARD_NO_PAD.encode(bytes)))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SecretBoxError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD_NO_PAD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretBoxError::Open)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SecretBoxError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_only() {
        let a = SecretBox::new(&[1; 32]).unwrap();
        let b = SecretBox::new(&[2; 32]).unwrap();
        let sealed = a.seal(b"totp secret").unwrap();
        assert!(sealed.starts_with("g1."));
        assert_ne!(sealed, a.seal(b"totp secret").unwrap(), "nonce is random");
        assert_eq!(a.open(&sealed).unwrap(), b"totp secret");
        assert_eq!(b.open(&sealed), Err(SecretBoxError::Open));
        assert_eq!(a.open("g1.AAAA"), Err(SecretBoxError::Open));
        assert_eq!(
            SecretBox::new(&[0; 16]).unwrap_err(),
            SecretBoxError::KeyLength
        );
    }
}
