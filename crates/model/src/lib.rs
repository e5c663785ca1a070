//! Domain types shared by every orgpool crate: the organization bundle (an
//! AWS Organization's inventory in orgpool's own versioned JSON format) and the
//! commitment types (Savings Plans, Reserved Instances) the simulator applies.
//!
//! This crate does no I/O. Readers and writers live in the source crates; this
//! one only says what the data are and checks their internal consistency.

pub mod bundle;
pub mod charges;
pub mod cloudformation;
pub mod commitment;
pub mod trust;
pub mod usage;

pub use bundle::*;
pub use charges::*;
pub use commitment::*;
pub use trust::{
    TrustAnalysis, analyse as analyse_trust, org_condition_keys, principal_account,
    statement_org_keys, statements,
};
pub use usage::*;
