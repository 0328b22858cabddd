//! Parser and matcher tests on hand-built layers (the end-to-end tshark comparison is
//! tests/filter.rs at the workspace root).

use std::net::{Ipv4Addr, Ipv6Addr};

use netlayers_core::{Field, FieldSpec, Layer, LayerKind, Lang, Text, Value};
use proptest::prelude::*;

use crate::{Conversations, Filter};

macro_rules! specs {
    ($($name:ident = $key:literal),* $(,)?) => {
        $(static $name: FieldSpec = FieldSpec::new($key, Text::new("", ""), Text::new("", ""));)*
        static ALL: &[&FieldSpec] = &[$(&$name),*];
    };
}
specs! {
    ETH_SRC = "eth.src", ETH_DST = "eth.dst", IP_SRC = "ip.src", IP_DST = "ip.dst", IP_TTL = "ip.ttl",
    IP_FLAGS = "ip.flags", IP_DF = "ip.flags.df", V6_SRC = "ipv6.src", V6_DST = "ipv6.dst",
    TCP_SP = "tcp.srcport", TCP_DP = "tcp.dstport", TCP_FLAGS = "tcp.flags", TCP_SEQ = "tcp.seq_raw",
    TCP_ACK = "tcp.ack_raw", TCP_PAYLOAD = "tcp.payload", UDP_SP = "udp.srcport", UDP_DP = "udp.dstport",
    UDP_CK = "udp.checksum", DNS_NAME = "dns.qry.name", ICMP_TYPE = "icmp.type",
    IP_CUR_RT = "ip.cur_rt", IP_OPTIONS = "ip.options", IP_SSRR = "ip.options.ssrr",
}

fn known(k: &str) -> bool {
    ALL.iter().any(|s| s.key == k)
        || crate::FIELDS.iter().any(|s| s.key == k)
        || ["eth", "ip", "ipv6", "tcp", "udp", "dns", "icmp", "frame"].contains(&k)
}

fn compile(e: &str) -> Filter {
    Filter::compile(e, &known).unwrap_or_else(|err| panic!("{e}: {err}"))
}

fn err(e: &str) -> crate::FilterError {
    Filter::compile(e, &known).expect_err(e)
}

fn layer(proto: &'static str, depth: u8, fields: Vec<Field>) -> Layer {
    let mut l = Layer::new(LayerKind::Network, proto, "X", 0..0);
    l.fields = fields;
    l.depth = depth;
    l
}

fn f(spec: &'static FieldSpec, v: Value) -> Field {
    Field::new(spec, v, 0..0)
}

fn ipv4(src: [u8; 4], dst: [u8; 4], depth: u8) -> Layer {
    layer(
        "ip",
        depth,
        vec![
            f(&IP_TTL, Value::UInt(64)),
            f(&IP_FLAGS, Value::Hex { value: 2, digits: 2 }).with_children(vec![f(&IP_DF, Value::Bool(true))]),
            f(&IP_SRC, Value::Ipv4(Ipv4Addr::from(src))),
            f(&IP_DST, Value::Ipv4(Ipv4Addr::from(dst))),
        ],
    )
}

fn tcp(sp: u64, dp: u64, flags: u64, seq: u64, ack: u64) -> Layer {
    layer(
        "tcp",
        0,
        vec![
            f(&TCP_SP, Value::UInt(sp)),
            f(&TCP_DP, Value::UInt(dp)),
            f(&TCP_SEQ, Value::UInt(seq)),
            f(&TCP_ACK, Value::UInt(ack)),
            f(&TCP_FLAGS, Value::Hex { value: flags, digits: 3 }),
        ],
    )
}

fn udp(sp: u64, dp: u64, depth: u8) -> Layer {
    layer("udp", depth, vec![f(&UDP_SP, Value::UInt(sp)), f(&UDP_DP, Value::UInt(dp)), f(&UDP_CK, Value::Hex { value: 0, digits: 4 })])
}

/// Ethernet, IPv4 10.0.0.1 → 10.0.0.2, TCP 1234 → 80 SYN, payload "GET / HTTP/1.1".
fn http_syn() -> Vec<Layer> {
    let mut t = tcp(1234, 80, 0x002, 1000, 0);
    t.fields.push(f(&TCP_PAYLOAD, Value::Bytes(b"GET / HTTP/1.1".to_vec())));
    vec![
        layer("eth", 0, vec![f(&ETH_DST, Value::Mac([0xff; 6])), f(&ETH_SRC, Value::Mac([0, 0x11, 0x22, 0x33, 0x44, 0x55]))]),
        ipv4([10, 0, 0, 1], [10, 0, 0, 2], 0),
        t,
    ]
}

/// IPv4 10.0.0.2 → 10.0.0.1 ICMP port unreachable quoting UDP 10.0.0.1:5000 → 10.0.0.2:6000.
fn icmp_error() -> Vec<Layer> {
    vec![
        ipv4([10, 0, 0, 2], [10, 0, 0, 1], 0),
        layer("icmp", 0, vec![f(&ICMP_TYPE, Value::UInt(3))]),
        ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1),
        udp(5000, 6000, 1),
    ]
}

fn dns(name: &str) -> Vec<Layer> {
    vec![
        layer(
            "ipv6",
            0,
            vec![f(&V6_SRC, Value::Ipv6("fd00::1".parse().unwrap())), f(&V6_DST, Value::Ipv6(Ipv6Addr::LOCALHOST))],
        ),
        udp(3333, 53, 0),
        layer("dns", 0, vec![f(&DNS_NAME, Value::Text(name.to_string()))]),
    ]
}

fn m(e: &str, layers: &[Layer]) -> bool {
    compile(e).matches(layers)
}

#[test]
fn presence_of_protocols_and_fields() {
    let h = http_syn();
    assert!(m("tcp", &h) && m("ip", &h) && m("tcp.flags", &h) && m("ip.flags.df", &h));
    assert!(!m("udp", &h) && !m("dns", &h) && !m("dns.qry.name", &h));
    // A packet quoted in an ICMP error counts, as in Wireshark.
    assert!(m("udp", &icmp_error()) && m("udp.port == 6000", &icmp_error()));
}

#[test]
fn relations_on_numbers_booleans_addresses() {
    let h = http_syn();
    for yes in [
        "tcp.port == 80", "tcp.port == 1234", "tcp.dstport eq 80", "tcp.dstport == 0x50", "tcp.dstport == 0120",
        "tcp.srcport > 1000", "tcp.srcport >= 1234", "tcp.srcport le 1234", "tcp.srcport lt 1235", "ip.ttl ge 64",
        "ip.flags.df == 1", "ip.flags.df == True", "ip.flags.df", "tcp.flags == 0x002",
        "ip.addr == 10.0.0.1", "ip.addr == 10.0.0.0/24", "ip.src == 10.0.0.1/32", "ip.dst > 10.0.0.1",
        "eth.addr == ff:ff:ff:ff:ff:ff", "eth.src == 00-11-22-33-44-55", "eth.src == 0011.2233.4455",
        "tcp.payload contains \"GET\"", "tcp.payload contains 47:45:54", "tcp.payload matches \"^GET /\"",
        "tcp.payload == \"GET / HTTP/1.1\"", "tcp.srcport > tcp.dstport", "tcp.port in {80, 443}",
        "tcp.port in {80 443}", "tcp.port in {1..100}", "tcp.port in {1 .. 100}", "ip.addr in {10.0.0.2..10.0.0.9}",
    ] {
        assert!(m(yes, &h), "{yes}");
    }
    for no in [
        "tcp.port == 81", "tcp.port != 80", "ip.flags.df == 0", "ip.flags.df == False", "ip.addr == 10.0.1.0/24",
        "eth.src == 00:11:22:33:44:56", "tcp.payload contains \"get\"", "tcp.port in {81, 443}", "tcp.port in {1..79}",
        "tcp.srcport < tcp.dstport", "ip.ttl gt 64", "ip.addr === 10.0.0.1", "tcp.payload matches \"^HTTP\"",
    ] {
        assert!(!m(no, &h), "{no}");
    }
}

#[test]
fn not_equal_follows_tshark_4_0() {
    let h = http_syn();
    // `!=` is "the field occurs and no occurrence equals": ip.addr has 10.0.0.1 as source.
    assert!(!m("ip.addr != 10.0.0.1", &h));
    assert!(m("ip.addr != 10.9.9.9", &h));
    // A field that is absent never satisfies `!=` …
    assert!(!m("udp.port != 53", &h));
    // … while the negation of `==` does.
    assert!(m("!(udp.port == 53)", &h));
    // `~=` / `!==`: some occurrence differs.
    assert!(m("ip.addr ~= 10.0.0.1", &h) && m("ip.addr !== 10.0.0.1", &h));
    assert!(m("ip.ttl === 64", &h) && !m("ip.addr === 10.0.0.1", &h));
    // The quoted packet's addresses count as occurrences too.
    assert!(!m("ip.src != 10.0.0.1", &icmp_error()));
}

#[test]
fn text_fields() {
    let d = dns("Example.com");
    assert!(m("dns.qry.name == \"Example.com\"", &d) && m("dns.qry.name == Example.com", &d));
    assert!(!m("dns.qry.name == \"example.com\"", &d));
    assert!(m("dns.qry.name contains \"ample\"", &d) && !m("dns.qry.name contains \"AMPLE\"", &d));
    assert!(!m("dns.qry.name matches \"^ex\"", &d) && m("dns.qry.name matches \"(?i)^ex\"", &d));
    assert!(m("dns.qry.name matches \"\\\\.com$\"", &d));
    assert!(m("dns.qry.name < \"F\"", &d));
    assert!(m("ipv6.addr == ::1", &d) && m("ipv6.src == fd00::/8", &d) && !m("ipv6.addr == fe80::/10", &d));
    assert!(m("udp.port in {53}", &d));
}

#[test]
fn precedence_and_grouping() {
    let h = http_syn();
    // && binds tighter than ||: `a || b && c` is `a || (b && c)`.
    assert!(m("tcp || udp && dns", &h));
    assert!(!m("(tcp || udp) && dns", &h));
    assert!(m("udp && dns || tcp", &h));
    assert!(m("not udp and tcp", &h) && !m("not (udp or tcp)", &h));
    assert!(m("!!tcp", &h) && !m("! ! ! tcp", &h));
    assert!(m("((tcp.port == 80))", &h));
    assert!(m("tcp.port==80&&ip.ttl==64", &h));
}

#[test]
fn protocol_bytes_need_the_frame() {
    let mut h = http_syn();
    h[2].range = 34..54;
    let data: Vec<u8> = (0..40u8).chain(*b"GET / ").collect();
    h[2].range = 34..data.len();
    let f = compile("tcp contains \"GET\"");
    assert!(f.matches_frame(&h, &data));
    assert!(!f.matches(&h), "without the bytes a protocol has no value to compare");
}

/// (expression, byte column of the caret (1-based), words the message must hold)
const ERRORS: &[(&str, usize, &str)] = &[
    // Values of the wrong kind for the field, as tshark rejects them.
    ("ip.addr == foo", 12, "\"foo\" is not a valid IPv4 address"),
    ("eth.src == 1.2.3.4", 12, "not a valid Ethernet address"),
    ("ip.ttl == 300", 11, "too big for this field, maximum 255"),
    ("tcp.port in {80 http}", 17, "\"http\" is not a valid number"),
    ("ip.src == \"10.0.0.1\"", 11, "write 10.0.0.1 without the quotes"),
    ("ipv6.dst == 10.0.0.1", 13, "not a valid IPv6 address"),
    ("tcp.prot == 80", 1, "unknown field \"tcp.prot\" (did you mean tcp.port?)"),
    ("TCP.port == 80", 1, "did you mean tcp.port?"),
    ("ip.ttll", 1, "did you mean ip.ttl?"),
    ("frobnicate", 1, "unknown field \"frobnicate\""),
    ("", 1, "expected a field name"),
    ("   ", 4, "but the filter ends here"),
    ("tcp.port ==", 12, "expected a value after =="),
    ("tcp.port == 80 &&", 18, "expected a field name"),
    ("tcp.port 80", 10, "expected an operator"),
    ("tcp.port == 80 udp", 16, "expected && or ||"),
    ("(tcp.port == 80", 1, "never closed"),
    ("(tcp.port == 80 udp)", 17, "expected &&, || or \")\""),
    ("tcp.port in {80, 443", 13, "never closed"),
    ("tcp.port in 80", 13, "expected \"{\" after in"),
    ("tcp.port in {}", 14, "expected a value or \"}\""),
    ("tcp.port in {80,}", 17, "expected a value after \",\""),
    ("tcp.port in {..5}", 14, "bad range"),
    ("dns.qry.name matches foo", 22, "quoted regular expression"),
    ("dns.qry.name matches \"(\"", 22, "bad regular expression"),
    ("dns.qry.name == \"abc", 17, "closing quote"),
    ("tcp.port == 80 $ 1", 16, "unexpected character '$'"),
    ("80 == tcp.port", 1, "put the field first"),
    ("== 80", 1, "expected a field name"),
    ("tcp.port == 80 )", 16, "found \")\""),
    ("and tcp", 1, "expected a field name"),
];

#[test]
fn every_error_has_its_column_and_reason() {
    for &(e, col, words) in ERRORS {
        let x = err(e);
        assert_eq!(x.column(), col, "{e}: {}", x.message(Lang::En));
        assert!(x.message(Lang::En).contains(words), "{e}: {:?}", x.message(Lang::En));
        assert!(!x.message(Lang::Zh).is_empty());
        // The caret line puts its first ^ under the column.
        let r = x.render(Lang::En);
        let caret = r.lines().nth(2).expect("three lines");
        assert_eq!(caret.find('^'), Some(col + 1), "{e}: {r}");
    }
}

#[test]
fn error_rendering() {
    let x = err("tcp.prot == 80");
    assert_eq!(x.to_string(), "bad filter: unknown field \"tcp.prot\" (did you mean tcp.port?)\n  tcp.prot == 80\n  ^^^^^^^^");
    let x = err("dns.qry.name == \"名字");
    assert_eq!(x.column(), 17);
    assert!(x.render(Lang::Zh).starts_with("过滤表达式有误:字符串缺少结尾的双引号"));
    // A newline inside the expression does not break the caret's line.
    let x = err("tcp.port ==\n80 $");
    assert_eq!(x.render(Lang::En).lines().count(), 3);
}

/// A strict source route: the header's destination field is the current hop (`ip.cur_rt`), and
/// `ip.dst` is the route's last address, inside the options after the addresses.
#[test]
fn endpoints_of_a_source_route() {
    let route = f(&IP_SSRR, Value::None).with_children(vec![f(&IP_DST, Value::Ipv4(Ipv4Addr::new(10, 0, 0, 9)))]);
    let l = layer(
        "ip",
        0,
        vec![
            f(&IP_SRC, Value::Ipv4(Ipv4Addr::new(10, 0, 0, 1))),
            f(&IP_CUR_RT, Value::Ipv4(Ipv4Addr::new(10, 0, 0, 5))),
            f(&IP_OPTIONS, Value::None).with_children(vec![route]),
        ],
    );
    let ends = crate::ip_endpoints(&l);
    assert_eq!(ends, Some((Ipv4Addr::new(10, 0, 0, 1).into(), Ipv4Addr::new(10, 0, 0, 9).into())));
    assert_eq!(crate::ip_endpoints(&ipv4([1, 2, 3, 4], [5, 6, 7, 8], 0)), Some(([1, 2, 3, 4].into(), [5, 6, 7, 8].into())));
}

#[test]
fn conversations_number_streams_like_tshark() {
    let mut c = Conversations::new();
    let mut frame = |src: [u8; 4], dst: [u8; 4], t: Layer| {
        let mut l = vec![ipv4(src, dst, 0), t];
        c.annotate(&mut l);
        l[1].find("tcp.stream").or(l[1].find("udp.stream")).and_then(|f| f.value.as_u64())
    };
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    assert_eq!(frame(a, b, tcp(1000, 80, 0x02, 100, 0)), Some(0));
    assert_eq!(frame(b, a, tcp(80, 1000, 0x12, 500, 101)), Some(0));
    assert_eq!(frame(a, b, tcp(1000, 80, 0x02, 100, 0)), Some(0), "retransmitted SYN");
    assert_eq!(frame(a, b, tcp(1000, 80, 0x02, 900, 0)), Some(1), "port reuse with a new ISN");
    assert_eq!(frame(b, a, tcp(80, 1000, 0x12, 7, 901)), Some(1));
    assert_eq!(frame(a, b, udp(1000, 53, 0)), Some(0));
    assert_eq!(frame(b, a, udp(53, 1000, 0)), Some(0));
    assert_eq!(frame(a, b, tcp(2000, 80, 0x10, 5, 50)), Some(2));
    assert_eq!(frame(b, a, tcp(80, 2000, 0x02, 49, 0)), Some(2), "base set by the other side's ACK");
    assert_eq!(frame(b, a, tcp(80, 2000, 0x02, 77, 0)), Some(3));
    assert_eq!(frame(a, b, udp(1000, 54, 0)), Some(1));
    assert_eq!(c.counts(), (4, 2));
    // The quoted UDP of an ICMP error is numbered; the field goes after udp.checksum.
    let mut l = icmp_error();
    c.annotate(&mut l);
    let keys: Vec<&str> = l[3].fields.iter().map(|f| f.key()).collect();
    assert_eq!(keys, ["udp.srcport", "udp.dstport", "udp.checksum", "udp.stream"]);
    assert_eq!(l[3].find("udp.stream").map(|f| f.value.clone()), Some(Value::UInt(2)));
    assert!(l[3].find("udp.stream").is_some_and(|f| f.generated));
    // Annotating twice adds nothing.
    c.annotate(&mut l);
    assert_eq!(l[3].fields.len(), 4);
    // And tcp.stream sits right after the ports.
    let mut l = vec![ipv4(a, b, 0), tcp(1, 2, 0x02, 0, 0)];
    c.annotate(&mut l);
    assert_eq!(l[1].fields[2].key(), "tcp.stream");
    assert!(compile("tcp.stream == 4").matches(&l));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        if let Err(e) = Filter::compile(&s, &known) {
            let _ = e.render(Lang::En);
            let _ = e.render(Lang::Zh);
            prop_assert!(e.span.start <= s.len());
        }
    }
    #[test]
    fn filter_like_strings_never_panic(s in "[a-z. =!<>&|(){}\",0-9:/-]{0,40}") {
        match Filter::compile(&s, &known) {
            Ok(f) => { let _ = f.matches_frame(&http_syn(), b"GET"); }
            Err(e) => { let _ = e.render(Lang::En); }
        }
    }
}
