//! QR codes of a survey's kiosk link, and answers that come through it.

use crate::common::TestApp;
use flate2::read::ZlibDecoder;
use qrcode::{Color, EcLevel, QrCode};
use std::io::Read;

async fn public_id(app: &TestApp) -> String {
    let s = app.survey("rel", None).await;
    s["link"]
        .as_str()
        .unwrap()
        .trim_start_matches("/s/")
        .to_owned()
}

/// What the code must say: the absolute kiosk link of the survey.
fn kiosk_url(app: &TestApp, id: &str) -> String {
    format!("{}/s/{id}?c=kiosk", app.store.public_url())
}

#[tokio::test]
async fn the_svg_is_well_formed_with_one_unit_per_module() {
    let app = TestApp::spawn().await;
    let id = public_id(&app).await;
    let r = app
        .http
        .get(app.url(&format!("/s/{id}/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age="), "{cache}");
    let svg = r.text().await.unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let code = QrCode::with_error_correction_level(kiosk_url(&app, &id), EcLevel::M).unwrap();
    let side = code.width() + 8;
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {side} {side}").as_str())
    );
    assert!(!svg.contains("href"), "nothing external");
}

/// Reads a 1-bit grayscale PNG into rows of "is dark".
fn decode_png(png: &[u8]) -> Vec<Vec<bool>> {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut pos = 8;
    let (mut width, mut height, mut idat) = (0, 0, Vec::new());
    loop {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = &png[pos + 8..pos + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(&data[8..], &[1, 0, 0, 0, 0], "1-bit grayscale");
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        let mut crc = flate2::Crc::new();
        crc.update(&png[pos + 4..pos + 8 + len]);
        let stored = u32::from_be_bytes(png[pos + 8 + len..pos + 12 + len].try_into().unwrap());
        assert_eq!(
            crc.sum(),
            stored,
            "CRC of {}",
            String::from_utf8_lossy(kind)
        );
        pos += 12 + len;
    }
    let mut raw = Vec::new();
    ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
    let stride = width.div_ceil(8) + 1;
    assert_eq!(raw.len(), stride * height);
    (0..height)
        .map(|y| {
            let row = &raw[y * stride..(y + 1) * stride];
            assert_eq!(row[0], 0, "no filter");
            (0..width)
                .map(|x| row[1 + x / 8] & (0x80 >> (x % 8)) == 0)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_png_has_the_asked_size_and_the_modules_of_the_link() {
    let app = TestApp::spawn().await;
    let id = public_id(&app).await;
    let code = QrCode::with_error_correction_level(kiosk_url(&app, &id), EcLevel::M).unwrap();
    let modules = code.width();
    for (query, size) in [("", 512), ("?size=300", 300), ("?size=2048", 2048)] {
        let r = app
            .http
            .get(app.url(&format!("/s/{id}/qr.png{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        assert_eq!(r.headers()["content-type"], "image/png");
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age="));
        let pixels = decode_png(&r.bytes().await.unwrap());
        assert_eq!((pixels.len(), pixels[0].len()), (size, size), "{query}");

        // The dark pixels' bounding box is the code (finder patterns sit in three corners);
        // from it, the module size, and then every module's centre must match the matrix.
        let dark_rows: Vec<usize> = (0..size).filter(|y| pixels[*y].contains(&true)).collect();
        let dark_cols: Vec<usize> = (0..size)
            .filter(|x| (0..size).any(|y| pixels[y][*x]))
            .collect();
        let (top, left) = (dark_rows[0], dark_cols[0]);
        let extent = dark_cols.last().unwrap() - left + 1;
        assert_eq!(extent, dark_rows.last().unwrap() - top + 1, "square");
        assert_eq!(extent % modules, 0, "whole pixels per module");
        let m = extent / modules;
        assert!(left >= 4 * m && top >= 4 * m, "a quiet zone of 4 modules");
        assert!(size - (left + extent) >= 4 * m, "and on the other side");
        for y in 0..modules {
            for x in 0..modules {
                let dark = pixels[top + y * m + m / 2][left + x * m + m / 2];
                assert_eq!(
                    dark,
                    code[(x, y)] == Color::Dark,
                    "module {x},{y} at {size}px"
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_sizes_and_unknown_surveys_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let id = public_id(&app).await;
    for bad in ["127", "2049", "big", "-5", "512.5", ""] {
        let r = app
            .http
            .get(app.url(&format!("/s/{id}/qr.png?size={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let msg = r.text().await.unwrap();
        assert!(msg.contains("from 128 to 2048"), "{msg}");
    }
    for path in ["/s/nope/qr.svg", "/s/nope/qr.png"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn answers_through_the_kiosk_link_are_counted_as_kiosk() {
    let app = TestApp::spawn().await;
    let id = public_id(&app).await;
    for (query, channel) in [("?c=kiosk", "kiosk"), ("", "web"), ("?c=bogus", "web")] {
        let html = app
            .http
            .get(app.url(&format!("/s/{id}{query}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let action = common_form_action(&html);
        assert_eq!(action.contains("c=kiosk"), channel == "kiosk", "{action}");
        let r = app
            .http
            .post(app.url(&action))
            .form(&[("score", "8")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{query}");
        let follow = crate::common::location(&r);
        let path = follow.split('?').next().unwrap();
        let r = app
            .http
            .post(app.url(path))
            .form(&[("comment", channel)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let latest = app
            .store
            .answers()
            .latest_comments(app.workspace_id, None, 1)
            .await
            .unwrap();
        assert_eq!(latest[0].comment.as_deref(), Some(channel));
        assert_eq!(latest[0].channel, channel, "{query}");
    }
    // A channel outside the allow-list is refused, not stored as something else.
    let html = app
        .http
        .get(app.url(&format!("/s/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = common_form_action(&html);
    let r = app
        .http
        .post(app.url(&format!("{action}&c=api")))
        .form(&[("score", "8")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("unknown channel"));
    assert_eq!(app.count_answers().await, 3);
}

/// The score form's `action` on a survey page (the nonce and channel ride in it).
fn common_form_action(html: &str) -> String {
    let start = html
        .find("<form method=\"post\" action=\"")
        .expect("a form")
        + 28;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&#38;", "&").replace("&amp;", "&")
}
