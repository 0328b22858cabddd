//! `netlayers read`: a capture file (or stdin) through the decoder, to a table, tree, hexdump or NDJSON.

use std::io::{BufWriter, Write};

use anyhow::Result;
use netlayers_capture::{CaptureError, FrameSource};
use netlayers_core::Frame;
use netlayers_stack::Dissector;

use crate::args::ReadArgs;
use crate::frames::FrameOutput;
use crate::output::{Outcome, Ui};

pub fn run(a: &ReadArgs, ui: &Ui) -> Result<Outcome> {
    let mut source = FrameSource::open(a.path())?;
    let show = FrameOutput::new(a.format, a.detail, a.explain, a.hex, ui);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut dissector = Dissector::new();
    let mut selection = crate::filter_args::Selection::new(a.filter.as_deref())?;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    show.header(&mut buf);
    out.write_all(&buf)?;

    let mut frame = Frame {
        number: 0,
        ts: Default::default(),
        orig_len: 0,
        data: Vec::with_capacity(2048),
        link: netlayers_core::LinkType::Ethernet,
        interface: 0,
    };
    let mut shown = 0u64;
    let mut failure: Option<CaptureError> = None;
    loop {
        match source.next_into(&mut frame) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if !frame.link.is_supported() {
            failure = Some(CaptureError::unsupported_link(source.name(), &frame));
            break;
        }
        if let Some(frames) = &a.frames {
            if frame.number > frames.last() {
                break;
            }
        }
        // The dissector sees every frame (relative TCP numbers depend on earlier ones); the
        // selection only decides what is printed.
        let mut d = dissector.dissect(&frame);
        // Streams are numbered on every frame; then the display filter and --frames choose.
        if !selection.admit(&mut d, &frame.data) {
            continue;
        }
        if a.frames.as_ref().is_some_and(|f| !f.contains(frame.number)) {
            continue;
        }
        buf.clear();
        show.frame(&mut buf, &d, &frame.data);
        out.write_all(&buf)?;
        shown += 1;
        if a.count.is_some_and(|c| shown >= c) {
            break;
        }
    }
    out.flush()?;
    if let Some(e) = failure {
        // Everything read before the fault is already printed; the error says where it stopped.
        return Err(e.into());
    }
    Ok(if shown == 0 { Outcome::NothingMatched } else { Outcome::Success })
}
