//! The dashboard's pages: server-rendered HTML with ECharts charts.

mod customers;
mod models;
mod overview;
mod predict;
mod segments;

pub use customers::customers;
pub use models::{models, models_body};
pub use overview::{overview, overview_body};
pub use predict::predict;
pub use segments::{segments, segments_body};
