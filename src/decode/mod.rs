//! Decoding of keys and values for display.
