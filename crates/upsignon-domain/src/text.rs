//! What text the server accepts in any field it stores: no control
//! character other than tab, line feed and carriage return, and no DEL.
//! NUL cannot be stored by PostgreSQL at all, and no field is meant to hold
//! the others. The API and the console decode their bodies differently
//! (JSON escapes, percent-encoding) and both ask this one rule.

/// Whether the character with code `code` is refused in stored text.
pub fn is_forbidden_control(code: u32) -> bool {
    (code < 0x20 && !matches!(code, 0x09 | 0x0a | 0x0d)) || code == 0x7f
}

#[cfg(test)]
mod tests {
    use super::is_forbidden_control;

    #[test]
    fn tab_and_line_ends_pass_other_controls_and_del_do_not() {
        for allowed in ['\t', '\n', '\r', ' ', 'a', 'é', '😀'] {
            assert!(!is_forbidden_control(allowed as u32), "{allowed:?}");
        }
        for refused in [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f] {
            assert!(is_forbidden_control(refused), "{refused:#x}");
        }
    }
}
