//! A captured frame as it comes from a file, stdin, an interface or the simulator.

/// Capture time. Seconds since the Unix epoch and nanoseconds within the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds from `earlier` to `self`, as a float (for the Time column).
    pub fn since(self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (self.nanos as f64 - earlier.nanos as f64) / 1e9
    }
}

/// What the first byte of a frame is: the link-layer header type of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// LINKTYPE_ETHERNET (1).
    Ethernet,
    /// LINKTYPE_RAW (101, also 12/14 on some systems): an IPv4 or IPv6 packet, version from its first nibble.
    RawIp,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// LINKTYPE_LINUX_SLL (113): what `tcpdump -i any` wrote before libpcap 1.10.
    LinuxSll,
    /// LINKTYPE_LINUX_SLL2 (276): what `tcpdump -i any` writes now.
    LinuxSll2,
    /// LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in the capturing host's byte order.
    Null,
    /// LINKTYPE_LOOP (108): OpenBSD loopback, the family in network byte order.
    Loop,
    /// Anything else, by its LINKTYPE number.
    Other(u32),
}

impl LinkType {
    pub fn from_linktype(n: u32) -> LinkType {
        match n {
            1 => LinkType::Ethernet,
            101 | 12 | 14 => LinkType::RawIp,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            0 => LinkType::Null,
            108 => LinkType::Loop,
            n => LinkType::Other(n),
        }
    }
    pub fn to_linktype(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::RawIp => 101,
            LinkType::Ipv4 => 228,
            LinkType::Ipv6 => 229,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Null => 0,
            LinkType::Loop => 108,
            LinkType::Other(n) => n,
        }
    }
    /// Whether netlayers can decode frames of this type.
    pub fn is_supported(self) -> bool {
        !matches!(self, LinkType::Other(_))
    }
    pub fn name(self) -> &'static str {
        match self {
            LinkType::Ethernet => "Ethernet",
            LinkType::RawIp => "Raw IP",
            LinkType::Ipv4 => "Raw IPv4",
            LinkType::Ipv6 => "Raw IPv6",
            LinkType::LinuxSll => "Linux cooked (SLL)",
            LinkType::LinuxSll2 => "Linux cooked v2 (SLL2)",
            LinkType::Null => "BSD loopback",
            LinkType::Loop => "OpenBSD loopback",
            LinkType::Other(_) => "unknown",
        }
    }
}

/// One frame: where it sits in its source, when it was seen, and its captured bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 1-based position in the file (or in the capture).
    pub number: u64,
    pub ts: Timestamp,
    /// Length on the wire; `data.len()` may be shorter (snaplen).
    pub orig_len: u32,
    pub data: Vec<u8>,
    pub link: LinkType,
    /// pcapng interface id (0 for classic pcap).
    pub interface: u32,
}

impl Frame {
    /// A frame with no bytes yet, to read into (`FrameSource::next_into` reuses its buffer).
    pub fn empty() -> Frame {
        Frame { number: 0, ts: Timestamp::default(), orig_len: 0, data: Vec::with_capacity(2048), link: LinkType::Ethernet, interface: 0 }
    }
}
