//! The triage engine: records in, decisions asked, actions out. No I/O.

mod summary;
pub use summary::Summary;
