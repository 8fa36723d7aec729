//! The dashboard's pages: server-rendered HTML with ECharts charts.

mod changes;
mod customers;
mod models;
mod overview;
mod predict;
pub(crate) mod segments;

pub use changes::changes;
pub use customers::customers;
pub use models::{models, models_body};
pub use overview::{overview, overview_body};
pub use predict::predict;
pub use segments::{segments, segments_body};
