//! The benchmark's page render (`render_rollout_page_for_bench`) covers
//! what the real page draws, and the page stays light: under 500 KB at
//! 1,000 targets (issue 7's page-weight goal). Timing is the benchmark's
//! job, not a test's.

use std::time::Duration;

use wavebump::status::pages::BENCH_START;
use wavebump::status::{BenchRollout, render_rollout_page_for_bench};

#[test]
fn bench_render_draws_the_graph_and_stays_under_500_kb() {
    let now = BENCH_START.plus(Duration::from_secs(2 * 3600));
    // 1,000 targets in 200 repositories: the graph is drawn.
    let small = BenchRollout::synthetic(1_000, 200);
    let page = render_rollout_page_for_bench(&small, now).unwrap();
    assert_eq!(page, render_rollout_page_for_bench(&small, now).unwrap());
    assert!(page.contains("class=\"edge provider\""), "consumer edges");
    assert!(page.contains("<g class=\"lockstep\">"), "lockstep boxes");
    assert_eq!(page.matches("<g class=\"node ").count(), 201);
    assert!(page.contains("1000 targets"), "table counts every target");
    assert!(
        page.len() < 500_000,
        "{} bytes at 1,000 targets",
        page.len()
    );
    // 1,000 targets in 1,000 repositories: still light.
    let wide = BenchRollout::synthetic(1_000, 1_000);
    let page = render_rollout_page_for_bench(&wide, now).unwrap();
    assert!(page.len() < 500_000, "{} bytes", page.len());
    // 5,000 targets in 1,000 repositories: the graph is summarised.
    let big = BenchRollout::synthetic(5_000, 1_000);
    let page = render_rollout_page_for_bench(&big, now).unwrap();
    assert!(page.contains("1000 repositories: the graph is drawn up to 200"));
    assert!(page.contains("5000 targets"));
}
