//! `netlayers follow`: the bytes of one TCP stream (or UDP conversation), both directions, in the
//! order the programs read them, printed as `tshark -q -z follow,tcp,ascii,N` prints them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use netlayers_analyze::follow::{FollowFormat, Follower, MAX_BUFFERED};
use netlayers_analyze::Conversations;
use netlayers_capture::FrameSource;
use netlayers_core::Lang;
use netlayers_stack::Dissector;

use crate::output::{Outcome, Ui};

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowFormatArg {
    /// Text; bytes that are not printable ASCII become `.`
    Ascii,
    /// Offset, 16 bytes in hex, and the same as text, per line
    Hex,
    /// Each chunk's bytes as one line of hex digits
    Raw,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers follow captures/http.pcap --stream 0             the HTTP request and response\n  \
netlayers follow captures/chat-886.pcap --stream 0 --format hex\n  \
netlayers follow captures/dns.pcap --udp --stream 1          one DNS query and its answer\n  \
netlayers read captures/http.pcap -Y tcp.stream==1          the frames of that stream\n\n\
Node 0 is the side that sent the stream's first packet; node 1's chunks are indented with a tab.")]
pub struct FollowArgs {
    /// Capture file (pcap or pcapng); `-` reads stdin
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Stream index, as `tcp.stream` (or `udp.stream` with --udp) numbers it in `read -V`
    #[arg(long, value_name = "N")]
    pub stream: u64,
    /// Follow a UDP conversation instead of a TCP stream
    #[arg(long)]
    pub udp: bool,
    /// How to print the bytes
    #[arg(long, value_enum, default_value_t = FollowFormatArg::Ascii)]
    pub format: FollowFormatArg,
}

pub fn run(a: &FollowArgs, ui: &Ui) -> Result<Outcome> {
    let source = FrameSource::open(&a.file)?;
    let format = match a.format {
        FollowFormatArg::Ascii => FollowFormat::Ascii,
        FollowFormatArg::Hex => FollowFormat::Hex,
        FollowFormatArg::Raw => FollowFormat::Raw,
    };
    let mut follower = Follower::new(!a.udp, a.stream, format);
    let mut dissector = Dissector::new();
    let mut conversations = Conversations::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut buf = Vec::with_capacity(1 << 16);
    let failure = crate::frames::each_frame(source, crate::ahead::Prepare::Nothing, |frame, _| {
        let mut d = dissector.dissect(frame);
        conversations.annotate(&mut d.layers);
        buf.clear();
        follower.frame(&d.layers, &frame.data, &mut buf);
        out.write_all(&buf)?;
        Ok(())
    })?;
    buf.clear();
    follower.finish(&mut buf);
    out.write_all(&buf)?;
    out.flush()?;
    if follower.dropped() > 0 {
        let mib = MAX_BUFFERED >> 20;
        eprintln!(
            "{}",
            match ui.lang {
                Lang::Zh => format!(
                    "netlayers: 注意:乱序数据超过每个方向 {mib} MiB 的缓冲上限,丢弃了 {} 字节,输出不完整",
                    follower.dropped()
                ),
                _ => format!(
                    "netlayers: note: out-of-order data went over the {mib} MiB buffer per direction; {} bytes were dropped, so the output is incomplete",
                    follower.dropped()
                ),
            }
        );
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(if follower.frames == 0 { Outcome::NothingMatched } else { Outcome::Success })
}
