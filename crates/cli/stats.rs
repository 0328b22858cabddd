//! `netlayers stats`: one pass over a capture for its properties, protocol hierarchy,
//! conversations, endpoints and TCP expert info, as tables or one JSON object.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use netlayers_analyze::stats::Stats;
use netlayers_analyze::{CrossFrame, Filter};
use netlayers_capture::{FileFormat, FrameSource};
use netlayers_stack::Dissector;

use crate::ahead::Prepare;
use crate::args::Format;
use crate::output::{Outcome, Ui};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers stats captures/http.pcap                    properties, hierarchy, conversations\n  \
netlayers stats captures/dns.pcap --lang zh           headings in Chinese\n  \
netlayers stats captures/http.pcap -Y 'tcp.port == 80'   only frames matching a display filter\n  \
netlayers stats captures/crafted/tcp-loss.pcap        expert info: retransmissions, dup ACKs …\n  \
netlayers stats captures/http.pcap --format json | jq .conversations.tcp")]
pub struct StatsArgs {
    /// Capture file (pcap or pcapng); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Count only frames matching this Wireshark display filter (streams and expert info still
    /// see every frame, as in tshark)
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Build every frame's layers instead of counting common frames straight from their bytes
    /// (crates/fastpath). The output is the same; tests/fast_path.rs checks it.
    #[arg(long, hide = true)]
    pub no_fast_path: bool,
}

pub fn run(a: &StatsArgs, ui: &Ui) -> Result<Outcome> {
    let source = FrameSource::open(&a.file)?;
    let filter = match a.filter.as_deref() {
        Some(e) if !e.trim().is_empty() => Some(Filter::compile(e, &crate::fields::known_field)?),
        _ => None,
    };
    let mut dissector = Dissector::new();
    let mut cross = CrossFrame::new();
    let mut stats = Stats::new();
    // Without a filter, common frames are counted straight from their bytes.
    let mut fast = (filter.is_none() && !a.no_fast_path).then(netlayers_fastpath::FastList::new);
    let format = match source.format() {
        FileFormat::Pcap { nanos: true, .. } => "pcap (nanosecond)",
        FileFormat::Pcap { .. } => "pcap",
        FileFormat::PcapNg => "pcapng",
    };
    // The fast path's stateless half (checksums included) is done ahead, on the second core,
    // with the reading.
    let prepare = if fast.is_some() { Prepare::Stats } else { Prepare::Nothing };
    let failure = crate::frames::each_frame(source, prepare, |frame, prepared| {
        if let (Some(fast), Some(p)) = (fast.as_mut(), prepared) {
            if fast.stats_prepared(frame, p, &mut dissector, &mut cross, &mut stats) {
                return Ok(());
            }
        }
        let mut d = dissector.dissect(frame);
        cross.annotate(&mut d.layers, frame.number, frame.ts);
        // Only stats reports these counts, so only stats pays for the extra walk.
        cross.expert.count_bad_checksums(&d.layers);
        if filter.as_ref().is_some_and(|f| !f.matches_frame(&d.layers, &frame.data)) {
            return Ok(());
        }
        stats.add(frame.ts, frame.orig_len, frame.link, &d.layers);
        Ok(())
    })?;
    let summary = cross.expert.summary();
    // What only counting needed goes before the report is written (megabytes of
    // per-connection tables and the conversations' index): the report's peak is the
    // capture's peak.
    drop((fast, dissector, cross));
    stats.release_index();
    // Written as it is formatted: the report of a big capture is megabytes of rows.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match a.format {
        Format::Json => stats.write_json(&mut out, format, &summary)?,
        Format::Table => stats.write_text(&mut out, format, &summary, ui.lang)?,
    }
    out.flush()?;
    if let Some(e) = failure {
        // As tshark: the statistics of the frames read, then where and why the reading
        // stopped (on stderr, exit code 2), so a capture cut short still gets its report.
        return Err(e.into());
    }
    Ok(if stats.frames == 0 { Outcome::NothingMatched } else { Outcome::Success })
}
