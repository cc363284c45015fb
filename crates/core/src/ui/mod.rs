//! Everything that touches the terminal: record rendering, the prompt, progress, stdout vs
//! stderr, the audit log, and the generated completions and manual page.

pub mod audit;
pub mod docs;
pub mod dry_run;
pub mod logging;
pub mod output;
pub mod overview;
pub mod progress;
pub mod prompt;
pub mod render;
pub mod repair_desk;
pub mod said;
pub mod summary_file;
pub mod terminal;
pub mod tty_prompt;
pub mod view;
