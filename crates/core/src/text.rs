//! The text rule: what characters any text sent to Advocate may hold, the same on every
//! database. PostgreSQL refuses NUL in text while SQLite stores it, and other control
//! characters break CSV and XLSX exports, emails and terminals, so they are refused where
//! text enters (API, forms, links, imports), with a message that names the field.

use std::fmt;

/// A control character where none may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlCharacter(pub char);

impl fmt::Display for ControlCharacter {
    /// Worded to follow the field's name: "`note` must not contain …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "must not contain control characters (found U+{:04X})",
            u32::from(self.0)
        )
    }
}

impl std::error::Error for ControlCharacter {}

/// Text that may run over several lines (a note, a comment, a message): no control
/// characters but tab, line feed and carriage return.
pub fn check(value: &str) -> Result<(), ControlCharacter> {
    match value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(ControlCharacter(c)),
        None => Ok(()),
    }
}

/// One line (a name, an id, an email address): no control characters at all.
pub fn check_line(value: &str) -> Result<(), ControlCharacter> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(ControlCharacter(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_text_keeps_tabs_and_line_breaks() {
        assert_eq!(check("two\tcolumns\r\nand lines\n"), Ok(()));
        assert_eq!(check("æøå — 👍"), Ok(()));
    }

    #[test]
    fn every_other_control_character_is_refused() {
        for c in [
            '\0', '\u{7}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}',
        ] {
            assert_eq!(check(&format!("a{c}b")), Err(ControlCharacter(c)), "{c:?}");
            assert_eq!(check_line(&format!("a{c}b")), Err(ControlCharacter(c)));
        }
    }

    #[test]
    fn one_line_refuses_line_breaks_and_tabs_too() {
        for c in ['\t', '\n', '\r'] {
            assert_eq!(check_line(&format!("a{c}b")), Err(ControlCharacter(c)));
        }
        assert_eq!(check_line("Kari Nordmann"), Ok(()));
    }

    #[test]
    fn the_message_names_the_character() {
        assert_eq!(
            check("a\0").unwrap_err().to_string(),
            "must not contain control characters (found U+0000)"
        );
    }
}
