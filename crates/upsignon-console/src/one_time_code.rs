//! The one-time codes an admin's first sign-in starts from (printed by
//! `install`, or shown to the super-admin who invites them): 128 random
//! bits as eight groups of four hex digits; only a SHA-256 is stored.

use upsignon_api::proofs::sha256_hex;

/// A new code, such as `3f2a-9c1e-...` (39 characters).
pub fn new() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let hex = hex::encode(bytes);
    Ok(hex
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-"))
}

/// What is stored of a code: SHA-256 of its hex digits, dashes and case
/// ignored.
pub fn hash(code: &str) -> String {
    let digits: String = code
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    sha256_hex(&digits)
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_long_random_and_hash_without_their_dashes() {
        let code = super::new().unwrap();
        assert_eq!(code.len(), 39, "{code}");
        assert_ne!(code, super::new().unwrap());
        assert_eq!(
            super::hash(&code),
            super::hash(&code.replace('-', "").to_uppercase())
        );
    }
}
