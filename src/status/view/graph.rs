//! The consumer graph as data for an inline SVG: the library on the left,
//! one column (layer) per wave, one node per repository coloured AND
//! labelled by state, edges library → consumer and provider → consumer
//! (from the plan's graph stored with the rollout: `billing-lib →
//! billing-service`), lockstep groups boxed. An edge between two nodes of
//! one column (inside a lockstep group) bends out to the right of the
//! column so that it never crosses a node.
//!
//! Invariants: pure and deterministic (nodes by wave, lockstep group, then
//! name); every coordinate is computed here, the template only places
//! them; node text is carried verbatim and escaped by the renderer (so it
//! is escaped in SVG text and attributes alike); past [`MAX_NODES`]
//! repositories the graph is omitted with a note (the table has them all).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::states::target_label;
use crate::rollout::TargetState;
use crate::store::TargetRecord;

/// Repositories drawn at most.
pub const MAX_NODES: usize = 200;
pub const NODE_W: u32 = 168;
pub const NODE_H: u32 = 38;
pub const COL_W: u32 = 212;
pub const ROW_H: u32 = 50;
pub const MARGIN: u32 = 16;
/// Room above the first row for the column titles.
pub const HEADER: u32 = 28;
/// Characters of a repository name shown in a node (the full name is in
/// its `<title>`).
pub const LABEL_CHARS: usize = 22;

/// Edges between consumers (provider → consumer) and lockstep groups: the
/// plan's graph as stored with the rollout.
pub type Topology = crate::store::RolloutGraph;

/// How far an edge inside one column bends out to its right.
pub const BEND: u32 = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub repo: String,
    /// `repo`, shortened to [`LABEL_CHARS`].
    pub label: String,
    pub state: String,
    pub class: &'static str,
    pub state_text: String,
    pub root: bool,
    pub x: u32,
    pub y: u32,
    pub text_x: u32,
    pub text_y: u32,
    pub state_y: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EdgeView {
    pub from: String,
    pub to: String,
    /// `library` (library → consumer) or `provider` (consumer → consumer).
    pub kind: &'static str,
    pub x1: u32,
    pub y1: u32,
    pub x2: u32,
    pub y2: u32,
    /// The SVG path (a cubic curve from (x1, y1) to (x2, y2)).
    pub d: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoxView {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub label: String,
    pub label_y: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnView {
    pub x: u32,
    pub title: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GraphView {
    /// Why the graph is not drawn, when it is not.
    pub omitted: Option<String>,
    pub width: u32,
    pub height: u32,
    pub node_w: u32,
    pub node_h: u32,
    pub columns: Vec<ColumnView>,
    pub nodes: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
    pub boxes: Vec<BoxView>,
}

/// Which of two states a repository node shows: problems first.
fn severity(s: TargetState) -> u8 {
    match s {
        TargetState::CiFailed | TargetState::Error(_) => 0,
        TargetState::Pending | TargetState::PrOpen | TargetState::CiPending => 1,
        TargetState::CiPassed => 2,
        TargetState::Merged => 3,
        _ => 4,
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= LABEL_CHARS {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(LABEL_CHARS - 1).collect();
    out.push('…');
    out
}

/// Lay out the graph of `library` and the targets' repositories.
pub fn graph(library: &str, targets: &[TargetRecord], topology: &Topology) -> GraphView {
    // repo → (wave, state shown)
    let mut repos: BTreeMap<&str, (u32, TargetState)> = BTreeMap::new();
    for t in targets {
        let e = repos.entry(t.repo.as_str()).or_insert((t.wave, t.state));
        e.0 = e.0.min(t.wave);
        if severity(t.state) < severity(e.1) {
            e.1 = t.state;
        }
    }
    if repos.len() > MAX_NODES {
        return GraphView {
            omitted: Some(format!(
                "{} repositories: the graph is drawn up to {MAX_NODES}; the targets table lists them all",
                repos.len()
            )),
            ..GraphView::default()
        };
    }
    let group_of: BTreeMap<&str, usize> = topology
        .lockstep
        .iter()
        .enumerate()
        .flat_map(|(g, members)| members.iter().map(move |m| (m.as_str(), g)))
        .collect();
    let waves = repos.values().map(|(w, _)| *w + 1).max().unwrap_or(0);
    let mut columns: Vec<Vec<&str>> = vec![Vec::new(); waves as usize];
    for (repo, (wave, _)) in &repos {
        if let Some(col) = columns.get_mut(*wave as usize) {
            col.push(repo);
        }
    }
    for col in &mut columns {
        col.sort_by_key(|r| (group_of.get(r).copied().unwrap_or(usize::MAX), *r));
    }
    let x_of = |layer: u32| MARGIN + layer * COL_W;
    let y_of = |row: u32| MARGIN + HEADER + row * ROW_H;
    let node = |repo: &str, label: String, class, state: String, state_text, root, x, y| NodeView {
        repo: repo.to_owned(),
        label,
        state,
        class,
        state_text,
        root,
        x,
        y,
        text_x: x + 8,
        text_y: y + 15,
        state_y: y + 31,
    };
    let mut nodes = vec![node(
        library,
        shorten(library),
        "root",
        "library".to_owned(),
        "library".to_owned(),
        true,
        x_of(0),
        y_of(0),
    )];
    let mut place: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    place.insert(library, (x_of(0), y_of(0)));
    let mut boxes = Vec::new();
    let mut rows_max = 1u32;
    for (w, col) in columns.iter().enumerate() {
        let layer = w as u32 + 1;
        let mut run: Option<(usize, u32)> = None; // (group, first row)
        for (row, repo) in col.iter().enumerate() {
            let row = row as u32;
            let (x, y) = (x_of(layer), y_of(row));
            place.insert(repo, (x, y));
            let state = repos
                .get(repo)
                .map(|(_, s)| *s)
                .unwrap_or(TargetState::Pending);
            let label = target_label(state);
            nodes.push(node(
                repo,
                shorten(repo),
                label.class,
                state.as_str().to_owned(),
                format!("{} {}", label.icon, label.text),
                false,
                x,
                y,
            ));
            let group = group_of.get(repo).copied();
            let next_group = col
                .get(row as usize + 1)
                .and_then(|r| group_of.get(r).copied());
            if let Some(g) = group {
                let first = match run {
                    Some((rg, first)) if rg == g => first,
                    _ => row,
                };
                run = Some((g, first));
                if next_group != Some(g) {
                    boxes.push(BoxView {
                        x: x - 6,
                        y: y_of(first) - 16,
                        w: NODE_W + 12,
                        h: (row - first) * ROW_H + NODE_H + 22,
                        label: format!("lockstep {}", g + 1),
                        label_y: y_of(first) - 5,
                    });
                    run = None;
                }
            }
        }
        rows_max = rows_max.max(col.len() as u32);
    }
    let mut edge_set: BTreeSet<(&str, &str)> = repos.keys().map(|r| (library, *r)).collect();
    for (from, to) in &topology.edges {
        if place.contains_key(from.as_str()) && place.contains_key(to.as_str()) && from != to {
            edge_set.insert((from.as_str(), to.as_str()));
        }
    }
    let edges = edge_set
        .into_iter()
        .filter_map(|(from, to)| {
            let (fx, fy) = *place.get(from)?;
            let (tx, ty) = *place.get(to)?;
            let (y1, y2) = (fy + NODE_H / 2, ty + NODE_H / 2);
            let (x1, x2, d) = if fx == tx {
                // Same column: out of the right side and back in.
                let x = fx + NODE_W;
                let c = x + BEND;
                (x, x, format!("M{x} {y1} C{c} {y1} {c} {y2} {x} {y2}"))
            } else {
                let (x1, x2) = (fx + NODE_W, tx);
                let c1 = x1 + (COL_W - NODE_W) / 2;
                let c2 = x2.saturating_sub((COL_W - NODE_W) / 2);
                (x1, x2, format!("M{x1} {y1} C{c1} {y1} {c2} {y2} {x2} {y2}"))
            };
            Some(EdgeView {
                from: from.to_owned(),
                to: to.to_owned(),
                kind: if from == library {
                    "library"
                } else {
                    "provider"
                },
                x1,
                y1,
                x2,
                y2,
                d,
            })
        })
        .collect();
    let mut col_titles = vec![ColumnView {
        x: x_of(0),
        title: "library".to_owned(),
    }];
    col_titles.extend((0..waves).map(|w| ColumnView {
        x: x_of(w + 1),
        title: format!("wave {w}"),
    }));
    GraphView {
        omitted: None,
        width: x_of(waves + 1) + MARGIN,
        height: y_of(rows_max) + MARGIN,
        node_w: NODE_W,
        node_h: NODE_H,
        columns: col_titles,
        nodes,
        edges,
        boxes,
    }
}
