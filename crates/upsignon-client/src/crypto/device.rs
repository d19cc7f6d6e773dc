//! A device's Ed25519 key pair: the device signs the server's challenges
//! with it; the server keeps only the public half.

use ed25519_dalek::{Signer, SigningKey};
use zeroize::Zeroizing;

use super::{CryptoError, b64, random_bytes, unb64};

pub struct DeviceKey {
    key: SigningKey,
}

impl DeviceKey {
    pub fn generate() -> Result<Self, CryptoError> {
        let seed = Zeroizing::new(random_bytes::<32>()?);
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public key as the API carries it (base64 of 32 bytes).
    pub fn public_b64(&self) -> String {
        b64(self.key.verifying_key().as_bytes())
    }

    /// Signs a challenge given in base64; returns the signature in base64.
    pub fn sign_challenge(&self, challenge_b64: &str) -> Result<String, CryptoError> {
        let challenge = unb64(challenge_b64)?;
        Ok(b64(&self.key.sign(&challenge).to_bytes()))
    }

    /// Seals `plaintext` with a key derived from this device's secret seed
    /// (HKDF-SHA256): only this device can open it (the password backup).
    pub fn seal_for_self(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        super::aead::seal(&*self.local_key()?, plaintext)
    }

    pub fn open_for_self(&self, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        super::aead::open(&*self.local_key()?, sealed)
    }

    fn local_key(&self) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<sha2::Sha256>::new(None, self.key.as_bytes())
            .expand(b"upsignon device password backup v1", key.as_mut())
            .map_err(|e| CryptoError::Key(e.to_string()))?;
        Ok(key)
    }

    /// The secret seed, for a client that stores its key (keep it private).
    pub fn seed_b64(&self) -> String {
        b64(self.key.as_bytes())
    }

    pub fn from_seed_b64(seed: &str) -> Result<Self, CryptoError> {
        let bytes: [u8; 32] = unb64(seed)?
            .try_into()
            .map_err(|_| CryptoError::Key("a device seed is 32 bytes".to_string()))?;
        Ok(Self {
            key: SigningKey::from_bytes(&bytes),
        })
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    use super::*;

    #[test]
    fn a_signature_verifies_with_the_public_key_only() {
        let key = DeviceKey::generate().unwrap();
        let challenge = b64(&random_bytes::<32>().unwrap());
        let signature = key.sign_challenge(&challenge).unwrap();
        let public: [u8; 32] = unb64(&key.public_b64()).unwrap().try_into().unwrap();
        let public = VerifyingKey::from_bytes(&public).unwrap();
        let signature = Signature::from_slice(&unb64(&signature).unwrap()).unwrap();
        public
            .verify(&unb64(&challenge).unwrap(), &signature)
            .unwrap();
        let restored = DeviceKey::from_seed_b64(&key.seed_b64()).unwrap();
        assert_eq!(restored.public_b64(), key.public_b64());
    }
}
