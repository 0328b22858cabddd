//! Network layer decoders: IPv4 (with options), IPv6 (with extension headers), ICMP, ICMPv6
//! (with neighbour discovery) and IGMP; and the IPv4 routing table ([`route`]) the simulator's
//! hosts and routers use.
//!
//! Each decoder takes the whole captured frame and the absolute byte range it may read, and
//! returns a [`Step`](netlayers_core::Step). IP hands off its payload by protocol number with the
//! pseudo-header the transport checksum needs; ICMP and ICMPv6 errors hand off the packet they
//! quote, which the stack decodes again one level deeper. Field keys, values and which fields
//! exist in a truncated packet follow tshark 4.0 (see shared/JSON-FIELDS.md).
//!
//! Every layer here is [`LayerKind::Network`](netlayers_core::LayerKind::Network): ICMP and IGMP
//! ride inside IP packets but serve IP itself (error reports, diagnostics, group membership),
//! which is why the five-layer model files them with IP.
#![forbid(unsafe_code)]

use std::ops::Range;

use netlayers_core::{Field, FieldSpec, Note, Severity, Value};

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

pub mod fragments;
mod icmp;
mod icmpv6;
mod igmp;
mod ipproto;
mod ipv4;
mod ipv6;
pub mod route;

pub use icmp::icmp;
pub use icmpv6::icmpv6;
pub use igmp::igmp;
pub use ipproto::name as ip_protocol_name;
pub use ipv4::ipv4;
pub use ipv6::ipv6;

/// What checking a checksum found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Good,
    /// The value the sender should have written.
    Bad { expected: u16 },
    /// Not all the covered bytes were captured (or the packet is a fragment).
    Unverified,
}

/// A checksum field with its generated status child, as Wireshark shows it: "Good", or "Bad"
/// with a note giving the value the field should hold.
pub(crate) fn checksum_field(
    spec: &'static FieldSpec,
    status: &'static FieldSpec,
    value: u16,
    range: Range<usize>,
    verdict: Verdict,
) -> Field {
    let (code, name) = match verdict {
        Verdict::Bad { .. } => (0, "Bad"),
        Verdict::Good => (1, "Good"),
        Verdict::Unverified => (2, "Unverified"),
    };
    let mut f = Field::new(spec, Value::Hex { value: value.into(), digits: 4 }, range);
    // `0x1c46 [correct]`
    let mut display = String::with_capacity(40);
    display.push_str("0x");
    netlayers_core::text::push_hex4(&mut display, value);
    match verdict {
        Verdict::Good => {
            display.push_str(" [correct]");
            f.display = Some(display);
        }
        Verdict::Bad { expected } => {
            display.push_str(" incorrect, should be 0x");
            netlayers_core::text::push_hex4(&mut display, expected);
            f.display = Some(display);
            f.notes.push(Note::new(
                Severity::Error,
                "checksum.bad",
                format!("Bad checksum: 0x{value:04x} incorrect, should be 0x{expected:04x}"),
                format!("校验和错误:0x{value:04x} 不正确,应为 0x{expected:04x}"),
            ));
        }
        Verdict::Unverified => {
            display.push_str(" [unverified]");
            f.display = Some(display);
        }
    }
    f.children.push(Field::generated(status, Value::Enum { value: code, name: Some(name) }));
    f
}

/// Every field spec this crate can emit.
pub static FIELDS: &[&FieldSpec] = &[
    &ipv4::VERSION,
    &ipv4::HDR_LEN,
    &ipv4::DSFIELD,
    &ipv4::DSCP,
    &ipv4::ECN,
    &ipv4::LEN,
    &ipv4::ID,
    &ipv4::FLAGS,
    &ipv4::FLAG_RB,
    &ipv4::FLAG_DF,
    &ipv4::FLAG_MF,
    &ipv4::FRAG_OFFSET,
    &ipv4::TTL,
    &ipv4::PROTO,
    &ipv4::CHECKSUM,
    &ipv4::CHECKSUM_STATUS,
    &ipv4::SRC,
    &ipv4::DST,
    &ipv4::CUR_RT,
    &ipv4::OPT_TYPE,
    &ipv4::OPT_TYPE_COPY,
    &ipv4::OPT_TYPE_CLASS,
    &ipv4::OPT_TYPE_NUMBER,
    &ipv4::OPT_LEN,
    &ipv4::OPT_PTR,
    &ipv4::OPT_RA,
    &ipv4::OPT_OVERFLOW,
    &ipv4::OPT_FLAG,
    &ipv4::OPT_TIME_STAMP,
    &ipv4::OPT_TIME_STAMP_ADDR,
    &ipv4::OPT_SID,
    &ipv4::OPT_MTU,
    &ipv4::REC_RT,
    &ipv4::SRC_RT,
    &ipv4::EMPTY_RT,
    &ipv4::OPTION_EOL,
    &ipv4::OPTION_NOP,
    &ipv4::OPTION_SECURITY,
    &ipv4::OPTION_LSRR,
    &ipv4::OPTION_TIMESTAMP,
    &ipv4::OPTION_EXT_SECURITY,
    &ipv4::OPTION_CIPSO,
    &ipv4::OPTION_RR,
    &ipv4::OPTION_SID,
    &ipv4::OPTION_SSRR,
    &ipv4::OPTION_MTU_PROBE,
    &ipv4::OPTION_MTU_REPLY,
    &ipv4::OPTION_TRACEROUTE,
    &ipv4::OPTION_ROUTER_ALERT,
    &ipv4::OPTION_SDB,
    &ipv4::OPTION_QS,
    &ipv4::OPTION_UNKNOWN,
    &ipv6::VERSION,
    &ipv6::TCLASS,
    &ipv6::TCLASS_DSCP,
    &ipv6::TCLASS_ECN,
    &ipv6::FLOW,
    &ipv6::PLEN,
    &ipv6::NXT,
    &ipv6::HLIM,
    &ipv6::SRC,
    &ipv6::DST,
    &ipv6::HOPOPTS,
    &ipv6::HOPOPTS_NXT,
    &ipv6::HOPOPTS_LEN,
    &ipv6::HOPOPTS_LEN_OCT,
    &ipv6::DSTOPTS,
    &ipv6::DSTOPTS_NXT,
    &ipv6::DSTOPTS_LEN,
    &ipv6::DSTOPTS_LEN_OCT,
    &ipv6::OPT,
    &ipv6::OPT_TYPE,
    &ipv6::OPT_TYPE_ACTION,
    &ipv6::OPT_TYPE_CHANGE,
    &ipv6::OPT_TYPE_REST,
    &ipv6::OPT_LENGTH,
    &ipv6::OPT_PAD1,
    &ipv6::OPT_PADN,
    &ipv6::OPT_ROUTER_ALERT,
    &ipv6::OPT_JUMBO,
    &ipv6::OPT_TEL,
    &ipv6::OPT_UNKNOWN,
    &ipv6::ROUTING,
    &ipv6::ROUTING_NXT,
    &ipv6::ROUTING_LEN,
    &ipv6::ROUTING_LEN_OCT,
    &ipv6::ROUTING_TYPE,
    &ipv6::ROUTING_SEGLEFT,
    &ipv6::ROUTING_SRC_RESERVED,
    &ipv6::ROUTING_SRC_ADDR,
    &ipv6::ROUTING_MIPV6_RESERVED,
    &ipv6::ROUTING_MIPV6_HOME_ADDRESS,
    &ipv6::ROUTING_SRH_LAST_ENTRY,
    &ipv6::ROUTING_SRH_FLAGS,
    &ipv6::ROUTING_SRH_TAG,
    &ipv6::ROUTING_SRH_ADDR,
    &ipv6::ROUTING_DATA,
    &ipv6::FRAGHDR,
    &ipv6::FRAGHDR_NXT,
    &ipv6::FRAGHDR_RESERVED_OCTET,
    &ipv6::FRAGHDR_OFFSET,
    &ipv6::FRAGHDR_RESERVED_BITS,
    &ipv6::FRAGHDR_MORE,
    &ipv6::FRAGHDR_IDENT,
    &fragments::V4_FRAGMENTS,
    &fragments::V4_FRAGMENT,
    &fragments::V4_OVERLAP,
    &fragments::V4_OVERLAP_CONFLICT,
    &fragments::V4_MULTIPLE_TAILS,
    &fragments::V4_TOO_LONG,
    &fragments::V4_COUNT,
    &fragments::V4_REASSEMBLED_IN,
    &fragments::V4_REASSEMBLED_LENGTH,
    &fragments::V4_REASSEMBLED_DATA,
    &fragments::V6_FRAGMENTS,
    &fragments::V6_FRAGMENT,
    &fragments::V6_OVERLAP,
    &fragments::V6_OVERLAP_CONFLICT,
    &fragments::V6_MULTIPLE_TAILS,
    &fragments::V6_TOO_LONG,
    &fragments::V6_COUNT,
    &fragments::V6_REASSEMBLED_IN,
    &fragments::V6_REASSEMBLED_LENGTH,
    &fragments::V6_REASSEMBLED_DATA,
    &icmp::TYPE,
    &icmp::CODE,
    &icmp::CHECKSUM,
    &icmp::CHECKSUM_STATUS,
    &icmp::IDENT,
    &icmp::IDENT_LE,
    &icmp::SEQ,
    &icmp::SEQ_LE,
    &icmp::UNUSED,
    &icmp::LENGTH,
    &icmp::LENGTH_ORIGINAL_DATAGRAM,
    &icmp::MTU,
    &icmp::POINTER,
    &icmp::REDIR_GW,
    &icmp::NUM_ADDRS,
    &icmp::ADDR_ENTRY_SIZE,
    &icmp::LIFETIME,
    &icmp::ROUTER_ADDRESS,
    &icmp::PREF_LEVEL,
    &icmp::ORIGINATE_TIMESTAMP,
    &icmp::RECEIVE_TIMESTAMP,
    &icmp::TRANSMIT_TIMESTAMP,
    &icmp::ADDRESS_MASK,
    &icmpv6::TYPE,
    &icmpv6::CODE,
    &icmpv6::CHECKSUM,
    &icmpv6::CHECKSUM_STATUS,
    &icmpv6::RESERVED,
    &icmpv6::MTU,
    &icmpv6::POINTER,
    &icmpv6::ECHO_IDENTIFIER,
    &icmpv6::ECHO_SEQUENCE,
    &icmpv6::NS_TARGET,
    &icmpv6::NA_FLAG,
    &icmpv6::NA_FLAG_R,
    &icmpv6::NA_FLAG_S,
    &icmpv6::NA_FLAG_O,
    &icmpv6::NA_FLAG_RSV,
    &icmpv6::NA_TARGET,
    &icmpv6::RA_CUR_HOP_LIMIT,
    &icmpv6::RA_FLAG,
    &icmpv6::RA_FLAG_M,
    &icmpv6::RA_FLAG_O,
    &icmpv6::RA_FLAG_H,
    &icmpv6::RA_FLAG_PRF,
    &icmpv6::RA_FLAG_P,
    &icmpv6::RA_FLAG_RSV,
    &icmpv6::RA_ROUTER_LIFETIME,
    &icmpv6::RA_REACHABLE_TIME,
    &icmpv6::RA_RETRANS_TIMER,
    &icmpv6::RD_TARGET,
    &icmpv6::RD_DESTINATION,
    &icmpv6::MLD_MRD,
    &icmpv6::MLD_MULTICAST_ADDRESS,
    &icmpv6::MLDR_NB_MCAST_RECORDS,
    &icmpv6::MLDR_MAR,
    &icmpv6::MLDR_MAR_RECORD_TYPE,
    &icmpv6::MLDR_MAR_AUX_DATA_LEN,
    &icmpv6::MLDR_MAR_NB_SOURCES,
    &icmpv6::MLDR_MAR_MULTICAST_ADDRESS,
    &icmpv6::MLDR_MAR_SOURCE_ADDRESS,
    &icmpv6::OPT,
    &icmpv6::OPT_TYPE,
    &icmpv6::OPT_LENGTH,
    &icmpv6::OPT_LINKADDR,
    &icmpv6::OPT_SRC_LINKADDR,
    &icmpv6::OPT_TARGET_LINKADDR,
    &icmpv6::OPT_PREFIX_LENGTH,
    &icmpv6::OPT_PREFIX_FLAG,
    &icmpv6::OPT_PREFIX_FLAG_L,
    &icmpv6::OPT_PREFIX_FLAG_A,
    &icmpv6::OPT_PREFIX_FLAG_R,
    &icmpv6::OPT_PREFIX_FLAG_RESERVED,
    &icmpv6::OPT_PREFIX_VALID_LIFETIME,
    &icmpv6::OPT_PREFIX_PREFERRED_LIFETIME,
    &icmpv6::OPT_PREFIX,
    &icmpv6::OPT_RESERVED,
    &icmpv6::OPT_MTU,
    &icmpv6::OPT_RDNSS_LIFETIME,
    &icmpv6::OPT_RDNSS,
    &icmpv6::OPT_DATA,
    &igmp::VERSION,
    &igmp::TYPE,
    &igmp::MAX_RESP,
    &igmp::MAX_RESP_EXP,
    &igmp::MAX_RESP_MANT,
    &igmp::RESERVED,
    &igmp::CHECKSUM,
    &igmp::CHECKSUM_STATUS,
    &igmp::MADDR,
    &igmp::S,
    &igmp::QRV,
    &igmp::QQIC,
    &igmp::NUM_SRC,
    &igmp::SADDR,
    &igmp::NUM_GRP_RECS,
    &igmp::RECORD_TYPE,
    &igmp::AUX_DATA_LEN,
    &igmp::AUX_DATA,
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
}
