//! Release signing keys: the project's public key embedded in the binary,
//! any extra keys the sysadmin trusts (`release_public_keys`, for sites that
//! sign their own builds), and key generation for the release tool.

use zipsign_api::{SigningKey, VerifyingKey};

use super::ReleaseError;

/// The project's release verifying key (hex). Its private half signs the
/// official release archives and never enters this repository.
pub const PROJECT_PUBLIC_KEY: &str = include_str!("project-release-key.pub");

/// A freshly generated key pair, both halves in hex.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub secret_hex: String,
    pub public_hex: String,
}

pub fn generate_key_pair() -> Result<KeyPair, ReleaseError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ReleaseError::Sign(e.to_string()))?;
    let key = SigningKey::from_bytes(&seed);
    Ok(KeyPair {
        secret_hex: hex::encode(seed),
        public_hex: hex::encode(key.verifying_key().to_bytes()),
    })
}

pub(crate) fn signing_key(secret_hex: &str) -> Result<SigningKey, ReleaseError> {
    Ok(SigningKey::from_bytes(&key_bytes(secret_hex)?))
}

/// The embedded project key plus `extra` (hex strings).
pub fn trusted_keys(extra: &[String]) -> Result<Vec<VerifyingKey>, ReleaseError> {
    std::iter::once(PROJECT_PUBLIC_KEY)
        .chain(extra.iter().map(String::as_str))
        .map(|hex_key| {
            VerifyingKey::from_bytes(&key_bytes(hex_key)?)
                .map_err(|e| ReleaseError::BadKey(e.to_string()))
        })
        .collect()
}

fn key_bytes(hex_key: &str) -> Result<[u8; 32], ReleaseError> {
    let bytes = hex::decode(hex_key.trim()).map_err(|e| ReleaseError::BadKey(e.to_string()))?;
    bytes
        .try_into()
        .map_err(|_| ReleaseError::BadKey("not 32 bytes long".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_project_key_is_valid() {
        assert_eq!(trusted_keys(&[]).unwrap().len(), 1);
    }

    #[test]
    fn a_generated_pair_belongs_together() {
        let pair = generate_key_pair().unwrap();
        let public = signing_key(&pair.secret_hex).unwrap().verifying_key();
        assert_eq!(hex::encode(public.to_bytes()), pair.public_hex);
        assert!(trusted_keys(&["abcd".to_string()]).is_err());
    }
}
