//! `netlayers flow`: a sequence diagram of a capture (or one stream of it): one lane per
//! endpoint, one arrow per packet, time going down. The drawing is `netlayers_render::flow_diagram`,
//! the one the simulator uses too.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;
use netlayers_capture::FrameSource;
use netlayers_render::{flow_diagram, flow_event, FlowEvent, FrameView};
use netlayers_stack::Dissector;

use crate::output::{Outcome, Ui};
use netlayers_core::Lang;

/// Lanes a diagram may have: each is at least 24 columns wide.
const MAX_LANES: usize = 16;

/// Why a capture is not drawn: too many endpoints, the first one past the limit, and what to do.
fn too_many_lanes(lang: Lang, end: &str, frame: u64, one_stream: bool) -> String {
    let end = netlayers_core::escape::text(end);
    let (en, zh) = if one_stream {
        ("narrow it with -Y".to_string(), "请用 -Y 缩小范围".to_string())
    } else {
        (
            "choose one conversation with --stream N (--udp for UDP) or frames with -Y, e.g. -Y 'ip.addr == 10.0.0.1'".to_string(),
            "请用 --stream N(UDP 加 --udp)选一个会话,或用 -Y 选帧,例如 -Y 'ip.addr == 10.0.0.1'".to_string(),
        )
    };
    match lang {
        Lang::En => format!("frame {frame} brings a {}th endpoint ({end}): a flow diagram draws at most {MAX_LANES} lanes; {en}", MAX_LANES + 1),
        Lang::Zh => format!("第 {frame} 帧带来第 {} 个端点({end}):流程图最多画 {MAX_LANES} 条泳道;{zh}", MAX_LANES + 1),
    }
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers flow captures/http.pcap --stream 0      handshake, request, response, teardown\n  \
netlayers flow captures/chat-886.pcap --lang zh\n  \
netlayers flow captures/dns.pcap --udp --stream 1\n  \
netlayers flow captures/ping.pcap -Y icmp\n\n\
Each arrow: TCP flags, relative Seq/Ack and payload length (the protocol carried, if any); UDP \
and ICMP: the Info text.")]
pub struct FlowArgs {
    /// Capture file (pcap or pcapng); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Only this stream: `tcp.stream` (or `udp.stream` with --udp) as `read -V` shows it
    #[arg(long, value_name = "N")]
    pub stream: Option<u64>,
    /// With --stream: a UDP conversation instead of a TCP stream
    #[arg(long, requires = "stream")]
    pub udp: bool,
    /// Only frames matching this Wireshark display filter
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
}

pub fn run(a: &FlowArgs, ui: &Ui) -> Result<Outcome> {
    let source = FrameSource::open(&a.file)?;
    let mut dissector = Dissector::new();
    let mut selection = crate::filter_args::Selection::new(a.filter.as_deref())?;
    let key = if a.udp { "udp.stream" } else { "tcp.stream" };
    let mut events: Vec<FlowEvent> = Vec::new();
    // The lanes met so far, in order (as `flow_endpoints` finds them): a diagram is for a few
    // endpoints, and a capture of thousands would draw rows thousands of lanes wide
    // (gigabytes); such a capture is refused once it shows.
    let mut lanes: Vec<String> = Vec::new();
    let failure = crate::frames::each_frame(source, crate::ahead::Prepare::Nothing, |frame, _| {
        let mut d = dissector.dissect(frame);
        if !selection.admit(&mut d, &frame.data) {
            return Ok(());
        }
        if let Some(n) = a.stream {
            let own = d.layers.iter().filter(|l| l.depth == 0);
            let mut streams = own.filter_map(|l| l.find(key)).filter_map(|f| f.value.as_u64());
            if !streams.any(|s| s == n) {
                return Ok(());
            }
        }
        let view = FrameView {
            number: d.number,
            rel_time: d.rel_time,
            orig_len: d.orig_len,
            cap_len: d.cap_len,
            layers: &d.layers,
        };
        if let Some(e) = flow_event(&view) {
            for end in [&e.from, &e.to] {
                if !lanes.contains(end) {
                    if lanes.len() == MAX_LANES {
                        bail!(too_many_lanes(ui.lang, end, frame.number, a.stream.is_some()));
                    }
                    lanes.push(end.clone());
                }
            }
            events.push(e);
        }
        Ok(())
    })?;
    if !events.is_empty() {
        let mut buf = Vec::new();
        flow_diagram(&mut buf, &lanes, &events, ui.lang, ui.color);
        let mut out = std::io::stdout().lock();
        out.write_all(&buf)?;
        out.flush()?;
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(if events.is_empty() { Outcome::NothingMatched } else { Outcome::Success })
}
