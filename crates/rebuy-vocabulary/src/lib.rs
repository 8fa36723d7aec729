//! The words every rebuy crate shares, so that none depends on another for them: the
//! features crate scores RFM without the models crate, the server reads a segment map
//! without the data engine.
//!
//! - [`rfm`]: R, F and M quintile scores and the map from scores to named segments;
//! - [`AsOf`]: the first day that features do not see;
//! - [`TimeUnit`]: the unit of the lifetime models' recency and age;
//! - [`DEFAULT_HORIZON_DAYS`]: the purchase horizon when none is given;
//! - [`Category`]: whether a failure is the input's or rebuy's (the exit status).
//!
//! ```
//! use rebuy_vocabulary::rfm::{SegmentMap, quintile_scores};
//!
//! // Recency scores: the most recent fifth scores 5 (reverse order).
//! let r = quintile_scores(&[400.0, 2.0, 30.0, 90.0, 7.0], true);
//! assert_eq!(r, vec![1, 5, 3, 2, 4]);
//! assert_eq!(SegmentMap::default().segment(5, 5, 1), Some("Champions"));
//! ```

mod as_of;
mod category;
pub mod rfm;
pub mod time_unit;

pub use as_of::AsOf;
pub use category::{Categorized, Category};
pub use time_unit::TimeUnit;

/// The purchase horizon when none is given (`--horizon-days`), in days: the models
/// predict a purchase in this many days from the as-of date on, and the seasonal
/// features look at the same days one year earlier.
pub const DEFAULT_HORIZON_DAYS: u32 = 90;
