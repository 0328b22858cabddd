//! Frames in and out: pcap/pcapng files and stdin (and, later, live interfaces).
#![forbid(unsafe_code)]
