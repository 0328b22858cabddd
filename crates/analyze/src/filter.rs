//! Wireshark display filters: parsing an expression into a tree once, with errors that point at
//! the column at fault.
//!
//! Grammar (Wireshark 4.0's, less slices, functions and arithmetic), loosest first:
//!
//! ```text
//! expr  := and ( ("||" | "or") and )*
//! and   := unary ( ("&&" | "and") unary )*
//! unary := ("!" | "not") unary | "(" expr ")" | test
//! test  := field [ relop value | "contains" value | "matches" string | "in" "{" item ([,] item)* "}" ]
//! relop := == != === !== ~= < <= > >= eq ne all_eq any_ne any_eq all_ne lt le gt ge
//! item  := value | value ".." value
//! ```
//!
//! `&&` binds tighter than `||` (tshark: `a || b && c` is `a || (b && c)`). As tshark 4.0 does,
//! `a != b` means "a occurs and no occurrence equals b" (so `tcp.port != 80` never matches a UDP
//! frame, unlike `!(tcp.port == 80)`), `~=`/`!==` mean "some occurrence differs", and `===`
//! "a occurs and every occurrence equals".

use std::fmt;
use std::ops::Range;

use netlayers_core::{Lang, Layer};

use crate::eval::{self, Literal, Node, Op, Rhs, SetItem};
use crate::lex::{self, Tok, Token};
use crate::ALIASES;

/// A compiled display filter. Compile once, then call [`Filter::matches`] on every frame.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
    text: String,
}

impl Filter {
    /// Parses `expr`. `known` says whether a name is a field key (or protocol name) some decoder
    /// emits; Wireshark's two-sided fields (`ip.addr`, `tcp.port` …) are known here already.
    pub fn compile(expr: &str, known: &dyn Fn(&str) -> bool) -> Result<Filter, FilterError> {
        let toks = lex::tokens(expr).map_err(|e| FilterError::new(expr, e.span, e.en, e.zh))?;
        let mut p = Parser { src: expr, toks: &toks, pos: 0, known };
        let root = p.expr()?;
        if let Some(t) = p.peek() {
            return Err(p.err_at(
                t.span.clone(),
                format!("expected && or || or the end of the filter, found {}", describe(&t.tok, Lang::En)),
                format!("这里应是 &&、|| 或者过滤表达式的结尾,却是{}", describe(&t.tok, Lang::Zh)),
            ));
        }
        Ok(Filter { root, text: expr.to_string() })
    }

    /// True when the frame whose layers these are passes the filter. A protocol compared by
    /// value (`tcp contains "GET"`) needs the frame's bytes: use [`Filter::matches_frame`].
    pub fn matches(&self, layers: &[Layer]) -> bool {
        eval::eval(&self.root, layers, None)
    }

    /// As [`Filter::matches`], with the frame's captured bytes, so that a protocol name stands
    /// for its bytes (from its header to the end of what it carries) as in Wireshark.
    pub fn matches_frame(&self, layers: &[Layer], data: &[u8]) -> bool {
        eval::eval(&self.root, layers, Some(data))
    }

    /// The expression as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A filter that does not parse: what was expected, and where (a byte range of the expression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub expr: String,
    /// Byte range of the expression at fault; `expr.len()..expr.len()+1` for "ended too soon".
    pub span: Range<usize>,
    en: String,
    zh: String,
}

/// Terminal columns a character takes: CJK and full-width forms take two.
fn char_width(c: char) -> usize {
    if matches!(c as u32, 0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6) {
        2
    } else {
        1
    }
}

impl FilterError {
    fn new(expr: &str, span: Range<usize>, en: String, zh: String) -> FilterError {
        FilterError { expr: expr.to_string(), span, en, zh }
    }

    /// The one-line reason, without the expression and caret.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }

    /// 1-based column (in characters) where the fault starts.
    pub fn column(&self) -> usize {
        let start = self.span.start.min(self.expr.len());
        self.expr.get(..start).map_or(start, |s| s.chars().count()) + 1
    }

    /// Three lines, no trailing newline:
    /// ```text
    /// bad filter: unknown field "tcp.prot" (did you mean tcp.port?)
    ///   tcp.prot == 80
    ///   ^^^^^^^^
    /// ```
    pub fn render(&self, lang: Lang) -> String {
        let head = match lang {
            Lang::En => "bad filter",
            Lang::Zh => "过滤表达式有误",
        };
        let sep = if lang == Lang::Zh { ":" } else { ": " };
        let mut line = String::from("  ");
        let mut caret = String::from("  ");
        let mut at = 0usize;
        for (i, c) in self.expr.char_indices() {
            // Tabs and newlines would break the caret's alignment: show each as one space.
            let shown = if c.is_control() { ' ' } else { c };
            line.push(shown);
            let w = char_width(shown);
            let mark = if i >= self.span.start && i < self.span.end { '^' } else { ' ' };
            if i < self.span.start || mark == '^' {
                for _ in 0..w {
                    caret.push(mark);
                }
            }
            at = i + c.len_utf8();
        }
        if self.span.start >= at {
            caret.push('^');
        }
        format!("{head}{sep}{}\n{}\n{}", self.message(lang), line.trim_end(), caret.trim_end())
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for FilterError {}

fn describe(t: &Tok, lang: Lang) -> String {
    match (t, lang) {
        (Tok::Word(w), Lang::En) => format!("\"{w}\""),
        (Tok::Word(w), Lang::Zh) => format!(" “{w}”"),
        (Tok::Str(_), Lang::En) => "a string".into(),
        (Tok::Str(_), Lang::Zh) => "一个字符串".into(),
        (Tok::Sym(s), Lang::En) => format!("\"{s}\""),
        (Tok::Sym(s), Lang::Zh) => format!(" “{s}”"),
    }
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "contains", "matches", "in", "any_eq", "all_ne",
    "all_eq", "any_ne",
];

fn relop(t: &Tok) -> Option<Op> {
    Some(match t {
        Tok::Sym("==") => Op::Eq,
        Tok::Sym("!=") => Op::AllNe,
        Tok::Sym("===") => Op::AllEq,
        Tok::Sym("!==") | Tok::Sym("~=") => Op::AnyNe,
        Tok::Sym("<") => Op::Lt,
        Tok::Sym("<=") => Op::Le,
        Tok::Sym(">") => Op::Gt,
        Tok::Sym(">=") => Op::Ge,
        Tok::Word(w) => match w.as_str() {
            "eq" | "any_eq" => Op::Eq,
            "ne" | "all_ne" => Op::AllNe,
            "all_eq" => Op::AllEq,
            "any_ne" => Op::AnyNe,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "contains" => Op::Contains,
            "matches" => Op::Matches,
            _ => return None,
        },
        _ => return None,
    })
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    known: &'a dyn Fn(&str) -> bool,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Word(x), .. }) if x == w)
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Token { tok: Tok::Sym(x), .. }) if *x == s)
    }
    fn end_span(&self) -> Range<usize> {
        self.src.len()..self.src.len() + 1
    }
    fn err_at(&self, span: Range<usize>, en: String, zh: String) -> FilterError {
        FilterError::new(self.src, span, en, zh)
    }
    /// "expected X, found Y" at the current token (or just past the end).
    fn expected(&self, en: &str, zh: &str) -> FilterError {
        match self.peek() {
            Some(t) => self.err_at(
                t.span.clone(),
                format!("expected {en}, found {}", describe(&t.tok, Lang::En)),
                format!("这里应是 {zh},却是{}", describe(&t.tok, Lang::Zh)),
            ),
            None => self.err_at(
                self.end_span(),
                format!("expected {en}, but the filter ends here"),
                format!("这里应是 {zh},但过滤表达式已经结束"),
            ),
        }
    }

    fn expr(&mut self) -> Result<Node, FilterError> {
        let mut left = self.and()?;
        while self.is_sym("||") || self.is_word("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Node::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut left = self.unary()?;
        while self.is_sym("&&") || self.is_word("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Node::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        if self.is_sym("!") || self.is_word("not") {
            self.pos += 1;
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        if self.is_sym("(") {
            let open = self.peek().map(|t| t.span.clone()).unwrap_or_default();
            self.pos += 1;
            let inner = self.expr()?;
            if !self.is_sym(")") {
                let mut e = self.expected("&&, || or \")\"", "&&、|| 或 “)”");
                if self.peek().is_none() {
                    e.en = "this \"(\" is never closed: expected \")\"".into();
                    e.zh = "这个 “(” 没有配对的 “)”".into();
                    e.span = open;
                }
                return Err(e);
            }
            self.pos += 1;
            return Ok(inner);
        }
        self.test()
    }

    /// A field name at the current token, checked against the known names.
    fn field(&mut self) -> Result<eval::FieldRef, FilterError> {
        let Some(t) = self.peek() else {
            return Err(self.expected("a field name, \"!\" or \"(\"", "字段名、“!” 或 “(”"));
        };
        let Tok::Word(w) = &t.tok else {
            return Err(self.expected("a field name, \"!\" or \"(\"", "字段名、“!” 或 “(”"));
        };
        if KEYWORDS.contains(&w.as_str()) {
            return Err(self.expected("a field name, \"!\" or \"(\"", "字段名、“!” 或 “(”"));
        }
        match self.lookup(w) {
            Some(f) => {
                self.pos += 1;
                Ok(f)
            }
            None => {
                let looks_like_value = w.starts_with(|c: char| c.is_ascii_digit() || c == ':');
                let (en, zh) = if looks_like_value {
                    (
                        format!("expected a field name, found the value \"{w}\" (put the field first: tcp.port == 80)"),
                        format!("这里应是字段名,却是值 “{w}”(字段名要写在前面,例如 tcp.port == 80)"),
                    )
                } else {
                    match suggest(w, self.known) {
                        Some(s) => (
                            format!("unknown field \"{w}\" (did you mean {s}?)"),
                            format!("未知字段 “{w}”(是不是想写 {s}?)"),
                        ),
                        None => (format!("unknown field \"{w}\""), format!("未知字段 “{w}”")),
                    }
                };
                Err(self.err_at(t.span.clone(), en, zh))
            }
        }
    }

    fn lookup(&self, w: &str) -> Option<eval::FieldRef> {
        if let Some((_, keys)) = ALIASES.iter().find(|(a, _)| *a == w) {
            return Some(eval::FieldRef::new(keys));
        }
        (self.known)(w).then(|| eval::FieldRef::new(&[w]))
    }

    fn test(&mut self) -> Result<Node, FilterError> {
        let name = match self.peek() {
            Some(Token { tok: Tok::Word(w), .. }) => w.clone(),
            _ => String::new(),
        };
        let lhs = self.field()?;
        let kind = kind_of(&name);
        let Some(t) = self.peek() else { return Ok(Node::Exists(lhs)) };
        if let Some(op) = relop(&t.tok) {
            let op_tok = t.clone();
            self.pos += 1;
            let value_at = self.peek().map(|t| t.span.clone());
            let rhs = self.rhs(op, &op_tok)?;
            if let (Some(kind), Rhs::Lit(lit), Some(span), false) = (kind, &rhs, value_at, op == Op::Contains) {
                if let Some((en, zh)) = lit.misfit(kind) {
                    return Err(self.err_at(span, en, zh));
                }
            }
            return Ok(Node::Cmp { lhs, op, rhs });
        }
        if self.is_word("in") {
            self.pos += 1;
            let start = self.pos;
            let node = self.set(lhs)?;
            if let (Some(kind), Node::In { items, .. }) = (kind, &node) {
                // Each unquoted element, in order, against the words written in the braces.
                let words: Vec<&Token> = self.toks[start..self.pos].iter().filter(|t| matches!(t.tok, Tok::Word(_) | Tok::Str(_))).collect();
                let lits = items.iter().flat_map(|i| match i {
                    SetItem::One(l) => vec![l],
                    SetItem::Range(a, b) => vec![a, b],
                });
                for lit in lits {
                    if let Some((en, zh)) = lit.misfit(kind) {
                        let text = lit.text_str();
                        let span = words
                            .iter()
                            .find(|t| match &t.tok {
                                Tok::Word(w) => w.contains(text.as_ref()),
                                Tok::Str(b) => String::from_utf8_lossy(b) == text,
                                Tok::Sym(_) => false,
                            })
                            .map_or(0..0, |t| t.span.clone());
                        return Err(self.err_at(span, en, zh));
                    }
                }
            }
            return Ok(node);
        }
        let starts_value = match &t.tok {
            Tok::Word(w) => !KEYWORDS.contains(&w.as_str()),
            Tok::Str(_) => true,
            Tok::Sym(_) => false,
        };
        if starts_value {
            return Err(self.expected(
                "an operator (== != < <= > >= contains matches in), && or ||",
                "运算符(== != < <= > >= contains matches in)、&& 或 ||",
            ));
        }
        Ok(Node::Exists(lhs))
    }

    fn rhs(&mut self, op: Op, op_tok: &Token) -> Result<Rhs, FilterError> {
        let Some(t) = self.peek() else {
            return Err(self.expected(
                &format!("a value after {}", op_name(&op_tok.tok)),
                &format!("{} 之后的值", op_name(&op_tok.tok)),
            ));
        };
        match (&t.tok, op) {
            (Tok::Str(s), Op::Matches) => {
                let pat = std::str::from_utf8(s).map_err(|_| {
                    self.err_at(t.span.clone(), "the regular expression is not UTF-8".into(), "正则表达式不是 UTF-8 文本".into())
                })?;
                let re = regex::bytes::Regex::new(pat).map_err(|e| {
                    let why = e.to_string().lines().last().unwrap_or("").trim().to_string();
                    self.err_at(
                        t.span.clone(),
                        format!("bad regular expression: {why}"),
                        format!("正则表达式有误:{why}"),
                    )
                })?;
                self.pos += 1;
                Ok(Rhs::Regex(re))
            }
            (_, Op::Matches) => Err(self.expected("a quoted regular expression after matches", "matches 之后用双引号括起的正则表达式")),
            (Tok::Str(s), _) => {
                self.pos += 1;
                Ok(Rhs::Lit(Literal::quoted(s)))
            }
            (Tok::Word(w), _) if !KEYWORDS.contains(&w.as_str()) => {
                self.pos += 1;
                if op != Op::Contains {
                    if let Some(f) = self.lookup(w) {
                        return Ok(Rhs::Field(f));
                    }
                }
                Ok(Rhs::Lit(Literal::word(w)))
            }
            _ => Err(self.expected(
                &format!("a value after {}", op_name(&op_tok.tok)),
                &format!("{} 之后的值", op_name(&op_tok.tok)),
            )),
        }
    }

    fn set(&mut self, lhs: eval::FieldRef) -> Result<Node, FilterError> {
        if !self.is_sym("{") {
            return Err(self.expected("\"{\" after in", "in 之后的 “{”"));
        }
        let open = self.peek().map(|t| t.span.clone()).unwrap_or_default();
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            let Some(t) = self.peek() else {
                return Err(self.err_at(
                    open,
                    "this \"{\" is never closed: expected \"}\"".into(),
                    "这个 “{” 没有配对的 “}”".into(),
                ));
            };
            match &t.tok {
                Tok::Sym("}") if !items.is_empty() => {
                    self.pos += 1;
                    break;
                }
                Tok::Sym(",") if !items.is_empty() => {
                    self.pos += 1;
                    if self.is_sym("}") {
                        return Err(self.expected("a value after \",\"", "“,” 之后的值"));
                    }
                }
                Tok::Str(s) => {
                    self.pos += 1;
                    items.push(SetItem::One(Literal::quoted(s)));
                }
                Tok::Word(w) => {
                    let span = t.span.clone();
                    self.pos += 1;
                    items.push(self.set_word(w, span)?);
                }
                _ => return Err(self.expected("a value or \"}\"", "值或 “}”")),
            }
        }
        Ok(Node::In { lhs, items })
    }

    /// One set element written as a word: a value or a range `low..high` (also `low .. high`).
    fn set_word(&mut self, w: &str, span: Range<usize>) -> Result<SetItem, FilterError> {
        let bad_range = |p: &Self| {
            p.err_at(
                span.clone(),
                format!("bad range \"{w}\": expected low..high"),
                format!("范围 “{w}” 写法有误:应写成 下限..上限"),
            )
        };
        if let Some((lo, hi)) = w.split_once("..") {
            if lo.is_empty() && hi.is_empty() {
                return Err(bad_range(self));
            }
            if hi.is_empty() {
                // `low.. high`
                let Some(Token { tok: Tok::Word(h), .. }) = self.peek() else { return Err(bad_range(self)) };
                self.pos += 1;
                return Ok(SetItem::Range(Literal::word(lo), Literal::word(h)));
            }
            if lo.is_empty() {
                return Err(bad_range(self));
            }
            return Ok(SetItem::Range(Literal::word(lo), Literal::word(hi)));
        }
        if let Some(Token { tok: Tok::Word(next), .. }) = self.peek() {
            if let Some(h) = next.strip_prefix("..") {
                self.pos += 1;
                if h.is_empty() {
                    let Some(Token { tok: Tok::Word(h), .. }) = self.peek() else { return Err(bad_range(self)) };
                    self.pos += 1;
                    return Ok(SetItem::Range(Literal::word(w), Literal::word(h)));
                }
                return Ok(SetItem::Range(Literal::word(w), Literal::word(h)));
            }
        }
        Ok(SetItem::One(Literal::word(w)))
    }
}

fn op_name(t: &Tok) -> String {
    match t {
        Tok::Sym(s) => s.to_string(),
        Tok::Word(w) => w.clone(),
        Tok::Str(_) => String::new(),
    }
}

/// The kind of value the commonest fields hold, so a value of the wrong kind is an error (as in
/// tshark) instead of a filter that silently matches nothing. Fields not listed take any value.
fn kind_of(field: &str) -> Option<eval::Kind> {
    use eval::Kind::*;
    Some(match field {
        "ip.src" | "ip.dst" | "ip.addr" | "arp.src.proto_ipv4" | "arp.dst.proto_ipv4" | "dns.a" => Ipv4,
        "ipv6.src" | "ipv6.dst" | "ipv6.addr" | "dns.aaaa" => Ipv6,
        "eth.src" | "eth.dst" | "eth.addr" | "arp.src.hw_mac" | "arp.dst.hw_mac" => Mac,
        "ip.ttl" | "ip.proto" | "ip.version" | "ipv6.hlim" | "ipv6.nxt" | "icmp.type" | "icmp.code"
        | "icmpv6.type" | "icmpv6.code" => UInt(0xff),
        "vlan.id" => UInt(0xfff),
        "tcp.port" | "tcp.srcport" | "tcp.dstport" | "udp.port" | "udp.srcport" | "udp.dstport" | "ip.len"
        | "ip.id" | "udp.length" | "tcp.window_size_value" | "dns.id" | "eth.type" | "ipv6.plen" | "arp.opcode" => {
            UInt(0xffff)
        }
        "tcp.seq" | "tcp.ack" | "tcp.seq_raw" | "tcp.ack_raw" | "tcp.len" | "frame.len" | "frame.cap_len" => UInt(0xffff_ffff),
        "frame.number" | "tcp.stream" | "udp.stream" => UInt(u64::MAX),
        _ => return None,
    })
}

/// A known name one edit away from `w` (a letter dropped, added, changed or two swapped),
/// or differing only in case.
fn suggest(w: &str, known: &dyn Fn(&str) -> bool) -> Option<String> {
    let ok = |s: &str| ALIASES.iter().any(|(a, _)| *a == s) || known(s);
    let lower = w.to_ascii_lowercase();
    if lower != w && ok(&lower) {
        return Some(lower);
    }
    if w.len() > 64 || !w.is_ascii() {
        return None;
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789._";
    let b = w.as_bytes();
    let mut cand = Vec::with_capacity(b.len() + 1);
    let try_it = |c: &[u8]| -> Option<String> {
        let s = std::str::from_utf8(c).ok()?;
        (!s.is_empty() && ok(s)).then(|| s.to_string())
    };
    for i in 0..=b.len() {
        for &a in ALPHABET {
            cand.clear();
            cand.extend_from_slice(&b[..i]);
            cand.push(a);
            cand.extend_from_slice(&b[i..]);
            if let Some(s) = try_it(&cand) {
                return Some(s);
            }
        }
    }
    for i in 0..b.len() {
        for &a in ALPHABET {
            cand.clear();
            cand.extend_from_slice(b);
            cand[i] = a;
            if let Some(s) = try_it(&cand) {
                return Some(s);
            }
        }
        cand.clear();
        cand.extend_from_slice(&b[..i]);
        cand.extend_from_slice(&b[i + 1..]);
        if let Some(s) = try_it(&cand) {
            return Some(s);
        }
        if i + 1 < b.len() {
            cand.clear();
            cand.extend_from_slice(b);
            cand.swap(i, i + 1);
            if let Some(s) = try_it(&cand) {
                return Some(s);
            }
        }
    }
    None
}
