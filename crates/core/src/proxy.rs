//! Which address a request comes from when reverse proxies stand in front
//! (`--trust-proxy 10.0.0.0/8,::1`).
//!
//! The rule is the usual one (nginx's `real_ip_recursive`): a connection from outside the
//! trusted networks is the client itself, whatever `X-Forwarded-For` says. From a trusted
//! proxy, the header is read from the right — each proxy appends the address it was
//! reached from — skipping the trusted hops, and the first untrusted address is the
//! client. Anything left of it was written by the client and may be forged.

use crate::outbound::IpRange;
use std::fmt;
use std::net::IpAddr;

/// The networks whose connections may say, in `X-Forwarded-For`, who the client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<IpRange>,
}

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses (a network of one) and CIDR ranges.
    pub fn parse(list: &str) -> Result<Self, String> {
        let ranges = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self { ranges })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = unmapped(ip);
        self.ranges.iter().any(|r| r.contains(ip))
    }

    /// The client's address, from the connection's `peer` and the `X-Forwarded-For`
    /// entries in order (all headers' lists joined, left to right).
    pub fn client<'a>(
        &self,
        peer: IpAddr,
        forwarded: impl DoubleEndedIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = unmapped(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for entry in forwarded.rev() {
            match entry.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = unmapped(ip);
                    if !self.trusts(client) {
                        return client;
                    }
                }
                // A hop we cannot read: nothing beyond it can be believed.
                Err(_) => return peer,
            }
        }
        // Trusted all the way: the leftmost address is as far as anyone can tell.
        client
    }
}

/// `::ffff:10.0.0.1` is the IPv4 address seen through a dual-stack socket.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.ranges.iter().map(ToString::to_string).collect();
        f.write_str(&all.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn client(trusted: &str, peer: &str, header: &str) -> IpAddr {
        TrustedProxies::parse(trusted)
            .unwrap()
            .client(ip(peer), header.split(',').filter(|e| !e.trim().is_empty()))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(
            client("", "198.51.100.7", "203.0.113.9"),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_connection_from_outside_the_trusted_networks_is_the_client() {
        // A client that sends the header itself gains nothing.
        assert_eq!(
            client("10.0.0.0/8", "198.51.100.7", "203.0.113.9, 10.0.0.1"),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_proxys_entry_counts_not_the_clients_own_claim() {
        // The client wrote 1.1.1.1; the proxy at 10.0.0.1 appended the real address.
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.1", "1.1.1.1, 203.0.113.9"),
            ip("203.0.113.9")
        );
        // A chain of trusted proxies is skipped, right to left.
        assert_eq!(
            client(
                "10.0.0.0/8, 192.168.1.1",
                "10.0.0.1",
                "1.1.1.1, 203.0.113.9, 192.168.1.1, 10.2.3.4"
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_spoofed_trusted_address_on_the_left_does_not_reach_past_the_client() {
        // The client claims to be a proxy; the first untrusted address is still its own.
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.1", "10.9.9.9, 203.0.113.9"),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_malformed_or_missing_entry_falls_back_to_the_peer() {
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", "garbage"), ip("10.0.0.1"));
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.1", "203.0.113.9, unknown"),
            ip("10.0.0.1")
        );
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", ""), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_networks_and_ipv4_through_a_dual_stack_socket() {
        assert_eq!(
            client("fd00::/8", "fd00::1", "2001:db8::5"),
            ip("2001:db8::5")
        );
        assert_eq!(
            client("127.0.0.1", "::ffff:127.0.0.1", "203.0.113.9"),
            ip("203.0.113.9")
        );
        assert_eq!(client("::1", "127.0.0.1", "203.0.113.9"), ip("127.0.0.1"));
    }

    #[test]
    fn bad_lists_say_which_entry_is_wrong() {
        let e = TrustedProxies::parse("10.0.0.0/8, 10.0.0.0/33").unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
        let e = TrustedProxies::parse("proxy.internal").unwrap_err();
        assert!(e.contains("proxy.internal"), "{e}");
        assert_eq!(
            TrustedProxies::parse(" 127.0.0.1 ,::1")
                .unwrap()
                .to_string(),
            "127.0.0.1/32,::1/128"
        );
    }
}
