//! Review before writing, undo after: decision plans (`--plan`, `plan show`, `apply`) and the
//! write-ahead journal (`--journal`, `undo`). The files are JSON Lines with a versioned first
//! line (DESIGN §8); what is read back is checked whole, with line numbers, before anything
//! is written. Kafka stays out of here: the app wires these pieces to the consumer and the
//! producer.

mod digest;
mod file;
mod format;
mod journal;
mod show;
mod undo;
mod verify;
mod writer;

pub use digest::{RecordDigests, Sha, headers_digest, sha256, to_hex};
pub use file::FileError;
pub use format::{
    HeaderChanges, PLAN_VERSION, PlanDecision, PlanEnd, PlanHeader, PlanLine, PlanOptions,
    PlanReader, plan_topic,
};
pub use journal::{
    JOURNAL_VERSION, Journal, JournalEntry, JournalHeader, JournalOp, JournalReader, Journaled,
    journal_topic,
};
pub use show::show;
pub use undo::{UndoStep, UndoVerdict, UndoWatch};
pub use verify::{
    ApplyCheck, ApplyGate, PLAN_HEADER, PlanTable, Planned, Refusal, Verdict, decision,
};
pub use writer::PlanWriter;
