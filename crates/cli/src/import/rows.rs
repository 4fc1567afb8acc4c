//! Reading a CSV file row by row, with each row's line number as an editor shows it,
//! and reporting every problem of a file by line.

use anyhow::{bail, Context, Result};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

/// One data row with its line number (of its first line, header = line 1).
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) fields: Vec<String>,
}

/// Where the lines of a stream start, as far as it has been read: the byte offsets of
/// the line-end bytes (`\n`, and `\r`) not yet passed, and how many lines were passed.
/// (The csv crate's own line numbers are wrong for files with CRLF line ends, as
/// spreadsheet programs write them.)
#[derive(Default)]
struct LineIndex {
    read: u64,
    /// (offset, is `\n`)
    ends: VecDeque<(u64, bool)>,
    passed: u64,
}

impl LineIndex {
    /// The line (1-based) of a record the csv reader says starts at `offset`; offsets
    /// must not decrease between calls. The reader skips blank lines before a record but
    /// reports where they begin, so line ends right at the offset are skipped too.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        while let Some(&(at, newline)) = self.ends.front() {
            if at > offset {
                break;
            }
            if at == offset {
                offset += 1;
            }
            self.passed += u64::from(newline);
            self.ends.pop_front();
        }
        self.passed + 1
    }
}

/// A reader that notes where the newlines are in what passes through it.
struct Counting<R> {
    inner: R,
    index: Rc<RefCell<LineIndex>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut index = self.index.borrow_mut();
        let base = index.read;
        for (i, b) in buf[..n].iter().enumerate() {
            if matches!(b, b'\n' | b'\r') {
                index.ends.push_back((base + i as u64, *b == b'\n'));
            }
        }
        index.read += n as u64;
        Ok(n)
    }
}

/// Most problems a failed import prints; the rest are counted.
const SHOWN_PROBLEMS: usize = 100;

/// Prints every problem of a file as `line N: problem`, in line order (the first
/// [`SHOWN_PROBLEMS`], then how many more), and fails; does nothing when there is none.
pub(crate) fn report(path: &Path, mut errors: Vec<(u64, String)>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by_key(|(line, _)| *line);
    for (line, problem) in errors.iter().take(SHOWN_PROBLEMS) {
        eprintln!("line {line}: {problem}");
    }
    if errors.len() > SHOWN_PROBLEMS {
        eprintln!("… and {} more", errors.len() - SHOWN_PROBLEMS);
    }
    bail!(
        "{} problem{} in {}; nothing was imported",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        path.display()
    )
}

/// A file saved as UTF-16 (Excel's "Unicode text"), told by its byte-order mark or by the
/// NUL bytes between ASCII characters; read as UTF-8 its header would look like nonsense.
fn is_utf16(start: &[u8]) -> bool {
    start.starts_with(&[0xFF, 0xFE])
        || start.starts_with(&[0xFE, 0xFF])
        || start.chunks_exact(2).take(8).any(|pair| pair.contains(&0))
}

/// Streams the data rows of a CSV file, after its header.
pub(crate) struct Rows<R> {
    reader: csv::Reader<Counting<R>>,
    index: Rc<RefCell<LineIndex>>,
    record: csv::ByteRecord,
    pub(crate) header: Vec<String>,
}

impl Rows<BufReader<File>> {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut file = BufReader::new(file);
        let start = file
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if is_utf16(start) {
            bail!(
                "{} is UTF-16 text; save it as UTF-8 CSV (in Excel: Save As, \"CSV UTF-8\")",
                path.display()
            );
        }
        let rows = Self::new(file).with_context(|| format!("cannot read {}", path.display()))?;
        if rows.header.iter().all(|h| h.trim().is_empty()) {
            bail!(
                "{} is empty; the first line must name the columns, e.g. survey,score,answered_at",
                path.display()
            );
        }
        Ok(rows)
    }
}

impl<R: Read> Rows<R> {
    fn new(inner: R) -> Result<Self> {
        let index = Rc::new(RefCell::new(LineIndex::default()));
        let counting = Counting {
            inner,
            index: index.clone(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(counting);
        let header = reader
            .byte_headers()?
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = String::from_utf8_lossy(h);
                // A byte-order mark, as spreadsheet programs write it.
                match i {
                    0 => h.trim_start_matches('\u{feff}').to_owned(),
                    _ => h.into_owned(),
                }
            })
            .collect::<Vec<_>>();
        Ok(Self {
            reader,
            index,
            record: csv::ByteRecord::new(),
            header,
        })
    }

    fn line_at(&self, position: Option<&csv::Position>) -> u64 {
        position.map_or(0, |p| self.index.borrow_mut().line_at(p.byte()))
    }

    /// The next row, or a problem at a line; `None` at the end of the file.
    pub(crate) fn next(&mut self) -> Result<Option<Result<Row, (u64, String)>>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = self.line_at(self.record.position());
                let fields: Result<Vec<String>, _> = self
                    .record
                    .iter()
                    .map(|f| std::str::from_utf8(f).map(str::to_owned))
                    .collect();
                Ok(Some(match fields {
                    Ok(fields) => Ok(Row { line, fields }),
                    Err(_) => Err((line, "is not valid UTF-8 text".to_owned())),
                }))
            }
            Err(e) => match e.position() {
                Some(p) => Ok(Some(Err((self.line_at(Some(p)), e.to_string())))),
                None => Err(e).context("cannot read the file"),
            },
        }
    }

    /// How far into the file the reader is, in bytes, for the progress bar.
    pub(crate) fn byte(&self) -> u64 {
        self.reader.position().byte()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line numbers as an editor shows them, whatever the line ends, a byte-order mark,
    /// blank lines or quoted fields over several lines.
    #[test]
    fn rows_know_their_lines() {
        let lines_of = |text: &str| {
            let mut rows = Rows::new(text.as_bytes()).unwrap();
            assert_eq!(rows.header, ["a", "b"]);
            let mut lines = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                lines.push(row.map_or_else(|(l, _)| l, |r| r.line));
            }
            lines
        };
        let text = "a,b\nx,1\n\ny,\"two\nlines\"\nz,3\n";
        assert_eq!(lines_of(text), [2, 4, 6]);
        assert_eq!(lines_of(&text.replace('\n', "\r\n")), [2, 4, 6]);
        assert_eq!(
            lines_of(&format!("\u{feff}{}", text.replace('\n', "\r\n"))),
            [2, 4, 6]
        );
        assert_eq!(lines_of("a,b\r\nx,1\r\ny\r\n"), [2, 3]);
    }
}
