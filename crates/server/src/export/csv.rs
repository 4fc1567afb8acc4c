//! CSV (RFC 4180): comma-separated, CRLF line ends, fields quoted when they hold a comma,
//! quote or line break, UTF-8 with a byte-order mark so spreadsheet programs do not guess
//! another encoding. Times are RFC 3339 in UTC; empty cells are empty fields.

use super::{neutralise, Cell};
use chrono::SecondsFormat;

/// The UTF-8 byte-order mark that starts every CSV file.
pub const BOM: &str = "\u{feff}";

fn push_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Appends one record (with its line end) to `out`.
pub fn push_row(out: &mut String, cells: &[Cell]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Empty => {}
            Cell::Text(t) => push_field(out, &neutralise(t)),
            Cell::Int(n) => out.push_str(&n.to_string()),
            Cell::Number(x) if x.is_finite() => out.push_str(&x.to_string()),
            Cell::Number(_) => {}
            Cell::Time(t) => out.push_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        }
    }
    out.push_str("\r\n");
}

/// The BOM and the header record.
pub fn header(columns: &[&str]) -> String {
    let mut out = String::from(BOM);
    let cells: Vec<Cell> = columns
        .iter()
        .map(|c| Cell::Text((*c).to_owned()))
        .collect();
    push_row(&mut out, &cells);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn quotes_neutralises_and_types() {
        let mut out = String::new();
        push_row(
            &mut out,
            &[
                Cell::Text("a,b \"c\"\nd".into()),
                Cell::Text("=HYPERLINK(\"x\")".into()),
                Cell::Int(-3),
                Cell::Number(2.5),
                Cell::Time(Utc.with_ymd_and_hms(2026, 7, 1, 9, 30, 0).unwrap()),
                Cell::Empty,
            ],
        );
        assert_eq!(
            out,
            "\"a,b \"\"c\"\"\nd\",\"'=HYPERLINK(\"\"x\"\")\",-3,2.5,2026-07-01T09:30:00Z,\r\n"
        );
    }
}
