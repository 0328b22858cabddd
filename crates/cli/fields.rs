//! Every name the display filter accepts: each decoder crate's field keys, and the protocol names
//! (`tcp`, `dns` …) that stand for a whole layer.

use std::collections::HashSet;
use std::sync::OnceLock;

use netlayers_core::FieldSpec;

/// Layer protocol names, including those whose fields are spelled differently or that have none.
const PROTOCOLS: &[&str] = &[
    "frame", "phy", "eth", "vlan", "ieee8021ad", "llc", "stp", "sll", "null", "ppp", "netlink", "arp", "ip", "ipv6", "icmp",
    "icmpv6", "igmp", "tcp", "udp", "dns", "http", "ssh", "ftp", "smtp", "pop", "data",
];

fn names() -> &'static HashSet<&'static str> {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let lists: [&[&FieldSpec]; 9] = [
            netlayers_stack::decap::FIELDS,
            netlayers_stack::physical::FIELDS,
            netlayers_link::FIELDS,
            netlayers_network::FIELDS,
            netlayers_transport::FIELDS,
            netlayers_app::FIELDS,
            netlayers_analyze::FIELDS,
            netlayers_analyze::expert::FIELDS,
            netlayers_analyze::echo::FIELDS,
        ];
        let mut s: HashSet<&'static str> = PROTOCOLS.iter().copied().collect();
        for spec in lists.into_iter().flatten() {
            s.insert(spec.key);
            // `dns.qry.name` makes `dns` a protocol name too.
            if let Some((proto, _)) = spec.key.split_once('.') {
                s.insert(proto);
            }
        }
        s
    })
}

/// Whether a decoder can emit this field (or layer): the check `Filter::compile` asks for.
pub fn known_field(name: &str) -> bool {
    names().contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn knows_fields_and_protocols() {
        for k in ["tcp", "tcp.flags.syn", "ip.src", "dns.qry.name", "frame.number", "eth.src", "udp.stream", "tcp.stream"] {
            assert!(known_field(k), "{k}");
        }
        assert!(!known_field("tcp.prot"));
        assert!(!known_field(""));
    }
}
