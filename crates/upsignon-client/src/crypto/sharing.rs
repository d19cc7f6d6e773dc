//! Sharing: each user has an X25519 key pair (an age identity) whose
//! public half the server stores; a shared vault has its own random
//! 256-bit key, wrapped (age-encrypted) to each member's public key. The
//! server stores the wrapped copies and can open none of them.

use std::io::{Read, Write};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::{CryptoError, aead, b64, random_bytes, unb64};

/// A user's sharing key pair.
pub struct SharingKey {
    identity: age::x25519::Identity,
}

impl SharingKey {
    pub fn generate() -> Self {
        Self {
            identity: age::x25519::Identity::generate(),
        }
    }

    /// The public key the server stores (`age1...`).
    pub fn public(&self) -> String {
        self.identity.to_public().to_string()
    }

    /// The secret key, kept by the app inside the user's own vault.
    pub fn secret(&self) -> Zeroizing<String> {
        Zeroizing::new(self.identity.to_string().expose_secret().to_string())
    }

    pub fn from_secret(secret: &str) -> Result<Self, CryptoError> {
        Ok(Self {
            identity: age::x25519::Identity::from_str(secret)
                .map_err(|e| CryptoError::Key(e.to_string()))?,
        })
    }
}

/// The key of one shared vault.
pub struct SharedVaultKey(Zeroizing<[u8; 32]>);

impl SharedVaultKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(random_bytes::<32>()?)))
    }

    /// This key, encrypted to a member's public sharing key (base64).
    pub fn wrap_for(&self, member_public: &str) -> Result<String, CryptoError> {
        let recipient = age::x25519::Recipient::from_str(member_public)
            .map_err(|e| CryptoError::Key(e.to_string()))?;
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| CryptoError::Key(e.to_string()))?;
        let mut out = Vec::new();
        let mut writer = encryptor
            .wrap_output(&mut out)
            .map_err(|e| CryptoError::Key(e.to_string()))?;
        writer
            .write_all(self.0.as_ref())
            .and_then(|_| writer.finish().map(|_| ()))
            .map_err(|e| CryptoError::Key(e.to_string()))?;
        Ok(b64(&out))
    }

    /// Opens a copy wrapped for `mine`.
    pub fn unwrap(wrapped_b64: &str, mine: &SharingKey) -> Result<Self, CryptoError> {
        let wrapped = unb64(wrapped_b64)?;
        let decryptor = age::Decryptor::new(&wrapped[..]).map_err(|_| CryptoError::Decrypt)?;
        let mut reader = decryptor
            .decrypt(std::iter::once(&mine.identity as &dyn age::Identity))
            .map_err(|_| CryptoError::Decrypt)?;
        let mut key = Zeroizing::new([0u8; 32]);
        reader
            .read_exact(key.as_mut())
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(Self(key))
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        aead::seal(&self.0, plaintext)
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        aead::open(&self.0, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_members_a_key_was_wrapped_for_can_open_it() {
        let owner = SharingKey::generate();
        let reader = SharingKey::generate();
        let outsider = SharingKey::generate();
        let key = SharedVaultKey::generate().unwrap();
        let sealed = key.seal(b"shared items").unwrap();
        let for_reader = key.wrap_for(&reader.public()).unwrap();
        let opened = SharedVaultKey::unwrap(&for_reader, &reader).unwrap();
        assert_eq!(opened.open(&sealed).unwrap(), b"shared items");
        assert!(SharedVaultKey::unwrap(&for_reader, &outsider).is_err());
        let restored = SharingKey::from_secret(&owner.secret()).unwrap();
        assert_eq!(restored.public(), owner.public());
    }
}
