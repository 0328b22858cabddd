//! Link layer decoders: Ethernet II / IEEE 802.3, 802.1Q and 802.1ad tags, IEEE 802.2 LLC (and
//! SNAP), spanning tree BPDUs, ARP, Linux cooked captures (SLL, SLL2) and BSD loopback.
//!
//! Each decoder takes the whole captured frame and the absolute byte range it may read, and
//! returns a [`Step`](netlayers_core::Step): the layers it decoded (every field with its absolute
//! range) and what follows, named by EtherType. Field keys, values and the rules for which fields
//! exist in a truncated frame follow tshark 4.0 (see shared/JSON-FIELDS.md).
//!
//! An IEEE 802.3 frame (a length where Ethernet II has a type) hands off [`Handoff::Llc`]; LLC
//! hands an information frame's data to its service access point ([`Handoff::Sap`], 0x42 for
//! the spanning tree) or, through SNAP, an EtherType.
//!
//! Layer kinds: Ethernet, VLAN tags, LLC, STP, SLL and loopback headers are [`LayerKind::Link`]. ARP is
//! [`LayerKind::Network`]: it is carried by the link layer (Wireshark shows it above Ethernet,
//! with its own EtherType) but the question it answers, "which MAC owns this IP address?", is
//! the glue between the network and link layers, and the tutorial lists it with the network
//! protocols.
//!
//! [`LayerKind::Link`]: netlayers_core::LayerKind::Link
//! [`Handoff::Llc`]: netlayers_core::Handoff::Llc
//! [`Handoff::Sap`]: netlayers_core::Handoff::Sap
//! [`LayerKind::Network`]: netlayers_core::LayerKind::Network
#![forbid(unsafe_code)]

use netlayers_core::FieldSpec;

/// Declares a field's static spec: key, label and explanation in English and Chinese.
macro_rules! spec {
    ($name:ident, $key:literal, $en:literal, $zh:literal, $why_en:literal, $why_zh:literal $(,)?) => {
        pub(crate) static $name: netlayers_core::FieldSpec = netlayers_core::FieldSpec::new(
            $key,
            netlayers_core::Text::new($en, $zh),
            netlayers_core::Text::new($why_en, $why_zh),
        );
    };
}

mod arp;
mod ethernet;
mod ethertype;
mod llc;
mod null;
mod sll;
mod stp;
mod vlan;

pub use arp::arp;
pub use ethernet::ethernet;
pub use ethertype::name as ethertype_name;
pub use llc::llc;
pub use null::null;
pub use sll::{linux_sll, linux_sll2};
pub use stp::stp;
pub use vlan::ethernet_vlan;

/// Every field spec this crate can emit.
pub static FIELDS: &[&FieldSpec] = &[
    &ethernet::DST,
    &ethernet::DST_LG,
    &ethernet::DST_IG,
    &ethernet::SRC,
    &ethernet::SRC_LG,
    &ethernet::SRC_IG,
    &ethernet::TYPE,
    &ethernet::LEN,
    &ethernet::INVALID_LENTYPE,
    &vlan::PRIORITY,
    &vlan::DEI,
    &vlan::ID,
    &vlan::ETYPE,
    &vlan::LEN,
    &vlan::AD_PRIORITY,
    &vlan::AD_DEI,
    &vlan::AD_ID,
    &vlan::AD_ETYPE,
    &arp::HW_TYPE,
    &arp::PROTO_TYPE,
    &arp::HW_SIZE,
    &arp::PROTO_SIZE,
    &arp::OPCODE,
    &arp::SRC_HW_MAC,
    &arp::SRC_HW,
    &arp::SRC_PROTO_IPV4,
    &arp::SRC_PROTO,
    &arp::DST_HW_MAC,
    &arp::DST_HW,
    &arp::DST_PROTO_IPV4,
    &arp::DST_PROTO,
    &arp::IS_GRATUITOUS,
    &arp::IS_PROBE,
    &arp::IS_ANNOUNCEMENT,
    &sll::PKTTYPE,
    &sll::HATYPE,
    &sll::HALEN,
    &sll::SRC_ETH,
    &sll::SRC_IPV4,
    &sll::SRC_OTHER,
    &sll::UNUSED,
    &sll::ETYPE,
    &sll::LTYPE,
    &sll::GRETYPE,
    &sll::IFINDEX,
    &sll::NETLINK_HATYPE,
    &sll::NETLINK_FAMILY,
    &null::FAMILY,
    &null::TYPE,
    &null::PPP_ADDRESS,
    &null::PPP_CONTROL,
    &null::PPP_PROTOCOL,
    &llc::DSAP,
    &llc::DSAP_SAP,
    &llc::DSAP_IG,
    &llc::SSAP,
    &llc::SSAP_SAP,
    &llc::SSAP_CR,
    &llc::CONTROL,
    &llc::N_R,
    &llc::N_S,
    &llc::POLL,
    &llc::FINAL,
    &llc::S_FTYPE,
    &llc::U_CMD,
    &llc::U_RESP,
    &llc::FTYPE,
    &llc::TYPE,
    &llc::OUI,
    &llc::PID,
    &llc::CISCO_PID,
    &stp::PROTOCOL,
    &stp::VERSION,
    &stp::TYPE,
    &stp::TYPE_UNKNOWN,
    &stp::FLAGS,
    &stp::FLAGS_TCACK,
    &stp::FLAGS_AGREEMENT,
    &stp::FLAGS_FORWARDING,
    &stp::FLAGS_LEARNING,
    &stp::FLAGS_PORT_ROLE,
    &stp::FLAGS_PROPOSAL,
    &stp::FLAGS_TC,
    &stp::ROOT_PRIO,
    &stp::ROOT_EXT,
    &stp::ROOT_HW,
    &stp::ROOT_COST,
    &stp::BRIDGE_PRIO,
    &stp::BRIDGE_EXT,
    &stp::BRIDGE_HW,
    &stp::PORT,
    &stp::MSG_AGE,
    &stp::MAX_AGE,
    &stp::HELLO,
    &stp::FORWARD,
    &stp::VERSION_1_LENGTH,
];

/// Test helper: every range a decoder returns lies in the frame, and every field that is on
/// the wire lies inside its layer.
#[cfg(test)]
pub(crate) fn check_ranges(s: &netlayers_core::Step, frame_len: usize) {
    assert!(s.payload.start <= s.payload.end && s.payload.end <= frame_len, "payload {:?}", s.payload);
    for l in &s.layers {
        assert!(l.range.start <= l.range.end && l.range.end <= frame_len, "layer {:?}", l.range);
        l.walk(&mut |f| {
            if f.generated {
                assert_eq!(f.range, 0..0, "{}", f.key());
            } else {
                assert!(
                    l.range.start <= f.range.start && f.range.start <= f.range.end && f.range.end <= l.range.end,
                    "{} at {:?} outside its layer {:?}",
                    f.key(),
                    f.range,
                    l.range
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::{DecodeCtx, Handoff, Step, Value};

    #[test]
    fn every_spec_is_listed_once_and_explained_in_both_languages() {
        let mut keys: Vec<&str> = FIELDS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
        for s in FIELDS {
            assert!(!s.label.en.is_empty() && !s.label.zh.is_empty(), "{} has no label", s.key);
            assert!(!s.explain.en.is_empty() && !s.explain.zh.is_empty(), "{} has no explanation", s.key);
            assert!(s.key.contains('.'), "{} is not a display-filter name", s.key);
        }
    }

    /// Follows EtherType hand-offs the way the stack crate does, for the protocols of this crate.
    fn chain(frame: &[u8], first: Step) -> Vec<netlayers_core::Layer> {
        let mut layers = Vec::new();
        let mut step = first;
        loop {
            layers.append(&mut step.layers);
            let at = step.payload.clone();
            step = match step.next {
                Handoff::EtherType(0x0806) => arp(frame, at, DecodeCtx::default()),
                Handoff::EtherType(t @ (0x8100 | 0x88a8 | 0x9100)) => ethernet_vlan(frame, at, t, DecodeCtx::default()),
                _ => return layers,
            };
        }
    }

    #[test]
    fn frames_built_by_etherparse_decode_back() {
        use etherparse::{ArpHardwareId, ArpOperation, ArpPacket, EtherType, PacketBuilder};
        let arp_packet = ArpPacket::new(
            ArpHardwareId::ETHERNET,
            EtherType::IPV4,
            ArpOperation::REPLY,
            &[2, 0x77, 0, 0, 0, 0x0b],
            &[10, 77, 0, 2],
            &[2, 0x77, 0, 0, 0, 0x0a],
            &[10, 77, 0, 1],
        )
        .expect("valid ARP");
        let builder = PacketBuilder::ethernet2([2, 0x77, 0, 0, 0, 0x0b], [2, 0x77, 0, 0, 0, 0x0a])
            .double_vlan(100.try_into().expect("vid"), 200.try_into().expect("vid"))
            .arp(arp_packet);
        let mut frame = Vec::new();
        builder.write(&mut frame).expect("write");
        let layers = chain(&frame, ethernet(&frame, 0..frame.len(), DecodeCtx::default()));
        let protocols: Vec<_> = layers.iter().map(|l| l.protocol).collect();
        // etherparse writes the outer tag of a double tag as an 802.1ad service tag (0x88a8).
        assert_eq!(protocols, ["eth", "ieee8021ad", "vlan", "arp"]);
        let first = |key: &str| layers.iter().find_map(|l| l.find(key)).map(|f| f.value.clone());
        // So vlan.id is the customer tag and the service tag is ieee8021ad.id, as in tshark.
        assert_eq!(first("vlan.id"), Some(Value::UInt(200)));
        assert_eq!(first("ieee8021ad.id"), Some(Value::UInt(100)));
        assert_eq!(first("eth.type").and_then(|v| v.as_u64()), Some(0x88a8));
        assert_eq!(layers[3].info.as_deref(), Some("10.77.0.2 is at 02:77:00:00:00:0b"));
        let mut end = 0;
        for l in &layers {
            assert!(l.range.start >= end, "layers overlap");
            end = l.range.end;
        }
        assert_eq!(end, frame.len());
    }
}
