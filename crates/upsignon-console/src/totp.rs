//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps,
//! 6 digits), as authenticator apps compute them, and the base32 text and
//! `otpauth://` URI they are enrolled with.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
/// Steps accepted either side of now, for clocks that drift a little.
const SKEW_STEPS: i64 = 1;

/// The time step of a Unix time in seconds.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code for one time step.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]) % 10u32.pow(DIGITS);
    format!("{value:06}")
}

/// The step `code` was made for, if it matches a step near `now_secs`
/// that is later than `last_used` (a code is never accepted twice).
pub fn verify(secret: &[u8], code: &str, now_secs: i64, last_used: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = step_at(now_secs);
    (now - SKEW_STEPS..=now + SKEW_STEPS)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| {
            upsignon_api::proofs::constant_time_eq(
                code_at_step(secret, *step).as_bytes(),
                code.as_bytes(),
            )
        })
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(BASE32[((bits >> (35 - i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// Reads base32 (spaces and case ignored); `None` on any other character.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|b| *b == c.to_ascii_uppercase() as u8)?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

/// What an authenticator app scans: `otpauth://totp/ISSUER:ACCOUNT?...`.
pub fn enrolment_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let encode = crate::html::format::percent_encode;
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        encode(issuer),
        encode(account),
        base32(secret),
        encode(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        // RFC 6238 appendix B, SHA1, last 6 of the 8 digits.
        assert_eq!(code_at_step(secret, step_at(59)), "287082");
        assert_eq!(code_at_step(secret, step_at(1_111_111_109)), "081804");
        assert_eq!(code_at_step(secret, step_at(2_000_000_000)), "279037");
    }

    #[test]
    fn a_code_is_accepted_once_and_near_its_time_only() {
        let secret = b"12345678901234567890";
        let code = code_at_step(secret, step_at(1_000_000));
        let step = verify(secret, &code, 1_000_000, None).unwrap();
        assert_eq!(verify(secret, &code, 1_000_000 + 30, None), Some(step));
        assert_eq!(verify(secret, &code, 1_000_000, Some(step)), None);
        assert_eq!(verify(secret, &code, 1_000_000 + 300, None), None);
        assert_eq!(verify(secret, "12345", 1_000_000, None), None);
    }

    #[test]
    fn base32_round_trips() {
        for len in 0..25 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(from_base32(&base32(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(from_base32("mzxw 6ytb oi").unwrap(), b"foobar");
        assert!(from_base32("MZ1").is_none());
    }
}
