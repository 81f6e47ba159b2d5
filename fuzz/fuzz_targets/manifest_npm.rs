//! Fuzz target `manifest_npm`: see `wavebump::fuzzing` for the input layout and
//! the invariants checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let check = wavebump::fuzzing::check_for("manifest_npm").expect("a known target");
    if let Err(violation) = check(data) {
        panic!("manifest_npm: invariant violated: {violation}");
    }
});
