//! `confab-bench`: loads a realistic data set, drives the release `confab serve` and a
//! bare axum ceiling over loopback with wrk, and reports the ratios.

mod dataset;
mod load;

fn main() {
    let _ = load::load;
}
