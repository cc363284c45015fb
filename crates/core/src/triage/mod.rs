//! The triage engine: records in, decisions asked, actions out. No I/O here: the record
//! source, the decision source and the action sink are traits that the Kafka layer, the UI
//! and the tests implement.

mod action;
mod decision;
mod engine;
mod filter;
mod gate;
mod interrupt;
mod offsets;
mod overview;
mod pace;
mod plan;
mod summary;
mod transformed;

pub use action::{Action, ActionSink, PlannedAction, SkipReason, Target};
pub use decision::{Always, Decision, DecisionSource, Outcome, Scripted};
pub use engine::{
    BatchAborted, CommitPolicy, Engine, EngineOptions, Observer, Observers, RecordSource, RunError,
};
pub use filter::{Filter, HeaderCondition, RecordFilter};
pub use gate::{Admission, Gate, LeftAlone, NullKeysBelow, OpenGate};
pub use interrupt::Interrupt;
pub use offsets::{Held, Offsets};
pub use overview::{Class, DEFAULT_CLASS_HEADERS, Fate, Overview, failure_class};
pub use pace::{NoWrites, Paced, rate_limited};
pub use plan::{Plan, PlanDecisions, PlanGate};
pub use summary::Summary;
pub use transformed::{PREVIEWS, Transformed};
