//! Evaluation of hotspot maps: hit rate, PAI, PEI* and RRI at fixed area shares, and a
//! rolling-origin backtest of the hotspot methods (train on the months before t, test on
//! month t).
//!
//! # References
//! - Chainey, Tompson & Uhlig (2008), *Security Journal* 21:4–28 (PAI; KDE gave the highest
//!   PAI of the methods they compared).
//! - Levine (2008), *Security Journal* 21:295–302 (RRI; see [`rri`] for the form used).
//! - NIJ Real-Time Crime Forecasting Challenge (PEI*).

mod backtest;
mod metrics;

pub use backtest::{
    AREA_SHARES, BacktestParams, BacktestResult, EvalIncident, EvalUnit, Method, MethodSummary, Score,
    backtest, rank_units,
};
pub use metrics::{best_capture, hit_rate, pai, pei_star, rri, select_by_area};

#[cfg(test)]
mod tests;
