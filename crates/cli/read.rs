//! `netlayers read`: a capture file (or stdin) through the decoder, to a table, tree, hexdump or NDJSON.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Result;
use netlayers_capture::{CaptureError, FrameSource};
use netlayers_core::Frame;
use netlayers_stack::Dissector;

use crate::ahead::{Ahead, Head, Next, Prepare};
use crate::args::{Format, ReadArgs};
use crate::frames::FrameOutput;
use crate::output::{Outcome, Ui};

pub fn run(a: &ReadArgs, ui: &Ui) -> Result<Outcome> {
    let format = crate::select::output_format(&a.fields, a.format, ui.lang)?;
    let source = FrameSource::open(a.path())?;
    let mut pick = (!a.fields.is_empty()).then(|| crate::select::FieldSelection::new(&a.fields));
    let show = FrameOutput::new(format, a.detail, a.explain, a.hex, ui);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    // IP reassembly is for the views people read (table, tree, hexdump); the NDJSON keeps each
    // frame's own fields, so scripts see what every frame holds.
    let reassemble = format == Format::Table && !a.no_reassembly;
    let mut dissector = Dissector::new().with_reassembly(reassemble);
    if reassemble {
        if let Some(next) = read_ahead(a.path()) {
            dissector = dissector.with_read_ahead(next);
        }
    }
    let mut selection = crate::filter_args::Selection::new(a.filter.as_deref())?;
    // Rows without colour only (the coloured row takes its colours from the layers), or NDJSON.
    let json = format == Format::Json;
    let mut fast = ((json || (show.is_table() && !ui.color)) && !a.no_fast_path).then(netlayers_fastpath::FastList::new);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    show.header(&mut buf);
    out.write_all(&buf)?;

    // The fast path's stateless half is done ahead, on the second core, with the reading.
    let payloads = pick.as_ref().is_none_or(|p| ["tcp.payload", "udp.payload", "data.data"].iter().any(|k| p.asks(k)));
    let prepare = match (&fast, selection.unfiltered().is_some(), json) {
        (Some(_), true, true) if payloads => Prepare::JsonWithPayloads,
        (Some(_), true, true) => Prepare::Json,
        (Some(_), true, false) => Prepare::Row,
        _ => Prepare::Nothing,
    };
    // On the reading thread, the head of each NDJSON line (frame, Ethernet and IP keys) too:
    // whole, or the asked pairs of it, picked by a copy of the selection; or a row's Source and
    // Destination columns.
    let head: Option<Head> = match (json, prepare != Prepare::Nothing, &pick) {
        (_, false, _) => None,
        (false, true, _) => Some(Box::new(|f: &Frame, out: &mut Vec<u8>| netlayers_fastpath::row_head(out, f))),
        (true, true, None) => Some(Box::new(|f: &Frame, out: &mut Vec<u8>| netlayers_fastpath::json_head(&mut netlayers_render::Line(out), f))),
        (true, true, Some(p)) => {
            let mine = p.clone();
            Some(Box::new(move |f: &Frame, out: &mut Vec<u8>| netlayers_fastpath::json_head(&mut mine.recorder(out), f)))
        }
    };
    let mut frames = Ahead::new(source, prepare, head);
    let name = frames.name().to_string();
    let mut shown = 0u64;
    let mut failure: Option<CaptureError> = None;
    let mut progress = crate::progress::Progress::for_file(a.path(), true);
    loop {
        progress.frame(|| frames.bytes_read());
        let Next { frame, prepared, head } = match frames.next() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        if !frame.link.is_supported() {
            failure = Some(CaptureError::unsupported_link(&name, frame));
            break;
        }
        if let Some(frames) = &a.frames {
            if frame.number > frames.last() {
                break;
            }
        }
        // The row or NDJSON line of a common frame, straight from its bytes (same output, same
        // state).
        if let (Some(fast), Some(cross), Some(prepared)) = (fast.as_mut(), selection.unfiltered(), prepared) {
            buf.clear();
            let done = match (json, pick.as_mut()) {
                (true, Some(p)) => {
                    let mut picker = p.picker(&mut buf);
                    if let Some(h) = head {
                        picker.open_recorded(h);
                    }
                    fast.json_prepared(&mut picker, frame, prepared, head.is_some(), &mut dissector, cross)
                }
                (true, None) => {
                    buf.extend_from_slice(head.unwrap_or_default());
                    fast.json_prepared(&mut netlayers_render::Line(&mut buf), frame, prepared, head.is_some(), &mut dissector, cross)
                }
                (false, _) => fast.row_prepared(&mut buf, frame, prepared, head.filter(|h| !h.is_empty()), &mut dissector, cross),
            };
            if done {
                if a.frames.as_ref().is_none_or(|f| f.contains(frame.number)) {
                    out.write_all(&buf)?;
                    shown += 1;
                    if a.count.is_some_and(|c| shown >= c) {
                        break;
                    }
                }
                continue;
            }
        }
        // The dissector sees every frame (relative TCP numbers depend on earlier ones); the
        // selection only decides what is printed.
        let mut d = dissector.dissect(frame);
        // The filter reads bytes where the layers' ranges point: with a reassembled datagram,
        // past the frame's own (see `Dissection::with_reassembled`). Taken out of `d` while
        // `admit` adds fields to its layers.
        let with_reassembled = std::mem::take(&mut d.with_reassembled);
        let bytes = if with_reassembled.is_empty() { &frame.data } else { &with_reassembled };
        // Streams are numbered on every frame; then the display filter and --frames choose.
        let admitted = selection.admit(&mut d, bytes);
        d.with_reassembled = with_reassembled;
        if !admitted {
            continue;
        }
        if a.frames.as_ref().is_some_and(|f| !f.contains(frame.number)) {
            continue;
        }
        buf.clear();
        crate::frames::show_frame(&show, pick.as_mut(), &mut buf, &d, &frame.data);
        out.write_all(&buf)?;
        shown += 1;
        if a.count.is_some_and(|c| shown >= c) {
            break;
        }
    }
    out.flush()?;
    drop(progress);
    if let Some(e) = failure {
        // Everything read before the fault is already printed; the error says where it stopped.
        return Err(e.into());
    }
    Ok(if shown == 0 { Outcome::NothingMatched } else { Outcome::Success })
}

/// A second reader of the capture, for the dissector to read ahead (so a fragment can say in
/// which later frame its datagram is reassembled, as Wireshark does for a file). Only for a
/// regular file: stdin or a pipe can be read once, and then fragments are shown knowing only
/// the frames before them, as tshark does in one pass.
fn read_ahead(path: &Path) -> Option<Box<dyn FnMut() -> Option<Frame>>> {
    if path == Path::new("-") || !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut source = FrameSource::open(path).ok()?;
    Some(Box::new(move || {
        let mut frame = Frame::empty();
        // An error ahead only ends the reading ahead; the main pass reports it when it gets there.
        matches!(source.next_into(&mut frame), Ok(true)).then_some(frame)
    }))
}
