//! Whatever tree a decoder hands over (odd ranges, hostile text, deep nesting), every renderer
//! finishes, writes valid UTF-8 and valid JSON, and lets no control byte through.

mod fixtures;

use netlayers_core::{Field, FieldSpec, Lang, Layer, LayerKind, Note, Severity, Value};
use netlayers_render::{hexdump, json, table_header, table_row, tree, FrameView};
use proptest::prelude::*;

static SPECS: &[&FieldSpec] = &[
    &fixtures::ETH_SRC,
    &fixtures::IP_SRC,
    &fixtures::IP_DST,
    &fixtures::IP_FLAGS,
    &fixtures::IP_DF,
    &fixtures::UDP_SRCPORT,
    &fixtures::DATA_TEXT,
    &fixtures::IPV6_SRC,
];
const KINDS: [LayerKind; 5] =
    [LayerKind::Physical, LayerKind::Link, LayerKind::Network, LayerKind::Transport, LayerKind::Application];
const PROTOCOLS: [&str; 6] = ["frame", "eth", "ip", "ipv6", "udp", "data"];

/// Text with a good share of terminal controls (`any::<String>()` leaves controls out).
fn text() -> impl Strategy<Value = String> {
    let nasty = prop::sample::select(vec!['\x1b', '\x07', '\r', '\n', '\t', '\0', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}', '\\', '"']);
    proptest::collection::vec(prop_oneof![any::<char>(), nasty], 0..16).prop_map(|cs| cs.into_iter().collect())
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::UInt),
        (any::<u64>(), 0u8..20).prop_map(|(value, digits)| Value::Hex { value, digits }),
        (any::<u64>(), proptest::option::of(Just("Name"))).prop_map(|(value, name)| Value::Enum { value, name }),
        any::<[u8; 6]>().prop_map(Value::Mac),
        any::<[u8; 4]>().prop_map(|o| Value::Ipv4(o.into())),
        any::<[u8; 16]>().prop_map(|o| Value::Ipv6(o.into())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        text().prop_map(Value::Text),
        Just(Value::None),
    ]
}

fn range() -> impl Strategy<Value = std::ops::Range<usize>> {
    // Includes empty, reversed and out-of-frame ranges: renderers must cope.
    (0usize..80, 0usize..80).prop_map(|(a, b)| a..b)
}

fn field() -> impl Strategy<Value = Field> {
    let leaf = (0..SPECS.len(), value(), range(), proptest::option::of(any::<u64>()), proptest::option::of(text()), any::<bool>())
        .prop_map(|(s, v, r, mask, display, generated)| {
            let mut f = Field::new(SPECS[s], v, r);
            f.mask = mask;
            f.display = display;
            f.generated = generated;
            f
        });
    leaf.prop_recursive(3, 24, 4, |inner| {
        (inner.clone(), proptest::collection::vec(inner, 0..4), proptest::option::of(text())).prop_map(
            |(f, children, note)| {
                let mut f = f.with_children(children);
                if let Some(n) = note {
                    f.notes.push(Note::new(Severity::Warn, "x", n.clone(), n));
                }
                f
            },
        )
    })
}

fn layer() -> impl Strategy<Value = Layer> {
    (0..KINDS.len(), 0..PROTOCOLS.len(), range(), text(), proptest::option::of(text()), proptest::collection::vec(field(), 0..5), 0u8..3)
        .prop_map(|(k, p, r, title, info, fields, depth)| {
            let mut l = Layer::new(KINDS[k], PROTOCOLS[p], PROTOCOLS[p], r);
            l.title = title;
            l.info = info;
            l.fields = fields;
            l.depth = depth;
            l
        })
}

fn check_terminal_safe(what: &str, out: &[u8]) -> Result<(), TestCaseError> {
    let s = std::str::from_utf8(out).map_err(|e| TestCaseError::fail(format!("{what}: not UTF-8: {e}")))?;
    prop_assert!(
        !s.chars().any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "{what}: control character in {s:?}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_tree_renders_safely(
        layers in proptest::collection::vec(layer(), 0..6),
        data in proptest::collection::vec(any::<u8>(), 0..70),
        number in any::<u64>(),
        rel_time in -1e9f64..1e9,
        orig_len in any::<u32>(),
    ) {
        let view = FrameView { number, rel_time, orig_len, cap_len: data.len(), layers: &layers };
        for lang in [Lang::En, Lang::Zh] {
            let mut buf = Vec::new();
            table_header(&mut buf, lang, false);
            table_row(&mut buf, &view, false);
            check_terminal_safe("table", &buf)?;
            prop_assert_eq!(buf.iter().filter(|&&b| b == b'\n').count(), 2, "header and one row");

            for explain in [false, true] {
                let mut buf = Vec::new();
                tree(&mut buf, &view, &data, lang, explain, false);
                check_terminal_safe("tree", &buf)?;
            }
            let mut buf = Vec::new();
            hexdump(&mut buf, &view, &data, lang, false);
            check_terminal_safe("hexdump", &buf)?;
        }
        let mut buf = Vec::new();
        json(&mut buf, &view);
        let s = String::from_utf8(buf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(s.ends_with('\n') && s.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&s).map_err(|e| TestCaseError::fail(format!("{e}: {s}")))?;
        prop_assert_eq!(v["frame.number"].as_u64(), Some(number));
        // Coloured output never panics either.
        let mut buf = Vec::new();
        table_row(&mut buf, &view, true);
        tree(&mut buf, &view, &data, Lang::En, true, true);
        hexdump(&mut buf, &view, &data, Lang::Zh, true);
        prop_assert!(std::str::from_utf8(&buf).is_ok());
    }
}
