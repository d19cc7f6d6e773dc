//! The vault keys, derived from the master password: Argon2id with the
//! vault's random salt gives a 256-bit root; HKDF-SHA256 splits it into
//! the key that encrypts the vault and the key that answers the server's
//! password challenge. The server sees neither, nor the password.

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{CryptoError, aead, b64, random_bytes, unb64};

/// The key-derivation settings stored (in clear) with a vault, so any of
/// the user's devices can derive the same keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdfParams {
    pub algorithm: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub salt_b64: String,
}

impl KdfParams {
    pub const ALGORITHM: &'static str = "argon2id";

    /// What apps use: 64 MiB, 2 passes, a random 16-byte salt.
    pub fn recommended() -> Result<Self, CryptoError> {
        Self::with_cost(64 * 1024, 2)
    }

    /// Cheaper settings, for tests and benchmarks only.
    pub fn with_cost(memory_kib: u32, iterations: u32) -> Result<Self, CryptoError> {
        Ok(Self {
            algorithm: Self::ALGORITHM.to_string(),
            memory_kib,
            iterations,
            salt_b64: b64(&random_bytes::<16>()?),
        })
    }
}

pub struct VaultKeys {
    encryption: Zeroizing<[u8; 32]>,
    challenge: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKeys(********)")
    }
}

impl VaultKeys {
    pub fn derive(password: &str, params: &KdfParams) -> Result<Self, CryptoError> {
        if params.algorithm != KdfParams::ALGORITHM {
            return Err(CryptoError::Kdf(format!(
                "unknown algorithm {}",
                params.algorithm
            )));
        }
        let argon = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(params.memory_kib, params.iterations, 1, Some(32))
                .map_err(|e| CryptoError::Kdf(e.to_string()))?,
        );
        let salt = unb64(&params.salt_b64)?;
        let mut root = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(password.as_bytes(), &salt, root.as_mut())
            .map_err(|e| CryptoError::Kdf(e.to_string()))?;
        let hkdf = Hkdf::<Sha256>::new(None, root.as_ref());
        let mut encryption = Zeroizing::new([0u8; 32]);
        let mut challenge = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"upsignon vault encryption v1", encryption.as_mut())
            .and_then(|_| hkdf.expand(b"upsignon password challenge v1", challenge.as_mut()))
            .map_err(|e| CryptoError::Kdf(e.to_string()))?;
        Ok(Self {
            encryption,
            challenge,
        })
    }

    /// Encrypts the vault's contents for the server to store.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        aead::seal(&self.encryption, plaintext)
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        aead::open(&self.encryption, sealed)
    }

    /// The answer to the vault's password challenge: HMAC-SHA256 of the
    /// challenge under the challenge key. The server keeps only a hash of it.
    pub fn password_response(&self, challenge_b64: &str) -> Result<String, CryptoError> {
        let challenge = unb64(challenge_b64)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.challenge.as_ref())
            .map_err(|e| CryptoError::Key(e.to_string()))?;
        mac.update(&challenge);
        Ok(b64(&mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_password_and_salt_give_the_same_keys() {
        let params = KdfParams::with_cost(1024, 1).unwrap();
        let a = VaultKeys::derive("correct horse", &params).unwrap();
        let b = VaultKeys::derive("correct horse", &params).unwrap();
        let sealed = a.seal(b"{\"items\":[]}").unwrap();
        assert_eq!(b.open(&sealed).unwrap(), b"{\"items\":[]}");
        let challenge = b64(&random_bytes::<32>().unwrap());
        assert_eq!(
            a.password_response(&challenge).unwrap(),
            b.password_response(&challenge).unwrap()
        );
        let wrong = VaultKeys::derive("battery staple", &params).unwrap();
        assert_eq!(wrong.open(&sealed), Err(CryptoError::Decrypt));
        assert_ne!(
            wrong.password_response(&challenge).unwrap(),
            a.password_response(&challenge).unwrap()
        );
    }
}
