//! Billing data in: the column sets of AWS's billing exports (CUR 2.0 today;
//! legacy CUR and FOCUS as the readers land) and their Arrow schemas.
//!
//! The demo generator writes Parquet with [`cur2::arrow_schema`], and the readers
//! check incoming files against the same column list, so the two cannot drift.

pub mod cur2;
