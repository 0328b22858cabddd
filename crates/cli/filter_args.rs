//! `-Y EXPR` / `--filter EXPR` on `read` and `capture`: the display filter compiled once before
//! the first frame, and the cross-frame fields every frame gets before it is filtered.

use netlayers_analyze::{CrossFrame, Filter};

/// The filter and the state it needs across frames.
pub struct Selection {
    filter: Option<Filter>,
    cross: CrossFrame,
}

impl Selection {
    /// Compiles `expr` (an empty or blank one selects everything, as in tshark). A bad
    /// expression is a `FilterError`, which `main` prints as three lines with a caret.
    pub fn new(expr: Option<&str>) -> anyhow::Result<Selection> {
        let filter = match expr {
            Some(e) if !e.trim().is_empty() => Some(Filter::compile(e, &crate::fields::known_field)?),
            _ => None,
        };
        Ok(Selection { filter, cross: CrossFrame::new() })
    }

    /// Adds the cross-frame fields (`tcp.stream`, `tcp.analysis.*`, `icmp.resp_to` …) to a
    /// frame's layers, then says whether the frame passes the filter. Call for every frame, in
    /// order, shown or not.
    /// The cross-frame analysis, when there is no display filter: the packet list's fast path
    /// then shows frames without layers, feeding it directly.
    pub fn unfiltered(&mut self) -> Option<&mut CrossFrame> {
        self.filter.is_none().then_some(&mut self.cross)
    }

    pub fn admit(&mut self, d: &mut netlayers_stack::Dissection, data: &[u8]) -> bool {
        self.cross.annotate(&mut d.layers, d.number, d.ts);
        self.filter.as_ref().is_none_or(|f| f.matches_frame(&d.layers, data))
    }
}
