//! The password inside a `scheme://USER:PASSWORD@HOST...` URL (PostgreSQL,
//! SMTP), taken apart and put back, so prompts can ask for it hidden and
//! never show it.

/// The URL without its password, and the password (still percent-encoded)
/// when there was one.
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    match credentials.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(password.to_string()),
        ),
        None => (url.to_string(), None),
    }
}

/// `url` (without a password) with `password` put in, percent-encoded, after
/// its user name. A URL without a user name is returned as it is.
pub fn with_password(url: &str, password: &str) -> String {
    with_encoded_password(url, &encode(password))
}

/// As [`with_password`], for a password already percent-encoded (as
/// [`split_password`] gives it).
pub fn with_encoded_password(url: &str, encoded: &str) -> String {
    if encoded.is_empty() {
        return url.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((user, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    let user = user.split_once(':').map_or(user, |(user, _)| user);
    format!("{scheme}://{user}:{encoded}@{host}")
}

/// Everything but the URL's unreserved characters, percent-encoded.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_comes_out_and_goes_back_encoded() {
        let (bare, password) = split_password("postgres://app:s3cr%40t@db:5432/x");
        assert_eq!(bare, "postgres://app@db:5432/x");
        assert_eq!(password.as_deref(), Some("s3cr%40t"));
        assert_eq!(
            with_password("postgres://app@db:5432/x", "p@ss:w/rd é"),
            "postgres://app:p%40ss%3Aw%2Frd%20%C3%A9@db:5432/x"
        );
        let (bare, password) = split_password(&with_password("smtps://me@mail:465", "a@b:c/d"));
        assert_eq!(bare, "smtps://me@mail:465");
        assert_eq!(password.as_deref(), Some("a%40b%3Ac%2Fd"));
    }

    #[test]
    fn urls_without_a_user_or_password_are_left_alone() {
        assert_eq!(
            split_password("postgres://db/x"),
            ("postgres://db/x".into(), None)
        );
        assert_eq!(with_password("postgres://db/x", "pw"), "postgres://db/x");
        assert_eq!(
            with_password("postgres://app@db/x", ""),
            "postgres://app@db/x"
        );
    }
}
