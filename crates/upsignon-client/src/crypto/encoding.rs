use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::CryptoError;

/// Standard base64 with padding, as the API carries binary values.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Result<Vec<u8>, CryptoError> {
    STANDARD
        .decode(text)
        .map_err(|e| CryptoError::Base64(e.to_string()))
}
