//! The line protocols: text commands and replies, one per line, over TCP.
//!
//! ```text
//! SSH banner (RFC 4253 §4.2):  SSH-protoversion-softwareversion SP comments CR LF
//! FTP (RFC 959):               command SP argument CRLF      /  code SP text CRLF ("code-" continues)
//! SMTP (RFC 5321):             verb SP parameters CRLF        /  code SP text CRLF ("code-" continues)
//! POP3 (RFC 1939):             keyword SP arguments CRLF      /  +OK text CRLF  |  -ERR text CRLF
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc4253#section-4.2>, <https://www.rfc-editor.org/rfc/rfc959>,
//! <https://www.rfc-editor.org/rfc/rfc5321>, <https://www.rfc-editor.org/rfc/rfc1939>.
//! Which side speaks is told by the port: a segment sent TO the service's port is a request.
//! After its banner, SSH is encrypted: those segments show only their length.

use std::ops::Range;

use netlayers_core::escape;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Step, Value};

use crate::http::line_at;
use netlayers_core::window::Window;

spec!(SSH_PROTOCOL, "ssh.protocol", "Protocol", "协议",
    "The banner each side sends first: the SSH version (2.0) and the software. Both sides compare versions before the encrypted key exchange starts.",
    "双方最先发送的标识串:SSH 版本(2.0)和软件名称。双方先比较版本,然后才开始加密的密钥交换。");
spec!(SSH_DIRECTION, "ssh.direction", "Direction", "方向",
    "True when the server sends (the segment comes from the SSH port).",
    "服务器发送时为真(报文段来自 SSH 端口)。");
spec!(SSH_PACKET_LENGTH_ENCRYPTED, "ssh.packet_length_encrypted", "Packet Length (encrypted)", "分组长度(已加密)",
    "After the key exchange even the length of each SSH packet is encrypted; only its size on the wire stays visible.",
    "密钥交换之后,连每个 SSH 分组的长度都被加密了;只有它在线路上的大小仍然可见。");
spec!(SSH_ENCRYPTED_PACKET, "ssh.encrypted_packet", "Encrypted Packet", "加密分组",
    "Encrypted bytes: a capture shows that something was sent and how much, not what.",
    "加密后的字节:抓包只能看出发送了数据以及数据量,看不出内容。");
spec!(FTP_REQUEST, "ftp.request", "Request", "请求",
    "Sent by the client to the FTP control port (21).",
    "由客户端发往 FTP 控制端口(21)。");
spec!(FTP_RESPONSE, "ftp.response", "Response", "响应",
    "Sent by the server from the FTP control port.",
    "由服务器从 FTP 控制端口发出。");
spec!(FTP_COMMAND, "ftp.request.command", "Request command", "请求命令",
    "The FTP command: USER and PASS log in (in clear text), RETR downloads, STOR uploads, PASV asks for a data connection.",
    "FTP 命令:USER 和 PASS 用于登录(明文传输),RETR 下载,STOR 上传,PASV 请求建立数据连接。");
spec!(FTP_ARG, "ftp.request.arg", "Request arg", "请求参数",
    "The command's argument (user name, password, file name …).",
    "命令的参数(用户名、密码、文件名等)。");
spec!(FTP_CODE, "ftp.response.code", "Response code", "响应码",
    "Three digits: 1xx in progress, 2xx done, 3xx more input needed, 4xx temporary and 5xx permanent failure.",
    "三位数字:1xx 正在进行,2xx 已完成,3xx 需要更多输入,4xx 暂时失败,5xx 永久失败。");
spec!(FTP_ARG_RESP, "ftp.response.arg", "Response arg", "响应参数",
    "Text after the code (for PASV: the address and port of the data connection).",
    "响应码之后的文字(对于 PASV:数据连接的地址和端口)。");
spec!(SMTP_REQ, "smtp.req", "Request", "请求",
    "Sent by the client to the mail server's port (25, or 587 for submission).",
    "由客户端发往邮件服务器端口(25,或用于提交邮件的 587)。");
spec!(SMTP_RSP, "smtp.rsp", "Response", "响应",
    "Sent by the mail server.",
    "由邮件服务器发出。");
spec!(SMTP_COMMAND_LINE, "smtp.command_line", "Command Line", "命令行",
    "One command line as sent.",
    "发送的一行命令。");
spec!(SMTP_COMMAND, "smtp.req.command", "Command", "命令",
    "SMTP verb: EHLO greets, MAIL FROM and RCPT TO name the envelope sender and recipients, DATA starts the message, QUIT ends.",
    "SMTP 动词:EHLO 打招呼,MAIL FROM 和 RCPT TO 指定信封上的发件人和收件人,DATA 开始传送邮件内容,QUIT 结束会话。");
spec!(SMTP_PARAMETER, "smtp.req.parameter", "Request parameter", "请求参数",
    "The command's parameters.",
    "命令的参数。");
spec!(SMTP_RESPONSE, "smtp.response", "Response", "响应",
    "The server's reply line.",
    "服务器的应答行。");
spec!(SMTP_CODE, "smtp.response.code", "Response code", "响应码",
    "Three digits: 2xx success, 3xx go on (354 after DATA), 4xx try later, 5xx refused.",
    "三位数字:2xx 成功,3xx 继续(DATA 之后的 354),4xx 稍后重试,5xx 拒绝。");
spec!(SMTP_RSP_PARAMETER, "smtp.rsp.parameter", "Response parameter", "响应参数",
    "Text of a reply line; in an EHLO reply each line names an extension the server supports.",
    "应答行的文字;在 EHLO 的应答中,每一行说明服务器支持的一个扩展。");
spec!(POP_REQUEST, "pop.request", "Request", "请求",
    "A command line from the client.",
    "客户端发出的一行命令。");
spec!(POP_COMMAND, "pop.request.command", "Request command", "请求命令",
    "POP3 command: USER and PASS log in, LIST and STAT count messages, RETR downloads one, DELE deletes, QUIT ends.",
    "POP3 命令:USER 和 PASS 用于登录,LIST 和 STAT 统计邮件,RETR 下载一封,DELE 删除,QUIT 结束。");
spec!(POP_PARAMETER, "pop.request.parameter", "Request parameter", "请求参数",
    "The command's argument.",
    "命令的参数。");
spec!(POP_RESPONSE, "pop.response", "Response", "响应",
    "A reply line from the server.",
    "服务器的一行应答。");
spec!(POP_INDICATOR, "pop.response.indicator", "Response indicator", "响应标志",
    "+OK for success, -ERR for failure.",
    "+OK 表示成功,-ERR 表示失败。");
spec!(POP_DESCRIPTION, "pop.response.description", "Response description", "响应说明",
    "Text after the indicator.",
    "响应标志之后的文字。");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn end_step(w: &Window<'_>, layer: Layer) -> Step {
    Step { layers: vec![layer], next: Handoff::End, payload: w.end()..w.end() }
}

/// The first word of a line and the rest after one space: (word range, rest range).
fn split_word(line: Range<usize>, data: &[u8]) -> (Range<usize>, Option<Range<usize>>) {
    let s = data.get(line.clone()).unwrap_or(&[]);
    match s.iter().position(|&b| b == b' ') {
        Some(i) => {
            let rest = line.start + i + 1..line.end;
            (line.start..line.start + i, (!rest.is_empty()).then_some(rest))
        }
        None => (line, None),
    }
}

/// SSH: the version banner, or an encrypted packet.
pub(crate) fn ssh(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, from_server: bool) -> Step {
    let w = Window::new(frame, at);
    let data = w.rest(0);
    let mut l = Layer::new(LayerKind::Application, "ssh", "SSH", w.abs(0..w.len()));
    l.title = "SSH Protocol".into();
    let who = if from_server { "Server" } else { "Client" };
    if data.starts_with(b"SSH-") {
        let line = line_at(data, 0);
        let banner = &data[..line.text_end];
        l.fields.push(Field::new(&SSH_PROTOCOL, Value::Text(text(banner)), w.abs(0..line.text_end)));
        l.info = Some(format!("{who}: Protocol ({})", escape::bytes(banner)));
    } else {
        if let Some(len) = w.bytes(0..4) {
            l.fields.push(Field::new(&SSH_PACKET_LENGTH_ENCRYPTED, Value::Bytes(len.to_vec()), w.abs(0..4)));
        }
        if data.len() > 4 {
            l.fields.push(Field::new(&SSH_ENCRYPTED_PACKET, Value::Bytes(data[4..].to_vec()), w.abs(4..data.len())));
        }
        l.info = Some(format!("{who}: Encrypted packet (len={})", data.len()));
    }
    l.fields.push(Field::generated(&SSH_DIRECTION, Value::Bool(from_server)).with_display(if from_server {
        "server-to-client"
    } else {
        "client-to-server"
    }));
    end_step(&w, l)
}

/// FTP control connection: the first line is a command (to port 21) or a reply.
pub(crate) fn ftp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, request: bool) -> Step {
    let w = Window::new(frame, at);
    let data = w.rest(0);
    let mut l = Layer::new(LayerKind::Application, "ftp", "FTP", w.abs(0..w.len()));
    l.title = "File Transfer Protocol (FTP)".into();
    l.fields.push(Field::generated(&FTP_REQUEST, Value::Bool(request)));
    l.fields.push(Field::generated(&FTP_RESPONSE, Value::Bool(!request)));
    let first = line_at(data, 0);
    let line = 0..first.text_end;
    if request {
        let (cmd, arg) = split_word(line.clone(), data);
        if !cmd.is_empty() {
            l.fields.push(Field::new(&FTP_COMMAND, Value::Text(text(&data[cmd.clone()])), w.abs(cmd)));
        }
        if let Some(a) = arg {
            l.fields.push(Field::new(&FTP_ARG, Value::Text(text(&data[a.clone()])), w.abs(a)));
        }
        l.info = Some(format!("Request: {}", escape::bytes(&data[line])));
    } else {
        if let Some(code) = data.get(0..3).filter(|c| c.iter().all(u8::is_ascii_digit)) {
            let n = code.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
            l.fields.push(Field::new(&FTP_CODE, Value::UInt(n), w.abs(0..3)));
            if first.text_end > 4 && matches!(data.get(3), Some(b' ' | b'-')) {
                l.fields.push(Field::new(&FTP_ARG_RESP, Value::Text(text(&data[4..first.text_end])), w.abs(4..first.text_end)));
            }
        }
        l.info = Some(format!("Response: {}", escape::bytes(&data[line])));
    }
    end_step(&w, l)
}

/// SMTP verbs tshark recognises; a client line starting with anything else is message data.
const SMTP_VERBS: &[&str] = &[
    "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "AUTH", "BDAT", "STARTTLS",
    "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML", "XCLIENT", "XFORWARD",
];

/// SMTP: command lines from the client, or a (possibly multi-line) reply from the server.
pub(crate) fn smtp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, request: bool) -> Step {
    let w = Window::new(frame, at);
    let data = w.rest(0);
    let mut l = Layer::new(LayerKind::Application, "smtp", "SMTP", w.abs(0..w.len()));
    l.title = "Simple Mail Transfer Protocol".into();
    let mut from = Some(0usize);
    let mut parts = Vec::new();
    if request {
        l.fields.push(Field::generated(&SMTP_REQ, Value::Bool(true)));
        while let Some(start) = from.filter(|&s| s < data.len()) {
            let line = line_at(data, start);
            let whole = start..line.next.unwrap_or(data.len());
            let (verb, param) = split_word(start..line.text_end, data);
            let known = SMTP_VERBS.iter().any(|v| v.as_bytes().eq_ignore_ascii_case(&data[verb.clone()]));
            if !known {
                // Not a command: the body of a message after DATA, as tshark reads it.
                l.fields.truncate(1);
                parts.clear();
                l.info = Some(format!("C: DATA fragment, {} bytes", data.len()));
                return end_step(&w, l);
            }
            let mut children = vec![Field::new(&SMTP_COMMAND, Value::Text(text(&data[verb.clone()])), w.abs(verb))];
            if let Some(p) = param {
                children.push(Field::new(&SMTP_PARAMETER, Value::Text(text(&data[p.clone()])), w.abs(p)));
            }
            l.fields.push(
                Field::new(&SMTP_COMMAND_LINE, Value::Text(text(&data[whole.clone()])), w.abs(whole)).with_children(children),
            );
            parts.push(escape::bytes(&data[start..line.text_end]));
            from = line.next;
        }
        l.info = Some(format!("C: {}", parts.join(" | ")));
    } else {
        l.fields.push(Field::generated(&SMTP_RSP, Value::Bool(true)));
        let first = line_at(data, 0);
        let first_whole = 0..first.next.unwrap_or(data.len());
        let mut group = Field::new(&SMTP_RESPONSE, Value::Text(text(&data[first_whole.clone()])), w.abs(first_whole));
        if let Some(code) = data.get(0..3).filter(|c| c.iter().all(u8::is_ascii_digit)) {
            let n = code.iter().fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
            group.children.push(Field::new(&SMTP_CODE, Value::UInt(n), w.abs(0..3)));
        }
        while let Some(start) = from.filter(|&s| s < data.len()) {
            let line = line_at(data, start);
            let p0 = start + 4;
            if line.text_end > p0 {
                group.children.push(Field::new(
                    &SMTP_RSP_PARAMETER,
                    Value::Text(text(&data[p0..line.text_end])),
                    w.abs(p0..line.text_end),
                ));
            }
            // tshark's Info: the first line whole, later lines without their code.
            parts.push(if start == 0 {
                escape::bytes(&data[start..line.text_end])
            } else {
                escape::bytes(data.get(p0..line.text_end).unwrap_or(&[]))
            });
            from = line.next;
        }
        l.fields.push(group);
        l.info = Some(format!("S: {}", parts.join(" | ")));
    }
    end_step(&w, l)
}

/// POP3: a command line from the client, or a status line from the server.
pub(crate) fn pop(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, request: bool) -> Step {
    let w = Window::new(frame, at);
    let data = w.rest(0);
    let mut l = Layer::new(LayerKind::Application, "pop", "POP", w.abs(0..w.len()));
    l.title = "Post Office Protocol".into();
    let first = line_at(data, 0);
    let whole = 0..first.next.unwrap_or(data.len());
    let line = &data[..first.text_end];
    let (word, rest) = split_word(0..first.text_end, data);
    // The tree's display is escaped by the renderer; Info is printed as it is, so escape it here.
    let show = text(line);
    let info = escape::bytes(line);
    if request {
        let mut children = Vec::new();
        if !word.is_empty() {
            children.push(Field::new(&POP_COMMAND, Value::Text(text(&data[word.clone()])), w.abs(word)));
        }
        if let Some(p) = rest {
            children.push(Field::new(&POP_PARAMETER, Value::Text(text(&data[p.clone()])), w.abs(p)));
        }
        l.fields.push(Field::new(&POP_REQUEST, Value::None, w.abs(whole)).with_display(show).with_children(children));
        l.info = Some(format!("C: {info}"));
    } else {
        let mut children = Vec::new();
        let ind = &data[word.clone()];
        if ind == b"+OK" || ind == b"-ERR" {
            children.push(Field::new(&POP_INDICATOR, Value::Text(text(ind)), w.abs(word)));
            if let Some(p) = rest {
                children.push(Field::new(&POP_DESCRIPTION, Value::Text(text(&data[p.clone()])), w.abs(p)));
            }
        }
        l.fields.push(Field::new(&POP_RESPONSE, Value::None, w.abs(whole)).with_display(show).with_children(children));
        l.info = Some(format!("S: {info}"));
    }
    end_step(&w, l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at20(b: &[u8]) -> (Vec<u8>, Range<usize>) {
        let mut f = vec![0u8; 20];
        f.extend_from_slice(b);
        let r = 20..f.len();
        (f, r)
    }

    fn val(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    fn t(s: &str) -> Option<Value> {
        Some(Value::Text(s.into()))
    }

    fn check_ranges(l: &Layer, f: &[u8]) {
        l.walk(&mut |x: &Field| assert!(x.generated || (x.range.start >= 20 && x.range.end <= f.len()), "{} {:?}", x.spec.key, x.range));
    }

    #[test]
    fn ssh_banner_and_encrypted() {
        let (f, r) = at20(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
        let s = ssh(&f, r, DecodeCtx::default(), true);
        assert_eq!(val(&s.layers[0], "ssh.protocol"), t("SSH-2.0-OpenSSH_9.2p1 Debian-2"));
        assert_eq!(s.layers[0].info.as_deref(), Some("Server: Protocol (SSH-2.0-OpenSSH_9.2p1 Debian-2)"));
        assert_eq!(s.layers[0].find("ssh.protocol").map(|f| f.range.clone()), Some(20..50));
        let (f, r) = at20(b"SSH-2.0-Go");
        assert_eq!(ssh(&f, r, DecodeCtx::default(), false).layers[0].info.as_deref(), Some("Client: Protocol (SSH-2.0-Go)"));
        let mut b = vec![0, 0, 5, 0xdc, 8, 0x14];
        b.extend([b'x'; 40]);
        let (f, r) = at20(&b);
        let s = ssh(&f, r, DecodeCtx::default(), false);
        assert_eq!(s.layers[0].info.as_deref(), Some("Client: Encrypted packet (len=46)"));
        check_ranges(&s.layers[0], &f);
    }

    #[test]
    fn ftp_lines() {
        let (f, r) = at20(b"USER anonymous\r\n");
        let s = ftp(&f, r, DecodeCtx::default(), true);
        assert_eq!(val(&s.layers[0], "ftp.request.command"), t("USER"));
        assert_eq!(val(&s.layers[0], "ftp.request.arg"), t("anonymous"));
        assert_eq!(s.layers[0].info.as_deref(), Some("Request: USER anonymous"));
        let (f, r) = at20(b"PASV\r\n");
        assert!(ftp(&f, r, DecodeCtx::default(), true).layers[0].find("ftp.request.arg").is_none());
        let (f, r) = at20(b"230-Welcome\r\n230 Login successful.\r\n");
        let s = ftp(&f, r, DecodeCtx::default(), false);
        assert_eq!(val(&s.layers[0], "ftp.response.code"), Some(Value::UInt(230)));
        assert_eq!(val(&s.layers[0], "ftp.response.arg"), t("Welcome"));
        assert_eq!(s.layers[0].info.as_deref(), Some("Response: 230-Welcome"));
        check_ranges(&s.layers[0], &f);
    }

    #[test]
    fn smtp_lines() {
        let (f, r) = at20(b"MAIL FROM:<a@example.test>\r\n");
        let s = smtp(&f, r, DecodeCtx::default(), true);
        assert_eq!(val(&s.layers[0], "smtp.req.command"), t("MAIL"));
        assert_eq!(val(&s.layers[0], "smtp.req.parameter"), t("FROM:<a@example.test>"));
        assert_eq!(s.layers[0].info.as_deref(), Some("C: MAIL FROM:<a@example.test>"));
        let (f, r) = at20(b"250-mail.example.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        let s = smtp(&f, r, DecodeCtx::default(), false);
        assert_eq!(val(&s.layers[0], "smtp.response.code"), Some(Value::UInt(250)));
        assert_eq!(val(&s.layers[0], "smtp.rsp.parameter"), t("mail.example.test"));
        assert_eq!(s.layers[0].info.as_deref(), Some("S: 250-mail.example.test | PIPELINING | 8BITMIME"));
        check_ranges(&s.layers[0], &f);
        let (f, r) = at20(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        let s = smtp(&f, r, DecodeCtx::default(), true);
        assert_eq!(s.layers[0].info.as_deref(), Some("C: DATA fragment, 28 bytes"));
        assert!(s.layers[0].find("smtp.req.command").is_none());
        let (f, r) = at20(b"helo x\r\n");
        assert_eq!(val(&smtp(&f, r, DecodeCtx::default(), true).layers[0], "smtp.req.command"), t("helo"));
    }

    #[test]
    fn pop_lines() {
        let (f, r) = at20(b"+OK POP3 server ready\r\n");
        let s = pop(&f, r, DecodeCtx::default(), false);
        assert_eq!(val(&s.layers[0], "pop.response.indicator"), t("+OK"));
        assert_eq!(val(&s.layers[0], "pop.response.description"), t("POP3 server ready"));
        assert_eq!(s.layers[0].info.as_deref(), Some("S: +OK POP3 server ready"));
        let (f, r) = at20(b"RETR 1\r\n");
        let s = pop(&f, r, DecodeCtx::default(), true);
        assert_eq!(val(&s.layers[0], "pop.request.command"), t("RETR"));
        assert_eq!(val(&s.layers[0], "pop.request.parameter"), t("1"));
        assert_eq!(s.layers[0].info.as_deref(), Some("C: RETR 1"));
        check_ranges(&s.layers[0], &f);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120), req in any::<bool>()) {
            let (f, r) = at20(&bytes);
            for s in [
                ssh(&f, r.clone(), DecodeCtx::default(), req),
                ftp(&f, r.clone(), DecodeCtx::default(), req),
                smtp(&f, r.clone(), DecodeCtx::default(), req),
                pop(&f, r.clone(), DecodeCtx::default(), req),
            ] {
                check_ranges(&s.layers[0], &f);
                // Info never carries a raw control character.
                prop_assert!(!s.layers[0].info.clone().unwrap_or_default().chars().any(char::is_control));
            }
        }
    }
}
