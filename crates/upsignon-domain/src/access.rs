/// A member's rights on a shared vault, enforced by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    /// Reads the vault.
    Reader,
    /// Reads and updates the vault's contents.
    Editor,
    /// Also renames and deletes the vault and manages its members.
    Owner,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Editor => "editor",
            Self::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Reader, Self::Editor, Self::Owner]
            .into_iter()
            .find(|a| a.as_str() == text)
    }

    pub fn can_write(self) -> bool {
        self >= Self::Editor
    }

    pub fn can_manage(self) -> bool {
        self == Self::Owner
    }
}

#[cfg(test)]
mod tests {
    use super::AccessLevel::*;
    use super::*;

    #[test]
    fn rights_grow_with_the_level() {
        assert!(!Reader.can_write() && Editor.can_write() && Owner.can_write());
        assert!(!Editor.can_manage() && Owner.can_manage());
        assert_eq!(AccessLevel::parse("editor"), Some(Editor));
        assert_eq!(AccessLevel::parse("blind"), None);
    }
}
