//! QR codes for survey links, as SVG (for print) and PNG (for anything else).
//!
//! The `qrcode` crate gives the module matrix; both images are written here so that no
//! image library is needed: the SVG is one path, the PNG is 1-bit grayscale.

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use qrcode::{Color, EcLevel, QrCode};
use std::io::Write;

/// Light modules around the code, as the QR specification asks (readers need them).
pub const QUIET_ZONE: usize = 4;

/// The dark and light modules of a QR code, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error("the text is too long for a QR code")]
    TooLong,
    #[error("a {size} px image is too small for this code: it needs at least {min} px")]
    TooSmall { size: u32, min: u32 },
}

impl Matrix {
    /// The QR code of `text`, with medium error correction (survives ~15% damage, e.g. a
    /// smudged print, while keeping the code small).
    pub fn encode(text: &str) -> Result<Self, QrError> {
        let code =
            QrCode::with_error_correction_level(text, EcLevel::M).map_err(|_| QrError::TooLong)?;
        Ok(Self {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Modules per side including the quiet zone on both sides.
    pub fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// An SVG that scales to any size: one unit per module, the quiet zone included in the
    /// `viewBox`, each run of dark modules in a row one path segment.
    pub fn svg(&self) -> String {
        let side = self.width_with_quiet_zone();
        let mut path = String::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                path.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                ));
            }
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
             width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>\n",
            px = side * 8
        )
    }

    /// The pixel size of one module and the light margin before the first module (quiet
    /// zone included) in a `size`×`size` image: modules are whole pixels, so scanners see
    /// even squares, and what is left over is split evenly around the code.
    pub fn layout(&self, size: u32) -> Result<(u32, u32), QrError> {
        let side = self.width_with_quiet_zone() as u32;
        let module = size / side;
        if module == 0 {
            return Err(QrError::TooSmall { size, min: side });
        }
        let left_over = size - module * side;
        Ok((module, left_over / 2 + QUIET_ZONE as u32 * module))
    }

    /// A `size`×`size` 1-bit grayscale PNG of the code.
    pub fn png(&self, size: u32) -> Result<Vec<u8>, QrError> {
        let (module, margin) = self.layout(size)?;
        let code_px = module * self.width as u32;
        let row_bytes = size.div_ceil(8) as usize;
        // Each scanline: filter type 0 (none), then 8 pixels per byte, 1 = white.
        let mut raw = Vec::with_capacity((row_bytes + 1) * size as usize);
        for py in 0..size {
            raw.push(0);
            let start = raw.len();
            raw.resize(start + row_bytes, 0xff);
            let my = py.checked_sub(margin).filter(|d| *d < code_px);
            let Some(my) = my.map(|d| (d / module) as usize) else {
                continue;
            };
            for px in 0..size {
                let mx = px.checked_sub(margin).filter(|d| *d < code_px);
                if mx.is_some_and(|d| self.is_dark((d / module) as usize, my)) {
                    raw[start + (px / 8) as usize] &= !(0x80 >> (px % 8));
                }
            }
        }
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&raw).expect("writing to memory");
        let idat = z.finish().expect("writing to memory");

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&size.to_be_bytes());
        ihdr.extend_from_slice(&size.to_be_bytes());
        // Bit depth 1, colour type 0 (grayscale), deflate, adaptive filtering, no interlace.
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &idat);
        chunk(&mut png, b"IEND", &[]);
        Ok(png)
    }
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    const URL: &str = "https://nps.example.com/s/Ab3dEf9hJk?c=kiosk";

    #[test]
    fn svg_has_one_unit_per_module_and_a_quiet_zone() {
        let m = Matrix::encode(URL).unwrap();
        let side = m.width() + 8;
        let svg = m.svg();
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        // The finder pattern's top-left corner is dark, just inside the quiet zone.
        assert!(m.is_dark(0, 0));
        assert!(svg.contains("M4 4h7v1h-7z"), "{svg}");
    }

    #[test]
    fn png_pixels_follow_the_matrix() {
        let m = Matrix::encode(URL).unwrap();
        let size = 200;
        let png = m.png(size).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size);
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let mut raw = Vec::new();
        ZlibDecoder::new(&png[41..41 + idat_len])
            .read_to_end(&mut raw)
            .unwrap();
        let row = (size as usize).div_ceil(8) + 1;
        assert_eq!(raw.len(), row * size as usize);
        let (module, margin) = m.layout(size).unwrap();
        let dark =
            |x: u32, y: u32| raw[y as usize * row + 1 + x as usize / 8] & (0x80 >> (x % 8)) == 0;
        for y in 0..m.width() {
            for x in 0..m.width() {
                let (px, py) = (margin + x as u32 * module, margin + y as u32 * module);
                assert_eq!(dark(px + module / 2, py + module / 2), m.is_dark(x, y));
            }
        }
        assert!(!dark(0, 0) && !dark(size - 1, size - 1), "light margin");
    }

    #[test]
    fn too_small_images_are_refused() {
        let m = Matrix::encode(URL).unwrap();
        let min = m.width_with_quiet_zone() as u32;
        assert_eq!(
            m.png(min - 1),
            Err(QrError::TooSmall { size: min - 1, min })
        );
        assert!(m.png(min).is_ok());
        assert_eq!(Matrix::encode(&"x".repeat(5000)), Err(QrError::TooLong));
    }
}
