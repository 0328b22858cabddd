//! A deterministic discrete-event network simulator.
//!
//! Time is simulated ([`engine::Nanos`]), events run in (time, sequence) order, and every random
//! draw comes from a seeded [`rng::Rng`]: a scenario run twice with the same seed gives the same
//! timeline and a byte-identical pcapng, on any machine. Nothing here touches a real network.
//!
//! - [`engine`]: the clock and the event queue;
//! - [`net`]: nodes, links (bandwidth, delay, seeded loss, duplication, reordering, corruption), a
//!   learning switch, the frame record;
//! - [`host`]: ARP, IPv4 (routing table, reassembly), ICMP, IPv6 on the link (Neighbor Discovery,
//!   ICMPv6), UDP, TCP connections and the socket API applications call;
//! - [`router`]: forwarding by longest-prefix match, TTL, ICMP errors, fragmentation;
//! - [`tcp`]: TCP as a pure state machine (RFC 9293);
//! - [`wire`]: frames built with `netlayers_stack::encapsulate` and parsed as a kernel would;
//! - [`scenario`]: the built-in scenarios;
//! - [`states`]: each host's TCP sockets and their states over time;
//! - [`file`]: scenarios read from TOML files that teachers write.
#![forbid(unsafe_code)]

pub mod engine;
pub mod file;
pub mod host;
pub mod net;
pub mod rng;
pub mod router;
pub mod scenario;
pub mod states;
pub mod tcp;
pub mod wire;

pub use engine::Nanos;
pub use host::{App, Call, Entry, Kind, SockOpt};
pub use net::{Captured, Damage, Faults, LinkSpec, Network};
pub use scenario::{find, Config, Overrides, Scenario, SCENARIOS};
