//! Command-line arguments. Flags follow tcpdump and tshark where users know them (-r, -c, -V, -x).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "netlayers",
    version,
    about = "See the five network layers with real bytes / 用真实的字节看懂网络五层模型",
    long_about = "netlayers decodes captures and live traffic layer by layer (link, network, transport, \
application), with every field, its bytes and what it means, in English or Chinese.",
    after_help = "Examples:\n  netlayers demo                     start here: a TCP chat on a simulated network, explained\n  netlayers read captures/http.pcap\n  netlayers read captures/dns.pcap -V --lang zh\n  \
netlayers read captures/ping.pcap --format json | head -3\n  tcpdump -w - -i lo | netlayers read -\n\n\
Run `netlayers <command> --help` for the examples of each command."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Language of headings and explanations [default: from LC_ALL/LANG]
    #[arg(long, global = true, value_enum)]
    pub lang: Option<LangArg>,
    /// When to colour the output (NO_COLOR is honoured by `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start here: the sockets tutorial's TCP chat on a simulated network, told phase by phase (no root)
    Demo(crate::demo::DemoArgs),
    /// Decode a pcap or pcapng file (or stdin) layer by layer
    #[command(after_help = "Examples:\n  netlayers read captures/http.pcap                 the packet list\n  \
netlayers read -r captures/http.pcap -c 3           the first 3 frames (tcpdump style)\n  \
netlayers read captures/dns.pcap --detail           every field, its bytes and meaning\n  \
netlayers read captures/dns.pcap -V --explain --lang zh   with explanations, in Chinese\n  \
netlayers read captures/ping.pcap --hex --frames 1,3-4    coloured hexdump by layer\n  \
netlayers read captures/http.pcap --format json    NDJSON, Wireshark field names\n  \
netlayers read captures/http.pcap -e ip.src -e http.request.uri   only these fields (as tshark -e)\n  \
netlayers read captures/ping-fragmented.pcap --no-reassembly   each IP fragment on its own\n  \
netlayers read captures/dns.pcap -Y 'dns.flags.response == 1 && dns.qry.type == 28'\n  \
tcpdump -i lo -w - | netlayers read -               from stdin")]
    Read(ReadArgs),
    /// Show a message going DOWN the five layers at a sender, then UP at the receiver
    #[command(after_help = "Examples:\n  netlayers encap                                    \"hello\" over UDP, every layer explained\n  \
netlayers encap \"hi\" --tcp --flags PA --seq 1000 --ack 1  a TCP segment with PSH+ACK\n  \
netlayers encap \"hello\" --src [fd00::1]:5000 --dst [fd00::2]:8081   over IPv6\n  \
netlayers encap \"$(head -c 3000 /dev/zero | tr '\\\\0' x)\" --mtu 1500   IP fragmentation\n  \
netlayers encap hello --bad-checksum               what a receiver does with a corrupt segment\n  \
netlayers encap hello --step --lang zh             one layer per Enter, in Chinese\n  \
netlayers encap hello -w hello.pcap                save the frame for Wireshark")]
    Encap(crate::encap::EncapArgs),
    /// Build a frame as `encap` does and transmit it on a real interface (needs CAP_NET_RAW)
    #[command(after_help = "Examples:\n  sudo netlayers send -i veth0 hello --src 10.0.0.1:5000 --dst 10.0.0.2:8081\n  \
sudo netlayers send -i veth0 --tcp --flags S --dst 10.0.0.2:80       a SYN to a listening socket\n  \
sudo netlayers send -i veth0 -V hello                                   and show what went out")]
    Send(crate::live::SendArgs),
    /// Decode live frames from an interface, like `read` does for files (needs CAP_NET_RAW)
    #[command(after_help = "Examples:\n  sudo netlayers capture -i lo -c 10\n  \
sudo netlayers capture -i eth0 -V                 every field of every frame\n  \
sudo netlayers capture -i eth0 -w out.pcap        save while showing; Ctrl-C ends cleanly\n  \
sudo netlayers capture -i eth0 --format json | jq .\n  \
sudo netlayers capture -i eth0 -e ip.src -e dns.qry.name   only these fields (as tshark -e)")]
    Capture(crate::live::CaptureArgs),
    /// List network interfaces: MAC, addresses, MTU, up/down
    #[command(after_help = "Examples:\n  netlayers ifaces\n  netlayers ifaces --format json")]
    Ifaces(crate::live::IfacesArgs),
    /// Send a real ARP request and show the decoded reply (needs CAP_NET_RAW)
    #[command(after_help = "Examples:\n  sudo netlayers arping -i eth0 10.0.0.2\n  sudo netlayers arping -i eth0 -c 3 -V 10.0.0.2")]
    Arping(crate::live::ArpingArgs),
    /// The sockets tutorial's line chat on real TCP or UDP sockets; --trace shows each frame it causes
    #[command(after_help = "Examples:\n  netlayers chat serve                                  TCP server on 127.0.0.1:8081\n  \
netlayers chat connect 127.0.0.1:8081                 type lines; 886 ends\n  \
sudo netlayers chat connect --trace 127.0.0.1:8081    each frame, labelled with its socket call\n  \
netlayers chat serve --udp / chat connect --udp       the same over UDP datagrams")]
    Chat(crate::chat::ChatArgs),
    /// Reassemble one TCP stream (or UDP conversation) and print its bytes, as `tshark -z follow` does
    Follow(crate::follow::FollowArgs),
    /// Draw a sequence diagram: one lane per endpoint, one arrow per packet
    Flow(crate::flow::FlowArgs),
    /// Capture properties, protocol hierarchy, conversations, endpoints and expert info
    Stats(crate::stats::StatsArgs),
    /// Run a scenario on a simulated network (no root): timeline, packet diagram, optional pcapng
    Sim(crate::sim::SimArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:\n  netlayers completions bash > ~/.local/share/bash-completion/completions/netlayers\n  \
netlayers completions zsh > ~/.zfunc/_netlayers")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file (pcap or pcapng, detected by content); `-` reads stdin
    #[arg(value_name = "FILE", required_unless_present = "read_file", conflicts_with = "read_file")]
    pub file: Option<PathBuf>,
    /// Capture file, as in tcpdump
    #[arg(short = 'r', value_name = "FILE")]
    pub read_file: Option<PathBuf>,
    /// Stop after N frames
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Only these frames, e.g. `3,7-9` (numbers as in the No. column)
    #[arg(long, value_name = "LIST", value_parser = parse_frame_list)]
    pub frames: Option<FrameList>,
    /// Show every frame as a tree: each layer, each field, its bytes and meaning
    #[arg(short = 'V', long)]
    pub detail: bool,
    /// Add each field's explanation to the tree (implies --detail)
    #[arg(long)]
    pub explain: bool,
    /// Show a hexdump of each frame, bytes coloured by layer
    #[arg(short = 'x', long)]
    pub hex: bool,
    /// Output format [default: table; json with -e]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only frames matching this Wireshark display filter, e.g. `tcp.port == 80 && ip.addr == 10.0.0.0/24`
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Only this field in each NDJSON line; repeat for more (`-e ip.src -e tcp.dstport`). As
    /// `tshark -T fields -e`: in the order given, a field the frame lacks left out. Implies
    /// `--format json` (and cannot go with the table, -V, --explain or -x)
    #[arg(short = 'e', long = "field", value_name = "FIELD", value_parser = crate::select::parse_field, conflicts_with_all = ["detail", "explain", "hex"])]
    pub fields: Vec<String>,
    /// Show every IP fragment on its own. By default (table and -V), as in Wireshark, the frame
    /// that completes a fragmented datagram shows the layers decoded from all of it, and the
    /// other fragments show only their IP header and data; -Y then filters what is shown.
    /// `--format json` never reassembles: each line holds that frame's own fields
    #[arg(long)]
    pub no_reassembly: bool,
    /// Build every frame's layers even for the packet list, instead of writing the rows of
    /// common frames straight from their bytes (crates/fastpath). The output is the same;
    /// this is how tests/fast_path.rs checks it.
    #[arg(long, hide = true)]
    pub no_fast_path: bool,
}

impl ReadArgs {
    pub fn path(&self) -> &std::path::Path {
        self.file.as_deref().or(self.read_file.as_deref()).unwrap_or(std::path::Path::new("-"))
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// Frame numbers picked with `--frames 3,7-9`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameList(Vec<(u64, u64)>);

impl FrameList {
    pub fn contains(&self, n: u64) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&n))
    }
    /// The largest frame number asked for: reading can stop after it.
    pub fn last(&self) -> u64 {
        self.0.iter().map(|&(_, b)| b).max().unwrap_or(0)
    }
}

pub fn parse_frame_list(s: &str) -> Result<FrameList, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |t: &str| {
            t.trim().parse::<u64>().ok().filter(|&n| n >= 1).ok_or_else(|| {
                format!("`{t}` in `{s}` is not a frame number (frames count from 1)")
            })
        };
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => {
                let n = num(part)?;
                (n, n)
            }
        };
        if a > b {
            return Err(format!("range `{part}` goes backwards"));
        }
        out.push((a, b));
    }
    if out.is_empty() {
        return Err("expected frame numbers like `3,7-9`".into());
    }
    Ok(FrameList(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn frame_lists() {
        let l = parse_frame_list("3,7-9").unwrap();
        assert!(l.contains(3) && l.contains(8) && !l.contains(4) && !l.contains(10));
        assert_eq!(l.last(), 9);
        assert!(parse_frame_list("0").is_err());
        assert!(parse_frame_list("5-2").is_err());
        assert!(parse_frame_list("x").is_err());
        assert!(parse_frame_list("").is_err());
    }
    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
