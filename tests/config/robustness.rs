//! No input makes the loader panic: garbage bytes, mutated examples, deep
//! nesting, huge numbers.

use proptest::prelude::*;
use wavebump::config::{Config, EXAMPLE_YAML};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Config::parse_bytes(&bytes, "fuzz.yaml");
    }

    #[test]
    fn yamlish_text_never_panics(text in "[a-z_:\\- \\[\\]{},\"'%0-9.\n#&*!|>]{0,300}") {
        if let Err(e) = Config::parse(&text, "fuzz.yaml") {
            prop_assert!(e.line > 0 && e.column > 0, "{}", e);
        }
    }

    #[test]
    fn mutated_example_never_panics(cut in 0usize..EXAMPLE_YAML.len(), len in 0usize..40, junk in "[ -~\n]{0,20}") {
        let mut text = EXAMPLE_YAML.as_bytes().to_vec();
        let end = (cut + len).min(text.len());
        text.splice(cut..end, junk.bytes());
        if let Err(e) = Config::parse_bytes(&text, "fuzz.yaml") {
            prop_assert!(e.line > 0 && e.column > 0, "{}", e);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let just_allowed = format!("library: {}{}", "[".repeat(22), "]".repeat(22));
    for text in [
        "[".repeat(100_000),
        "{a: ".repeat(50_000),
        "- ".repeat(10_000) + "x",
        "- ".repeat(100) + "x",
        just_allowed,
    ] {
        assert!(Config::parse(&text, "deep.yaml").is_err());
    }
}

#[test]
fn odd_scalars_are_errors() {
    for text in [
        "library: .nan\n",
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\nrollout:\n  max_wave_size: 99999999999999999999999999999\n",
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\nrollout:\n  gate:\n    success_ratio: .nan\n",
        "library:\n  repository: acme/core-utils\n  packages: {cargo: x}\nrollout:\n  waves: [\"1e400%\"]\n",
        "? [a]\n: b\n",
        "library: !!binary aGVsbG8=\n",
    ] {
        let e = Config::parse(text, "odd.yaml").unwrap_err();
        assert!(e.line > 0, "{e}");
    }
}
