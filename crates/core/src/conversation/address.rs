//! Reply addresses and Message-IDs. Every email sent from a case carries a Reply-To whose
//! token names the case and is signed, so a reply finds its case by its recipient alone
//! and nobody can make mail land on a case they were not written from.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Longest reply address setting accepted.
const MAX_ROUTE_LEN: usize = 200;
/// Characters of the signature in a token: 16 base32 characters carry 80 bits.
const MAC_CHARS: usize = 16;

/// Where replies go: a token under a reply domain (`c12-w3-k4x9…@replies.example.com`)
/// or a plus-address of one mailbox (`support+c12-w3-k4x9…@example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyRoute {
    Domain(String),
    PlusAddress { local: String, domain: String },
}

/// A case, as a reply address names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRef {
    pub workspace_id: i64,
    pub case_id: i64,
}

impl ReplyRoute {
    /// "replies.example.com" → Domain; "support@example.com" → PlusAddress. Errors are
    /// phrases that read after the setting's name ("--reply-address: <error>").
    pub fn parse(s: &str) -> Result<Self, String> {
        const HINT: &str =
            "give a domain such as replies.example.com or a mailbox such as support@example.com";
        if s.is_empty() {
            return Err(format!("is empty; {HINT}"));
        }
        if s.chars().count() > MAX_ROUTE_LEN {
            return Err(format!("is longer than {MAX_ROUTE_LEN} characters"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(format!("\"{s}\" contains a space; {HINT}"));
        }
        match s.split_once('@') {
            None => Ok(Self::Domain(check_domain(s)?)),
            Some((local, domain)) => {
                if domain.contains('@') {
                    return Err(format!("\"{s}\" has more than one @; {HINT}"));
                }
                check_local(local)?;
                Ok(Self::PlusAddress {
                    local: local.to_owned(),
                    domain: check_domain(domain)?,
                })
            }
        }
    }

    /// The Reply-To address for a case: `c{case}-w{workspace}-{mac}`, where mac is the
    /// first 16 characters of lowercase base32 of HMAC-SHA256(key, "reply|{workspace}|{case}").
    /// Lowercase because mail systems may lowercase local parts.
    pub fn address_for(&self, key: &[u8], workspace_id: i64, case_id: i64) -> String {
        let token = format!(
            "c{case_id}-w{workspace_id}-{}",
            token_mac(key, workspace_id, case_id)
        );
        match self {
            Self::Domain(domain) => format!("{token}@{domain}"),
            Self::PlusAddress { local, domain } => format!("{local}+{token}@{domain}"),
        }
    }

    /// The domain used in Message-IDs Advocate makes.
    pub fn domain(&self) -> &str {
        match self {
            Self::Domain(domain) | Self::PlusAddress { domain, .. } => domain,
        }
    }
}

impl std::fmt::Display for ReplyRoute {
    /// The setting as it is written: "replies.example.com" or "support@example.com".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Domain(domain) => f.write_str(domain),
            Self::PlusAddress { local, domain } => write!(f, "{local}@{domain}"),
        }
    }
}

/// The case a recipient address names, if its token verifies (in constant time): any
/// address of the form `local+TOKEN@…` or `TOKEN@…` (bare, in angle brackets or after a
/// display name), in any letter case. The route is not
/// needed — the key alone tells whether a token is Advocate's. A forged or altered token
/// is `None`.
pub fn case_of_address(key: &[u8], address: &str) -> Option<CaseRef> {
    let (case_id, workspace_id, mac) = token_parts(address)?;
    let expected = token_mac(key, workspace_id, case_id);
    crate::token::same_secret(&mac, &expected).then_some(CaseRef {
        workspace_id,
        case_id,
    })
}

/// Whether an address carries something shaped like a reply token (`c12-w3-…`), signed
/// or not: one that does not verify is a forged or damaged reply address, not mail that
/// merely names no case.
pub fn names_a_token(address: &str) -> bool {
    token_parts(address).is_some()
}

/// (case id, workspace id, mac) of the token in a bare address, "<address>" or
/// "Name <address>", lowercased.
fn token_parts(address: &str) -> Option<(i64, i64, String)> {
    let address = match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    };
    let (local, _domain) = address.trim().rsplit_once('@')?;
    let token = local.rsplit_once('+').map_or(local, |(_, t)| t);
    let token = token.to_ascii_lowercase();
    let rest = token.strip_prefix('c')?;
    let (case, rest) = rest.split_once("-w")?;
    let (workspace, mac) = rest.split_once('-')?;
    Some((
        canonical_id(case)?,
        canonical_id(workspace)?,
        mac.to_owned(),
    ))
}

/// A fresh Message-ID (without angle brackets) for a message on a case:
/// `case-{case}.{16 random hex digits}@{domain}`.
pub fn new_message_id(domain: &str, case_id: i64) -> String {
    let random: u64 = rand::rng().random();
    format!("case-{case_id}.{random:016x}@{domain}")
}

fn token_mac(key: &[u8], workspace_id: i64, case_id: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("reply|{workspace_id}|{case_id}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut encoded = base32_lower(&digest);
    encoded.truncate(MAC_CHARS);
    encoded
}

/// RFC 4648 base32 in lowercase, without padding.
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// An id written as Advocate writes it: digits only, no leading zero, so each case has
/// exactly one token. (Ids are never negative.)
fn canonical_id(digits: &str) -> Option<i64> {
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    ok.then(|| digits.parse().ok()).flatten()
}

fn check_local(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err("has nothing before the @; give a mailbox such as support@example.com".into());
    }
    if local.contains('+') {
        return Err(format!(
            "\"{local}\" already has a '+'; give the plain mailbox (support@example.com) and Advocate adds +<case token> itself"
        ));
    }
    const SPECIALS: &str = "!#$%&'*/=?^_`{|}~.-";
    if let Some(c) = local
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && !SPECIALS.contains(*c))
    {
        return Err(format!("the mailbox \"{local}\" must not contain '{c}'"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!(
            "the mailbox \"{local}\" must not start or end with a dot or have two dots in a row"
        ));
    }
    Ok(())
}

/// A domain name, lowercased: dot-separated labels of letters, digits and hyphens.
fn check_domain(domain: &str) -> Result<String, String> {
    if domain.is_empty() {
        return Err("has no domain after the @".into());
    }
    if !domain.contains('.') {
        return Err(format!(
            "\"{domain}\" is not a full domain name (it has no dot), e.g. replies.example.com"
        ));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(format!(
                "\"{domain}\" has an empty part between dots or at its ends"
            ));
        }
        if label.len() > 63 {
            return Err(format!("\"{domain}\" has a part longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
        {
            return Err(format!(
                "\"{domain}\" is not a domain name: it contains '{c}'"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "\"{domain}\" is not a domain name: a part starts or ends with '-'"
            ));
        }
    }
    Ok(domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"reply key";

    fn domain_route() -> ReplyRoute {
        ReplyRoute::parse("replies.example.com").unwrap()
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32_lower(b""), "");
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"fo"), "mzxq");
        assert_eq!(base32_lower(b"foo"), "mzxw6");
        assert_eq!(base32_lower(b"foob"), "mzxw6yq");
        assert_eq!(base32_lower(b"fooba"), "mzxw6ytb");
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn routes_parse() {
        assert_eq!(
            ReplyRoute::parse("Replies.Example.com"),
            Ok(ReplyRoute::Domain("replies.example.com".into()))
        );
        assert_eq!(
            ReplyRoute::parse("support@Example.com"),
            Ok(ReplyRoute::PlusAddress {
                local: "support".into(),
                domain: "example.com".into()
            })
        );
        assert_eq!(domain_route().domain(), "replies.example.com");
        assert_eq!(domain_route().to_string(), "replies.example.com");
        assert_eq!(
            ReplyRoute::parse("support@example.com")
                .unwrap()
                .to_string(),
            "support@example.com"
        );
        assert_eq!(
            ReplyRoute::parse("support@example.com").unwrap().domain(),
            "example.com"
        );
    }

    #[test]
    fn bad_routes_are_refused_with_a_reason() {
        let cases = [
            ("", "is empty"),
            ("replies example.com", "contains a space"),
            (" replies.example.com", "contains a space"),
            ("localhost", "has no dot"),
            ("support+x@example.com", "already has a '+'"),
            ("@example.com", "nothing before the @"),
            ("support@", "no domain"),
            ("a@b@example.com", "more than one @"),
            ("support@example..com", "empty part"),
            ("support@exa_mple.com", "contains '_'"),
            ("support@-example.com", "starts or ends with '-'"),
            (".support@example.com", "dot"),
            ("sup\"port@example.com", "must not contain '\"'"),
        ];
        for (input, expected) in cases {
            let err = ReplyRoute::parse(input).unwrap_err();
            assert!(err.contains(expected), "{input:?}: {err}");
        }
        let long = format!("{}.com", "a".repeat(200));
        assert!(ReplyRoute::parse(&long)
            .unwrap_err()
            .contains("longer than 200"));
    }

    #[test]
    fn a_reply_address_names_its_case() {
        let address = domain_route().address_for(KEY, 3, 12);
        assert!(address.starts_with("c12-w3-"), "{address}");
        assert!(address.ends_with("@replies.example.com"), "{address}");
        let token = address.split('@').next().unwrap();
        let mac = token.rsplit('-').next().unwrap();
        assert_eq!(mac.len(), 16);
        assert!(mac
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let expected = Some(CaseRef {
            workspace_id: 3,
            case_id: 12,
        });
        assert_eq!(case_of_address(KEY, &address), expected);
        assert_eq!(case_of_address(KEY, &address.to_uppercase()), expected);
        assert_eq!(case_of_address(KEY, &format!("<{address}>")), expected);
        assert_eq!(
            case_of_address(KEY, &format!("Acme Support <{address}>")),
            expected
        );

        let plus = ReplyRoute::parse("support@example.com")
            .unwrap()
            .address_for(KEY, 3, 12);
        assert!(plus.starts_with("support+c12-w3-"), "{plus}");
        assert_eq!(case_of_address(KEY, &plus), expected);
        // The same token verifies whichever route it came by.
        assert_eq!(
            address.split('@').next(),
            plus.split(['+', '@']).nth(1),
            "one token per case"
        );
    }

    #[test]
    fn only_addresses_shaped_like_a_token_count_as_forged_when_they_do_not_verify() {
        assert!(names_a_token("c12-w3-abcdefghijklmnop@replies.example.com"));
        assert!(names_a_token("support+c12-w3-abcdef@example.com"));
        assert!(!names_a_token("support@example.com"));
        assert!(!names_a_token("carl-west@example.com"));
    }

    #[test]
    fn forged_or_altered_tokens_name_no_case() {
        let address = domain_route().address_for(KEY, 3, 12);
        let (token, domain) = address.split_once('@').unwrap();
        let mac = token.rsplit('-').next().unwrap();
        let mut forged_mac = mac.to_owned();
        let last = if forged_mac.ends_with('a') { "b" } else { "a" };
        forged_mac.replace_range(15.., last);
        let forgeries = [
            format!("c12-w3-{forged_mac}@{domain}"),
            format!("c13-w3-{mac}@{domain}"),
            format!("c12-w4-{mac}@{domain}"),
            format!("c012-w3-{mac}@{domain}"),
            format!("c12-w3-{}@{domain}", &mac[..15]),
            format!("c12-w3-{mac}x@{domain}"),
            format!("c-12-w3-{mac}@{domain}"),
            "support@example.com".to_owned(),
            "c12-w3@example.com".to_owned(),
            token.to_owned(),
            String::new(),
        ];
        for forged in forgeries {
            assert_eq!(case_of_address(KEY, &forged), None, "{forged}");
        }
        assert_eq!(case_of_address(b"other key", &address), None);
    }

    proptest::proptest! {
        #[test]
        fn every_case_round_trips(
            key in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            workspace_id in 0..=i64::MAX,
            case_id in 0..=i64::MAX,
            plus in proptest::prelude::any::<bool>(),
        ) {
            let route = if plus {
                ReplyRoute::parse("support@example.com").unwrap()
            } else {
                domain_route()
            };
            let address = route.address_for(&key, workspace_id, case_id);
            let expected = Some(CaseRef { workspace_id, case_id });
            proptest::prop_assert_eq!(case_of_address(&key, &address), expected);
            proptest::prop_assert_eq!(case_of_address(&key, &address.to_uppercase()), expected);
        }

        #[test]
        fn any_text_is_refused_or_verified_without_panic(address in ".{0,80}") {
            let _ = case_of_address(KEY, &address);
            let _ = ReplyRoute::parse(&address);
        }
    }

    #[test]
    fn message_ids_are_fresh_and_carry_the_case() {
        let a = new_message_id("replies.example.com", 12);
        let b = new_message_id("replies.example.com", 12);
        assert_ne!(a, b);
        let (left, domain) = a.split_once('@').unwrap();
        assert_eq!(domain, "replies.example.com");
        let random = left.strip_prefix("case-12.").unwrap();
        assert_eq!(random.len(), 16);
        assert!(random.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
