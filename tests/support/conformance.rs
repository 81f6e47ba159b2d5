//! Peer conformance data from `../shared/conformance/` (read in place).

use serde_json::Value;

/// Load `../shared/conformance/<name>.json`. A missing file fails the test:
/// conformance is never silently skipped.
pub fn load(name: &str) -> Value {
    let path = super::crate_root()
        .join("../shared/conformance")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("conformance data {} is required: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Tally of a conformance run; `finish` prints the counts and fails on any
/// failure that is not declined with a reason.
#[derive(Default)]
pub struct Tally {
    pub name: String,
    pub passed: usize,
    pub declined: Vec<(String, &'static str)>,
    pub failed: Vec<String>,
}

impl Tally {
    pub fn new(name: &str) -> Self {
        Tally {
            name: name.to_string(),
            ..Tally::default()
        }
    }

    /// Record one case: `ok` is whether our answer equals the reference's;
    /// `declined` gives the reason when we knowingly differ.
    pub fn case(&mut self, label: String, ok: bool, declined: Option<&'static str>) {
        match (ok, declined) {
            (true, None) => self.passed += 1,
            (true, Some(reason)) => self.failed.push(format!(
                "{label}: declined ({reason}) but now passes: remove it from the declined list"
            )),
            (false, Some(reason)) => self.declined.push((label, reason)),
            (false, None) => self.failed.push(label),
        }
    }

    pub fn finish(self) {
        let total = self.passed + self.declined.len() + self.failed.len();
        println!(
            "conformance {}: {} cases, {} passed, {} declined, {} failed",
            self.name,
            total,
            self.passed,
            self.declined.len(),
            self.failed.len()
        );
        for (label, reason) in &self.declined {
            println!("  declined: {label}: {reason}");
        }
        assert!(
            self.failed.is_empty(),
            "{} conformance failures in {}:\n{}",
            self.failed.len(),
            self.name,
            self.failed.join("\n")
        );
    }
}
