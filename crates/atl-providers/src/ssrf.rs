//! The SSRF guard (DESIGN invariant 5): which URLs and addresses a fetch of user-supplied
//! URLs may reach.
//!
//! Two checks, because neither alone is enough:
//! - [`check_url`] refuses bad schemes and ports, and IP-literal hosts in blocked ranges
//!   (the connector never asks a resolver about IP literals, so they must be checked here;
//!   the `url` crate has already normalised `2130706433`, `0x7f.1`, `0177.0.0.1`, … into
//!   plain IPv4 addresses).
//! - [`GuardedResolver`] resolves host names and **drops** blocked addresses, so the
//!   connector can only dial what passed the check. Checking after resolution (rather
//!   than resolving twice) closes the DNS-rebinding window.
//!
//! An explicit allow-list of `host[:port]` entries (for the local sandbox and tests)
//! lifts both checks for exactly those hosts; the guard stays on for everything else.

use crate::ProviderError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, LazyLock};
use url::{Host, Url};

/// Why an address may not be dialled, or `None` when it is a public unicast address.
pub fn blocked_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    v4_ranges()
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, net.octets(), *prefix))
        .map(|(_, _, why)| why.as_str())
}

/// The blocked IPv4 ranges: (network, prefix length, reason).
type V4Range = (Ipv4Addr, u32, String);

/// `ssrf_ranges.txt`, read once.
fn v4_ranges() -> &'static [V4Range] {
    static RANGES: LazyLock<Vec<V4Range>> = LazyLock::new(|| {
        // Built into the binary and read by the tests below: it cannot fail here.
        parse_v4_ranges(include_str!("ssrf_ranges.txt"))
            .unwrap_or_else(|e| panic!("ssrf_ranges.txt: {e}"))
    });
    &RANGES
}

/// Lines of `NETWORK/PREFIX reason`; blank lines and `#` comments are skipped.
fn parse_v4_ranges(text: &str) -> Result<Vec<V4Range>, String> {
    let mut ranges = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .split_once(char::is_whitespace)
            .and_then(|(cidr, why)| {
                let (net, prefix) = cidr.split_once('/')?;
                let prefix = prefix.parse().ok().filter(|p| *p <= 32)?;
                Some((net.parse().ok()?, prefix, why.trim().to_owned()))
            });
        ranges.push(parsed.ok_or_else(|| format!("not NETWORK/PREFIX REASON: {line:?}"))?);
    }
    Ok(ranges)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified address (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    // Forms that carry an IPv4 address: judge the embedded address.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if seg[..5] == [0, 0, 0, 0, 0] && seg[5] == 0xffff {
        // IPv4-mapped ::ffff:a.b.c.d
        return blocked_v4(embedded(seg[6], seg[7]));
    }
    if seg[..6] == [0, 0, 0, 0, 0, 0] {
        // IPv4-compatible ::a.b.c.d (deprecated): nothing legitimate uses it.
        return Some("IPv4-compatible IPv6 address (::/96)");
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        // NAT64 64:ff9b::a.b.c.d
        return blocked_v4(embedded(seg[6], seg[7]));
    }
    if seg[0] == 0x2002 {
        // 6to4 2002:AABB:CCDD::/48 embeds a.b.c.d
        return blocked_v4(embedded(seg[1], seg[2]));
    }
    if seg[..3] == [0x64, 0xff9b, 1] {
        return Some("NAT64 local use (64:ff9b:1::/48)");
    }
    if seg == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
        return Some("AWS metadata (fd00:ec2::254)");
    }
    if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        return Some("documentation (2001:db8::/32)");
    }
    if seg[0] == 0x3fff && seg[1] & 0xf000 == 0 {
        return Some("documentation (3fff::/20)");
    }
    if seg[0] == 0x2001 && seg[1] == 0 {
        // Teredo tunnels to an IPv4 address (obfuscated in the last 32 bits).
        return Some("Teredo (2001::/32)");
    }
    if seg[0] == 0x2001 && seg[1] < 0x0200 {
        // Benchmarking 2001:2::/48, ORCHID, AMT, AS112 … : nothing a company site uses.
        return Some("IETF protocol assignments (2001::/23)");
    }
    if seg[0] == 0x2620 && seg[1] == 0x4f && seg[2] == 0x8000 {
        return Some("AS112 (2620:4f:8000::/48)");
    }
    if seg[0] & 0xfe00 == 0xfc00 {
        return Some("unique local (fc00::/7)");
    }
    if seg[0] & 0xffc0 == 0xfe80 {
        return Some("link-local (fe80::/10)");
    }
    if seg[0] & 0xffc0 == 0xfec0 {
        return Some("site-local (fec0::/10)");
    }
    if seg[0] & 0xff00 == 0xff00 {
        return Some("multicast (ff00::/8)");
    }
    // Everything outside global unicast 2000::/3 (discard prefix 100::/64, NAT64 local
    // use 64:ff9b:1::/48, unassigned space) is refused.
    if seg[0] & 0xe000 != 0x2000 {
        return Some("not global unicast IPv6");
    }
    None
}

/// The `host[:port]` entries that bypass the guard. A bare host allows every port.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    entries: Vec<(String, Option<u16>)>,
}

impl AllowList {
    pub fn new<S: AsRef<str>>(entries: &[S]) -> AllowList {
        let entries = entries
            .iter()
            .filter_map(|e| parse_entry(e.as_ref()))
            .collect();
        AllowList { entries }
    }

    /// Whether `host:port` (host as the URL prints it, IPv6 in brackets) is allowed.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = normalise_host(host);
        self.entries
            .iter()
            .any(|(h, p)| *h == host && p.is_none_or(|p| p == port))
    }

    /// Whether the host is listed at all (the resolver does not see ports).
    pub fn lists_host(&self, host: &str) -> bool {
        let host = normalise_host(host);
        self.entries.iter().any(|(h, _)| *h == host)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn normalise_host(host: &str) -> String {
    host.trim_end_matches('.')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

fn parse_entry(entry: &str) -> Option<(String, Option<u16>)> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    // Parse as a URL authority so `[::1]:8080`, `localhost`, `127.0.0.1:4001` all work.
    let url = Url::parse(&format!("http://{entry}/")).ok()?;
    let host = url.host_str()?;
    let explicit_port = entry
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .filter(|_| {
            // `::1` without brackets is not host:port.
            !entry.starts_with('[') || entry.contains("]:")
        });
    Some((normalise_host(host), explicit_port.or(url.port())))
}

fn blocked(url: &str, reason: impl Into<String>) -> ProviderError {
    ProviderError::blocked(url, reason)
}

/// Refuses what can be refused without DNS: schemes other than http(s), credentials in
/// the URL, ports outside `allowed_ports`, and IP-literal hosts in blocked ranges.
pub fn check_url(url: &Url, allow: &AllowList, allowed_ports: &[u16]) -> Result<(), ProviderError> {
    let shown = display_url(url);
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(blocked(
                &shown,
                format!("scheme {other:?} is not http or https"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(blocked(&shown, "URLs with credentials are not fetched"));
    }
    let Some(host) = url.host() else {
        return Err(blocked(&shown, "URL has no host"));
    };
    let port = url.port_or_known_default().unwrap_or(0);
    let host_text = match &host {
        Host::Domain(d) => d.to_string(),
        Host::Ipv4(ip) => ip.to_string(),
        Host::Ipv6(ip) => ip.to_string(),
    };
    if allow.allows(&host_text, port) {
        return Ok(());
    }
    if allow.lists_host(&host_text) {
        return Err(blocked(
            &shown,
            format!("host is allow-listed, but not on port {port}"),
        ));
    }
    if !allowed_ports.contains(&port) {
        return Err(blocked(&shown, format!("port {port} is not allowed")));
    }
    let literal = match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    };
    if let Some(ip) = literal
        && let Some(reason) = blocked_reason(ip)
    {
        return Err(blocked(&shown, format!("address {ip} is {reason}")));
    }
    Ok(())
}

/// The URL as errors show it: without credentials, query or fragment (a query string may
/// carry tokens).
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// The error a [`GuardedResolver`] returns; found again in reqwest's error chain so the
/// fetcher can report `Blocked` instead of a connection failure.
#[derive(Debug, thiserror::Error)]
// The reason (which names the addresses) is for the log, never the message: a user who
// reads the error must not learn what a name resolves to inside our network.
#[error("{host} resolves only to blocked addresses")]
pub struct BlockedAddress {
    pub host: String,
    pub reason: String,
}

/// A DNS resolver that drops every blocked address and fails when none is left.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl GuardedResolver {
    pub fn new(allow: Arc<AllowList>) -> Self {
        GuardedResolver { allow }
    }

    /// Resolves `host` and keeps only the addresses the guard accepts.
    pub async fn resolve_host(
        &self,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
        if self.allow.lists_host(host) {
            return Ok(addrs);
        }
        let mut reasons = Vec::new();
        let kept: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match blocked_reason(a.ip()) {
                Some(why) => {
                    reasons.push(format!("{} is {why}", a.ip()));
                    false
                }
                None => true,
            })
            .collect();
        if kept.is_empty() {
            let reason = if reasons.is_empty() {
                "no addresses".to_string()
            } else {
                reasons.join("; ")
            };
            return Err(Box::new(BlockedAddress {
                host: host.to_string(),
                reason,
            }));
        }
        Ok(kept)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = this.resolve_host(&host).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One address, and the reason it is refused (a word the reason must contain), or
    /// `None` for an address a fetch may dial.
    fn check(input: &str, expected: Option<&str>) {
        let ip: IpAddr = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        let got = blocked_reason(ip);
        match expected {
            None => assert_eq!(got, None, "{input} should pass"),
            Some(word) => assert!(
                got.is_some_and(|r| r.contains(word)),
                "{input}: expected a refusal naming {word:?}, got {got:?}"
            ),
        }
    }

    #[test]
    fn the_address_table() {
        // Whitespace ends the address; the rest of the line (before any `#`) is the word.
        for line in include_str!("ssrf_cases.txt").lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (input, word) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            match word.trim() {
                "-" => check(input, None),
                "" => panic!("{input}: no expected reason (\"-\" when it passes)"),
                word => check(input, Some(word)),
            }
        }
    }

    #[test]
    fn the_range_file_parses_and_bad_lines_are_refused() {
        let ranges = v4_ranges();
        assert_eq!(ranges.len(), 21);
        assert_eq!(
            ranges[0],
            (
                Ipv4Addr::new(168, 63, 129, 16),
                32,
                "Azure WireServer / DNS (168.63.129.16)".to_owned()
            )
        );
        let refused = |line: &str| parse_v4_ranges(line).is_err();
        assert!(refused("10.0.0.0/8"), "a range without its reason");
        assert!(refused("10.0.0.0 private"), "a range without its prefix");
        assert!(refused("10.0.0/8 private"), "a network of three octets");
        assert!(refused("10.0.0.0/33 private"), "a prefix longer than 32");
    }

    #[test]
    fn allow_list_entries() {
        let allow = AllowList::new(&["127.0.0.1:4001", "LocalHost", "[::1]:9000"]);
        assert!(allow.allows("127.0.0.1", 4001));
        assert!(!allow.allows("127.0.0.1", 4002));
        assert!(allow.allows("localhost", 1));
        assert!(allow.allows("localhost.", 80));
        assert!(allow.allows("[::1]", 9000));
        assert!(allow.allows("::1", 9000));
        assert!(!allow.allows("::1", 80));
    }
}
