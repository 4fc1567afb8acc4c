//! A minimal Office Open XML workbook (.xlsx): a zip of a few XML parts, one worksheet per
//! [`Workbook::start_sheet`], strings inline (no shared-string table to hold in memory),
//! numbers as numbers, times as date-time serials with a date format, a bold header row.
//! The sheet XML is deflated into the zip as rows arrive, so memory holds the compressed
//! file, not the rows.

use super::{neutralise, Cell};
use std::fmt::Write as _;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Rows a worksheet can hold (Excel's limit), the header included.
pub const MAX_ROWS: u32 = 1_048_576;
/// Characters a cell can hold (Excel's limit); longer text is cut.
const MAX_CELL_CHARS: usize = 32_767;

/// Style indexes in `styles.xml`'s `cellXfs`.
const STYLE_TIME: u8 = 1;
const STYLE_HEADER: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    #[error("a worksheet holds at most {MAX_ROWS} rows; narrow the export or use CSV")]
    TooManyRows,
    #[error("writing the workbook failed: {0}")]
    Write(String),
}

impl From<std::io::Error> for XlsxError {
    fn from(e: std::io::Error) -> Self {
        Self::Write(e.to_string())
    }
}

impl From<zip::result::ZipError> for XlsxError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Write(e.to_string())
    }
}

pub struct Workbook {
    zip: ZipWriter<Cursor<Vec<u8>>>,
    sheets: Vec<String>,
    /// Rows written to the open sheet.
    rows: u32,
    open: bool,
    buf: String,
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)
}

/// Text as XML character data: escaped, without the control characters XML 1.0 forbids.
fn push_xml_text(out: &mut String, text: &str) {
    for c in text.chars().take(MAX_CELL_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
}

/// Column letters of a 0-based index: 0 → A, 25 → Z, 26 → AA.
fn column_name(mut index: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Days since 1899-12-30 (the spreadsheet epoch), with the time of day as the fraction.
fn serial(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp() as f64 / 86_400.0 + 25_569.0
}

impl Workbook {
    pub fn new() -> Self {
        Self {
            zip: ZipWriter::new(Cursor::new(Vec::new())),
            sheets: Vec::new(),
            rows: 0,
            open: false,
            buf: String::new(),
        }
    }

    /// Opens a new worksheet (closing the previous one) and writes its bold header row.
    pub fn start_sheet(&mut self, name: &str, columns: &[&str]) -> Result<(), XlsxError> {
        self.close_sheet()?;
        self.sheets.push(name.chars().take(31).collect());
        let path = format!("xl/worksheets/sheet{}.xml", self.sheets.len());
        self.zip.start_file(path, options())?;
        self.zip.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
              <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
              <sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
              activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews><sheetData>",
        )?;
        self.open = true;
        self.rows = 0;
        let header: Vec<Cell> = columns
            .iter()
            .map(|c| Cell::Text((*c).to_owned()))
            .collect();
        self.write_row(&header, Some(STYLE_HEADER))
    }

    /// Appends one row to the open worksheet.
    pub fn push_row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        self.write_row(cells, None)
    }

    fn write_row(&mut self, cells: &[Cell], style: Option<u8>) -> Result<(), XlsxError> {
        if self.rows >= MAX_ROWS {
            return Err(XlsxError::TooManyRows);
        }
        self.rows += 1;
        let r = self.rows;
        let buf = &mut self.buf;
        buf.clear();
        let _ = write!(buf, "<row r=\"{r}\">");
        let s = |buf: &mut String, default: Option<u8>| {
            if let Some(s) = style.or(default) {
                let _ = write!(buf, " s=\"{s}\"");
            }
        };
        for (i, cell) in cells.iter().enumerate() {
            let at = format!("{}{r}", column_name(i));
            match cell {
                Cell::Empty => continue,
                Cell::Text(t) => {
                    let _ = write!(buf, "<c r=\"{at}\" t=\"inlineStr\"");
                    s(buf, None);
                    buf.push_str("><is><t xml:space=\"preserve\">");
                    push_xml_text(buf, &neutralise(t));
                    buf.push_str("</t></is></c>");
                }
                Cell::Int(n) => {
                    let _ = write!(buf, "<c r=\"{at}\"");
                    s(buf, None);
                    let _ = write!(buf, "><v>{n}</v></c>");
                }
                Cell::Number(x) if x.is_finite() => {
                    let _ = write!(buf, "<c r=\"{at}\"");
                    s(buf, None);
                    let _ = write!(buf, "><v>{x}</v></c>");
                }
                Cell::Number(_) => continue,
                Cell::Time(t) => {
                    let _ = write!(buf, "<c r=\"{at}\"");
                    s(buf, Some(STYLE_TIME));
                    let _ = write!(buf, "><v>{}</v></c>", serial(*t));
                }
            }
        }
        buf.push_str("</row>");
        self.zip.write_all(self.buf.as_bytes())?;
        Ok(())
    }

    fn close_sheet(&mut self) -> Result<(), XlsxError> {
        if self.open {
            self.zip.write_all(b"</sheetData></worksheet>")?;
            self.open = false;
        }
        Ok(())
    }

    /// Writes the workbook's remaining parts and returns the file's bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.close_sheet()?;
        let n = self.sheets.len();
        let mut types = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
        );
        let mut sheets = String::new();
        let mut rels = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
        );
        for (i, name) in self.sheets.iter().enumerate() {
            let k = i + 1;
            let _ = write!(
                types,
                "<Override PartName=\"/xl/worksheets/sheet{k}.xml\" \
                 ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            );
            sheets.push_str("<sheet name=\"");
            push_xml_text(&mut sheets, name);
            let _ = write!(sheets, "\" sheetId=\"{k}\" r:id=\"rId{k}\"/>");
            let _ = write!(
                rels,
                "<Relationship Id=\"rId{k}\" \
                 Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" \
                 Target=\"worksheets/sheet{k}.xml\"/>"
            );
        }
        types.push_str("</Types>");
        let _ = write!(
            rels,
            "<Relationship Id=\"rId{}\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" \
             Target=\"styles.xml\"/></Relationships>",
            n + 1
        );
        let workbook = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
             <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
             <sheets>{sheets}</sheets></workbook>"
        );
        let parts: [(&str, &str); 5] = [
            ("[Content_Types].xml", &types),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", &workbook),
            ("xl/_rels/workbook.xml.rels", &rels),
            ("xl/styles.xml", STYLES),
        ];
        for (path, body) in parts {
            self.zip.start_file(path, options())?;
            self.zip.write_all(body.as_bytes())?;
        }
        Ok(self.zip.finish()?.into_inner())
    }
}

impl Default for Workbook {
    fn default() -> Self {
        Self::new()
    }
}

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" \
Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
Target=\"xl/workbook.xml\"/></Relationships>";

/// Style 0: default; 1: date-time (`yyyy-mm-dd hh:mm:ss`); 2: bold (the header).
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm:ss\"/></numFmts>\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>\
<font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>\
<fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"3\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }

    #[test]
    fn a_workbook_is_a_zip_with_typed_escaped_neutralised_cells() {
        let mut wb = Workbook::new();
        wb.start_sheet("Answers", &["who", "score"]).unwrap();
        wb.push_row(&[Cell::Text("+cmd <b>&\u{1}".into()), Cell::Int(9)])
            .unwrap();
        let bytes = wb.finish().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut sheet = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        assert!(
            sheet.contains("<t xml:space=\"preserve\">'+cmd &lt;b&gt;&amp;</t>"),
            "{sheet}"
        );
        assert!(sheet.contains("<c r=\"B2\"><v>9</v></c>"), "{sheet}");
        assert!(
            sheet.contains("<c r=\"A1\" t=\"inlineStr\" s=\"2\">"),
            "{sheet}"
        );
        for part in [
            "[Content_Types].xml",
            "xl/workbook.xml",
            "xl/styles.xml",
            "_rels/.rels",
        ] {
            assert!(zip.by_name(part).is_ok(), "{part} missing");
        }
    }

    #[test]
    fn times_are_serials() {
        use chrono::{TimeZone, Utc};
        let t = Utc.with_ymd_and_hms(1970, 1, 2, 12, 0, 0).unwrap();
        assert_eq!(serial(t), 25_570.5);
    }
}
