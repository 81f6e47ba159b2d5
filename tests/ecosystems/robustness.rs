//! No parser or rewriter panics, whatever the bytes: arbitrary input and
//! mutated real manifests from the snapshot cases go through find, judge,
//! locked-version, rewrite and package-info of every handler.

use proptest::prelude::*;
use wavebump::ecosystem::{self, Ecosystem, LibraryNames, MemTree, apply_splices};

use crate::support::{crate_root, load_tree};

/// Manifest file names each handler reads, used as paths for arbitrary bytes.
const MANIFEST_NAMES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.mod",
    "go.sum",
    "go.work",
    "main.go",
    "requirements.txt",
    "requirements-dev.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Gemfile",
    "Gemfile.lock",
    "core.gemspec",
];

/// Every file of every snapshot case's `in/` tree, as (path, bytes).
fn real_manifests() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for eco in Ecosystem::ALL {
        let dir = crate_root().join("tests/data").join(eco.as_str());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for case in entries.flatten() {
            let tree = load_tree(&case.path().join("in"));
            for (path, bytes) in tree.iter() {
                out.push((path.clone(), bytes.clone()));
            }
        }
    }
    out.sort();
    out
}

/// Scan a one-file tree (plus its neighbours) and apply whatever it rewrites.
fn exercise(tree: &MemTree, to: &semver::Version) {
    let library = LibraryNames::acme_core_utils();
    let report = ecosystem::scan(tree, &library, to);
    let splices: Vec<_> = report
        .targets
        .iter()
        .flat_map(|t| t.splices.clone())
        .collect();
    let _ = apply_splices(tree, &splices);
    for eco in Ecosystem::ALL {
        let handler = eco.handler();
        for (path, bytes) in tree.iter() {
            if handler.is_manifest(path) {
                let text = String::from_utf8_lossy(bytes);
                let _ = handler.package_info(path, &text);
            }
        }
    }
}

fn version() -> impl Strategy<Value = semver::Version> {
    (0u64..4, 0u64..12, 0u64..12).prop_map(|(a, b, c)| semver::Version::new(a, b, c))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(
        name in prop::sample::select(MANIFEST_NAMES),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        to in version(),
    ) {
        exercise(&MemTree::new().with(name, bytes), &to);
    }

    #[test]
    fn arbitrary_text_with_library_never_panics(
        name in prop::sample::select(MANIFEST_NAMES),
        prefix in "[ -~\n\t]{0,80}",
        suffix in "[ -~\n\t]{0,80}",
        to in version(),
    ) {
        let text = format!("{prefix}core-utils{suffix}");
        exercise(&MemTree::new().with(name, text), &to);
    }

    #[test]
    fn mutated_real_manifests_never_panic(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        truncate in any::<bool>(),
        to in version(),
    ) {
        let manifests = real_manifests();
        prop_assume!(!manifests.is_empty());
        let (path, original) = &manifests[pick.index(manifests.len())];
        let mut bytes = original.clone();
        if !bytes.is_empty() {
            for (at, value) in &flips {
                let i = at.index(bytes.len());
                bytes[i] = *value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
        }
        exercise(&MemTree::new().with(path.clone(), bytes), &to);
    }
}

/// The fuzz check covers the new Python and Ruby files: each real fixture
/// file, put in every slot of its ecosystem at every version, keeps the
/// invariants (scan, splices inside requirements, rewrite, re-scan).
#[test]
fn fuzz_check_covers_the_new_formats() {
    use wavebump::ecosystem::Ecosystem;
    use wavebump::fuzzing::{SLOTS, check_manifest};
    let root = crate::support::crate_root().join("tests/data");
    let inputs = [
        (
            Ecosystem::Python,
            "python/real-files/in/cdn-client/setup.cfg",
        ),
        (
            Ecosystem::Python,
            "python/real-files/in/cdn-client/setup.py",
        ),
        (Ecosystem::Python, "python/real-files/in/pipenv-svc/Pipfile"),
        (
            Ecosystem::Python,
            "python/real-files/in/pipenv-svc/Pipfile.lock",
        ),
        (
            Ecosystem::Python,
            "python/real-files/in/modern/pyproject.toml",
        ),
        (
            Ecosystem::Python,
            "python/hashes-pip-compile/in/requirements.txt",
        ),
        (
            Ecosystem::Python,
            "python/odd-entries/in/services/billing/pyproject.toml",
        ),
        (
            Ecosystem::Ruby,
            "ruby/variables-branches-includes/in/app/Gemfile",
        ),
        (
            Ecosystem::Ruby,
            "ruby/variables-branches-includes/in/tools/acme-tools.gemspec",
        ),
        (Ecosystem::Npm, "npm/odd-entries/in/package.json"),
    ];
    for (eco, file) in inputs {
        let text = std::fs::read(root.join(file)).expect(file);
        let slots = SLOTS.iter().filter(|s| s.ecosystem == eco).count() as u8;
        for slot in 0..slots {
            for version in 0..8u8 {
                let mut data = vec![(version << 4) | slot];
                data.extend_from_slice(&text);
                if let Err(e) = check_manifest(eco, &data) {
                    panic!("{file} in slot {slot}, version {version}: {e}");
                }
            }
        }
    }
}
