/// The version of a vault: it grows by one on every accepted write and is
/// the concurrency token (unlike a timestamp, two writes in the same second
/// cannot share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VaultVersion(pub i64);

impl std::fmt::Display for VaultVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A write based on a version that is no longer current: the client must
/// fetch, merge and retry. Nothing was overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the vault changed since version {read} was read (it is now at version {current}): fetch it, merge and retry"
)]
pub struct WriteConflict {
    pub read: VaultVersion,
    pub current: VaultVersion,
}

impl VaultVersion {
    /// Optimistic concurrency: a write is accepted only when the client read
    /// the current version; the stored vault then moves to the next one.
    pub fn accept_write(self, read_by_client: VaultVersion) -> Result<VaultVersion, WriteConflict> {
        if read_by_client == self {
            Ok(VaultVersion(self.0 + 1))
        } else {
            Err(WriteConflict {
                read: read_by_client,
                current: self,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_write_is_a_conflict_never_an_overwrite() {
        let current = VaultVersion(7);
        assert_eq!(current.accept_write(VaultVersion(7)), Ok(VaultVersion(8)));
        let conflict = current.accept_write(VaultVersion(6)).unwrap_err();
        assert_eq!(conflict.current, VaultVersion(7));
    }
}
