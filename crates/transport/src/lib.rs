//! Transport layer decoders: TCP and UDP.
//!
//! The network layer delivers a packet to a host; the transport layer delivers it to one
//! process on that host, named by its port. A process that talks over the network is found by
//! the triple (IP address, protocol, port): the address picks the host, the protocol (TCP or UDP)
//! picks the transport, the port picks the socket.
//!
//! Each decoder takes the whole captured frame, the absolute range it may read and the
//! pseudo-header the IP layer hands over (addresses and the length IP promises), and returns a
//! [`Step`](netlayers_core::Step) handing the payload on by ports. Field keys, values and which
//! fields exist in a truncated or quoted header follow tshark 4.0.
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

mod tcp;
mod udp;

pub use tcp::{flag_string, next_seq, options_field, push_flag_names, push_flag_string, tcp, tcp_relative, tcp_relative_scaled, tcp_window_scale, WindowScale, MAX_WSCALE_SHIFT};
pub use udp::{udp, udp_checksum_status};

/// What checking a transport checksum found. The numbers are Wireshark's
/// `tcp.checksum.status` / `udp.checksum.status` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The value the sender should have written.
    Bad { expected: u16 },
    Good,
    /// Not all the covered bytes were captured, or the length fields disagree.
    Unverified,
    /// UDP over IPv4 with checksum 0: the sender chose not to compute one.
    NotPresent,
    /// UDP over IPv6 with checksum 0, which IPv6 forbids.
    Illegal,
}

impl Verdict {
    /// Wireshark's status code and its name.
    fn status(self) -> (u8, &'static str) {
        match self {
            Verdict::Bad { .. } => (0, "Bad"),
            Verdict::Good => (1, "Good"),
            Verdict::Unverified => (2, "Unverified"),
            Verdict::NotPresent => (3, "Not present"),
            Verdict::Illegal => (4, "Illegal"),
        }
    }
}

/// A checksum field with its generated status child, as Wireshark shows it.
pub(crate) fn checksum_field(
    spec: &'static FieldSpec,
    status: &'static FieldSpec,
    value: u16,
    range: Range<usize>,
    verdict: Verdict,
) -> Field {
    let (code, name) = verdict.status();
    let mut f = Field::new(spec, Value::Hex { value: value.into(), digits: 4 }, range);
    f.display = Some(match verdict {
        Verdict::Good => format!("0x{value:04x} [correct]"),
        Verdict::Bad { expected } => {
            f.notes.push(Note::new(
                Severity::Error,
                "checksum.bad",
                format!(
                    "Bad checksum: 0x{value:04x} incorrect, should be 0x{expected:04x} (on the sending host this is \
                     usually checksum offload: the network card fills it in after the capture)"
                ),
                format!(
                    "校验和错误:0x{value:04x} 不正确,应为 0x{expected:04x}(在发送端抓包时,这通常是校验和卸载造成的:\
                     网卡在抓包之后才填入校验和)"
                ),
            ));
            format!("0x{value:04x} incorrect, should be 0x{expected:04x}")
        }
        Verdict::Unverified => format!("0x{value:04x} [unverified]"),
        Verdict::NotPresent => format!("0x{value:04x} [zero-value ignored]"),
        Verdict::Illegal => {
            f.notes.push(Note::new(
                Severity::Error,
                "checksum.illegal",
                "Illegal checksum value (0): UDP over IPv6 must carry a checksum",
                "非法的校验和值(0):IPv6 上的 UDP 必须携带校验和",
            ));
            format!("0x{value:04x} [illegal]")
        }
    });
    f.children.push(Field::generated(status, Value::Enum { value: code.into(), name: Some(name) }));
    f
}

/// The sum a sender computes over the pseudo-header and the segment, with the checksum field
/// (at the even offset `at` of `segment`) counted as zero. Splitting at an even offset keeps the
/// 16-bit words aligned.
pub(crate) fn expected_checksum(pseudo: &netlayers_core::PseudoHeader, segment: &[u8], at: usize) -> u16 {
    use netlayers_core::checksum::{finish, ones_sum, pseudo_sum};
    let head = segment.get(..at).unwrap_or(segment);
    let tail = segment.get(at + 2..).unwrap_or(&[]);
    finish(ones_sum(ones_sum(pseudo_sum(pseudo, segment.len()), head), tail))
}

/// Every field spec this crate can emit.
pub static FIELDS: &[&FieldSpec] = &[
    &tcp::SRCPORT,
    &tcp::DSTPORT,
    &tcp::LEN,
    &tcp::SEQ,
    &tcp::SEQ_RAW,
    &tcp::NXTSEQ,
    &tcp::ACK,
    &tcp::ACK_RAW,
    &tcp::HDR_LEN,
    &tcp::FLAGS,
    &tcp::FLAG_RES,
    &tcp::FLAG_AE,
    &tcp::FLAG_CWR,
    &tcp::FLAG_ECE,
    &tcp::FLAG_URG,
    &tcp::FLAG_ACK,
    &tcp::FLAG_PUSH,
    &tcp::FLAG_RESET,
    &tcp::FLAG_SYN,
    &tcp::FLAG_FIN,
    &tcp::FLAGS_STR,
    &tcp::WINDOW,
    &tcp::WINDOW_SIZE,
    &tcp::WINDOW_SCALEFACTOR,
    &tcp::CHECKSUM,
    &tcp::CHECKSUM_STATUS,
    &tcp::URGENT,
    &tcp::OPTIONS,
    &tcp::OPTION_KIND,
    &tcp::OPTION_LEN,
    &tcp::OPT_EOL,
    &tcp::OPT_NOP,
    &tcp::OPT_MSS,
    &tcp::OPT_MSS_VAL,
    &tcp::OPT_WSCALE,
    &tcp::OPT_WSCALE_SHIFT,
    &tcp::OPT_WSCALE_MULT,
    &tcp::OPT_SACK_PERM,
    &tcp::OPT_SACK,
    &tcp::OPT_SACK_LE,
    &tcp::OPT_SACK_RE,
    &tcp::OPT_SACK_COUNT,
    &tcp::OPT_ECHO,
    &tcp::OPT_ECHO_VALUE,
    &tcp::OPT_TIMESTAMP,
    &tcp::OPT_TSVAL,
    &tcp::OPT_TSECR,
    &tcp::OPT_MD5,
    &tcp::OPT_MD5_DIGEST,
    &tcp::OPT_USER_TO,
    &tcp::OPT_USER_TO_GRANULARITY,
    &tcp::OPT_USER_TO_VAL,
    &tcp::OPT_TFO,
    &tcp::OPT_TFO_REQUEST,
    &tcp::OPT_TFO_COOKIE,
    &tcp::OPT_EXPERIMENTAL,
    &tcp::OPT_EXP_EXID,
    &tcp::OPT_EXP_DATA,
    &tcp::OPT_UNKNOWN,
    &tcp::OPT_UNKNOWN_PAYLOAD,
    &tcp::PAYLOAD,
    &udp::SRCPORT,
    &udp::DSTPORT,
    &udp::LENGTH,
    &udp::CHECKSUM,
    &udp::CHECKSUM_STATUS,
    &udp::PAYLOAD,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_explained() {
        let mut keys: Vec<&str> = FIELDS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
        for s in FIELDS {
            assert!(s.key.starts_with("tcp.") || s.key.starts_with("udp."), "{}", s.key);
            assert!(!s.label.en.is_empty() && !s.label.zh.is_empty(), "{}", s.key);
            assert!(!s.explain.en.is_empty() && !s.explain.zh.is_empty(), "{}", s.key);
        }
    }

    #[test]
    fn port_fields_name_the_process_triple() {
        for s in [&tcp::SRCPORT, &tcp::DSTPORT, &udp::SRCPORT, &udp::DSTPORT] {
            assert!(s.explain.en.contains("IP address, protocol, port"), "{}", s.key);
            assert!(s.explain.zh.contains("IP 地址、协议、端口"), "{}", s.key);
        }
    }
}
