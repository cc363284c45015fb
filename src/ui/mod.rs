//! Terminal and output handling.
