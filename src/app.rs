//! Wires settings, clients, decision source and sink together.
