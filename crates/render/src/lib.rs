//! Views of the one layer tree: packet table, detail tree, coloured hexdump, NDJSON.
//! Depends on `core` alone: every output is a rendering of the same `Layer`/`Field` tree.
#![forbid(unsafe_code)]
