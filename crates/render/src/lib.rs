//! Views of the one layer tree: packet table, detail tree, coloured hexdump, NDJSON.
//!
//! Depends on `core` alone: every output is a rendering of the same `Layer`/`Field` tree. The
//! binary builds a [`FrameView`] from the stack's dissection and hands it, with one reused
//! `Vec<u8>` per frame, to one of the renderers:
//!
//! | output | functions |
//! |---|---|
//! | packet list | [`table_header`] once, then [`table_row`] per frame |
//! | detail tree (`-V`) | [`tree`] |
//! | hexdump (`-x`) | [`hexdump`] |
//! | NDJSON | [`json`] |
//!
//! Renderers append to the buffer and never clear it, so a caller can put a tree and a hexdump
//! of the same frame into one buffer. Writing into a `Vec<u8>` cannot fail, so none of them
//! returns a `Result`; the caller writes the buffer out and handles I/O errors once.
//!
//! Text that came from a packet (titles, Info, display strings, text values, notes) always goes
//! through [`netlayers_core::escape`], so no control byte from the wire reaches a terminal.
#![forbid(unsafe_code)]

mod color;
pub mod flow;
mod hexdump;
mod json;
mod table;
mod tree;
mod words;
mod write;

use netlayers_core::{Layer, Value};

pub use color::{color_enabled, kind_style, ColorChoice};
pub use flow::{flow_diagram, flow_endpoints, flow_event, FlowEvent};
pub use hexdump::hexdump;
pub use json::{json, write_json_string};
pub use table::{table_header, table_row};
pub use tree::tree;

/// One frame as the renderers see it. The binary builds it from the stack's `Dissection`
/// (render must not depend on the stack).
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    /// 1-based position in the file.
    pub number: u64,
    /// Seconds since the first frame of the capture (the Time column).
    pub rel_time: f64,
    /// Length on the wire.
    pub orig_len: u32,
    /// Bytes captured.
    pub cap_len: usize,
    /// Layers, outermost first, as the stack decoded them.
    pub layers: &'a [Layer],
}

impl<'a> FrameView<'a> {
    /// The layer whose Info text the packet list shows: the innermost one of the frame itself
    /// (not of a packet quoted inside an ICMP error) that has an Info text.
    pub fn info_layer(&self) -> Option<&'a Layer> {
        self.layers.iter().rev().filter(|l| l.depth == 0).find(|l| l.info.is_some())
    }

    /// The Protocol column: the innermost layer of the frame itself that is not plain data (or
    /// the innermost layer of any kind, when that is all there is).
    pub fn protocol_layer(&self) -> Option<&'a Layer> {
        let own = || self.layers.iter().rev().filter(|l| l.depth == 0);
        own().find(|l| l.protocol != "data" && l.protocol != "frame").or_else(|| own().next())
    }

    /// The Source column: the innermost address of the frame's own layers, as Wireshark's
    /// columns show it (IP over Ethernet: the IP address; ARP: the Ethernet address).
    pub fn source(&self) -> Option<&'a Value> {
        self.innermost_address(".src")
    }

    /// The Destination column, chosen as [`FrameView::source`] is.
    pub fn destination(&self) -> Option<&'a Value> {
        self.innermost_address(".dst")
    }

    /// The innermost field keyed `<protocol>.src`/`.dst` (`ip.src`, `ipv6.dst`, `eth.src`) whose
    /// value is an address. Keys like `arp.src.hw_mac` do not match, which is what makes an ARP
    /// frame show its Ethernet addresses, as Wireshark does.
    fn innermost_address(&self, suffix: &str) -> Option<&'a Value> {
        for l in self.layers.iter().rev().filter(|l| l.depth == 0) {
            let p = l.protocol;
            let is_key = |k: &str| k.len() == p.len() + suffix.len() && k.starts_with(p) && k.ends_with(suffix);
            if let Some(v) = find_field(&l.fields, &is_key) {
                return Some(v);
            }
        }
        None
    }
}

/// The colour of layer `i` of a frame: its kind's colour, in the bright shade when an odd number
/// of earlier layers share its kind, so two adjacent layers of one kind never look alike; a
/// packet quoted inside an ICMP error is underlined as well.
pub fn layer_style(layers: &[Layer], i: usize) -> anstyle::Style {
    let Some(layer) = layers.get(i) else { return anstyle::Style::new() };
    let same = layers[..i].iter().filter(|l| l.kind == layer.kind).count();
    let style = kind_style(layer.kind, same % 2 == 1);
    if layer.depth > 0 { style.underline() } else { style }
}

fn find_field<'a>(fields: &'a [netlayers_core::Field], is_key: &dyn Fn(&str) -> bool) -> Option<&'a Value> {
    for f in fields {
        if is_key(f.spec.key) && matches!(f.value, Value::Mac(_) | Value::Ipv4(_) | Value::Ipv6(_)) {
            return Some(&f.value);
        }
        if let Some(v) = find_field(&f.children, is_key) {
            return Some(v);
        }
    }
    None
}
