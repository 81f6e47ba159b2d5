//! PR texts: snapshots of the rendered title, body and commit message;
//! placeholders and branch names; template overrides; neutralised release
//! notes; the body size limit.

use wavebump::ecosystem::Classification;
use wavebump::render::pr::{
    PrContext, PrTarget, branch_name, code_span, expand_placeholders, neutralise, render_pr,
};

const NOTES: &str = "\
## What's changed

* Faster `parse()` by @alice in https://github.com/acme/core-utils/pull/41
* Fix #38 and acme/api#7 (thanks @acme/platform-team!)
* See [the discussion](https://github.com/acme/core-utils/discussions/40) and GH-12.
* Contact: maintainers@acme.example, <b>bold</b> & friends.

```rust
// code is left alone: @nobody #1
let x = core_utils::parse(\"@x\");
```

**Full Changelog**: https://github.com/acme/core-utils/compare/v1.4.0...v2.0.0
";

fn context() -> PrContext {
    PrContext {
        library: "core-utils".into(),
        from: "1.4.0".into(),
        to: "2.0.0".into(),
        classification: Classification::Major,
        repo: "acme/billing".into(),
        targets: vec![
            PrTarget {
                path: "Cargo.toml".into(),
                from: "1.4".into(),
                to: "2.0".into(),
            },
            PrTarget {
                path: "crates/odd|name`x/Cargo.toml".into(),
                from: "^1.4.2".into(),
                to: "^2.0.0".into(),
            },
        ],
        release_notes: Some(NOTES.into()),
        release_url: Some("https://github.com/acme/core-utils/releases/tag/v2.0.0".into()),
        compare_url: Some("https://github.com/acme/core-utils/compare/v1.4.0...v2.0.0".into()),
        wave: 2,
        waves: 5,
        status_url: Some("https://wavebump.acme.example/rollouts/7".into()),
        lock_notes: vec![
            "ran `cargo update -p core-utils --precise 2.0.0`: `Cargo.lock` updated".into(),
            "`web/package-lock.json` not refreshed: tool missing: `npm` is not on PATH".into(),
            "`x.lock` not refreshed: `tool` failed with status 1: error: ask @carol about #99"
                .into(),
        ],
        ..PrContext::default()
    }
}

#[test]
fn snapshot_of_title_body_and_commit_message() {
    let texts = render_pr(&context(), None).unwrap();
    insta::assert_snapshot!("title", texts.title);
    insta::assert_snapshot!("body", texts.body);
    insta::assert_snapshot!("commit_message", texts.commit_message);
}

#[test]
fn the_body_pings_nobody_and_escapes_no_html() {
    let body = render_pr(&context(), None).unwrap().body;
    for needle in [
        "`@alice`",
        "`https://github.com/acme/core-utils/pull/41`",
        "`#38`",
        "`acme/api#7`",
        "`@acme/platform-team`",
        "the discussion (`https://github.com/acme/core-utils/discussions/40`)",
        "`GH-12`",
        "maintainers@acme.example",
        "<b>bold</b> & friends",
        "> // code is left alone: @nobody #1",
        "ask `@carol` about `#99`",
    ] {
        assert!(body.contains(needle), "missing {needle:?} in\n{body}");
    }
    for bad in ["&amp;", "&lt;", "`maintainers@", " @alice", "(@acme"] {
        assert!(!body.contains(bad), "{bad:?} in\n{body}");
    }
}

#[test]
fn placeholders_table() {
    let ctx = context();
    let values = ctx.placeholders();
    let cases = [
        ("Bump {library} to {version}", "Bump core-utils to 2.0.0"),
        (
            "{library} v{major} (from {from}, wave {wave}) in {repo}",
            "core-utils v2 (from 1.4.0, wave 2) in acme/billing",
        ),
        ("{unknown} {library", "{unknown} {library"),
        ("{{library}}", "{core-utils}"),
        ("}{", "}{"),
        ("", ""),
        ("é{version}é", "é2.0.0é"),
    ];
    for (template, want) in cases {
        assert_eq!(expand_placeholders(template, &values), want, "{template:?}");
    }
}

#[test]
fn branch_names_are_valid_git_branch_names() {
    let mut ctx = context();
    let cases = [
        (
            "wavebump/{library}-{version}",
            "2.0.0",
            "wavebump/core-utils-2.0.0",
        ),
        (
            "wavebump/{library}-v{major}",
            "v3.1.0",
            "wavebump/core-utils-v3",
        ),
        (
            "bump {library} to {version}",
            "2.0.0",
            "bump-core-utils-to-2.0.0",
        ),
        ("x/{version}", "1..2~3^4:5?6*7[8\\", "x/1.2-3-4-5-6-7-8-"),
        ("../{version}.lock", "1", "1"),
        ("/{version}/", "1", "1"),
        ("{version}", "", "wavebump/update"),
        ("a//b/.c@{x}", "1", "a/b/-c-{x}"),
    ];
    for (template, version, want) in cases {
        ctx.to = version.to_string();
        assert_eq!(
            branch_name(template, &ctx),
            want,
            "{template:?} {version:?}"
        );
    }
}

#[test]
fn the_config_title_and_commit_templates_are_used() {
    let ctx = PrContext {
        title_template: "chore(deps): {library} {from} → {version}\nsecond line".into(),
        commit_template: "deps: {library}@{version}".into(),
        ..context()
    };
    let texts = render_pr(&ctx, None).unwrap();
    assert_eq!(
        texts.title,
        "chore(deps): core-utils 1.4.0 → 2.0.0 second line"
    );
    assert!(
        texts
            .commit_message
            .starts_with("deps: core-utils@2.0.0\n\n"),
        "{}",
        texts.commit_message
    );
}

#[test]
fn a_templates_directory_overrides_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pr_title.hbs"), "[{{repo}}] {{title}}").unwrap();
    let texts = render_pr(&context(), Some(dir.path())).unwrap();
    assert_eq!(texts.title, "[acme/billing] Bump core-utils to 2.0.0");
    // The body and commit message still come from the built-in templates.
    assert_eq!(texts.body, render_pr(&context(), None).unwrap().body);

    std::fs::write(dir.path().join("pr_body.md.hbs"), "{{#each targets}}").unwrap();
    let err = render_pr(&context(), Some(dir.path())).unwrap_err();
    assert!(
        matches!(err, wavebump::render::RenderError::Compile { .. }),
        "{err:?}"
    );
    let err = err.to_string();
    assert!(err.contains("pr_body.md.hbs"), "{err}");
    std::fs::write(dir.path().join("pr_body.md.hbs"), "{{no_such_field}}").unwrap();
    let err = render_pr(&context(), Some(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("pr_body.md.hbs") && err.contains("no_such_field"),
        "{err}"
    );
}

#[test]
fn minimal_context_renders() {
    let ctx = PrContext {
        library: "core-utils".into(),
        from: "1.0.0".into(),
        to: "1.1.0".into(),
        classification: Classification::LockfileOnly,
        repo: "svc".into(),
        ..PrContext::default()
    };
    let texts = render_pr(&ctx, None).unwrap();
    assert_eq!(texts.title, "Bump core-utils to 1.1.0");
    assert!(!texts.body.contains("Release notes"), "{}", texts.body);
    assert!(!texts.body.contains("Lockfiles"), "{}", texts.body);
    assert_eq!(
        texts.commit_message,
        "Bump core-utils from 1.0.0 to 1.1.0\n\nBumps core-utils from 1.0.0 to 1.1.0 (lockfile-only)."
    );
}

#[test]
fn huge_release_notes_are_cut_and_the_body_fits_github() {
    let mut ctx = context();
    let line = "- a change by @someone in #12345 with some words to fill the line\n";
    ctx.release_notes = Some(format!("```\n{}", line.repeat(2_000)));
    let body = render_pr(&ctx, None).unwrap().body;
    assert!(body.chars().count() < 65_536, "{}", body.len());
    assert!(
        body.contains("Release notes cut short"),
        "not marked as cut"
    );
    assert!(body.contains("read them in full"));
    // The cut fence was closed: the rest of the body is not inside code.
    let tail = body.split("Release notes cut short").nth(1).unwrap();
    assert!(body.matches("> ```").count() == 2, "fence not closed");
    assert!(tail.contains("rollout status"));
}

#[test]
fn code_spans_hold_any_text() {
    let cases = [
        ("plain", false, "`plain`"),
        ("a`b", false, "``a`b``"),
        ("`x`", false, "`` `x` ``"),
        ("a|b", true, "`a\\|b`"),
        ("a|b", false, "`a|b`"),
        ("", false, "(none)"),
        ("two\nlines", false, "`two lines`"),
    ];
    for (text, cell, want) in cases {
        assert_eq!(code_span(text, cell), want, "{text:?}");
    }
}

#[test]
fn neutralise_is_public_for_other_quoted_text() {
    assert_eq!(neutralise("cc @dev"), "cc `@dev`");
}

#[test]
fn a_lockstep_member_names_its_siblings_and_links_their_prs() {
    use wavebump::render::pr::PrSibling;
    let siblings = vec![
        PrSibling {
            repo: "acme/auth".into(),
            pr_url: Some("https://github.com/acme/auth/pull/3".into()),
        },
        PrSibling {
            repo: "acme/users".into(),
            pr_url: None,
        },
    ];
    let by_people = PrContext {
        lockstep: siblings.clone(),
        ..context()
    };
    let body = render_pr(&by_people, None).unwrap().body;
    assert!(
        body.contains(
            "**Lands together** with [`acme/auth`](https://github.com/acme/auth/pull/3), `acme/users`: \
             these repositories form a lockstep group, so their PRs must be merged together. \
             Please merge them at the same time."
        ),
        "{body}"
    );
    let merged_by_wavebump = PrContext {
        lockstep: siblings,
        automerge: true,
        ..context()
    };
    let body = render_pr(&merged_by_wavebump, None).unwrap().body;
    assert!(
        body.contains("wavebump merges them only when every one has passed."),
        "{body}"
    );
    let alone = render_pr(&context(), None).unwrap().body;
    assert!(!alone.contains("Lands together"), "{alone}");
}
