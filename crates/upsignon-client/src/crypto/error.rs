#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the operating system's random generator failed: {0}")]
    Random(String),
    #[error("not valid base64: {0}")]
    Base64(String),
    #[error("the key derivation parameters are invalid: {0}")]
    Kdf(String),
    #[error("the data cannot be decrypted: wrong key, or it was modified")]
    Decrypt,
    #[error("this is not a sealed value of a known format")]
    Format,
    #[error("the key is invalid: {0}")]
    Key(String),
}
