//! Everything that touches the terminal: record rendering, the prompt, progress, stdout vs
//! stderr, and the audit log.

pub mod audit;
pub mod dry_run;
pub mod logging;
pub mod output;
pub mod overview;
pub mod progress;
pub mod prompt;
pub mod render;
pub mod tty_prompt;
