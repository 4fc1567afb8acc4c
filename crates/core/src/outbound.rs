//! Where outbound deliveries (webhooks, Slack) may go.
//!
//! A workspace admin chooses these URLs, so without a rule Advocate could be pointed at
//! the cloud metadata service, a database port or any other service on its own network
//! (server-side request forgery). By default deliveries go only to public addresses; the
//! operator may allow named hosts or address ranges ([`AllowedHosts`]).
//!
//! These are the pure rules. The server applies them to every address a name resolves
//! to, at connection time, so a name that changes its answer after registration (DNS
//! rebinding) gains nothing; registration applies the same rules to refuse early.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::LazyLock;

pub use url::Url;

/// A delivery URL's longest accepted length.
pub const MAX_URL_CHARS: usize = 2000;

/// Parses a delivery URL with the same parser the HTTP client uses, so the host checked
/// is the host connected to: `0x7f000001` and `127.1` become `127.0.0.1`, and in
/// `example.com@169.254.169.254` the host is `169.254.169.254`. `Err` is a phrase that
/// completes "<field> …".
pub fn parse_url(raw: &str) -> Result<Url, &'static str> {
    const NOT_HTTP: &str = "must be an http:// or https:// URL with a host";
    if raw.chars().count() > MAX_URL_CHARS
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("must be at most 2000 characters without spaces");
    }
    // The URL parser forgives `https:///x` (host "x") and `https:x`; a person who wrote
    // that meant something else.
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .ok_or(NOT_HTTP)?;
    if rest.is_empty() || rest.starts_with(['/', '\\', ':', '@', '?', '#']) {
        return Err(NOT_HTTP);
    }
    let url = Url::parse(raw).map_err(|_| NOT_HTTP)?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(NOT_HTTP);
    }
    Ok(url)
}

/// The host of a parsed URL, as connecting sees it: an address, or a name to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

impl<'a> Host<'a> {
    pub fn of(url: &'a Url) -> Option<Self> {
        Some(match url.host()? {
            url::Host::Ipv4(ip) => Host::Ip(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Host::Ip(IpAddr::V6(ip)),
            url::Host::Domain(name) => Host::Name(name),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Address ranges
// ---------------------------------------------------------------------------------------

/// A block of IPv4 or IPv6 addresses in CIDR notation (`10.0.0.0/8`, `fc00::/7`); a
/// single address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_bits(ip.to_bits().into(), 32, self.prefix)
                    == prefix_bits(net.to_bits().into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_bits(ip.to_bits(), 128, self.prefix)
                    == prefix_bits(net.to_bits(), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The first `prefix` of `width` bits of `bits`.
fn prefix_bits(bits: u128, width: u32, prefix: u8) -> u128 {
    let host_bits = width - u32::from(prefix);
    bits.checked_shr(host_bits)
        .unwrap_or(0)
        .checked_shl(host_bits)
        .unwrap_or(0)
}

impl IpRange {
    /// The address before the `/`, brackets allowed around IPv6 (`[fd00::]/8`).
    fn address_part(s: &str) -> Option<IpAddr> {
        let addr = s.split('/').next().unwrap_or_default();
        addr.strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr)
            .parse()
            .ok()
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let network = Self::address_part(s)
            .ok_or_else(|| format!("{s:?} is not an IP address or CIDR range"))?;
        let prefix = s.split_once('/').map(|(_, prefix)| prefix);
        let width: u8 = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {width}"))?,
        };
        let range = IpRange { network, prefix };
        let bits = match network {
            IpAddr::V4(ip) => ip.to_bits().into(),
            IpAddr::V6(ip) => ip.to_bits(),
        };
        if prefix_bits(bits, width.into(), prefix) != bits {
            return Err(format!(
                "{s:?} has bits set after its prefix; did you mean {}?",
                IpRange {
                    network: match network {
                        IpAddr::V4(_) =>
                            IpAddr::V4(Ipv4Addr::from_bits(prefix_bits(bits, 32, prefix) as u32)),
                        IpAddr::V6(_) =>
                            IpAddr::V6(Ipv6Addr::from_bits(prefix_bits(bits, 128, prefix))),
                    },
                    prefix
                }
            ));
        }
        Ok(range)
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

// ---------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------

/// A block of addresses deliveries do not go to unless the operator allows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// What the block is: "private", "loopback", "link-local", …
    pub name: &'static str,
    pub range: IpRange,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.range)
    }
}

/// Why an address is refused: the rule, and for an IPv4 address carried inside an IPv6
/// one (`::ffff:127.0.0.1`, NAT64, 6to4), the IPv6 form that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub rule: Rule,
    pub inside: Option<Rule>,
}

impl fmt::Display for Refusal {
    /// "a private address (10.0.0.0/8)", "a loopback address (127.0.0.0/8) inside an
    /// IPv4-mapped address (::ffff:0.0.0.0/96)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = |rule: &Rule| {
            let vowel = rule.name.starts_with(['a', 'e', 'i', 'o', 'I', 'E'])
                || (rule.name.starts_with("un") && !rule.name.starts_with("uni"));
            if vowel {
                "an"
            } else {
                "a"
            }
        };
        write!(
            f,
            "{} {} address ({})",
            a(&self.rule),
            self.rule.name,
            self.rule.range
        )?;
        if let Some(outer) = &self.inside {
            write!(
                f,
                " inside {} {} address ({})",
                a(outer),
                outer.name,
                outer.range
            )?;
        }
        Ok(())
    }
}

/// IPv4 blocks that are not public, most specific first.
const V4_BLOCKS: &[(&str, &str)] = &[
    ("unspecified", "0.0.0.0/8"),
    ("private", "10.0.0.0/8"),
    ("carrier-grade NAT", "100.64.0.0/10"),
    ("loopback", "127.0.0.0/8"),
    ("link-local", "169.254.0.0/16"),
    ("private", "172.16.0.0/12"),
    ("reserved", "192.0.0.0/24"),
    ("documentation", "192.0.2.0/24"),
    ("private", "192.168.0.0/16"),
    ("benchmarking", "198.18.0.0/15"),
    ("documentation", "198.51.100.0/24"),
    ("documentation", "203.0.113.0/24"),
    ("multicast", "224.0.0.0/4"),
    ("broadcast", "255.255.255.255/32"),
    ("reserved", "240.0.0.0/4"),
];

/// Where an IPv6 block carries an IPv4 address, whose own rules then decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carries {
    Nothing,
    /// In the last 32 bits: IPv4-mapped, -translated and -compatible, NAT64.
    V4Last,
    /// In the 32 bits after the first 16: 6to4.
    V4After16,
}

/// IPv6 blocks that are not public (or carry an IPv4 address), most specific first.
/// Anything else outside global unicast (2000::/3) is refused as reserved.
const V6_BLOCKS: &[(&str, &str, Carries)] = &[
    ("unspecified", "::/128", Carries::Nothing),
    ("loopback", "::1/128", Carries::Nothing),
    ("IPv4-mapped", "::ffff:0:0/96", Carries::V4Last),
    ("IPv4-translated", "::ffff:0:0:0/96", Carries::V4Last),
    ("IPv4-compatible", "::/96", Carries::V4Last),
    ("NAT64", "64:ff9b::/96", Carries::V4Last),
    ("local-use NAT64", "64:ff9b:1::/48", Carries::Nothing),
    ("discard-only", "100::/64", Carries::Nothing),
    ("Teredo", "2001::/32", Carries::Nothing),
    ("benchmarking", "2001:2::/48", Carries::Nothing),
    ("documentation", "2001:db8::/32", Carries::Nothing),
    ("6to4", "2002::/16", Carries::V4After16),
    ("unique-local", "fc00::/7", Carries::Nothing),
    ("link-local", "fe80::/10", Carries::Nothing),
    ("site-local", "fec0::/10", Carries::Nothing),
    ("multicast", "ff00::/8", Carries::Nothing),
];

static V4_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    V4_BLOCKS
        .iter()
        .map(|(name, range)| Rule {
            name,
            range: range.parse().expect("a valid range"),
        })
        .collect()
});

static V6_RULES: LazyLock<Vec<(Rule, Carries)>> = LazyLock::new(|| {
    V6_BLOCKS
        .iter()
        .map(|(name, range, carries)| {
            let range = range.parse().expect("a valid range");
            (Rule { name, range }, *carries)
        })
        .collect()
});

static GLOBAL_UNICAST: LazyLock<IpRange> = LazyLock::new(|| "2000::/3".parse().expect("valid"));

/// The rule that refuses `ip` as a delivery target, or `None` for a public address.
pub fn refusal(ip: IpAddr) -> Option<Refusal> {
    match ip {
        IpAddr::V4(v4) => v4_rule(v4).map(|rule| Refusal { rule, inside: None }),
        IpAddr::V6(v6) => v6_refusal(v6),
    }
}

fn v4_rule(ip: Ipv4Addr) -> Option<Rule> {
    V4_RULES
        .iter()
        .find(|rule| rule.range.contains(IpAddr::V4(ip)))
        .copied()
}

fn v6_refusal(ip: Ipv6Addr) -> Option<Refusal> {
    let bits = ip.to_bits();
    let found = V6_RULES
        .iter()
        .find(|(rule, _)| rule.range.contains(IpAddr::V6(ip)));
    let Some((outer, carries)) = found else {
        return (!GLOBAL_UNICAST.contains(IpAddr::V6(ip))).then(|| Refusal {
            rule: Rule {
                name: "reserved",
                range: "::/0".parse().expect("valid"),
            },
            inside: None,
        });
    };
    let carried = match carries {
        Carries::Nothing => {
            return Some(Refusal {
                rule: *outer,
                inside: None,
            })
        }
        Carries::V4Last => bits as u32,
        Carries::V4After16 => (bits >> 80) as u32,
    };
    v4_rule(Ipv4Addr::from_bits(carried)).map(|rule| Refusal {
        rule,
        inside: Some(*outer),
    })
}

// ---------------------------------------------------------------------------------------
// What the operator allows
// ---------------------------------------------------------------------------------------

/// Hosts and ranges the operator allows deliveries to even though they are not public
/// (`--allow-webhook-hosts hooks.internal,10.1.2.0/24,127.0.0.1`). A name is allowed
/// whatever it resolves to; an address or range is allowed whatever name led to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lower case, without a trailing dot.
    names: Vec<String>,
    ranges: Vec<IpRange>,
}

impl AllowedHosts {
    /// Parses a comma-separated list of host names, IP addresses and CIDR ranges.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut allowed = Self::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.parse::<IpRange>() {
                Ok(range) => allowed.ranges.push(range),
                // A good address with a bad prefix: say what is wrong with the prefix.
                Err(e) if IpRange::address_part(entry).is_some() => return Err(e),
                Err(_) => allowed.names.push(host_name(entry)?),
            }
        }
        Ok(allowed)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.ranges.is_empty()
    }

    pub fn allows_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        // `::ffff:10.0.0.1` is the IPv4 address to a dual-stack socket.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.ranges.iter().any(|r| r.contains(ip))
    }

    /// Whether a delivery may connect to `ip`, reached through the name `name` (`None`
    /// when the URL held the address itself).
    pub fn check(&self, name: Option<&str>, ip: IpAddr) -> Result<(), Refusal> {
        if name.is_some_and(|n| self.allows_name(n)) || self.allows_ip(ip) {
            return Ok(());
        }
        refusal(ip).map_or(Ok(()), Err)
    }
}

impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ranges = self.ranges.iter().map(ToString::to_string);
        let all: Vec<String> = self.names.iter().cloned().chain(ranges).collect();
        f.write_str(&all.join(","))
    }
}

/// A host name as DNS writes it: letters, digits and hyphens in dot-separated labels.
fn host_name(entry: &str) -> Result<String, String> {
    let name = entry.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    // The URL parser reads a name ending in a number as an IPv4 address (`127.1`,
    // `0x7f000001`), so such a name could never match.
    let last = name.rsplit('.').next().unwrap_or_default();
    if last.chars().all(|c| c.is_ascii_digit()) || last.starts_with("0x") {
        return Err(format!(
            "{entry:?} is neither a host name nor an IP address in the usual form (a.b.c.d, or a CIDR range such as 10.0.0.0/8)"
        ));
    }
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "{entry:?} is not a host name, IP address or CIDR range \
             (write international names in their xn-- form, and no port or scheme)"
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
