//! The consumer graph's layout: layers by wave, edges library → consumer
//! and provider → consumer, lockstep boxes around their members, nodes
//! labelled (never colour alone), the size cap.

use wavebump::ecosystem::{Classification, Ecosystem};
use wavebump::rollout::{TargetState, Timestamp};
use wavebump::status::Topology;
use wavebump::status::view::graph::{COL_W, MAX_NODES, NODE_H, NODE_W, graph};
use wavebump::store::TargetRecord;

fn target(repo: &str, wave: u32, state: TargetState) -> TargetRecord {
    TargetRecord {
        id: 0,
        rollout_id: 1,
        repo: repo.into(),
        manifest_path: "Cargo.toml".into(),
        ecosystem: Ecosystem::Cargo,
        from_requirement: "1.4".into(),
        to_requirement: Some("2.0".into()),
        classification: Classification::Major,
        is_library: false,
        wave,
        state,
        retries: 0,
        pr_number: None,
        pr_url: None,
        head_sha: None,
        ci_state: None,
        failing_checks: vec![],
        merge_blocked: None,
        last_reason: None,
        state_since: Timestamp(0),
        ci_started_at: None,
        ci_finished_at: None,
        activity: Default::default(),
    }
}

#[test]
fn layers_edges_and_lockstep_boxes() {
    let targets = vec![
        target("lib-a", 0, TargetState::Merged),
        target("zeta", 1, TargetState::CiPassed),
        target("svc-c", 1, TargetState::CiFailed),
        target("svc-b", 1, TargetState::Pending),
        target("svc-d", 1, TargetState::PrOpen),
        // A monorepo: its node shows the worst state.
        target("mono", 1, TargetState::Merged),
        target("mono", 1, TargetState::Error(2)),
    ];
    let topology = Topology {
        edges: vec![
            ("lib-a".into(), "svc-c".into()),
            ("ghost".into(), "svc-c".into()),
            ("svc-c".into(), "svc-c".into()),
        ],
        lockstep: vec![vec!["svc-d".into(), "svc-b".into()]],
    };
    let g = graph("core-utils", &targets, &topology);
    assert!(g.omitted.is_none());
    let titles: Vec<&str> = g.columns.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["library", "wave 0", "wave 1"]);
    let at = |repo: &str| g.nodes.iter().find(|n| n.repo == repo).unwrap();
    assert!(at("core-utils").root);
    assert_eq!(at("lib-a").x, at("core-utils").x + COL_W);
    assert_eq!(at("svc-c").x, at("lib-a").x + COL_W);
    // Within a layer: the lockstep group first, then by name.
    let wave1: Vec<&str> = g
        .nodes
        .iter()
        .filter(|n| n.x == at("zeta").x)
        .map(|n| n.repo.as_str())
        .collect();
    assert_eq!(wave1, ["svc-b", "svc-d", "mono", "svc-c", "zeta"]);
    // One box around the group's two adjacent nodes.
    assert_eq!(g.boxes.len(), 1);
    let b = &g.boxes[0];
    assert!(b.x < at("svc-b").x && b.x + b.w > at("svc-b").x + NODE_W);
    assert!(b.y < at("svc-b").y && b.y + b.h > at("svc-d").y + NODE_H);
    // Every state is a label as well as a colour.
    assert_eq!(at("mono").state, "error");
    assert_eq!(at("mono").state_text, "! error (2 attempts)");
    assert_eq!(at("svc-c").state_text, "✗ CI failed");
    for n in &g.nodes {
        assert!(!n.state_text.is_empty() && !n.class.is_empty());
    }
    // Edges: the library to every repository, plus lib-a → svc-c; unknown
    // and self edges dropped.
    let edges: Vec<(String, String)> = g
        .edges
        .iter()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    assert_eq!(edges.len(), 6 + 1);
    assert!(edges.contains(&("lib-a".into(), "svc-c".into())));
    assert!(edges.iter().all(|(f, t)| f != "ghost" && f != t));
    let e = g.edges.iter().find(|e| e.from == "lib-a").unwrap();
    assert_eq!((e.x1, e.x2), (at("lib-a").x + NODE_W, at("svc-c").x));
    // Everything fits in the drawing.
    for n in &g.nodes {
        assert!(n.x + NODE_W <= g.width && n.y + NODE_H <= g.height, "{n:?}");
    }
}

#[test]
fn long_names_are_shortened_and_layout_is_deterministic() {
    let long = "a-very-long-repository-name-indeed";
    let mut targets = vec![
        target(long, 0, TargetState::Pending),
        target("b", 0, TargetState::Pending),
    ];
    let g1 = graph("lib", &targets, &Topology::default());
    targets.reverse();
    let g2 = graph("lib", &targets, &Topology::default());
    assert_eq!(g1, g2, "input order does not matter");
    let n = g1.nodes.iter().find(|n| n.repo == long).unwrap();
    assert_eq!(n.label.chars().count(), 22);
    assert!(n.label.ends_with('…'));
}

#[test]
fn big_graphs_are_omitted_with_a_note() {
    let targets: Vec<TargetRecord> = (0..=MAX_NODES)
        .map(|i| target(&format!("svc-{i:04}"), (i % 4) as u32, TargetState::Pending))
        .collect();
    let g = graph("lib", &targets, &Topology::default());
    assert!(g.omitted.unwrap().contains("201 repositories"));
    assert!(g.nodes.is_empty());
    let g = graph("lib", &targets[..MAX_NODES], &Topology::default());
    assert!(g.omitted.is_none());
    assert_eq!(g.nodes.len(), MAX_NODES + 1);
}
