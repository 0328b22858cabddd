//! Application layer decoders, chosen by port (as tshark does) and first line.
//!
//! The transport hands over a payload and its two ports. As in tshark, the lower port is tried
//! first, then the higher; a port's protocol decides alone (an HTTP port whose payload is not a
//! request or status line is a `Continuation`, handed on as data). On other TCP ports HTTP is still recognised by its
//! first line (tshark's heuristic). Which side speaks — request or response, client or server —
//! follows from which port matched: a segment sent TO the service's port is a request.
//!
//! | transport | port | protocol |
//! |---|---|---|
//! | UDP, TCP | 53 | DNS (over TCP with a 2-byte length) |
//! | UDP | 5353 / 5355 | mDNS / LLMNR (DNS messages) |
//! | UDP | 1900 | SSDP (HTTP over UDP) |
//! | TCP | 80, 631, 1900, 2710, 2869, 3128, 3132, 3689, 5985, 8080, 8088, 11371 | HTTP |
//! | TCP | 22 / 21 / 25, 587 / 110 | SSH / FTP / SMTP / POP3 |
#![forbid(unsafe_code)]

use std::ops::Range;

use netlayers_core::{DecodeCtx, FieldSpec, Step, Transport};

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

mod data;
mod dns;
mod http;
mod lines;

pub use data::data;

/// The protocol a port stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Dns(dns::Flavor),
    DnsTcp,
    Http,
    Ssdp,
    Ssh,
    Ftp,
    Smtp,
    Pop,
}

/// tshark 4.0's default port table for the protocols decoded here.
fn by_port(transport: Transport, port: u16) -> Option<App> {
    use Transport::{Tcp, Udp};
    Some(match (transport, port) {
        (Udp, 53) => App::Dns(dns::Flavor::Dns),
        (Tcp, 53) => App::DnsTcp,
        (Udp, 5353) => App::Dns(dns::Flavor::Mdns),
        (Udp, 5355) => App::Dns(dns::Flavor::Llmnr),
        (Udp, 1900) => App::Ssdp,
        (Tcp, 80 | 631 | 1900 | 2710 | 2869 | 3128 | 3132 | 3689 | 5985 | 8080 | 8088 | 11371) => App::Http,
        (Tcp, 22) => App::Ssh,
        (Tcp, 21) => App::Ftp,
        (Tcp, 25 | 587) => App::Smtp,
        (Tcp, 110) => App::Pop,
        _ => return None,
    })
}

/// Decodes the application payload of a TCP or UDP segment, if a decoder claims it; `None`
/// means the stack shows it as data.
pub fn decode(frame: &[u8], at: Range<usize>, ctx: DecodeCtx, transport: Transport, src: u16, dst: u16) -> Option<Step> {
    if at.is_empty() {
        return None;
    }
    let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
    for port in [lo, hi] {
        let Some(app) = by_port(transport, port) else { continue };
        let to_service = dst == port;
        return match app {
            App::Dns(flavor) => Some(dns::udp(frame, at, ctx, flavor)),
            App::DnsTcp => Some(dns::tcp(frame, at, ctx)),
            App::Http => http::http(frame, at, ctx, http::Carrier::TcpPort),
            App::Ssdp => http::http(frame, at, ctx, http::Carrier::Ssdp),
            App::Ssh => Some(lines::ssh(frame, at, ctx, !to_service)),
            App::Ftp => Some(lines::ftp(frame, at, ctx, to_service)),
            App::Smtp => Some(lines::smtp(frame, at, ctx, to_service)),
            App::Pop => Some(lines::pop(frame, at, ctx, to_service)),
        };
    }
    if transport == Transport::Tcp {
        return http::http(frame, at, ctx, http::Carrier::TcpHeuristic);
    }
    None
}

/// What [`decode`] would do with a payload, told without decoding it (for the packet list's
/// fast path, which shows the common cases straight from the bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No decoder takes it: the payload is data.
    Data,
    /// An HTTP port's segment that does not start a message: an HTTP `Continuation`, with a
    /// data layer after it when `body` (bytes after its header-like lines); `lines` when it
    /// starts with such lines (without them, the HTTP layer has no fields and the data layer
    /// holds the whole payload).
    HttpContinuation { body: bool, lines: bool },
    /// A decoder takes it (DNS, an HTTP message, SSH …).
    Decoder,
}

/// The choice [`decode`] makes for this payload, by the same port table and first line.
pub fn claim(transport: Transport, src: u16, dst: u16, payload: &[u8]) -> Claim {
    if payload.is_empty() {
        return Claim::Data;
    }
    let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
    for port in [lo, hi] {
        match by_port(transport, port) {
            None => continue,
            Some(App::Http) if !http::starts_message(payload) => {
                let from = http::continuation_lines(payload, |_| {});
                return Claim::HttpContinuation { body: from < payload.len(), lines: from > 0 };
            }
            Some(_) => return Claim::Decoder,
        }
    }
    if transport == Transport::Tcp && http::starts_message(payload) {
        return Claim::Decoder;
    }
    Claim::Data
}

/// Every field spec this crate can emit.
pub static FIELDS: &[&FieldSpec] = &[
    &dns::LENGTH,
    &dns::ID,
    &dns::FLAGS,
    &dns::FLAG_RESPONSE,
    &dns::FLAG_OPCODE,
    &dns::FLAG_AUTHORITATIVE,
    &dns::FLAG_CONFLICT,
    &dns::FLAG_TRUNCATED,
    &dns::FLAG_RECDESIRED,
    &dns::FLAG_TENTATIVE,
    &dns::FLAG_RECAVAIL,
    &dns::FLAG_Z,
    &dns::FLAG_AUTHENTICATED,
    &dns::FLAG_CHECKDISABLE,
    &dns::FLAG_RCODE,
    &dns::COUNT_QUERIES,
    &dns::COUNT_ANSWERS,
    &dns::COUNT_AUTH,
    &dns::COUNT_ADD,
    &dns::COUNT_ZONES,
    &dns::COUNT_PREREQUISITES,
    &dns::COUNT_UPDATES,
    &dns::QUERY,
    &dns::QRY_NAME,
    &dns::QRY_NAME_LEN,
    &dns::COUNT_LABELS,
    &dns::QRY_TYPE,
    &dns::QRY_CLASS,
    &dns::QRY_QU,
    &dns::ANSWER,
    &dns::AUTHORITY,
    &dns::ADDITIONAL,
    &dns::RESP_NAME,
    &dns::RESP_TYPE,
    &dns::RESP_CLASS,
    &dns::RESP_CACHE_FLUSH,
    &dns::RESP_TTL,
    &dns::RESP_LEN,
    &dns::A,
    &dns::AAAA,
    &dns::CNAME,
    &dns::NS,
    &dns::PTR,
    &dns::MX_PREFERENCE,
    &dns::MX_EXCHANGE,
    &dns::TXT_LENGTH,
    &dns::TXT,
    &dns::SOA_MNAME,
    &dns::SOA_RNAME,
    &dns::SOA_SERIAL,
    &dns::SOA_REFRESH,
    &dns::SOA_RETRY,
    &dns::SOA_EXPIRE,
    &dns::SOA_MINIMUM,
    &dns::SRV_SERVICE,
    &dns::SRV_PROTO,
    &dns::SRV_NAME,
    &dns::SRV_PRIORITY,
    &dns::SRV_WEIGHT,
    &dns::SRV_PORT,
    &dns::SRV_TARGET,
    &dns::OPT_UDP_SIZE,
    &dns::OPT_EXT_RCODE,
    &dns::OPT_VERSION,
    &dns::OPT_Z,
    &dns::OPT_DO,
    &dns::RDATA,
    &http::REQUEST,
    &http::RESPONSE,
    &http::METHOD,
    &http::URI,
    &http::REQ_VERSION,
    &http::RESP_VERSION,
    &http::CODE,
    &http::PHRASE,
    &http::FULL_URI,
    &http::REQ_LINE,
    &http::RESP_LINE,
    &http::HOST,
    &http::USER_AGENT,
    &http::ACCEPT,
    &http::ACCEPT_ENCODING,
    &http::ACCEPT_LANGUAGE,
    &http::CONTENT_TYPE,
    &http::CONTENT_LENGTH_HEADER,
    &http::CONTENT_LENGTH,
    &http::CONTENT_ENCODING,
    &http::TRANSFER_ENCODING,
    &http::SERVER,
    &http::CONNECTION,
    &http::COOKIE,
    &http::SET_COOKIE,
    &http::REFERER,
    &http::AUTHORIZATION,
    &http::WWW_AUTHENTICATE,
    &http::LOCATION,
    &http::CACHE_CONTROL,
    &http::DATE,
    &http::LAST_MODIFIED,
    &http::UPGRADE,
    &http::X_FORWARDED_FOR,
    &http::UNKNOWN_HEADER,
    &http::FILE_DATA,
    &lines::SSH_PROTOCOL,
    &lines::SSH_DIRECTION,
    &lines::SSH_PACKET_LENGTH_ENCRYPTED,
    &lines::SSH_ENCRYPTED_PACKET,
    &lines::FTP_REQUEST,
    &lines::FTP_RESPONSE,
    &lines::FTP_COMMAND,
    &lines::FTP_ARG,
    &lines::FTP_CODE,
    &lines::FTP_ARG_RESP,
    &lines::SMTP_REQ,
    &lines::SMTP_RSP,
    &lines::SMTP_COMMAND_LINE,
    &lines::SMTP_COMMAND,
    &lines::SMTP_PARAMETER,
    &lines::SMTP_RESPONSE,
    &lines::SMTP_CODE,
    &lines::SMTP_RSP_PARAMETER,
    &lines::POP_REQUEST,
    &lines::POP_COMMAND,
    &lines::POP_PARAMETER,
    &lines::POP_RESPONSE,
    &lines::POP_INDICATOR,
    &lines::POP_DESCRIPTION,
    &data::DATA,
    &data::LEN,
];

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::Layer;
    use proptest::prelude::*;

    #[test]
    fn keys_are_unique_and_explained() {
        let mut keys: Vec<&str> = FIELDS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is listed twice");
        for s in FIELDS {
            assert!(!s.label.en.is_empty() && !s.label.zh.is_empty(), "{}", s.key);
            assert!(!s.explain.en.is_empty() && !s.explain.zh.is_empty(), "{}", s.key);
        }
    }

    fn top(s: &Option<Step>) -> Option<&Layer> {
        s.as_ref().and_then(|s| s.layers.last())
    }

    #[test]
    fn dispatch_by_port() {
        let q = [0x12, 0x34, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let p = |t, s, d| decode(&q, 0..q.len(), DecodeCtx::default(), t, s, d);
        assert_eq!(top(&p(Transport::Udp, 40000, 53)).map(|l| l.protocol), Some("dns"));
        assert_eq!(top(&p(Transport::Udp, 53, 40000)).map(|l| l.protocol), Some("dns"));
        assert_eq!(top(&p(Transport::Udp, 5353, 5353)).map(|l| l.protocol), Some("mdns"));
        assert_eq!(top(&p(Transport::Udp, 50000, 5355)).map(|l| l.protocol), Some("llmnr"));
        assert!(p(Transport::Udp, 40000, 5000).is_none());
        // The empty payload is never claimed.
        assert!(decode(&q, 3..3, DecodeCtx::default(), Transport::Udp, 1, 53).is_none());

        let get = b"GET / HTTP/1.1\r\n\r\n";
        let h = |t, s, d| decode(get, 0..get.len(), DecodeCtx::default(), t, s, d);
        assert_eq!(top(&h(Transport::Tcp, 40000, 80)).map(|l| l.protocol), Some("http"));
        assert_eq!(top(&h(Transport::Tcp, 40000, 12345)).map(|l| l.protocol), Some("http"), "heuristic");
        assert_eq!(top(&h(Transport::Udp, 50000, 1900)).map(|l| l.display_name), Some("SSDP"));
        assert!(h(Transport::Udp, 50000, 80).is_none(), "no HTTP over UDP 80");
        // A port's protocol decides: GET to the FTP port is an FTP command.
        assert_eq!(top(&h(Transport::Tcp, 40000, 21)).map(|l| l.protocol), Some("ftp"));
        // Lower port first: 53 beats 80.
        assert_eq!(top(&h(Transport::Tcp, 80, 53)).map(|l| l.protocol), Some("dns"));
        // Non-HTTP payload on port 80: the continuation of a message, shown as data.
        let s = decode(b"\x00\x01", 0..2, DecodeCtx::default(), Transport::Tcp, 40000, 80);
        assert_eq!(s.map(|s| s.next), Some(netlayers_core::Handoff::Data));

        let banner = b"SSH-2.0-x\r\n";
        let s = decode(banner, 0..banner.len(), DecodeCtx::default(), Transport::Tcp, 22, 40000);
        assert_eq!(top(&s).and_then(|l| l.info.as_deref()), Some("Server: Protocol (SSH-2.0-x)"));
        let s = decode(b"USER x\r\n", 0..8, DecodeCtx::default(), Transport::Tcp, 40000, 110);
        assert_eq!(top(&s).and_then(|l| l.info.as_deref()), Some("C: USER x"));
        let s = decode(b"220 hi\r\n", 0..8, DecodeCtx::default(), Transport::Tcp, 587, 40000);
        assert_eq!(top(&s).and_then(|l| l.info.as_deref()), Some("S: 220 hi"));
    }

    proptest! {
        #[test]
        fn arbitrary_payload_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), sp in prop::sample::select(vec![21u16, 22, 25, 53, 80, 110, 1900, 5353, 5355, 40000]), dp in prop::sample::select(vec![21u16, 22, 53, 80, 12345]), udp in any::<bool>()) {
            let t = if udp { Transport::Udp } else { Transport::Tcp };
            if let Some(s) = decode(&bytes, 0..bytes.len(), DecodeCtx::default(), t, sp, dp) {
                for l in &s.layers {
                    prop_assert!(l.range.end <= bytes.len());
                    l.walk(&mut |f| assert!(f.range.end <= bytes.len()));
                    prop_assert!(!l.info.clone().unwrap_or_default().chars().any(char::is_control));
                    prop_assert!(!l.title.chars().any(char::is_control));
                }
            }
        }
    }
}
