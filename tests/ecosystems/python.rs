use wavebump::ecosystem::Ecosystem;

use crate::support::snapshot;

#[test]
fn snapshots() {
    let n = snapshot::check_all(Ecosystem::Python);
    println!("{n} python snapshot cases");
}
