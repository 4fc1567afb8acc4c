//! Spreadsheet files for exports: CSV (streamed) and XLSX (built in memory), from rows of
//! typed [`Cell`]s.
//!
//! **Formula neutralising.** A spreadsheet runs a cell as a formula when its text starts
//! with `=`, `+`, `-` or `@` (and some also after a leading tab or carriage return), so a
//! customer who writes `=HYPERLINK(…)` in a comment could make the export run it on the
//! reader's machine. The rule, applied to every *text* cell in both formats: when the text
//! starts with one of `= + - @ \t \r`, a single quote `'` is put in front. Numbers and
//! times are written as numbers (never as text), so they need no quote and stay numbers.

pub mod csv;
pub mod kpis;
pub mod xlsx;

pub use advocate_store::insight::exports::Cell;

/// Characters that make a spreadsheet read the cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The text as it is safe to put in a spreadsheet cell (see the module notes).
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// `{workspace}-{what}-{YYYY-MM-DD}.{ext}`, with anything but letters, digits, `-` and `_`
/// in the slug replaced, so the name is safe inside a quoted header value.
pub fn file_name(
    workspace_slug: &str,
    what: &str,
    date: chrono::NaiveDate,
    format: Format,
) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{}-{}-{}.{}",
        clean(workspace_slug),
        clean(what),
        date.format("%Y-%m-%d"),
        format.extension()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_nothing_else_does() {
        for bad in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["hello", "a=b", "", "'quoted", " =x"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn file_names_are_header_safe() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(
            file_name("acme", "answers", d, Format::Csv),
            "acme-answers-2026-07-01.csv"
        );
        assert_eq!(
            file_name("a\"b c", "kpis", d, Format::Xlsx),
            "a_b_c-kpis-2026-07-01.xlsx"
        );
    }
}
