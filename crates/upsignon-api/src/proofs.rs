//! The small cryptographic checks the server makes: device signatures,
//! hashes of codes and tokens, constant-time comparison, and random codes
//! and tokens from the operating system's generator.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use upsignon_domain::enrolment::{CODE_ALPHABET, CODE_LENGTH};

/// Whether `signature_b64` is the device key's Ed25519 signature of the
/// challenge (all three in standard base64).
pub(crate) fn signature_is_valid(
    public_b64: &str,
    challenge_b64: &str,
    signature_b64: &str,
) -> bool {
    let (Ok(public), Ok(challenge), Ok(signature)) = (
        STANDARD.decode(public_b64),
        STANDARD.decode(challenge_b64),
        STANDARD.decode(signature_b64),
    ) else {
        return false;
    };
    let Ok(public) = <[u8; 32]>::try_from(public.as_slice()) else {
        return false;
    };
    let (Ok(key), Ok(signature)) = (
        VerifyingKey::from_bytes(&public),
        Signature::from_slice(&signature),
    ) else {
        return false;
    };
    key.verify_strict(&challenge, &signature).is_ok()
}

/// Whether `text` is a valid Ed25519 public key in standard base64.
pub(crate) fn is_public_key(text: &str) -> bool {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .is_some_and(|b| VerifyingKey::from_bytes(&b).is_ok())
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A session token: 256 random bits, URL-safe base64.
pub fn random_token() -> Result<String, String> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// A challenge: 256 random bits, standard base64.
pub(crate) fn random_challenge() -> Result<String, String> {
    Ok(STANDARD.encode(random::<32>()?))
}

/// A device code from the unambiguous alphabet, without modulo bias.
pub fn random_code() -> Result<String, String> {
    let limit = 256 - 256 % CODE_ALPHABET.len();
    let mut code = String::with_capacity(CODE_LENGTH);
    while code.len() < CODE_LENGTH {
        for byte in random::<16>()? {
            if (byte as usize) < limit && code.len() < CODE_LENGTH {
                code.push(CODE_ALPHABET[byte as usize % CODE_ALPHABET.len()] as char);
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_differ() {
        let a = random_code().unwrap();
        let b = random_code().unwrap();
        assert_eq!(a.len(), CODE_LENGTH);
        assert!(a.bytes().all(|c| CODE_ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
        assert_ne!(random_token().unwrap(), random_token().unwrap());
    }

    #[test]
    fn comparisons_cover_the_whole_value() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!signature_is_valid("x", "y", "z"));
    }
}
