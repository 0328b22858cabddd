//! The compiled filter tree and its evaluation over a frame's layers.
//!
//! Literals are parsed once, at compile time, into every form a field's value could need (number,
//! boolean, address with mask, MAC, byte string, text): a field's type is only known when its
//! value is met, and matching then costs no allocation.

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr};

use netlayers_core::{Field, Layer, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`, `eq`, `any_eq`: some occurrence equals.
    Eq,
    /// `!=`, `ne`, `all_ne` (Wireshark 4.0): the field occurs and no occurrence equals.
    AllNe,
    /// `===`, `all_eq`: the field occurs and every occurrence equals.
    AllEq,
    /// `~=`, `!==`, `any_ne`: some occurrence differs.
    AnyNe,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
}

/// The keys a field name stands for (two for `ip.addr`, `tcp.port` …).
#[derive(Debug, Clone)]
pub struct FieldRef {
    keys: Box<[Box<str>]>,
}

impl FieldRef {
    pub fn new(keys: &[&str]) -> FieldRef {
        FieldRef { keys: keys.iter().map(|k| Box::<str>::from(*k)).collect() }
    }
    fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| &**k == key)
    }
}

#[derive(Debug, Clone)]
pub enum Rhs {
    Lit(Literal),
    Field(FieldRef),
    Regex(regex::bytes::Regex),
}

#[derive(Debug, Clone)]
pub enum SetItem {
    One(Literal),
    Range(Literal, Literal),
}

#[derive(Debug, Clone)]
pub enum Node {
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Exists(FieldRef),
    Cmp { lhs: FieldRef, op: Op, rhs: Rhs },
    In { lhs: FieldRef, items: Vec<SetItem> },
}

/// A value as written in the filter, in every form a field could want it.
#[derive(Debug, Clone, Default)]
pub struct Literal {
    /// For text fields: the string's bytes, or the unquoted word itself.
    text: Vec<u8>,
    num: Option<u64>,
    boolean: Option<bool>,
    v4: Option<(u32, u32)>,
    v6: Option<(u128, u128)>,
    mac: Option<[u8; 6]>,
    /// For byte fields: `47:45:54`, `47-45-54`, `4745.54`, `474554`; a quoted string's bytes.
    bytes: Option<Vec<u8>>,
    /// Written in double quotes: text, never checked against a field's kind.
    quoted: bool,
}

fn parse_num(w: &str) -> Option<u64> {
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok();
    }
    if let Some(b) = w.strip_prefix("0b").or_else(|| w.strip_prefix("0B")) {
        return u64::from_str_radix(b, 2).ok();
    }
    if w.len() > 1 && w.starts_with('0') {
        return u64::from_str_radix(&w[1..], 8).ok();
    }
    if !w.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    w.parse().ok()
}

fn split_prefix(w: &str, max: u32) -> Option<(&str, u32)> {
    match w.split_once('/') {
        None => Some((w, max)),
        Some((a, p)) => {
            let p: u32 = p.parse().ok()?;
            (p <= max && !p_has_sign(w)).then_some((a, p))
        }
    }
}

fn parse_v4(w: &str) -> Option<(u32, u32)> {
    let (a, p) = split_prefix(w, 32)?;
    let a: Ipv4Addr = a.parse().ok()?;
    let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
    Some((u32::from(a) & mask, mask))
}

fn parse_v6(w: &str) -> Option<(u128, u128)> {
    let (a, p) = split_prefix(w, 128)?;
    let a: Ipv6Addr = a.parse().ok()?;
    let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
    Some((u128::from(a) & mask, mask))
}

/// Hex bytes in Wireshark's spellings: groups of one or two hex digits joined by one kind of
/// separator (`:` `-` `.`), groups of four joined by `.` (Cisco MACs), or an even run of digits.
fn parse_bytes(w: &str) -> Option<Vec<u8>> {
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let sep = w.bytes().find(|b| matches!(b, b':' | b'-' | b'.'));
    match sep {
        None => {
            if !hex(w) || w.len() & 1 == 1 {
                return None;
            }
            (0..w.len()).step_by(2).map(|i| u8::from_str_radix(w.get(i..i + 2)?, 16).ok()).collect()
        }
        Some(s) => {
            let s = s as char;
            if w.bytes().any(|b| matches!(b, b':' | b'-' | b'.') && b as char != s) {
                return None;
            }
            let groups: Vec<&str> = w.split(s).collect();
            if groups.iter().all(|g| hex(g) && g.len() <= 2) {
                return groups.iter().map(|g| u8::from_str_radix(g, 16).ok()).collect();
            }
            if s == '.' && groups.iter().all(|g| hex(g) && g.len() == 4) {
                let mut out = Vec::new();
                for g in groups {
                    out.push(u8::from_str_radix(&g[..2], 16).ok()?);
                    out.push(u8::from_str_radix(&g[2..], 16).ok()?);
                }
                return Some(out);
            }
            None
        }
    }
}

/// What an unquoted value compared with a field must be, for the fields whose type the filter
/// knows (see `filter::kind_of`); tshark rejects a value of the wrong kind rather than match
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ipv4,
    Ipv6,
    Mac,
    /// An unsigned number no larger than this.
    UInt(u64),
}

impl Literal {
    /// Why this value cannot be compared with a field of `kind`, in English and Chinese.
    pub(crate) fn misfit(&self, kind: Kind) -> Option<(String, String)> {
        let w = String::from_utf8_lossy(&self.text);
        if self.quoted {
            let (en, zh) = match kind {
                Kind::Ipv4 => ("an IPv4 address", "IPv4 地址"),
                Kind::Ipv6 => ("an IPv6 address", "IPv6 地址"),
                Kind::Mac => ("an Ethernet address", "以太网地址"),
                Kind::UInt(_) => ("a number", "数字"),
            };
            return Some((
                format!("this field holds {en}, not text: write {w} without the quotes"),
                format!("这个字段的值是{zh},不是文本:去掉 {w} 两边的引号"),
            ));
        }
        match kind {
            Kind::Ipv4 if self.v4.is_none() => Some((
                format!("\"{w}\" is not a valid IPv4 address or network (write 10.0.0.1 or 10.0.0.0/24; host names are not looked up)"),
                format!("“{w}” 不是有效的 IPv4 地址或网段(写成 10.0.0.1 或 10.0.0.0/24;不解析主机名)"),
            )),
            Kind::Ipv6 if self.v6.is_none() => Some((
                format!("\"{w}\" is not a valid IPv6 address or network (write fd77::1 or fd77::/64)"),
                format!("“{w}” 不是有效的 IPv6 地址或网段(写成 fd77::1 或 fd77::/64)"),
            )),
            Kind::Mac if self.mac.is_none() => Some((
                format!("\"{w}\" is not a valid Ethernet address (six bytes: 02:77:00:00:00:01)"),
                format!("“{w}” 不是有效的以太网地址(六个字节,例如 02:77:00:00:00:01)"),
            )),
            Kind::UInt(max) => match self.num {
                None => Some((format!("\"{w}\" is not a valid number"), format!("“{w}” 不是有效的数字"))),
                Some(n) if n > max => Some((
                    format!("\"{w}\" is too big for this field, maximum {max}"),
                    format!("“{w}” 超出了这个字段的范围,最大为 {max}"),
                )),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value as written.
    pub(crate) fn text_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.text)
    }

    /// An unquoted value: every reading that parses is kept.
    pub fn word(w: &str) -> Literal {
        let bytes = parse_bytes(w);
        let mac = bytes.as_deref().and_then(|b| <[u8; 6]>::try_from(b).ok()).filter(|_| w.len() > 12 || w.contains(['.', ':', '-']));
        Literal {
            text: w.as_bytes().to_vec(),
            num: parse_num(w),
            boolean: match w {
                "True" | "TRUE" => Some(true),
                "False" | "FALSE" => Some(false),
                _ => None,
            },
            v4: parse_v4(w),
            v6: if w.contains(':') { parse_v6(w) } else { None },
            mac,
            bytes,
            quoted: false,
        }
    }
    /// A quoted string: text, and the same bytes for byte fields.
    pub fn quoted(s: &[u8]) -> Literal {
        Literal { text: s.to_vec(), bytes: Some(s.to_vec()), quoted: true, ..Literal::default() }
    }
}

/// One occurrence of a field, or a protocol standing for its bytes.
#[derive(Clone, Copy)]
enum Occ<'a> {
    Val(&'a Value),
    Proto(Option<&'a [u8]>),
}

/// Calls `f` on every occurrence of the field in the frame (all layers, quoted packets too) until
/// `f` returns true. Returns whether it did.
fn any_occ<'a>(layers: &'a [Layer], data: Option<&'a [u8]>, r: &FieldRef, f: &mut dyn FnMut(Occ<'a>) -> bool) -> bool {
    fn fields<'a>(fs: &'a [Field], r: &FieldRef, f: &mut dyn FnMut(Occ<'a>) -> bool) -> bool {
        for x in fs {
            if r.has(x.spec.key) && f(Occ::Val(&x.value)) {
                return true;
            }
            if !x.children.is_empty() && fields(&x.children, r, f) {
                return true;
            }
        }
        false
    }
    for (n, l) in layers.iter().enumerate() {
        // A layer that read nothing (the frame ended where it starts) never made it into
        // tshark's tree, so its protocol is not there to match.
        if r.has(l.protocol) && !(l.range.is_empty() && l.fields.is_empty()) {
            let bytes = data.map(|d| {
                // The protocol's bytes run from its header to the end of what it carries: the
                // furthest end of this layer and the layers nested in it.
                let end = layers[n..]
                    .iter()
                    .take_while(|m| m.depth >= l.depth)
                    .map(|m| m.range.end)
                    .max()
                    .unwrap_or(l.range.end)
                    .min(d.len());
                d.get(l.range.start.min(end)..end).unwrap_or(&[])
            });
            if f(Occ::Proto(bytes)) {
                return true;
            }
        }
        if fields(&l.fields, r, f) {
            return true;
        }
    }
    false
}

fn ord_holds(o: Ordering, op: Op) -> bool {
    match op {
        Op::Eq | Op::AllEq | Op::AllNe => o == Ordering::Equal,
        Op::AnyNe => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        Op::Contains | Op::Matches => false,
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// How an occurrence orders against a literal, when the literal has a reading for its type.
fn cmp_lit(v: Occ<'_>, lit: &Literal, op: Op) -> Option<bool> {
    let bytes_op = |b: &[u8], l: &[u8]| -> bool {
        if op == Op::Contains {
            contains(b, l)
        } else {
            ord_holds(b.cmp(l), op)
        }
    };
    let v = match v {
        Occ::Proto(Some(b)) => return lit.bytes.as_deref().map(|l| bytes_op(b, l)),
        Occ::Proto(None) => return None,
        Occ::Val(v) => v,
    };
    match v {
        Value::UInt(n) | Value::Hex { value: n, .. } | Value::Enum { value: n, .. } => {
            if op == Op::Contains {
                return None;
            }
            lit.num.map(|m| ord_holds(n.cmp(&m), op))
        }
        Value::Bool(b) => {
            if op == Op::Contains {
                return None;
            }
            let want = lit.boolean.or(lit.num.map(|n| n != 0))?;
            Some(ord_holds(b.cmp(&want), op))
        }
        Value::Ipv4(a) => {
            let (net, mask) = lit.v4?;
            let a = u32::from(*a);
            match op {
                Op::Contains => None,
                Op::Eq | Op::AllEq | Op::AllNe | Op::AnyNe => Some(ord_holds((a & mask).cmp(&net), op)),
                _ => Some(ord_holds(a.cmp(&net), op)),
            }
        }
        Value::Ipv6(a) => {
            let (net, mask) = lit.v6?;
            let a = u128::from(*a);
            match op {
                Op::Contains => None,
                Op::Eq | Op::AllEq | Op::AllNe | Op::AnyNe => Some(ord_holds((a & mask).cmp(&net), op)),
                _ => Some(ord_holds(a.cmp(&net), op)),
            }
        }
        Value::Mac(m) => {
            let l = lit.mac.as_ref().map(|m| &m[..]).or(lit.bytes.as_deref())?;
            Some(bytes_op(m, l))
        }
        Value::Text(s) => Some(bytes_op(s.as_bytes(), &lit.text)),
        Value::Bytes(b) => Some(bytes_op(b, lit.bytes.as_deref()?)),
        Value::None => None,
    }
}

/// Two occurrences of fields compared with each other (`ip.src == ip.dst`).
fn cmp_vals(a: Occ<'_>, b: Occ<'_>) -> Option<Ordering> {
    let (Occ::Val(a), Occ::Val(b)) = (a, b) else {
        return match (a, b) {
            (Occ::Proto(Some(x)), Occ::Proto(Some(y))) => Some(x.cmp(y)),
            _ => None,
        };
    };
    match (a, b) {
        (Value::Ipv4(x), Value::Ipv4(y)) => Some(x.cmp(y)),
        (Value::Ipv6(x), Value::Ipv6(y)) => Some(x.cmp(y)),
        (Value::Mac(x), Value::Mac(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        _ => Some(a.as_u64()?.cmp(&b.as_u64()?)),
    }
}

fn matches_re(v: Occ<'_>, re: &regex::bytes::Regex) -> bool {
    match v {
        Occ::Val(Value::Text(s)) => re.is_match(s.as_bytes()),
        Occ::Val(Value::Bytes(b)) => re.is_match(b),
        Occ::Proto(Some(b)) => re.is_match(b),
        _ => false,
    }
}

/// One occurrence against the right-hand side: `Some(holds)` when the two can be compared.
fn test_one(layers: &[Layer], data: Option<&[u8]>, v: Occ<'_>, op: Op, rhs: &Rhs) -> Option<bool> {
    match rhs {
        Rhs::Lit(l) => cmp_lit(v, l, op),
        Rhs::Regex(re) => Some(matches_re(v, re)),
        Rhs::Field(r) => {
            let mut out = None;
            any_occ(layers, data, r, &mut |w| {
                if let Some(o) = cmp_vals(v, w) {
                    let h = ord_holds(o, op);
                    out = Some(out.unwrap_or(false) || h);
                    return h;
                }
                false
            });
            out
        }
    }
}

pub fn eval(n: &Node, layers: &[Layer], data: Option<&[u8]>) -> bool {
    match n {
        Node::And(a, b) => eval(a, layers, data) && eval(b, layers, data),
        Node::Or(a, b) => eval(a, layers, data) || eval(b, layers, data),
        Node::Not(a) => !eval(a, layers, data),
        Node::Exists(r) => any_occ(layers, data, r, &mut |_| true),
        Node::Cmp { lhs, op, rhs } => match op {
            // tshark 4.0: the field must occur, and no occurrence may equal.
            Op::AllNe => {
                let mut seen = false;
                let eq = any_occ(layers, data, lhs, &mut |v| {
                    seen = true;
                    test_one(layers, data, v, Op::Eq, rhs) == Some(true)
                });
                seen && !eq
            }
            Op::AllEq => {
                let mut seen = false;
                let bad = any_occ(layers, data, lhs, &mut |v| {
                    seen = true;
                    test_one(layers, data, v, Op::Eq, rhs) != Some(true)
                });
                seen && !bad
            }
            _ => any_occ(layers, data, lhs, &mut |v| test_one(layers, data, v, *op, rhs) == Some(true)),
        },
        Node::In { lhs, items } => any_occ(layers, data, lhs, &mut |v| {
            items.iter().any(|it| match it {
                SetItem::One(l) => cmp_lit(v, l, Op::Eq) == Some(true),
                SetItem::Range(lo, hi) => cmp_lit(v, lo, Op::Ge) == Some(true) && cmp_lit(v, hi, Op::Le) == Some(true),
            })
        }),
    }
}

fn p_has_sign(w: &str) -> bool {
    w.split_once('/').is_some_and(|(_, p)| !p.bytes().all(|b| b.is_ascii_digit()))
}
