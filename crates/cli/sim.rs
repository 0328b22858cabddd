//! `netlayers sim`: run a built-in scenario on the simulated network (crates/sim), print its
//! timeline and the sequence diagram of its packets, and optionally write the frames as pcapng.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use netlayers_core::Lang;
use netlayers_render::{flow_diagram, flow_endpoints, kind_style};
use netlayers_sim::file::{self, Overrides, ScenarioFile};
use netlayers_sim::scenario::{self, Config, RUN_LIMIT, SCENARIOS};

use crate::output::{Outcome, Ui};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers sim handshake                  connect and close: every TCP state\n  \
netlayers sim chat                       the tutorial's chat, \"886\" ends it\n  \
netlayers sim chat --loss 0.2 --seed 7   lost frames, retransmissions, the same bytes delivered\n  \
netlayers sim udp-chat --loss 0.3        datagrams that are lost stay lost\n  \
netlayers sim arp --lang zh              ARP and a learning switch, in Chinese\n  \
netlayers sim chat -w chat.pcapng        then: netlayers read chat.pcapng, or open it in Wireshark\n  \
netlayers sim lab.toml                   a scenario file you wrote (docs/sim.md, docs/scenarios/)\n\n\
Scenarios: arp, handshake, chat, udp-chat, or a file (an argument ending in .toml or holding a /). \
Everything runs inside the process: no root, no real network. The same seed gives the same output \
and byte-identical pcapng on every machine.")]
pub struct SimArgs {
    /// Built-in scenario (arp, handshake, chat, udp-chat) or a scenario file (.toml)
    #[arg(value_name = "SCENARIO")]
    pub scenario: String,
    /// Seed of the random source (losses, initial sequence numbers, ephemeral ports) [default: 1, or the file's]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Probability that a frame is lost on a link, 0 to 1 [default: 0, or each link's in a file]
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub loss: Option<f64>,
    /// One-way propagation delay of every link, in milliseconds [default: 1, or each link's in a file]
    #[arg(long, value_name = "MS", value_parser = parse_delay)]
    pub delay: Option<f64>,
    /// Write every frame that crossed a link to this pcapng file (one interface per link)
    #[arg(short = 'w', value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a probability between 0 and 1 (e.g. 0.2)")),
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
    let lang = ui.lang;
    let zh = lang == Lang::Zh;
    // Flags given on the command line override a file's values; otherwise the file's stand.
    let overrides = Overrides { seed: a.seed, loss: a.loss, delay: a.delay.map(|ms| (ms * 1e6).round() as u64) };
    let (name, about, mut net, seed, limit) = if file::is_file_argument(&a.scenario) {
        let sc = ScenarioFile::load(Path::new(&a.scenario)).map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        let seed = a.seed.unwrap_or(sc.seed);
        (sc.name.clone(), sc.about.get(lang).to_string(), sc.build(&overrides), seed, sc.time_limit)
    } else {
        let Some(sc) = scenario::find(&a.scenario) else {
            let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
            anyhow::bail!("unknown scenario `{}`: the built-in ones are {}, or give a file ending in .toml", a.scenario, names.join(", "));
        };
        let d = Config::default();
        let config = Config {
            seed: overrides.seed.unwrap_or(d.seed),
            loss: overrides.loss.unwrap_or(d.loss),
            delay: overrides.delay.unwrap_or(d.delay),
            ..d
        };
        (sc.name.to_string(), sc.about.get(lang).to_string(), sc.build(&config), config.seed, RUN_LIMIT)
    };
    net.run(limit);

    let bold = |s: &str| if ui.color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() };
    let mut o = String::new();
    o.push_str(&bold(&format!("{} {name}", if zh { "场景" } else { "Scenario" })));
    o.push('\n');
    o.push_str(&about);
    o.push_str("\n\n");

    // The timeline: time, node, layer, what happened.
    let tl = net.timeline();
    let node_w = tl.iter().map(|e| width(&e.node)).max().unwrap_or(4).max(4);
    let layer_w = tl.iter().map(|e| width(e.layer.name().get(lang))).max().unwrap_or(5).max(5);
    let (h_time, h_node, h_layer, h_event) =
        if zh { ("时间(秒)", "节点", "层", "发生了什么") } else { ("Time (s)", "Node", "Layer", "Event") };
    o.push_str(&bold(&format!("{} {} {} {h_event}", pad(h_time, 10), pad(h_node, node_w), pad(h_layer, layer_w))));
    o.push('\n');
    for e in tl {
        let layer = pad(e.layer.name().get(lang), layer_w);
        let layer = if ui.color {
            let st = kind_style(e.layer, false);
            format!("{}{layer}{}", st.render(), st.render_reset())
        } else {
            layer
        };
        let text = netlayers_core::escape::text(e.text.get(lang));
        o.push_str(&format!("{:>10.6} {} {layer} {text}\n", e.time as f64 / 1e9, pad(&e.node, node_w)));
    }
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

    // Programs that never got what they waited for: with UDP under loss, that is the lesson.
    for h in net.nodes().iter().filter_map(|n| match n {
        netlayers_sim::net::Node::Host(h) => Some(h),
        _ => None,
    }) {
        for app in &h.apps {
            let who = if app.name == h.name { app.name.clone() } else { format!("{} ({})", app.name, h.name) };
            if let Some(e) = &app.error {
                o.push_str(&if zh {
                    format!("{who} 出错停止:{e}\n")
                } else {
                    format!("{who} stopped with an error: {e}\n")
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

    if let Some(path) = &a.write {
        let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        net.write_pcapng(&path.display().to_string(), std::io::BufWriter::new(file))
            .with_context(|| format!("cannot write {}", path.display()))?
            .flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        o.push_str(&if zh {
            format!("已写入 {}(每条链路一个接口)\n", path.display())
        } else {
            format!("written to {} (one interface per link)\n", path.display())
        });
    }

    let events = net.flow_events();
    if !events.is_empty() {
        o.push('\n');
        o.push_str(&bold(if zh { "数据包时序图(ARP 见上面的时间线)" } else { "The packets (ARP is in the timeline above)" }));
        o.push('\n');
        let mut buf = Vec::new();
        flow_diagram(&mut buf, &flow_endpoints(&events), &events, lang, ui.color);
        o.push_str(&String::from_utf8_lossy(&buf));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(o.as_bytes())?;
    out.flush()?;
    Ok(Outcome::Success)
}
