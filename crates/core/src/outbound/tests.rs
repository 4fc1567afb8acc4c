use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The rule's name (with the carrying IPv6 form's), or "public".
fn verdict(s: &str) -> String {
    match refusal(ip(s)) {
        None => "public".into(),
        Some(Refusal { rule, inside: None }) => rule.name.into(),
        Some(Refusal {
            rule,
            inside: Some(outer),
        }) => format!("{} in {}", rule.name, outer.name),
    }
}

#[test]
fn every_block_is_written_as_its_network() {
    for rule in V4_RULES.iter().chain(V6_RULES.iter().map(|(r, _)| r)) {
        let written = rule.range.to_string();
        assert_eq!(written.parse::<IpRange>(), Ok(rule.range), "{written}");
    }
}

#[test]
fn public_addresses_pass() {
    for s in [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "169.253.255.255",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001:830::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        assert_eq!(verdict(s), "public", "{s}");
    }
}

#[test]
fn internal_ipv4_addresses_are_refused_by_name() {
    for (s, rule) in [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.255", "carrier-grade NAT"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.0.8", "reserved"),
        ("192.0.2.1", "documentation"),
        ("198.18.0.1", "benchmarking"),
    ] {
        assert_eq!(verdict(s), rule, "{s}");
    }
}

#[test]
fn internal_ipv6_addresses_and_ipv4_inside_ipv6_are_refused() {
    for (s, rule) in [
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("febf:ffff::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456:789a::1", "unique-local"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("fec0::1", "site-local"),
        ("2001:db8::1", "documentation"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("64:ff9b:1::a00:1", "local-use NAT64"),
        ("100::1", "discard-only"),
        ("::ffff:127.0.0.1", "loopback in IPv4-mapped"),
        ("::ffff:7f00:1", "loopback in IPv4-mapped"),
        ("::ffff:169.254.169.254", "link-local in IPv4-mapped"),
        ("::ffff:10.0.0.1", "private in IPv4-mapped"),
        ("::ffff:0:a00:1", "private in IPv4-translated"),
        ("::127.0.0.1", "loopback in IPv4-compatible"),
        ("::10.0.0.1", "private in IPv4-compatible"),
        ("64:ff9b::127.0.0.1", "loopback in NAT64"),
        ("64:ff9b::a9fe:a9fe", "link-local in NAT64"),
        ("2002:7f00:1::1", "loopback in 6to4"),
        ("2002:c0a8:101::", "private in 6to4"),
        ("2002:a9fe:a9fe::1", "link-local in 6to4"),
        ("4000::1", "reserved"),
        ("1::1", "reserved"),
    ] {
        assert_eq!(verdict(s), rule, "{s}");
    }
}

#[test]
fn refusals_read_as_sentences() {
    let r = |s: &str| refusal(ip(s)).unwrap().to_string();
    assert_eq!(r("10.0.0.1"), "a private address (10.0.0.0/8)");
    assert_eq!(r("0.0.0.0"), "an unspecified address (0.0.0.0/8)");
    assert_eq!(r("fd00::1"), "a unique-local address (fc00::/7)");
    assert_eq!(
        r("::ffff:127.0.0.1"),
        "a loopback address (127.0.0.0/8) inside an IPv4-mapped address (::ffff:0.0.0.0/96)"
    );
}

/// Every way the issue wrote an internal target, parsed as the HTTP client would.
#[test]
fn urls_are_read_as_the_client_reads_them() {
    for (url, rule) in [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://127.0.0.1:5432/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://0/", "unspecified"),
        ("http://example.com@169.254.169.254/", "link-local"),
        ("https://user:pw@10.0.0.1:8443/x", "private"),
        ("http://192.168.0.1./", "private"),
    ] {
        let parsed = parse_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let Some(Host::Ip(addr)) = Host::of(&parsed) else {
            panic!("{url} has an address for a host: {parsed}");
        };
        assert_eq!(
            refusal(addr).map(|r| r.rule.name),
            Some(rule),
            "{url} → {addr}"
        );
    }
    let u = parse_url("https://Hooks.Example.com./x").unwrap();
    assert_eq!(Host::of(&u), Some(Host::Name("hooks.example.com.")));
}

#[test]
fn only_absolute_http_urls_with_a_host_parse() {
    for bad in [
        "ftp://x.example/",
        "hooks.slack.com/x",
        "https:///x",
        "https://:80/x",
        "https://@x",
        "http://",
        "https://x y.example/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_",
    ] {
        assert!(parse_url(bad).is_err(), "{bad}");
    }
    assert!(parse_url(&format!("https://x.example/{}", "a".repeat(2000))).is_err());
    assert!(parse_url("https://hooks.slack.com/services/T/B/X").is_ok());
}

#[test]
fn allowed_hosts_parse_names_addresses_and_ranges() {
    let a = AllowedHosts::parse(
        " hooks.internal , 127.0.0.1,10.1.2.0/24, ::1, [fd00::]/8 ,Ci-Runner.Local.,",
    )
    .unwrap();
    assert_eq!(
        a.to_string(),
        "hooks.internal,ci-runner.local,127.0.0.1/32,10.1.2.0/24,::1/128,fd00::/8"
    );
    assert!(AllowedHosts::parse("").unwrap().is_empty());
    for (bad, needle) in [
        ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
        ("10.0.0.0/33", "prefix length must be 0 to 32"),
        ("fd00::/129", "0 to 128"),
        ("http://hooks.internal", "not a host name"),
        ("hooks.internal:8080", "no port or scheme"),
        ("127.1", "usual form"),
        ("0x7f000001", "usual form"),
        ("bad_-.example", "not a host name"),
        ("exämple.com", "xn--"),
        ("a..b", "not a host name"),
        ("300.1.1.1/8", "not a host name"),
    ] {
        let err = AllowedHosts::parse(bad).unwrap_err();
        assert!(err.contains(needle), "{bad}: {err}");
    }
}

#[test]
fn allowed_hosts_let_exactly_their_targets_through() {
    let a = AllowedHosts::parse("hooks.internal,127.0.0.1,10.1.2.0/24,fd00::/8").unwrap();
    // Names: exact, any case, trailing dot ignored, whatever they resolve to.
    assert_eq!(a.check(Some("hooks.internal"), ip("10.9.9.9")), Ok(()));
    assert_eq!(a.check(Some("HOOKS.internal."), ip("::1")), Ok(()));
    assert!(a
        .check(Some("evil.hooks.internal"), ip("10.9.9.9"))
        .is_err());
    assert!(a
        .check(Some("hooks.internal.evil"), ip("10.9.9.9"))
        .is_err());
    // Addresses and ranges, by whatever name or none.
    assert_eq!(a.check(None, ip("127.0.0.1")), Ok(()));
    assert_eq!(a.check(Some("localhost"), ip("127.0.0.1")), Ok(()));
    assert_eq!(a.check(None, ip("::ffff:127.0.0.1")), Ok(()));
    assert_eq!(a.check(None, ip("10.1.2.255")), Ok(()));
    assert_eq!(a.check(None, ip("fdab::1")), Ok(()));
    let refused = |name, s| a.check(name, ip(s)).unwrap_err().rule.name;
    assert_eq!(refused(None, "127.0.0.2"), "loopback");
    assert_eq!(refused(None, "10.1.3.0"), "private");
    assert_eq!(refused(Some("localhost"), "::1"), "loopback");
    assert_eq!(refused(None, "fe80::1"), "link-local");
    // Public addresses need no allowing.
    assert_eq!(
        AllowedHosts::default().check(Some("x"), ip("8.8.8.8")),
        Ok(())
    );
    assert_eq!(
        AllowedHosts::default()
            .check(None, ip("169.254.169.254"))
            .unwrap_err()
            .rule
            .name,
        "link-local"
    );
}

#[test]
fn ranges_contain_what_they_cover() {
    let r: IpRange = "172.16.0.0/12".parse().unwrap();
    assert!(r.contains(ip("172.16.0.0")) && r.contains(ip("172.31.255.255")));
    assert!(!r.contains(ip("172.32.0.0")) && !r.contains(ip("::ffff:172.16.0.1")));
    let all: IpRange = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
    let all6: IpRange = "::/0".parse().unwrap();
    assert!(all6.contains(ip("2001:db8::1")));
}
