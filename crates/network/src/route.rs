//! An IPv4 routing table: where a packet goes next, chosen by longest-prefix match
//! (RFC 1812 section 5.2.4.3).
//!
//! Each route names a destination network (address and prefix length), the gateway to hand the
//! packet to (none for a network the interface is attached to: the destination itself is the
//! next hop), and the interface to send on. Of the routes whose network contains the
//! destination, the one with the longest prefix wins: `10.0.2.0/24` beats `10.0.0.0/16`, which
//! beats the default route `0.0.0.0/0`. Two routes with the same prefix: the first added wins.

use std::fmt;
use std::net::Ipv4Addr;

/// The netmask of a prefix length (`24` → 255.255.255.0); lengths over 32 count as 32.
pub fn netmask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// Whether `ip` is in the network `net`/`prefix`.
pub fn in_network(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let m = netmask(prefix);
    u32::from(ip) & m == u32::from(net) & m
}

/// One line of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The network, with the host bits cleared.
    pub network: Ipv4Addr,
    pub prefix: u8,
    /// `None`: the network is on the interface's link (a connected route).
    pub gateway: Option<Ipv4Addr>,
    pub interface: usize,
}

impl Route {
    pub fn new(network: Ipv4Addr, prefix: u8, gateway: Option<Ipv4Addr>, interface: usize) -> Route {
        let prefix = prefix.min(32);
        Route { network: Ipv4Addr::from(u32::from(network) & netmask(prefix)), prefix, gateway, interface }
    }

    /// The address to resolve with ARP for a packet to `dst`: the gateway, or `dst` itself.
    pub fn next_hop(&self, dst: Ipv4Addr) -> Ipv4Addr {
        self.gateway.unwrap_or(dst)
    }
}

/// As `ip route` prints it: `10.0.2.0/24 via 10.0.12.2 if 1`, `default via 10.0.1.254 if 0`.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == 0 {
            write!(f, "default")?;
        } else {
            write!(f, "{}/{}", self.network, self.prefix)?;
        }
        match self.gateway {
            Some(g) => write!(f, " via {g} if {}", self.interface),
            None => write!(f, " connected if {}", self.interface),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingTable {
    routes: Vec<Route>,
}

impl RoutingTable {
    pub fn add(&mut self, route: Route) {
        self.routes.push(route);
    }

    /// The route for `dst`: the longest prefix that contains it; `None` when nothing does
    /// (no default route): the sender gets "network unreachable".
    pub fn lookup(&self, dst: Ipv4Addr) -> Option<&Route> {
        // `rev` so that, of equal prefixes, max_by_key returns the first added.
        self.routes.iter().rev().filter(|r| in_network(dst, r.network, r.prefix)).max_by_key(|r| r.prefix)
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn the_longest_matching_prefix_wins_whatever_the_order() {
        let routes = [
            Route::new(ip("0.0.0.0"), 0, Some(ip("10.0.1.254")), 0),
            Route::new(ip("10.0.0.0"), 16, Some(ip("10.0.1.253")), 0),
            Route::new(ip("10.0.2.77"), 24, Some(ip("10.0.12.2")), 1),
            Route::new(ip("10.0.2.128"), 25, None, 2),
            Route::new(ip("10.0.1.0"), 24, None, 0),
        ];
        for rotate in 0..routes.len() {
            let mut t = RoutingTable::default();
            let mut rs = routes.to_vec();
            rs.rotate_left(rotate);
            rs.into_iter().for_each(|r| t.add(r));
            let via = |d: &str| t.lookup(ip(d)).map(|r| (r.network, r.prefix));
            assert_eq!(via("10.0.2.5"), Some((ip("10.0.2.0"), 24)), "rotation {rotate}");
            assert_eq!(via("10.0.2.200"), Some((ip("10.0.2.128"), 25)));
            assert_eq!(via("10.0.1.9"), Some((ip("10.0.1.0"), 24)));
            assert_eq!(via("10.0.99.1"), Some((ip("10.0.0.0"), 16)));
            assert_eq!(via("192.168.0.1"), Some((ip("0.0.0.0"), 0)));
        }
        let mut t = RoutingTable::default();
        t.add(Route::new(ip("10.0.1.0"), 24, None, 0));
        assert_eq!(t.lookup(ip("10.0.2.1")), None, "no default route: unreachable");
        let r = t.lookup(ip("10.0.1.7")).unwrap();
        assert_eq!(r.next_hop(ip("10.0.1.7")), ip("10.0.1.7"));
    }

    #[test]
    fn equal_prefixes_keep_the_first_and_display_like_ip_route() {
        let mut t = RoutingTable::default();
        t.add(Route::new(ip("10.0.2.0"), 24, Some(ip("10.0.12.2")), 1));
        t.add(Route::new(ip("10.0.2.0"), 24, Some(ip("10.0.13.2")), 2));
        t.add(Route::new(ip("0.0.0.0"), 0, Some(ip("10.0.1.254")), 0));
        let r = t.lookup(ip("10.0.2.1")).unwrap();
        assert_eq!(r.gateway, Some(ip("10.0.12.2")));
        assert_eq!(r.to_string(), "10.0.2.0/24 via 10.0.12.2 if 1");
        assert_eq!(t.routes()[2].to_string(), "default via 10.0.1.254 if 0");
        assert_eq!(Route::new(ip("10.0.1.9"), 24, None, 0).to_string(), "10.0.1.0/24 connected if 0");
        assert_eq!((netmask(0), netmask(24), netmask(32), netmask(40)), (0, 0xffff_ff00, u32::MAX, u32::MAX));
    }
}
