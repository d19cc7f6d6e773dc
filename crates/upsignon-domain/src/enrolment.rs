//! Who may enrol a device, and the rules of the one-time code that
//! authorises it. The server generates codes from the OS random generator;
//! these are the rules it applies to them.

use crate::Email;

/// Characters of a device code: no 0/O, 1/I/L, so it reads unambiguously.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code (31^8, about 2^39.6 codes).
pub const CODE_LENGTH: usize = 8;
/// A code is valid this long after it was sent.
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// An emailed password-reset token is valid this long.
pub const RESET_TOKEN_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Wrong codes accepted before the code is voided (a new request sends another).
pub const CODE_MAX_ATTEMPTS: i32 = 5;
/// A device challenge must be signed within this time.
pub const CHALLENGE_LIFETIME_MS: i64 = 3 * 60 * 1000;

/// Whether `email` matches one of the tenant's allowed patterns: an exact
/// address, or `*@domain` for every address of a domain (case-insensitive).
pub fn email_is_allowed(email: &Email, patterns: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim().to_lowercase();
        match pattern.strip_prefix("*@") {
            Some(domain) => email.domain() == domain,
            None => email.as_str() == pattern,
        }
    })
}

/// Why a device code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("the code has expired: ask for a new one")]
    Expired,
    #[error("too many wrong codes: ask for a new one")]
    TooManyAttempts,
    #[error("the code is wrong")]
    Wrong,
}

impl CodeRefusal {
    /// The stable code the API answers with.
    pub fn code(self) -> &'static str {
        match self {
            Self::Expired => "expired_code",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Wrong => "bad_code",
        }
    }
}

/// The checks on a stored code, in order: expiry, attempts, then the match.
pub fn check_code(
    expires_at: i64,
    failed_attempts: i32,
    now: i64,
    matches: bool,
) -> Result<(), CodeRefusal> {
    if now >= expires_at {
        Err(CodeRefusal::Expired)
    } else if failed_attempts >= CODE_MAX_ATTEMPTS {
        Err(CodeRefusal::TooManyAttempts)
    } else if !matches {
        Err(CodeRefusal::Wrong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_allow_an_address_or_a_whole_domain() {
        let patterns = vec!["*@Acme.test".to_string(), "boss@other.test".to_string()];
        let allowed = |e: &str| email_is_allowed(&Email::parse(e).unwrap(), &patterns);
        assert!(allowed("someone@acme.test"));
        assert!(allowed("BOSS@other.test"));
        assert!(!allowed("someone@other.test"));
        assert!(!allowed("someone@sub.acme.test"));
        assert!(!allowed("someone@acme.test.evil"));
    }

    #[test]
    fn a_code_is_refused_when_expired_overused_or_wrong() {
        assert_eq!(check_code(100, 0, 100, true), Err(CodeRefusal::Expired));
        assert_eq!(
            check_code(100, CODE_MAX_ATTEMPTS, 50, true),
            Err(CodeRefusal::TooManyAttempts)
        );
        assert_eq!(check_code(100, 0, 50, false), Err(CodeRefusal::Wrong));
        assert_eq!(check_code(100, CODE_MAX_ATTEMPTS - 1, 50, true), Ok(()));
    }
}
