//! One decoded frame to text, the same way for every command that shows frames (`read`, `capture`,
//! `send`, `arping`): packet-list row, detail tree, hexdump or one NDJSON line.

use netlayers_render::FrameView;
use netlayers_stack::Dissection;

use crate::args::Format;
use crate::output::Ui;

/// What the user asked to see of each frame.
#[derive(Debug, Clone, Copy)]
pub struct FrameOutput {
    pub format: Format,
    /// `-V`: the tree of layers and fields.
    pub detail: bool,
    /// `--explain`: each field's explanation in the tree (implies `detail`).
    pub explain: bool,
    /// `-x`: a hexdump coloured by layer.
    pub hex: bool,
    pub ui: Ui,
}

impl FrameOutput {
    pub fn new(format: Format, detail: bool, explain: bool, hex: bool, ui: &Ui) -> FrameOutput {
        FrameOutput { format, detail: detail || explain, explain, hex, ui: *ui }
    }

    /// The packet list is shown when nothing else was asked for.
    pub fn is_table(&self) -> bool {
        self.format == Format::Table && !self.detail && !self.hex
    }

    /// What goes before the first frame: the packet list's heading line, or nothing.
    pub fn header(&self, buf: &mut Vec<u8>) {
        if self.is_table() {
            netlayers_render::table_header(buf, self.ui.lang, self.ui.color);
        }
    }

    /// Appends one frame's rendering to `buf`. `data` is the frame's captured bytes (a
    /// reassembled datagram's payload, if the frame completed one, is in `d`).
    pub fn frame(&self, buf: &mut Vec<u8>, d: &Dissection, data: &[u8]) {
        let data = d.bytes(data);
        let view = view(d);
        match self.format {
            Format::Json => netlayers_render::json(buf, &view),
            Format::Table => {
                if self.detail {
                    netlayers_render::tree(buf, &view, data, self.ui.lang, self.explain, self.ui.color);
                }
                if self.hex {
                    netlayers_render::hexdump(buf, &view, data, self.ui.lang, self.ui.color);
                }
                if !self.detail && !self.hex {
                    netlayers_render::table_row(buf, &view, self.ui.color);
                }
            }
        }
    }
}

/// Appends one frame's output to `buf`: [`FrameOutput::frame`], or only the `-e` fields of its
/// NDJSON line when `pick` holds them.
pub fn show_frame(show: &FrameOutput, pick: Option<&mut crate::select::FieldSelection>, buf: &mut Vec<u8>, d: &Dissection, data: &[u8]) {
    match pick {
        Some(p) => netlayers_render::json_to(&mut p.picker(buf), &view(d)),
        None => show.frame(buf, d, data),
    }
}

/// What the renderers see of a dissected frame.
pub fn view(d: &Dissection) -> FrameView<'_> {
    FrameView { number: d.number, rel_time: d.rel_time, orig_len: d.orig_len, cap_len: d.cap_len, layers: &d.layers }
}

/// Reads every frame of `source` and hands it to `each`, in order, with what was prepared of
/// it ahead (see [`crate::ahead`]: on a second thread when there is one). Stops at the end of
/// the input, at the first read error, or at a frame whose link type cannot be decoded; such an
/// error is returned as `Ok(Some(..))` once the frames before it were handled, so a command can
/// finish its output and then report it. An error from `each` (a closed pipe …) ends the
/// reading at once.
pub fn each_frame(
    source: netlayers_capture::FrameSource,
    prepare: crate::ahead::Prepare,
    mut each: impl FnMut(&netlayers_core::Frame, Option<&mut netlayers_fastpath::Prepared>) -> anyhow::Result<()>,
) -> anyhow::Result<Option<netlayers_capture::CaptureError>> {
    // The commands that use this loop print when it is done.
    let mut progress = crate::progress::Progress::for_file(std::path::Path::new(source.name()), false);
    let mut frames = crate::ahead::Ahead::new(source, prepare, None);
    let name = frames.name().to_string();
    loop {
        progress.frame(|| frames.bytes_read());
        let crate::ahead::Next { frame, prepared, .. } = match frames.next() {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(None),
            Err(e) => return Ok(Some(e)),
        };
        if !frame.link.is_supported() {
            return Ok(Some(netlayers_capture::CaptureError::unsupported_link(&name, frame)));
        }
        each(frame, prepared)?;
    }
}
