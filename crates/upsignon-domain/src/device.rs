/// Where a device stands in its authorisation. Stored as the text of
/// [`DeviceStatus::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    /// Asked for access; waiting for the emailed code.
    Pending,
    /// Code checked; waiting for an admin's approval (tenant policy).
    PendingAdminApproval,
    /// May authenticate and sync.
    Authorized,
    /// Revoked by its user: can do nothing more.
    RevokedByUser,
    /// Revoked by an admin: can do nothing more.
    RevokedByAdmin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a device cannot go from {from} to {to}")]
pub struct DeviceTransitionError {
    pub from: &'static str,
    pub to: &'static str,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::PendingAdminApproval => "PENDING_ADMIN_APPROVAL",
            Self::Authorized => "AUTHORIZED",
            Self::RevokedByUser => "REVOKED_BY_USER",
            Self::RevokedByAdmin => "REVOKED_BY_ADMIN",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::PendingAdminApproval,
            Self::Authorized,
            Self::RevokedByUser,
            Self::RevokedByAdmin,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_revoked(self) -> bool {
        matches!(self, Self::RevokedByUser | Self::RevokedByAdmin)
    }

    /// The state machine: revocation is final, and only a pending device moves forward.
    pub fn transition(self, to: Self) -> Result<Self, DeviceTransitionError> {
        use DeviceStatus::*;
        let allowed = match (self, to) {
            (Pending, PendingAdminApproval | Authorized) => true,
            (PendingAdminApproval, Authorized) => true,
            (from, RevokedByUser | RevokedByAdmin) => !from.is_revoked(),
            _ => false,
        };
        if allowed {
            Ok(to)
        } else {
            Err(DeviceTransitionError {
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeviceStatus::*;
    use super::*;

    #[test]
    fn revocation_is_final() {
        assert!(Authorized.transition(RevokedByAdmin).is_ok());
        assert!(RevokedByAdmin.transition(Authorized).is_err());
        assert!(RevokedByUser.transition(RevokedByAdmin).is_err());
    }

    #[test]
    fn a_device_is_authorised_only_from_a_pending_state() {
        assert_eq!(Pending.transition(Authorized), Ok(Authorized));
        assert_eq!(PendingAdminApproval.transition(Authorized), Ok(Authorized));
        assert!(Authorized.transition(Pending).is_err());
    }

    #[test]
    fn the_stored_text_round_trips() {
        for status in [
            Pending,
            PendingAdminApproval,
            Authorized,
            RevokedByUser,
            RevokedByAdmin,
        ] {
            assert_eq!(DeviceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeviceStatus::parse("authorized"), None);
    }
}
