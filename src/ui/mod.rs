//! Everything that touches the terminal: record rendering, the prompt, stdout vs stderr.

pub mod logging;
pub mod output;
pub mod prompt;
pub mod render;
