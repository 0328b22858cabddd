//! `netlayers sim`: run a built-in scenario on the simulated network (crates/sim), print its
//! timeline and the sequence diagram of its packets, and optionally write the frames as pcapng.
//!
//! The output is made of parts that `netlayers demo` (demo.rs) reuses: [`heading`], [`timeline`]
//! (with the per-hop layer views of hops.rs and, for the demo, narration between events, one
//! event per Enter with `--step`), [`summary`], [`write_capture`] and [`diagram`].

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use netlayers_core::Lang;
use netlayers_render::{flow_diagram, flow_endpoints, kind_style};
use netlayers_sim::file::{self, ScenarioFile};
use netlayers_sim::scenario::{self, Config, Overrides, RUN_LIMIT, SCENARIOS};
use netlayers_sim::Network;

use crate::args::FrameList;
use crate::hops::{Detail, Hops};
use crate::output::{Outcome, Ui};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers sim handshake                  connect and close: every TCP state\n  \
netlayers sim chat                       the tutorial's chat, \"886\" ends it\n  \
netlayers sim chat --loss 0.2 --seed 7   lost frames, retransmissions, the same bytes delivered\n  \
netlayers sim udp-chat --loss 0.3        datagrams that are lost stay lost\n  \
netlayers sim tcp-vs-udp                 the same lines over both, under loss and reordering\n  \
netlayers sim chat --dup 0.2 --corrupt 0.1   duplicated and damaged frames\n  \
netlayers sim arp --lang zh              ARP and a learning switch, in Chinese\n  \
netlayers sim fragment --mtu 300         a router splits a datagram, the receiver puts it together\n  \
netlayers sim route                      TTL, traceroute and ICMP errors across two routers\n  \
netlayers sim ipv6                       Neighbor Discovery, ping6 and the chat over IPv6\n  \
netlayers sim chat -w chat.pcapng        then: netlayers read chat.pcapng, or open it in Wireshark\n  \
netlayers sim chat --layers              each frame's layers, top-down at the sender, bottom-up at the receiver\n  \
netlayers sim chat --frames 6            every field of frame 6 at both ends (as `read -V` shows it)\n  \
netlayers sim handshake --step           one event per Enter; q quits\n  \
netlayers sim lab.toml                   a scenario file you wrote (docs/sim.md, docs/scenarios/)\n\n\
Scenarios: arp, handshake, chat, udp-chat, tcp-vs-udp, port-unreachable, teardown, fragment, route, ipv6, or a \
file (an argument ending in .toml or holding a /), whose values the options given replace. Everything \
runs inside the process: no root, no real network. The same seed gives the same output and byte-identical pcapng on every machine.")]
pub struct SimArgs {
    /// Built-in scenario (see below) or a scenario file (FILE.toml)
    #[arg(value_name = "SCENARIO")]
    pub scenario: String,
    /// Seed of the random source (losses, initial sequence numbers, ephemeral ports) [default: 1, or the file's]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Probability that a frame is lost on a link, 0 to 1 [default: the scenario's, else 0]
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub loss: Option<f64>,
    /// Probability that a link delivers a frame twice, 0 to 1 [default: the scenario's, else 0]
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub dup: Option<f64>,
    /// Probability that a link holds a frame back 1-5 ms so later ones overtake it, 0 to 1
    /// [default: the scenario's, else 0]
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub reorder: Option<f64>,
    /// Probability that a link flips one bit of a frame (the receiver's FCS check drops it), 0 to 1
    /// [default: the scenario's, else 0]
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub corrupt: Option<f64>,
    /// One-way propagation delay of every link, in milliseconds [default: 1, or each link's in a file]
    #[arg(long, value_name = "MS", value_parser = parse_delay)]
    pub delay: Option<f64>,
    /// MTU of the small link in the `fragment` scenario, 68 to 9000 bytes [default: 576]
    #[arg(long, value_name = "N", value_parser = parse_mtu)]
    pub mtu: Option<usize>,
    /// Write every frame that crossed a link to this pcapng file (one interface per link)
    #[arg(short = 'w', value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// After each frame is sent, show its layers at both ends of the link: top-down at the
    /// sender (what each layer adds), bottom-up at the receiver (what each reads and strips)
    #[arg(long)]
    pub layers: bool,
    /// The same with every field, for these frames only, e.g. `6` or `3,7-9` (numbers as in the
    /// pcapng that -w writes and `netlayers read` shows)
    #[arg(long, alias = "frame", value_name = "LIST", value_parser = crate::args::parse_frame_list)]
    pub frames: Option<FrameList>,
    /// Print the timeline one event at a time: Enter shows the next, q then Enter quits
    /// (with stdin not a terminal, one line read per event; at the end of input the rest runs)
    #[arg(long)]
    pub step: bool,
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a probability between 0 and 1 (e.g. 0.2)")),
    }
}

fn parse_mtu(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(m) if (68..=9000).contains(&m) => Ok(m),
        _ => Err(format!("`{s}` is not an MTU between 68 (IPv4's minimum) and 9000 (a jumbo frame) bytes")),
    }
}

fn parse_delay(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(d) if (0.0..=60_000.0).contains(&d) => Ok(d),
        _ => Err(format!("`{s}` is not a delay in milliseconds between 0 and 60000")),
    }
}

/// Columns a string takes in a terminal: CJK characters take two.
fn width(s: &str) -> usize {
    s.chars().map(|c| if ('\u{1100}'..).contains(&c) && !('\u{2190}'..='\u{2bff}').contains(&c) { 2 } else { 1 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

pub fn run(a: &SimArgs, ui: &Ui) -> Result<Outcome> {
    // Options given on the command line replace the scenario's (or the file's) values.
    let given = Overrides {
        seed: a.seed,
        loss: a.loss,
        duplicate: a.dup,
        reorder: a.reorder,
        corrupt: a.corrupt,
        delay: a.delay.map(|ms| (ms * 1e6).round() as u64),
    };
    let (name, about, mut net, seed, limit, builtin) = if file::is_file_argument(&a.scenario) {
        if a.mtu.is_some() {
            anyhow::bail!("--mtu is the fragment scenario's; in a scenario file give `mtu` to a router interface or a link");
        }
        let sc = ScenarioFile::load(Path::new(&a.scenario)).map_err(|e| anyhow::anyhow!(e.render(ui.lang)))?;
        (sc.name.clone(), sc.about.get(ui.lang).to_string(), sc.build(&given), given.seed.unwrap_or(sc.seed), sc.time_limit, None)
    } else {
        let Some(sc) = scenario::find(&a.scenario) else {
            let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
            anyhow::bail!("unknown scenario `{}`: the built-in ones are {}; a file must end in .toml", a.scenario, names.join(", "));
        };
        let d = Config::default();
        let config = Config {
            seed: given.seed.unwrap_or(d.seed),
            faults: given.faults(sc.faults),
            delay: given.delay.unwrap_or(d.delay),
            mtu: a.mtu.unwrap_or(d.mtu),
            ..d
        };
        (sc.name.to_string(), sc.about.get(ui.lang).to_string(), sc.build(&config), config.seed, RUN_LIMIT, Some(sc))
    };
    net.run(limit);

    let mut story = Story::default();
    if a.layers || a.frames.is_some() {
        let count = net.frames().len();
        if let Some(last) = a.frames.as_ref().map(FrameList::last).filter(|&n| n > count as u64) {
            anyhow::bail!("--frames: there is no frame {last}: this run has {count} frames");
        }
        for i in 0..count {
            if a.frames.as_ref().is_some_and(|f| f.contains(i as u64 + 1)) {
                story.views.insert(i, Detail::Fields);
            } else if a.layers {
                story.views.insert(i, Detail::Layers);
            }
        }
        story.hops = Some(Hops::decode(&net));
    }

    let mut out = std::io::stdout().lock();
    out.write_all(heading(&name, &about, ui).as_bytes())?;
    if !timeline(&mut out, &net, &story, ui, &mut Stepper::new(a.step, ui.lang))? {
        return Ok(Outcome::Success);
    }
    let mut o = String::new();
    summary(&mut o, &net, seed, ui.lang);
    if let Some(path) = &a.write {
        write_capture(&net, path)?;
        o.push_str(&if ui.lang == Lang::Zh {
            format!("已写入 {}(每条链路一个接口)\n", path.display())
        } else {
            format!("written to {} (one interface per link)\n", path.display())
        });
    }
    diagram(&mut o, &net, ui);
    states(&mut o, &net, ui);
    if let Some(summary) = builtin.and_then(|sc| sc.summary(&net, ui.lang)) {
        o.push('\n');
        o.push_str(&summary);
    }
    out.write_all(o.as_bytes())?;
    out.flush()?;
    Ok(Outcome::Success)
}

fn bold(s: &str, ui: &Ui) -> String {
    if ui.color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() }
}

/// The first lines: the scenario's name and what it shows.
pub fn heading(name: &str, about: &str, ui: &Ui) -> String {
    let word = if ui.lang == Lang::Zh { "场景" } else { "Scenario" };
    format!("{}\n{about}\n\n", bold(&format!("{word} {name}"), ui))
}

/// What goes between the timeline's events besides the events themselves.
#[derive(Default)]
pub struct Story {
    /// Frames (0-based, in `Network::frames` order) whose layer view follows the event that
    /// sent them, and how much of it.
    pub views: BTreeMap<usize, Detail>,
    /// Set when `views` is not empty.
    pub hops: Option<Hops>,
    /// A paragraph printed before an event (by its index in the timeline), set apart by blank lines.
    pub before: BTreeMap<usize, String>,
}

/// Waits between the events of `--step`.
pub struct Stepper {
    on: bool,
    /// Prompts are for a person at a terminal; piped input just feeds one line per event.
    interactive: bool,
    lang: Lang,
}

impl Stepper {
    pub fn new(on: bool, lang: Lang) -> Stepper {
        Stepper { on, interactive: std::io::stdin().is_terminal(), lang }
    }

    /// Waits for a line on stdin. False when it is `q` (the user quits); at the end of the
    /// input, stepping stops and the rest is printed at once.
    fn next(&mut self, out: &mut impl Write) -> Result<bool> {
        if !self.on {
            return Ok(true);
        }
        out.flush()?;
        if self.interactive {
            let prompt = if self.lang == Lang::Zh { "[回车:下一个事件;q 回车:退出] " } else { "[Enter: next event; q Enter: quit] " };
            let mut err = std::io::stderr();
            write!(err, "{prompt}")?;
            err.flush()?;
        }
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            self.on = false;
            return Ok(true);
        }
        Ok(!line.trim().eq_ignore_ascii_case("q"))
    }
}

/// The timeline: time, node, layer, what happened; with the story's text before events and its
/// layer views after the events that sent the frames. Returns false when the user quit.
pub fn timeline(out: &mut impl Write, net: &Network, story: &Story, ui: &Ui, step: &mut Stepper) -> Result<bool> {
    let lang = ui.lang;
    let zh = lang == Lang::Zh;
    let tl = net.timeline();
    let node_w = tl.iter().map(|e| width(&e.node)).max().unwrap_or(4).max(4);
    let layer_w = tl.iter().map(|e| width(e.layer.name().get(lang))).max().unwrap_or(5).max(5);
    let (h_time, h_node, h_layer, h_event) =
        if zh { ("时间(秒)", "节点", "层", "发生了什么") } else { ("Time (s)", "Node", "Layer", "Event") };
    let head = bold(&format!("{} {} {} {h_event}", pad(h_time, 10), pad(h_node, node_w), pad(h_layer, layer_w)), ui);
    writeln!(out, "{head}")?;
    let frames = net.frames();
    let mut next_frame = 0;
    // Whether what was printed last ends with a blank line (a layer view does).
    let mut blank = false;
    for (j, e) in tl.iter().enumerate() {
        let mut o = String::new();
        if let Some(text) = story.before.get(&j) {
            if !blank {
                o.push('\n');
            }
            o.push_str(text);
            o.push('\n');
        }
        let layer = pad(e.layer.name().get(lang), layer_w);
        let layer = if ui.color {
            let st = kind_style(e.layer, false);
            format!("{}{layer}{}", st.render(), st.render_reset())
        } else {
            layer
        };
        // The simulator already escaped what came from the network (payloads in quotes): only
        // controls are left to catch, so a backslash it wrote is not doubled.
        let text = netlayers_core::escape::controls(e.text.get(lang));
        o.push_str(&format!("{:>10.6} {} {layer} {text}\n", e.time as f64 / 1e9, pad(&e.node, node_w)));
        // A frame's view comes once every event up to the moment it was sent is shown.
        let until = tl.get(j + 1).map_or(u64::MAX, |n| n.time);
        while next_frame < frames.len() && frames[next_frame].time < until {
            if let (Some(detail), Some(hops)) = (story.views.get(&next_frame), &story.hops) {
                if !o.ends_with("\n\n") {
                    o.push('\n');
                }
                hops.show(&mut o, net, next_frame, *detail, ui);
            }
            next_frame += 1;
        }
        blank = o.ends_with("\n\n");
        out.write_all(o.as_bytes())?;
        if j + 1 < tl.len() && !step.next(out)? {
            let n = tl.len();
            writeln!(out, "{}", if zh { format!("在第 {} 个事件处停止(共 {n} 个)", j + 1) } else { format!("stopped at event {} of {n}", j + 1) })?;
            out.flush()?;
            return Ok(false);
        }
    }
    Ok(true)
}

/// How many frames crossed the links and how many were lost, and every program that never got
/// what it waited for (with UDP under loss, that is the lesson).
pub fn summary(o: &mut String, net: &Network, seed: u64, lang: Lang) {
    let zh = lang == Lang::Zh;
    let frames = net.frames();
    let lost = frames.iter().filter(|f| f.lost).count();
    let links = net.links().len();
    o.push('\n');
    o.push_str(&if zh {
        format!("{} 帧经过 {links} 条链路(其中 {lost} 帧丢失),模拟时间 {:.6} 秒,种子 {}\n", frames.len(), net.now() as f64 / 1e9, seed)
    } else {
        format!(
            "{} frames crossed {links} link(s) ({lost} lost); simulated time {:.6} s; seed {}\n",
            frames.len(),
            net.now() as f64 / 1e9,
            seed
        )
    });
    for h in net.nodes().iter().filter_map(|n| match n {
        netlayers_sim::net::Node::Host(h) => Some(h),
        _ => None,
    }) {
        for app in &h.apps {
            let who = if app.name == h.name { app.name.clone() } else { format!("{} ({})", app.name, h.name) };
            if let Some(e) = &app.error {
                o.push_str(&if zh {
                    format!("{who} 出错停止:{}\n", e.zh)
                } else {
                    format!("{who} stopped with an error: {}\n", e.en)
                });
            } else if let Some(call) = app.blocked_in() {
                o.push_str(&if zh {
                    format!("{who} 仍阻塞在 {call}:再也没有东西会来了\n")
                } else {
                    format!("{who} is still blocked in {call}: nothing more will ever arrive\n")
                });
            }
        }
    }
}

/// Writes every frame that crossed a link to `path` as pcapng.
pub fn write_capture(net: &Network, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    net.write_pcapng(&path.display().to_string(), std::io::BufWriter::new(file))
        .with_context(|| format!("cannot write {}", path.display()))?
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The packets between the hosts as a sequence diagram.
pub fn diagram(o: &mut String, net: &Network, ui: &Ui) {
    let events = net.flow_events(ui.lang);
    if !events.is_empty() {
        o.push('\n');
        let title = if ui.lang == Lang::Zh { "数据包时序图(ARP 见上面的时间线)" } else { "The packets (ARP is in the timeline above)" };
        o.push_str(&bold(title, ui));
        o.push('\n');
        let mut buf = Vec::new();
        flow_diagram(&mut buf, &flow_endpoints(&events), &events, ui.lang, ui.color);
        o.push_str(&String::from_utf8_lossy(&buf));
    }
}

/// Each host's TCP connections and the states they went through.
pub fn states(o: &mut String, net: &Network, ui: &Ui) {
    let states = netlayers_sim::states::render(net, ui.lang);
    if !states.is_empty() {
        o.push('\n');
        o.push_str(&states);
    }
}
