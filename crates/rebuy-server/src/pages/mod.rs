//! The dashboard's pages: server-rendered HTML with ECharts charts.

mod customers;
mod models;
mod overview;
mod segments;

pub use customers::customers;
pub use models::models;
pub use overview::overview;
pub use segments::segments;
