//! HTTP/1.x (RFC 9112): the request or status line and the header lines at the start of a
//! segment, and SSDP (HTTP over UDP 1900, used by UPnP discovery).
//!
//! ```text
//! request:   method SP request-target SP HTTP-version CRLF
//! response:  HTTP-version SP status-code SP [ reason-phrase ] CRLF
//! then:      *( field-name ":" OWS field-value OWS CRLF )
//!            CRLF
//!            [ message-body ]
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc9112>. Without TCP reassembly (as tshark is run for the
//! oracle) a message is recognised only in a segment that starts with its first line. On an
//! HTTP port tshark takes any known method or `HTTP/` and shows the line's parts as far as they
//! were captured; on other TCP ports its heuristic wants a whole first line that starts or ends
//! with `HTTP/1.`. The Info text appears only when the whole first line is there.

use std::ops::Range;

use netlayers_core::escape;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Step, Value};

use netlayers_core::window::Window;

spec!(REQUEST, "http.request", "Request", "请求",
    "This message is a request from a client.",
    "这条消息是客户端发出的请求。");
spec!(RESPONSE, "http.response", "Response", "响应",
    "This message is a response from a server.",
    "这条消息是服务器返回的响应。");
spec!(METHOD, "http.request.method", "Request Method", "请求方法",
    "What the client wants done: GET fetches, POST submits data, HEAD fetches headers only, PUT and DELETE change resources.",
    "客户端想做的操作:GET 获取,POST 提交数据,HEAD 只获取首部,PUT 和 DELETE 修改资源。");
spec!(URI, "http.request.uri", "Request URI", "请求 URI",
    "The resource asked for, exactly as sent: usually a path and query (/dir/a.txt?x=1); the host is in the Host header.",
    "所请求的资源,与发送的内容完全一致:通常是路径加查询串(/dir/a.txt?x=1);主机名在 Host 首部中。");
spec!(REQ_VERSION, "http.request.version", "Request Version", "请求版本",
    "HTTP version the client speaks (HTTP/1.1 keeps the connection open for more requests by default).",
    "客户端使用的 HTTP 版本(HTTP/1.1 默认保持连接,以便发送更多请求)。");
spec!(RESP_VERSION, "http.response.version", "Response Version", "响应版本",
    "HTTP version the server answers with.",
    "服务器应答所用的 HTTP 版本。");
spec!(CODE, "http.response.code", "Status Code", "状态码",
    "Result of the request: 2xx success (200 OK), 3xx redirection, 4xx client error (404 Not Found), 5xx server error.",
    "请求的结果:2xx 成功(200 OK),3xx 重定向,4xx 客户端错误(404 Not Found),5xx 服务器错误。");
spec!(PHRASE, "http.response.phrase", "Response Phrase", "原因短语",
    "Human-readable text after the status code; programs ignore it.",
    "状态码后面给人看的文字;程序会忽略它。");
spec!(FULL_URI, "http.request.full_uri", "Full request URI", "完整请求 URI",
    "The URL rebuilt from the Host header and the request target.",
    "由 Host 首部和请求目标拼出的完整 URL。");
spec!(REQ_LINE, "http.request.line", "Request line", "请求首部行",
    "One header line of a request, as sent.",
    "请求中的一个首部行,与发送的内容一致。");
spec!(RESP_LINE, "http.response.line", "Response line", "响应首部行",
    "One header line of a response, as sent.",
    "响应中的一个首部行,与发送的内容一致。");
spec!(HOST, "http.host", "Host", "Host",
    "Which site the request is for: one IP address and port can serve many sites, told apart by this header.",
    "请求针对哪个网站:同一个 IP 地址和端口可以承载多个网站,靠这个首部区分。");
spec!(USER_AGENT, "http.user_agent", "User-Agent", "User-Agent",
    "The client program and its version.",
    "客户端程序及其版本。");
spec!(ACCEPT, "http.accept", "Accept", "Accept",
    "Media types the client can handle.",
    "客户端能够处理的媒体类型。");
spec!(ACCEPT_ENCODING, "http.accept_encoding", "Accept Encoding", "Accept-Encoding",
    "Compressions the client understands (gzip, br …).",
    "客户端能理解的压缩方式(gzip、br 等)。");
spec!(ACCEPT_LANGUAGE, "http.accept_language", "Accept-Language", "Accept-Language",
    "Languages the user prefers.",
    "用户偏好的语言。");
spec!(CONTENT_TYPE, "http.content_type", "Content-Type", "Content-Type",
    "Media type of the body (text/html, application/json …), so the receiver knows how to read it.",
    "消息体的媒体类型(text/html、application/json 等),让接收方知道如何解读它。");
spec!(CONTENT_LENGTH_HEADER, "http.content_length_header", "Content-Length", "Content-Length",
    "Size of the body in bytes: how the receiver knows where this message ends in the TCP byte stream.",
    "消息体的字节数:接收方据此知道这条消息在 TCP 字节流中到哪里结束。");
spec!(CONTENT_LENGTH, "http.content_length", "Content length", "内容长度",
    "The Content-Length value as a number.",
    "Content-Length 的数值。");
spec!(CONTENT_ENCODING, "http.content_encoding", "Content-Encoding", "Content-Encoding",
    "Compression applied to the body.",
    "对消息体使用的压缩方式。");
spec!(TRANSFER_ENCODING, "http.transfer_encoding", "Transfer-Encoding", "Transfer-Encoding",
    "\"chunked\": the body comes in pieces each preceded by its size, for bodies whose length is not known in advance.",
    "“chunked”表示消息体分块发送,每块前面写明大小,用于事先不知道长度的消息体。");
spec!(SERVER, "http.server", "Server", "Server",
    "The server software.",
    "服务器软件。");
spec!(CONNECTION, "http.connection", "Connection", "Connection",
    "Whether the TCP connection stays open after this message (keep-alive) or closes.",
    "这条消息之后 TCP 连接是保持(keep-alive)还是关闭。");
spec!(COOKIE, "http.cookie", "Cookie", "Cookie",
    "State the server asked the client to keep and send back.",
    "服务器要求客户端保存并回传的状态。");
spec!(SET_COOKIE, "http.set_cookie", "Set-Cookie", "Set-Cookie",
    "The server asks the client to store a cookie.",
    "服务器要求客户端保存一个 cookie。");
spec!(REFERER, "http.referer", "Referer", "Referer",
    "The page that linked to this request.",
    "链接到本次请求的页面。");
spec!(AUTHORIZATION, "http.authorization", "Authorization", "Authorization",
    "Credentials. With Basic they are only base64-encoded, readable by anyone who captures plain HTTP.",
    "认证凭据。Basic 方式只做了 base64 编码,任何抓到明文 HTTP 的人都能读出来。");
spec!(WWW_AUTHENTICATE, "http.www_authenticate", "WWW-Authenticate", "WWW-Authenticate",
    "The server asks for credentials and says which scheme to use.",
    "服务器要求提供凭据,并说明使用哪种认证方式。");
spec!(LOCATION, "http.location", "Location", "Location",
    "Where a redirect points.",
    "重定向指向的位置。");
spec!(CACHE_CONTROL, "http.cache_control", "Cache-Control", "Cache-Control",
    "How long and where the response may be cached.",
    "响应可以被缓存多久、在哪里缓存。");
spec!(DATE, "http.date", "Date", "Date",
    "When the message was sent.",
    "消息发送的时间。");
spec!(LAST_MODIFIED, "http.last_modified", "Last-Modified", "Last-Modified",
    "When the resource last changed.",
    "资源最后一次修改的时间。");
spec!(UPGRADE, "http.upgrade", "Upgrade", "Upgrade",
    "Asks to switch the connection to another protocol (websocket, h2c).",
    "请求把连接切换到另一种协议(websocket、h2c)。");
spec!(X_FORWARDED_FOR, "http.x_forwarded_for", "X-Forwarded-For", "X-Forwarded-For",
    "Addresses of the original client, added by proxies.",
    "代理添加的原始客户端地址。");
spec!(UNKNOWN_HEADER, "http.unknown_header", "Unknown header", "未知首部",
    "A line read as a header (it holds a colon) whose name HTTP does not define; in a continuation segment this is often body text that happens to contain a colon.",
    "被当作首部读取的一行(其中含有冒号),但其名称不是 HTTP 定义的;在续传报文段里,这往往只是恰好含冒号的消息体文本。");
spec!(FILE_DATA, "http.file_data", "File Data", "文件数据",
    "The body of the message captured in this segment.",
    "本报文段中捕获到的消息体。");

/// Request methods tshark recognises at the start of a segment.
const METHODS: &[&str] = &[
    "GET", "PUT", "ACL", "HEAD", "POST", "COPY", "MOVE", "LOCK", "POLL", "BIND", "LINK", "PATCH", "TRACE", "MKCOL",
    "MERGE", "LABEL", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "UNBIND", "REBIND", "UNLINK",
    "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "M-SEARCH", "PROPPATCH", "SUBSCRIBE", "BPROPFIND",
    "BPROPPATCH", "BDELETE", "BCOPY", "BMOVE", "MKACTIVITY", "MKWORKSPACE", "MKCALENDAR", "ORDERPATCH",
    "UNCHECKOUT", "UNSUBSCRIBE", "VERSION-CONTROL", "BASELINE-CONTROL", "X-MS-ENUMATTS", "RPC_IN_DATA",
    "RPC_OUT_DATA", "MKREDIRECTREF", "UPDATEREDIRECTREF",
];

/// Header names with their own field, lowercase.
static HEADERS: &[(&str, &FieldSpec)] = &[
    ("host", &HOST),
    ("user-agent", &USER_AGENT),
    ("accept", &ACCEPT),
    ("accept-encoding", &ACCEPT_ENCODING),
    ("accept-language", &ACCEPT_LANGUAGE),
    ("content-type", &CONTENT_TYPE),
    ("content-length", &CONTENT_LENGTH_HEADER),
    ("content-encoding", &CONTENT_ENCODING),
    ("transfer-encoding", &TRANSFER_ENCODING),
    ("server", &SERVER),
    ("connection", &CONNECTION),
    ("cookie", &COOKIE),
    ("set-cookie", &SET_COOKIE),
    ("referer", &REFERER),
    ("authorization", &AUTHORIZATION),
    ("www-authenticate", &WWW_AUTHENTICATE),
    ("location", &LOCATION),
    ("cache-control", &CACHE_CONTROL),
    ("date", &DATE),
    ("last-modified", &LAST_MODIFIED),
    ("upgrade", &UPGRADE),
    ("x-forwarded-for", &X_FORWARDED_FOR),
];

/// The field of a header name, in any case (compared in place: no lowercase copy).
fn header_spec(name: &[u8]) -> Option<&'static FieldSpec> {
    HEADERS.iter().find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes())).map(|&(_, spec)| spec)
}

/// One line of the captured bytes: header-relative start, end of its text, and where the next
/// line starts (`None` when no line terminator was captured).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub start: usize,
    pub text_end: usize,
    pub next: Option<usize>,
}

/// The line starting at `from` in `data`: ends at LF (a CR before it is not text).
pub(crate) fn line_at(data: &[u8], from: usize) -> Line {
    let rest = data.get(from..).unwrap_or(&[]);
    match rest.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let mut text_end = from + i;
            if i > 0 && rest[i - 1] == b'\r' {
                text_end -= 1;
            }
            Line { start: from, text_end, next: Some(from + i + 1) }
        }
        None => {
            // A line cut by the capture: a CR at the end is still not text.
            let end = data.len().max(from);
            let text_end = if end > from && data.get(end - 1) == Some(&b'\r') { end - 1 } else { end };
            Line { start: from, text_end, next: None }
        }
    }
}

/// What the first line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request { method_len: usize },
    Response,
}

/// Whether a payload's first line is a request or status line (else, on an HTTP port, it is
/// a `Continuation`; elsewhere not HTTP at all).
pub(crate) fn starts_message(data: &[u8]) -> bool {
    // Only the start of the first line decides: `HTTP/` or a method and the space after it.
    // Cut where a method could no longer end, the line is never searched further (a body of
    // kilobytes without a line break would be read to its end); a first line longer than the
    // cut has no method as its first word either way.
    let head = &data[..data.len().min(FIRST_WORD_MAX + 1)];
    let first = line_at(head, 0);
    head.get(..first.text_end).and_then(kind_of).is_some()
}

/// The longest method with the space after it: how far [`starts_message`] needs to read.
const FIRST_WORD_MAX: usize = {
    let mut max = "HTTP/".len();
    let mut i = 0;
    while i < METHODS.len() {
        if METHODS[i].len() + 1 > max {
            max = METHODS[i].len() + 1;
        }
        i += 1;
    }
    max
};

fn kind_of(line: &[u8]) -> Option<Kind> {
    if line.starts_with(b"HTTP/") {
        return Some(Kind::Response);
    }
    let m = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let method = line.get(..m)?;
    // Every method starts with a capital letter: one look rejects most bodies before the table.
    let known = method.first().is_some_and(u8::is_ascii_uppercase) && METHODS.iter().any(|x| x.as_bytes() == method);
    known.then_some(Kind::Request { method_len: m })
}

/// tshark's TCP heuristic: a whole first line, not 8 bytes long, starting or ending with
/// `HTTP/1.` (any case) — `GET / HTTP/1.1` or `HTTP/1.1 200 OK`.
fn heuristic_accepts(line: &[u8], complete: bool) -> bool {
    let n = line.len();
    if !complete || n == 8 || n < 7 {
        return false;
    }
    let ci = |s: &[u8]| s.eq_ignore_ascii_case(b"HTTP/1.");
    ci(&line[..7]) || (n >= 8 && ci(&line[n - 8..n - 1]))
}

/// Where the message is carried, which changes the names tshark shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// TCP on a port tshark gives to HTTP.
    TcpPort,
    /// TCP elsewhere: only if the heuristic accepts the first line.
    TcpHeuristic,
    /// SSDP: HTTP over UDP 1900.
    Ssdp,
}

/// Packet bytes as text: copied as they are when valid UTF-8 (the usual case, checked quickly),
/// invalid sequences replaced otherwise.
fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Whether `b` reads the same escaped: printable ASCII without a backslash.
fn plain(b: &[u8]) -> bool {
    b.iter().all(|&c| (b' '..=b'~').contains(&c) && c != b'\\')
}

/// HTTP (or SSDP) at the start of `at`, or `None` when the bytes do not start a message.
pub(crate) fn http(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, carrier: Carrier) -> Option<Step> {
    let w = Window::new(frame, at);
    let data = w.rest(0);
    let first = line_at(data, 0);
    let line = data.get(..first.text_end)?;
    let Some(kind) = kind_of(line) else {
        return (carrier == Carrier::TcpPort && !data.is_empty()).then(|| continuation(&w));
    };
    if carrier == Carrier::TcpHeuristic && !heuristic_accepts(line, first.next.is_some()) {
        return None;
    }
    let (protocol_title, display) = match carrier {
        Carrier::Ssdp => ("Simple Service Discovery Protocol", "SSDP"),
        _ => ("Hypertext Transfer Protocol", "HTTP"),
    };
    let mut layer = Layer::new(LayerKind::Application, "http", display, w.abs(0..w.len()));
    layer.title = protocol_title.to_string();
    // The first line's parts and room for a dozen header lines (each a field, two when known).
    let mut fs = Vec::with_capacity(32);
    let request = matches!(kind, Kind::Request { .. });
    let mut uri_text = None;
    match kind {
        Kind::Request { method_len } => {
            fs.push(Field::generated(&REQUEST, Value::Bool(true)));
            fs.push(Field::new(&METHOD, Value::Text(text(&line[..method_len])), w.abs(0..method_len)));
            if method_len < line.len() {
                let u0 = method_len + 1;
                let u1 = line[u0..].iter().position(|&b| b == b' ').map_or(line.len(), |i| u0 + i);
                if u1 > u0 {
                    let u = text(&line[u0..u1]);
                    uri_text = Some(u.clone());
                    fs.push(Field::new(&URI, Value::Text(u), w.abs(u0..u1)));
                }
                if u1 < line.len() && u1 + 1 < line.len() {
                    fs.push(Field::new(&REQ_VERSION, Value::Text(text(&line[u1 + 1..])), w.abs(u1 + 1..line.len())));
                }
            }
        }
        Kind::Response => {
            fs.push(Field::generated(&RESPONSE, Value::Bool(true)));
            let v1 = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
            fs.push(Field::new(&RESP_VERSION, Value::Text(text(&line[..v1])), w.abs(0..v1)));
            let c0 = v1 + 1;
            if let Some(code) = line.get(c0..c0 + 3).filter(|c| c.iter().all(u8::is_ascii_digit)) {
                let n = code.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
                fs.push(Field::new(&CODE, Value::UInt(n), w.abs(c0..c0 + 3)));
                if line.get(c0 + 3) == Some(&b' ') && c0 + 4 < line.len() {
                    fs.push(Field::new(&PHRASE, Value::Text(text(&line[c0 + 4..])), w.abs(c0 + 4..line.len())));
                }
            }
        }
    }

    // Header lines, as far as captured; the last one may be cut.
    let line_spec = if request { &REQ_LINE } else { &RESP_LINE };
    let mut host = None;
    let mut content_type = None;
    let mut content_length = None;
    let mut body_start = None;
    let mut next = first.next;
    while let Some(from) = next {
        if from >= data.len() {
            break;
        }
        let l = line_at(data, from);
        let whole = l.next.unwrap_or(data.len());
        if l.text_end == l.start && l.next.is_some() {
            body_start = l.next;
            break;
        }
        let raw = &data[l.start..whole];
        let body = &data[l.start..l.text_end];
        let r = w.abs(l.start..whole);
        // A line without a colon (often a header cut by the capture) is no header: tshark shows
        // no field for it.
        if let Some(colon) = body.iter().position(|&b| b == b':') {
            let name = &body[..colon];
            let value = body[colon + 1..].iter().position(|&b| b != b' ' && b != b'\t').map_or(&[][..], |i| &body[colon + 1 + i..]);
            if let Some(spec) = header_spec(name) {
                let mut f = Field::new(spec, Value::Text(text(value)), r.clone());
                if spec.key == "http.content_length_header" {
                    if let Ok(n) = std::str::from_utf8(value).unwrap_or("").trim().parse::<u64>() {
                        content_length = Some(n);
                        f.children.push(Field::new(&CONTENT_LENGTH, Value::UInt(n), r.clone()));
                    }
                }
                match spec.key {
                    "http.host" => host = Some(text(value)),
                    "http.content_type" => content_type = Some(text(value)),
                    _ => {}
                }
                fs.push(f);
            }
            fs.push(Field::new(line_spec, Value::Text(text(raw)), r));
        }
        next = l.next;
    }
    if let (Some(h), Some(u)) = (host, uri_text) {
        let full = if u.contains("://") { u } else { ["http://", &h, &u].concat() };
        fs.push(Field::generated(&FULL_URI, Value::Text(full)));
    }
    let mut body_len = 0;
    if let Some(b) = body_start.filter(|&b| b < data.len()) {
        let end = content_length.map_or(data.len(), |n| b.saturating_add(n as usize).min(data.len()));
        if end > b {
            body_len = end - b;
            fs.push(Field::new(&FILE_DATA, Value::Bytes(data[b..end].to_vec()), w.abs(b..end)));
        }
    }

    if first.next.is_some() {
        let mut info = if plain(line) {
            let mut s = String::with_capacity(line.len() + 48);
            s.extend(line.iter().map(|&b| char::from(b)));
            s
        } else {
            escape::bytes(line)
        };
        info.push(' ');
        if body_len > 0 {
            if let Some(ct) = &content_type {
                let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                match media.as_str() {
                    "" | "application/octet-stream" => {}
                    "application/json" => {
                        info.push_str(", JavaScript Object Notation (application/json)");
                        layer.display_name = "HTTP/JSON";
                    }
                    "application/xml" | "text/xml" => layer.display_name = "HTTP/XML",
                    m if m.starts_with("multipart/") => {}
                    m => {
                        info.push_str(" (");
                        info.push_str(&escape::text(m));
                        info.push(')');
                    }
                }
            }
        }
        layer.info = Some(info);
    }
    layer.fields = fs;
    let end = w.end();
    Some(Step { layers: vec![layer], next: Handoff::End, payload: end..end })
}

/// A segment on an HTTP port that does not start a message: the rest of a body (or of
/// headers) sent earlier. tshark 4.0 names it `Continuation` and reads it line by line as it
/// reads headers: a line holding a colon anywhere is taken for a header it does not know, a
/// blank line ends the headers, and a header line cut by the capture still belongs to them. The
/// first other line stops the reading; from there on the bytes are data. So a body of
/// `key: value` text is shown as header lines, and one that starts mid-line as data.
fn continuation(w: &Window<'_>) -> Step {
    let data = w.rest(0);
    let mut layer = Layer::new(LayerKind::Application, "http", "HTTP", w.abs(0..w.len()));
    layer.title = "Hypertext Transfer Protocol".to_string();
    layer.info = Some("Continuation".to_string());
    let from = continuation_lines(data, |line| {
        layer.fields.push(Field::new(&UNKNOWN_HEADER, Value::Text(text(&data[line.clone()])), w.abs(line)));
    });
    if from < data.len() {
        Step { layers: vec![layer], next: Handoff::Data, payload: w.abs(from..w.len()) }
    } else {
        let end = w.end();
        Step { layers: vec![layer], next: Handoff::End, payload: end..end }
    }
}

/// Reads a continuation's leading lines the way tshark 4.0 does: every line with a colon is an
/// (unknown) header line, handed to `header` with its line end; a blank line ends them. Returns
/// where the rest (a body, shown as data) starts: `data.len()` when there is none.
pub(crate) fn continuation_lines(data: &[u8], mut header: impl FnMut(Range<usize>)) -> usize {
    let mut from = 0;
    let mut seen_header = false;
    while from < data.len() {
        let l = line_at(data, from);
        let whole = l.next.unwrap_or(data.len());
        if l.text_end == l.start && l.next.is_some() {
            return whole; // the blank line that ends headers; what follows is a body
        }
        if data[l.start..l.text_end].contains(&b':') {
            header(l.start..whole);
            seen_header = true;
            from = whole;
            continue;
        }
        if seen_header && l.next.is_none() {
            from = whole; // a header line cut by the capture
        }
        break;
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(b: &[u8], carrier: Carrier) -> Option<Layer> {
        let mut f = vec![0u8; 54];
        f.extend_from_slice(b);
        let s = http(&f, 54..f.len(), DecodeCtx::default(), carrier)?;
        if s.next == Handoff::Data {
            return None; // a continuation, not a message
        }
        let l = s.layers[0].clone();
        l.walk(&mut |x: &Field| assert!(x.generated || (x.range.start >= 54 && x.range.end <= f.len()), "{} {:?}", x.spec.key, x.range));
        Some(l)
    }

    fn val(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    fn t(s: &str) -> Option<Value> {
        Some(Value::Text(s.to_string()))
    }

    #[test]
    fn methods_start_with_a_capital_letter() {
        assert!(METHODS.iter().all(|m| m.as_bytes()[0].is_ascii_uppercase()));
    }

    #[test]
    fn continuation_lines_with_a_colon_are_headers() {
        let step = |b: &[u8]| {
            let mut f = vec![0u8; 54];
            f.extend_from_slice(b);
            http(&f, 54..f.len(), DecodeCtx::default(), Carrier::TcpPort).expect("a continuation")
        };
        // Body text whose lines hold colons: all of it is read as headers, nothing is data.
        let s = step(b"line 000: the fox\nline 001: the");
        assert_eq!(s.next, Handoff::End);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Continuation"));
        assert_eq!(l.fields.len(), 2);
        assert_eq!(l.fields[1].value, Value::Text("line 001: the".into()));
        assert_eq!(l.fields[1].range, 54 + 18..54 + 31);
        // Starting mid-line without a colon: all data.
        let s = step(b" lazy dog\nline 027: x\n");
        assert_eq!((s.next, s.payload.clone(), s.layers[0].fields.len()), (Handoff::Data, 54..54 + 22, 0));
        // Headers, then a line without a colon: data from that line on.
        let s = step(b"a: b\nplain\nc: d\n");
        assert_eq!((s.next, s.payload.clone()), (Handoff::Data, 54 + 5..54 + 16));
        // A blank line ends them: what follows is a body, shown as data.
        let s = step(b"a: b\r\n\r\nbody");
        assert_eq!((s.next, s.payload.clone()), (Handoff::Data, 54 + 8..54 + 12));
        // A cut last line without a colon still belongs to the headers.
        assert_eq!(step(b"a: b\nno colon").next, Handoff::End);
    }

    #[test]
    fn request() {
        let req = b"GET /dir/a.txt?x=1&y=two HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: curl/7.88.1\r\nX-Weird:  spaced \r\n\r\n";
        let l = run(req, Carrier::TcpPort).unwrap_or_else(|| Layer::new(LayerKind::Application, "x", "x", 0..0));
        assert_eq!(val(&l, "http.request.method"), t("GET"));
        assert_eq!(val(&l, "http.request.uri"), t("/dir/a.txt?x=1&y=two"));
        assert_eq!(val(&l, "http.request.version"), t("HTTP/1.1"));
        assert_eq!(val(&l, "http.host"), t("www.example.test"));
        assert_eq!(val(&l, "http.user_agent"), t("curl/7.88.1"));
        assert_eq!(val(&l, "http.request.line"), t("Host: www.example.test\r\n"));
        assert_eq!(val(&l, "http.request.full_uri"), t("http://www.example.test/dir/a.txt?x=1&y=two"));
        assert_eq!(l.info.as_deref(), Some("GET /dir/a.txt?x=1&y=two HTTP/1.1 "));
        assert_eq!(l.find("http.request.uri").map(|f| f.range.clone()), Some(58..78));
        assert_eq!(l.find("http.host").map(|f| f.range.clone()), Some(54 + 35..54 + 59));
        let lines = l.fields.iter().filter(|f| f.spec.key == "http.request.line").count();
        assert_eq!(lines, 3);
    }

    #[test]
    fn responses_and_info() {
        let r = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello";
        let l = run(r, Carrier::TcpPort).unwrap_or_else(|| Layer::new(LayerKind::Application, "x", "x", 0..0));
        assert_eq!(val(&l, "http.response.version"), t("HTTP/1.1"));
        assert_eq!(val(&l, "http.response.code"), Some(Value::UInt(200)));
        assert_eq!(val(&l, "http.response.phrase"), t("OK"));
        assert_eq!(val(&l, "http.content_length"), Some(Value::UInt(5)));
        assert_eq!(val(&l, "http.file_data"), Some(Value::Bytes(b"hello".to_vec())));
        assert_eq!(l.info.as_deref(), Some("HTTP/1.1 200 OK  (text/html)"));
        let info = |b: &[u8]| run(b, Carrier::TcpPort).and_then(|l| l.info);
        assert_eq!(info(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").as_deref(), Some("HTTP/1.1 404 Not Found "));
        assert_eq!(info(b"HTTP/1.1 200\r\n\r\n").as_deref(), Some("HTTP/1.1 200 "));
        assert_eq!(info(b"HTTP/1.1 999 Weird\r\nContent-Type: text/plain\r\n\r\n").as_deref(), Some("HTTP/1.1 999 Weird "));
        assert_eq!(
            info(b"POST /api HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}").as_deref(),
            Some("POST /api HTTP/1.1 , JavaScript Object Notation (application/json)")
        );
        assert_eq!(info(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\nxx").as_deref(), Some("HTTP/1.1 200 OK "));
        assert_eq!(info(b"HTTP/1.1 200 OK\r\nContent-Type: TEXT/HTML; x=y\r\n\r\nxx").as_deref(), Some("HTTP/1.1 200 OK  (text/html)"));
        assert!(run(b"HTTP/1.1 200\r\n\r\n", Carrier::TcpPort).is_some_and(|l| l.find("http.response.phrase").is_none()));
    }

    #[test]
    fn odd_request_lines() {
        let l = run(b"GET  /  HTTP/1.1\r\n\r\n", Carrier::TcpPort);
        assert!(l.as_ref().is_some_and(|l| l.find("http.request.uri").is_none()));
        assert_eq!(l.and_then(|l| val(&l, "http.request.version")), t("/  HTTP/1.1"));
        assert_eq!(run(b"GET /x\r\n\r\n", Carrier::TcpPort).and_then(|l| l.info), Some("GET /x ".into()));
        assert!(run(b"FOO /x HTTP/1.1\r\n\r\n", Carrier::TcpPort).is_none());
        assert!(run(b"get / HTTP/1.1\r\n\r\n", Carrier::TcpPort).is_none());
        let c = http(b"\x00\x01binary", 0..8, DecodeCtx::default(), Carrier::TcpPort);
        assert_eq!(c.as_ref().map(|s| (s.next.clone(), s.payload.clone())), Some((Handoff::Data, 0..8)));
        assert_eq!(c.and_then(|s| s.layers[0].info.clone()).as_deref(), Some("Continuation"));
        assert!(run(b"\x00\x01binary", Carrier::TcpHeuristic).is_none());
        assert!(run(b"GET / HTTP/1.1\n\n", Carrier::TcpPort).is_some_and(|l| l.info.as_deref() == Some("GET / HTTP/1.1 ")));
        // Control characters from the packet are escaped in Info.
        assert_eq!(run(b"GET /\x1b[31m HTTP/1.1\r\n\r\n", Carrier::TcpPort).and_then(|l| l.info), Some("GET /\\e[31m HTTP/1.1 ".into()));
    }

    #[test]
    fn heuristic_other_ports() {
        assert!(run(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n", Carrier::TcpHeuristic).is_some());
        assert!(run(b"HTTP/1.1 200 OK\r\n\r\n", Carrier::TcpHeuristic).is_some());
        // Incomplete line, HTTP/2, or no version: not taken.
        assert!(run(b"GET /x HTTP/1.1", Carrier::TcpHeuristic).is_none());
        assert!(run(b"GET /x HTTP/2.0\r\n\r\n", Carrier::TcpHeuristic).is_none());
        assert!(run(b"GET /x\r\n\r\n", Carrier::TcpHeuristic).is_none());
        let l = run(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n", Carrier::Ssdp);
        assert!(l.as_ref().is_some_and(|l| l.display_name == "SSDP" && l.title == "Simple Service Discovery Protocol"));
        assert_eq!(l.as_ref().and_then(|l| val(l, "http.host")), t("239.255.255.250:1900"));
        assert_eq!(l.and_then(|l| val(&l, "http.request.full_uri")), t("http://239.255.255.250:1900*"));
    }

    /// tshark shows the first line's parts as far as they were captured, and Info only for a
    /// whole line (capture h2).
    #[test]
    fn split_lines() {
        let req = b"GET /dir/a.txt HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
        for n in 0..=req.len() {
            let l = run(&req[..n], Carrier::TcpPort);
            let got = |k: &str| l.as_ref().and_then(|l| val(l, k));
            assert_eq!(got("http.request.method"), if n >= 3 { t("GET") } else { None }, "n={n}");
            let uri = match n {
                0..=4 => None,
                5..=14 => t(std::str::from_utf8(&req[4..n]).unwrap_or("")),
                _ => t("/dir/a.txt"),
            };
            assert_eq!(got("http.request.uri"), uri, "n={n}");
            assert_eq!(got("http.request.version").is_some(), n >= 16, "n={n}");
            if n == 24 {
                assert_eq!(got("http.request.version"), t("HTTP/1.1"), "a CR without its LF is not text");
            }
            if n == 26 || n == 27 {
                let lines = l.as_ref().map(|l| l.fields.iter().filter(|f| f.spec.key == "http.request.line").count());
                assert_eq!(lines, Some(0), "a header cut before its colon is no header, n={n}");
            }
            assert_eq!(l.as_ref().and_then(|l| l.info.clone()).is_some(), n >= 25, "n={n}");
            if (35..48).contains(&n) {
                assert_eq!(got("http.host"), t(std::str::from_utf8(&req[31..n]).unwrap_or("")), "n={n}");
            }
        }
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        for n in 0..=resp.len() {
            let l = run(&resp[..n], Carrier::TcpPort);
            let got = |k: &str| l.as_ref().and_then(|l| val(l, k));
            assert_eq!(l.is_some(), n >= 5, "n={n}");
            assert_eq!(got("http.response.code").is_some(), n >= 12, "n={n}");
            assert_eq!(got("http.response.phrase").is_some(), n >= 14, "n={n}");
        }
    }

    proptest! {
        /// The cut `starts_message` makes never changes its answer: the same as reading the
        /// whole first line, for methods, near-methods and lines of every length.
        #[test]
        fn starts_message_needs_only_the_first_word(
            word in prop::sample::select(vec!["GET", "UPDATEREDIRECTREF", "UPDATEREDIRECTREFX", "HTTP/", "HTTP", "get", ""]),
            rest in proptest::collection::vec(prop::sample::select(vec![b' ', b'\r', b'\n', b'A', b':', 0xff]), 0..40),
        ) {
            let mut data = word.as_bytes().to_vec();
            data.extend(rest);
            let whole_line = data.get(..line_at(&data, 0).text_end).and_then(kind_of).is_some();
            prop_assert_eq!(starts_message(&data), whole_line);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200), pre in 0usize..3) {
            let mut b = [&b"GET / HTTP/1.1\r\n"[..], b"HTTP/1.1 ", b""][pre].to_vec();
            b.extend(bytes);
            for c in [Carrier::TcpPort, Carrier::TcpHeuristic, Carrier::Ssdp] {
                let _ = run(&b, c);
                let _ = http(&b, 0..b.len() + 5, DecodeCtx::default(), c);
            }
        }
    }
}
