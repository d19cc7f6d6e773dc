//! Sealing with XChaCha20-Poly1305 under a 256-bit key: a fresh random
//! 24-byte nonce per value, carried with it. The text form is versioned so
//! a later format can be told apart: `x1.<base64 of nonce || ciphertext>`.

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};

use super::{CryptoError, b64, random_bytes, unb64};

const PREFIX: &str = "x1.";

pub(crate) fn seal(key: &[u8; 32], plaintext: &[u8]) -> Result<String, CryptoError> {
    let nonce = random_bytes::<24>()?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), plaintext)
        .map_err(|_| CryptoError::Decrypt)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    Ok(format!("{PREFIX}{}", b64(&out)))
}

pub(crate) fn open(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>, CryptoError> {
    let body = sealed.strip_prefix(PREFIX).ok_or(CryptoError::Format)?;
    let bytes = unb64(body)?;
    if bytes.len() < 24 + 16 {
        return Err(CryptoError::Format);
    }
    let (nonce, ciphertext) = bytes.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), ciphertext)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_untouched() {
        let key = random_bytes::<32>().unwrap();
        let sealed = seal(&key, b"vault items").unwrap();
        assert_eq!(open(&key, &sealed).unwrap(), b"vault items");
        assert_ne!(
            seal(&key, b"vault items").unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        let other = random_bytes::<32>().unwrap();
        assert_eq!(open(&other, &sealed), Err(CryptoError::Decrypt));
        let mut bytes = unb64(sealed.strip_prefix(PREFIX).unwrap()).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = format!("{PREFIX}{}", b64(&bytes));
        assert_eq!(open(&key, &tampered), Err(CryptoError::Decrypt));
        assert_eq!(open(&key, "plain text"), Err(CryptoError::Format));
    }
}
