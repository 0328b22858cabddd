//! Payload that no decoder claims: shown as bytes, with a printable preview.
//!
//! Like Wireshark's "data" protocol: a layer titled `Data (N bytes)` holding `data.data` and
//! `data.len`. It sets no Info text, so the packet list keeps the transport's summary.

use std::ops::Range;

use netlayers_core::escape;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Step, Value};

use netlayers_core::window::Window;

/// How many bytes the printable preview shows.
const PREVIEW: usize = 48;

spec!(DATA, "data.data", "Data", "数据",
    "Bytes no decoder here understands: an application protocol netlayers does not know, encrypted data, or the middle of a longer message. The preview shows printable ASCII, a dot for any other byte.",
    "这里没有解码器能理解的字节:netlayers 不认识的应用层协议、加密数据,或一条较长消息的中间部分。预览只显示可打印的 ASCII 字符,其他字节显示为点。");
spec!(LEN, "data.len", "Length", "长度",
    "Number of bytes of data.",
    "数据的字节数。");

/// Payload that no decoder claims, as `data` with a printable preview.
pub fn data(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let bytes = w.rest(0);
    let mut l = Layer::new(LayerKind::Application, "data", "Data", w.abs(0..w.len()));
    l.title = format!("Data ({} bytes)", bytes.len());
    let mut preview = escape::ascii_column(&bytes[..bytes.len().min(PREVIEW)]);
    if bytes.len() > PREVIEW {
        preview.push('…');
    }
    // The first 32 bytes in hex, then the preview (built by hand: every data layer has one).
    let mut display = String::with_capacity(72 + preview.len());
    for &b in bytes.iter().take(32) {
        display.extend(netlayers_core::text::hex_pair(b).map(char::from));
    }
    if bytes.len() > 32 {
        display.push('…');
    }
    display.push_str("  \"");
    display.push_str(&preview);
    display.push('"');
    l.fields = vec![
        Field::new(&DATA, Value::Bytes(bytes.to_vec()), w.abs(0..w.len())).with_display(display),
        Field::generated(&LEN, Value::UInt(bytes.len() as u64)),
    ];
    Step { layers: vec![l], next: Handoff::End, payload: w.end()..w.end() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hello() {
        let f = b"xxhello\x00";
        let s = data(f, 2..8, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.title, "Data (6 bytes)");
        assert_eq!(l.find("data.data").map(|f| (f.value.clone(), f.range.clone())), Some((Value::Bytes(b"hello\0".to_vec()), 2..8)));
        assert_eq!(l.find("data.data").and_then(|f| f.display.clone()).as_deref(), Some("68656c6c6f00  \"hello.\""));
        assert_eq!(l.find("data.len").map(|f| f.value.clone()), Some(Value::UInt(6)));
        assert!(l.info.is_none());
        assert_eq!(s.next, Handoff::End);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100), a in 0usize..120, b in 0usize..120) {
            let s = data(&bytes, a.min(b)..a.max(b), DecodeCtx::default());
            let l = &s.layers[0];
            prop_assert!(l.range.end <= bytes.len());
            prop_assert!(!l.find("data.data").and_then(|f| f.display.clone()).unwrap_or_default().chars().any(char::is_control));
        }
    }
}
