//! Cutting a filter expression into tokens, each with its byte span for error carets.

use std::ops::Range;

use winnow::combinator::{alt, repeat};
use winnow::error::ContextError;
use winnow::prelude::*;
use winnow::stream::LocatingSlice;
use winnow::token::{any, literal, none_of, one_of, take_while};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A field name, keyword or unquoted value: letters, digits and `_ . : / -`.
    Word(String),
    /// A double-quoted string with its escapes resolved (raw bytes: `\xff` need not be UTF-8).
    Str(Vec<u8>),
    /// Punctuation and symbolic operators: `( ) { } , == != === !== ~= < <= > >= && || !`.
    Sym(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

/// What went wrong while cutting: a message and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub en: String,
    pub zh: String,
    pub span: Range<usize>,
}

type In<'a> = LocatingSlice<&'a str>;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')
}

fn word(i: &mut In<'_>) -> ModalResult<Tok> {
    take_while(1.., is_word_char).map(|s: &str| Tok::Word(s.to_string())).parse_next(i)
}

fn sym(i: &mut In<'_>) -> ModalResult<Tok> {
    // Longest first, so `===` is not read as `==` followed by `=`.
    alt((
        alt((literal("==="), literal("!=="), literal("=="), literal("!="), literal("~="))),
        alt((literal("<="), literal(">="), literal("&&"), literal("||"))),
        alt((literal("<"), literal(">"), literal("!"), literal("("), literal(")"))),
        alt((literal("{"), literal("}"), literal(","), literal("["), literal("]"))),
    ))
    .map(|s: &str| {
        Tok::Sym(match s {
            "===" => "===",
            "!==" => "!==",
            "==" => "==",
            "!=" => "!=",
            "~=" => "~=",
            "<=" => "<=",
            ">=" => ">=",
            "&&" => "&&",
            "||" => "||",
            "<" => "<",
            ">" => ">",
            "!" => "!",
            "(" => "(",
            ")" => ")",
            "{" => "{",
            "}" => "}",
            "," => ",",
            "[" => "[",
            _ => "]",
        })
    })
    .parse_next(i)
}

fn ws(i: &mut In<'_>) -> ModalResult<()> {
    take_while(0.., |c: char| c.is_whitespace()).void().parse_next(i)
}

/// One escape after a backslash: `\" \\ \n \t \r \a \b \f \v \0`, `\xHH`, `\ooo` (octal), as in
/// Wireshark's string literals. Anything else stands for itself.
fn escape(i: &mut In<'_>, out: &mut Vec<u8>) -> Result<(), ()> {
    let c: char = any::<_, ContextError>.parse_next(i).map_err(|_| ())?;
    match c {
        'n' => out.push(b'\n'),
        't' => out.push(b'\t'),
        'r' => out.push(b'\r'),
        'a' => out.push(7),
        'b' => out.push(8),
        'f' => out.push(12),
        'v' => out.push(11),
        'x' => {
            let h: &str = take_while::<_, _, ContextError>(1..=2, |c: char| c.is_ascii_hexdigit())
                .parse_next(i)
                .map_err(|_| ())?;
            out.push(u8::from_str_radix(h, 16).map_err(|_| ())?);
        }
        '0'..='7' => {
            let rest: &str =
                take_while::<_, _, ContextError>(0..=2, |c: char| ('0'..='7').contains(&c)).parse_next(i).map_err(|_| ())?;
            let mut v = u32::from(c as u8 - b'0');
            for d in rest.bytes() {
                v = v * 8 + u32::from(d - b'0');
            }
            out.push(u8::try_from(v).map_err(|_| ())?);
        }
        c => {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    Ok(())
}

/// Cuts `src` into tokens. Errors name the first character that starts no token, or the quote of
/// a string that never ends.
pub fn tokens(src: &str) -> Result<Vec<Token>, LexError> {
    let mut i = LocatingSlice::new(src);
    let mut out = Vec::new();
    loop {
        let _ = ws(&mut i);
        let start = src.len() - i.len();
        if i.is_empty() {
            return Ok(out);
        }
        if i.starts_with('"') {
            let _ = any::<_, ContextError>.parse_next(&mut i);
            let mut bytes = Vec::new();
            loop {
                let chunk: String = repeat(0.., none_of::<_, _, ContextError>(['"', '\\']))
                    .parse_next(&mut i)
                    .unwrap_or_default();
                bytes.extend_from_slice(chunk.as_bytes());
                let next: Result<char, ContextError> = one_of(['"', '\\']).parse_next(&mut i);
                match next {
                    Ok('"') => break,
                    Ok(_) => {
                        let at = src.len() - i.len() - 1;
                        if escape(&mut i, &mut bytes).is_err() {
                            let end = src.len() - i.len();
                            return Err(LexError {
                                en: "bad escape in string (use \\\" \\\\ \\n \\t \\xHH or \\ooo)".into(),
                                zh: "字符串中的转义写法有误(可用 \\\" \\\\ \\n \\t \\xHH 或 \\ooo)".into(),
                                span: at..end.max(at + 1),
                            });
                        }
                    }
                    Err(_) => {
                        return Err(LexError {
                            en: "string has no closing quote (\")".into(),
                            zh: "字符串缺少结尾的双引号(\")".into(),
                            span: start..start + 1,
                        })
                    }
                }
            }
            out.push(Token { tok: Tok::Str(bytes), span: start..src.len() - i.len() });
            continue;
        }
        let t = alt((word, sym)).parse_next(&mut i);
        match t {
            Ok(tok) => out.push(Token { tok, span: start..src.len() - i.len() }),
            Err(_) => {
                let c = i.chars().next().unwrap_or(' ');
                return Err(LexError {
                    en: format!("unexpected character {c:?}"),
                    zh: format!("无法识别的字符 {c:?}"),
                    span: start..start + c.len_utf8(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokens(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn words_symbols_strings() {
        assert_eq!(
            toks("ip.addr==10.0.0.0/24&&!tcp"),
            vec![
                Tok::Word("ip.addr".into()),
                Tok::Sym("=="),
                Tok::Word("10.0.0.0/24".into()),
                Tok::Sym("&&"),
                Tok::Sym("!"),
                Tok::Word("tcp".into())
            ]
        );
        assert_eq!(toks("a === b !== c"), vec![Tok::Word("a".into()), Tok::Sym("==="), Tok::Word("b".into()), Tok::Sym("!=="), Tok::Word("c".into())]);
        assert_eq!(toks(r#""a\"b\\\x41\101\n""#), vec![Tok::Str(b"a\"b\\AA\n".to_vec())]);
        assert_eq!(toks("fe80::1 00-11-22-33-44-55"), vec![Tok::Word("fe80::1".into()), Tok::Word("00-11-22-33-44-55".into())]);
    }

    #[test]
    fn spans_are_byte_ranges() {
        let t = tokens("  tcp.port  in {80, 443}").unwrap();
        assert_eq!(t[0].span, 2..10);
        assert_eq!(t[1].span, 12..14);
        assert_eq!(t[2].span, 15..16);
        assert_eq!(t[4].span, 18..19);
    }

    #[test]
    fn errors() {
        let e = tokens("tcp.port == 80 $").unwrap_err();
        assert_eq!(e.span, 15..16);
        let e = tokens("http.host == \"abc").unwrap_err();
        assert_eq!(e.span, 13..14);
        assert!(e.en.contains("closing quote"));
        let e = tokens("a == \"\\xZZ\"").unwrap_err();
        assert_eq!(e.span.start, 6);
    }
}
