//! A shared flag that says the run was asked to stop (Ctrl-C, SIGTERM).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Cheap to clone; every clone sees the same flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>, Arc<AtomicUsize>);

impl Interrupt {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The flag itself, for signal handlers to set.
    #[must_use]
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    /// Where signal handlers note which signal raised the flag.
    #[must_use]
    pub fn signal_slot(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.1)
    }

    /// The signal that raised the flag, when one did (0 otherwise).
    #[must_use]
    pub fn signal(&self) -> usize {
        self.1.load(Ordering::SeqCst)
    }

    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    #[must_use]
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
