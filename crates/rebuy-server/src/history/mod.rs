//! Run history: the runs a runs folder holds (`rebuy serve --runs`), the run a request
//! picks (`?run=NAME`), and what changed between two runs (segment migration, KPIs).

pub mod migration;
pub mod picked;
pub mod runs;
pub mod sankey;
pub mod trend;
