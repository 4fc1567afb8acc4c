//! Where sign-in sends a person afterwards (`next`): only a plain path on this site, so a
//! link to the sign-in page cannot send anyone elsewhere (no open redirect).

use std::sync::LazyLock;
use url::{Position, Url};

/// Where to go when `next` is missing or refused.
pub const DASHBOARD: &str = "/dashboard";

/// A stand-in for this site's origin: `next` is resolved against it as a browser resolves
/// a `Location`, and must stay on it.
static SITE: LazyLock<Url> =
    LazyLock::new(|| Url::parse("http://advocate.invalid/").expect("a valid URL"));

/// `next` as a path (with query and fragment) on this site, or the dashboard.
pub fn return_path(next: Option<&str>) -> String {
    next.and_then(same_site_path)
        .unwrap_or_else(|| DASHBOARD.to_owned())
}

/// Browsers resolve a `Location` more leniently than it reads: they drop tabs and line
/// breaks (`/\t/evil.example` is `//evil.example`) and take `\` for `/`. So such characters
/// are refused outright, percent-encoded too, and the rest is resolved as a browser would;
/// the resolved path is returned, so what is followed is what was checked.
fn same_site_path(next: &str) -> Option<String> {
    if !next.starts_with('/') || hides_a_separator(next) {
        return None;
    }
    let url = SITE.join(next).ok()?;
    let path = &url[Position::BeforePath..];
    // `/..//evil.example` resolves to `//evil.example`, another host for a browser.
    (url.origin() == SITE.origin() && !path.starts_with("//")).then(|| path.to_owned())
}

/// A control character or a backslash, as itself or percent-encoded.
fn hides_a_separator(next: &str) -> bool {
    let forbidden = |b: u8| b.is_ascii_control() || b == b'\\';
    next.chars().any(|c| c.is_control() || c == '\\')
        || next.as_bytes().windows(3).any(|w| {
            w[0] == b'%'
                && std::str::from_utf8(&w[1..])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .is_some_and(forbidden)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_on_this_site_are_kept() {
        for next in [
            "/cases?x=1",
            "/cases#a",
            "/dashboard",
            "/customers/C%201?q=a+b",
        ] {
            assert_eq!(return_path(Some(next)), next);
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_falls_back_to_the_dashboard() {
        for next in [
            "/%09/evil.example",
            "/\t/evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/%5cevil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/..//evil.example",
            "/.//evil.example",
            "/\r/evil.example",
            "/\n/evil.example",
            "/\u{b}/evil.example",
            "/\0/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "/\u{85}/evil.example",
            "cases",
            "",
        ] {
            assert_eq!(return_path(Some(next)), DASHBOARD, "{next:?}");
        }
        assert_eq!(return_path(None), DASHBOARD);
    }
}
