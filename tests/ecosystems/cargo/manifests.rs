//! Cargo `find` over every dependency form, rewrite splices, lockfiles,
//! package info and manifest names, on in-memory trees.

use wavebump::ecosystem::{MemTree, Source, SourceTree, apply_splices};

use super::{NAME, handler, v};

/// (section, key, requirement, line, source kind, span_path) of each find.
fn found(tree: &MemTree, path: &str) -> Vec<(String, String, String, u32, String, String)> {
    let text = tree.read_text(path).unwrap();
    handler()
        .find(tree, path, &text, NAME)
        .unwrap()
        .into_iter()
        .map(|r| {
            // The span holds exactly the requirement text.
            if let Some(span) = &r.span {
                let file = tree.read_text(&r.span_path).unwrap();
                assert_eq!(&file[span.clone()], r.requirement, "{r:?}");
            }
            let kind = match &r.source {
                Source::Registry => "registry".to_string(),
                Source::Git { reference, .. } => format!("git:{reference:?}"),
                Source::Workspace { root } => format!("workspace:{root}"),
                Source::Path { path } => format!("path:{path}"),
            };
            (r.section, r.key, r.requirement, r.line, kind, r.span_path)
        })
        .collect()
}

fn row(
    s: &str,
    k: &str,
    r: &str,
    l: u32,
    kind: &str,
    sp: &str,
) -> (String, String, String, u32, String, String) {
    (s.into(), k.into(), r.into(), l, kind.into(), sp.into())
}

#[test]
fn find_reads_every_dependency_form() {
    let manifest = r#"[package]
name = "app"

[dependencies]
core-utils = "1.4"                              # line 5
core-utils-extra = "9"
# core-utils = "0.1"
cu = { package = "core-utils", version = "^1.2", registry = "acme" }
other = { package = "core-utils-extra", version = "1" }

[dev-dependencies.core-utils]
version = "~1.3"

[build_dependencies]
core-utils.version = "=1.4.2"

[target.'cfg(unix)'.dependencies]
core-utils = { path = "../core-utils", version = ">=1.2, <2" }

[target."cfg(windows)".dev-dependencies]
core-utils = { path = "../core-utils" }
"#;
    let tree = MemTree::new().with("app/Cargo.toml", manifest);
    assert_eq!(
        found(&tree, "app/Cargo.toml"),
        [
            row(
                "dependencies",
                "core-utils",
                "1.4",
                5,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "dependencies",
                "cu",
                "^1.2",
                8,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "dev-dependencies",
                "core-utils",
                "~1.3",
                12,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "build_dependencies",
                "core-utils",
                "=1.4.2",
                15,
                "registry",
                "app/Cargo.toml"
            ),
            row(
                "target.'cfg(unix)'.dependencies",
                "core-utils",
                ">=1.2, <2",
                18,
                "registry",
                "app/Cargo.toml"
            ),
        ]
    );
}

#[test]
fn find_reads_git_pins() {
    let manifest = "[dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\", tag = \"v1.4.0\" }\n\
        [dev-dependencies]\n\
        core-utils = { git = 'https://github.com/acme/core-utils', rev = 'abc123' }\n\
        [build-dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\", branch = \"main\" }\n\
        [target.x86_64-unknown-linux-gnu.dependencies]\n\
        core-utils = { git = \"https://github.com/acme/core-utils\" }\n";
    let tree = MemTree::new().with("Cargo.toml", manifest);
    let kinds: Vec<(String, String)> = found(&tree, "Cargo.toml")
        .into_iter()
        .map(|r| (r.0, r.4))
        .collect();
    assert_eq!(
        kinds,
        [
            ("dependencies".into(), "git:Tag(\"v1.4.0\")".into()),
            ("dev-dependencies".into(), "git:Rev(\"abc123\")".into()),
            ("build-dependencies".into(), "git:Branch(\"main\")".into()),
            (
                "target.x86_64-unknown-linux-gnu.dependencies".into(),
                "git:DefaultBranch".into()
            ),
        ]
    );
}

#[test]
fn find_resolves_workspace_inheritance() {
    let root = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.dependencies]\n\
        core-utils = { version = \"1.4\", default-features = false }\ncu2 = { package = \"core-utils\", version = \"=1.3.0\" }\n\
        decoy = { package = \"core-utils-extra\", version = \"1\" }\n";
    let a = "[package]\nname = \"a\"\n\n[dependencies]\ncore-utils.workspace = true\n";
    let b = "[package]\nname = \"b\"\n\n[dev-dependencies]\ncore-utils = { workspace = true, features = [\"x\"] }\n\
        cu = { workspace = true }\ncu2 = { workspace = true }\ndecoy.workspace = true\n";
    let tree = MemTree::new()
        .with("Cargo.toml", root)
        .with("crates/a/Cargo.toml", a)
        .with("crates/b/Cargo.toml", b);
    assert_eq!(
        found(&tree, "Cargo.toml"),
        [
            row(
                "workspace.dependencies",
                "core-utils",
                "1.4",
                5,
                "registry",
                "Cargo.toml"
            ),
            row(
                "workspace.dependencies",
                "cu2",
                "=1.3.0",
                6,
                "registry",
                "Cargo.toml"
            ),
        ]
    );
    assert_eq!(
        found(&tree, "crates/a/Cargo.toml"),
        [row(
            "dependencies",
            "core-utils",
            "1.4",
            5,
            "workspace:Cargo.toml",
            "Cargo.toml"
        )]
    );
    assert_eq!(
        found(&tree, "crates/b/Cargo.toml"),
        [
            row(
                "dev-dependencies",
                "core-utils",
                "1.4",
                5,
                "workspace:Cargo.toml",
                "Cargo.toml"
            ),
            row(
                "dev-dependencies",
                "cu2",
                "=1.3.0",
                7,
                "workspace:Cargo.toml",
                "Cargo.toml"
            ),
        ]
    );
    // A member whose root lacks the entry is an error naming the member.
    let lonely = MemTree::new().with(
        "x/Cargo.toml",
        "[dependencies]\ncore-utils.workspace = true\n",
    );
    let err = handler()
        .find(
            &lonely,
            "x/Cargo.toml",
            "[dependencies]\ncore-utils.workspace = true\n",
            NAME,
        )
        .unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("x/Cargo.toml", 2), "{err}");
}

#[test]
fn look_alikes_and_path_only_deps_are_not_targets() {
    let manifests = [
        "[dependencies]\ncore-utils-extra = \"1\"\ncore_utils = \"1\"\n",
        "[dependencies]\ncore-utils = { package = \"other\", version = \"1\" }\n",
        "[dependencies]\n# core-utils = \"1.4\"\n",
        "[dependencies]\ncore-utils = { path = \"../core-utils\" }\n",
        "[package]\nname = \"core-utils\"\n[features]\nx = [\"core-utils-extra/x\"]\n",
        "[dependencies]\nx = \"core-utils\"\n",
    ];
    for text in manifests {
        let tree = MemTree::new().with("Cargo.toml", text);
        assert_eq!(
            handler().find(&tree, "Cargo.toml", text, NAME).unwrap(),
            [],
            "{text}"
        );
    }
}

#[test]
fn malformed_manifests_are_located_errors() {
    let cases = [
        ("[dependencies\ncore-utils = \"1\"\n", 1, "invalid TOML"),
        (
            "[dependencies]\ncore-utils = 1.4\n",
            2,
            "expected a version string or a table",
        ),
        (
            "[dependencies]\ncore-utils = { version = 1 }\n",
            2,
            "expected `version` to be a string",
        ),
        (
            "[dependencies]\ncore-utils = \"1\"\ncore-utils = \"2\"\n",
            3,
            "invalid TOML",
        ),
        (
            "[dependencies]\ncu = { package = 3 }\n# core-utils\n",
            2,
            "expected `package` to be a string",
        ),
        (
            "[dependencies]\ncore-utils = { git = \"u\", tag = \"a\", rev = \"b\" }\n",
            2,
            "only one of",
        ),
    ];
    for (text, line, message) in cases {
        let tree = MemTree::new().with("Cargo.toml", text);
        let err = handler().find(&tree, "Cargo.toml", text, NAME).unwrap_err();
        assert_eq!(err.line, line, "{text}: {err}");
        assert!(err.message.contains(message), "{text}: {err}");
    }
}

#[test]
fn rewrite_splices_only_version_tokens() {
    let text = "[dependencies]\r\n\tcore-utils = { version = \">=1.2,  <2\" } # keep\r\nb = \"1\"";
    let tree = MemTree::new().with("Cargo.toml", text);
    let req = handler()
        .find(&tree, "Cargo.toml", text, NAME)
        .unwrap()
        .remove(0);
    let splices = handler().rewrite(&tree, &req, &v("2.0.3")).unwrap();
    assert_eq!(splices.len(), 1);
    let out = apply_splices(&tree, &splices).unwrap();
    assert_eq!(
        String::from_utf8(out["Cargo.toml"].clone()).unwrap(),
        "[dependencies]\r\n\tcore-utils = { version = \">=1.2,  <3\" } # keep\r\nb = \"1\""
    );
    // A stale requirement (the file changed since find) is refused.
    let changed = MemTree::new().with("Cargo.toml", text.replace("1.2", "1.3"));
    assert!(handler().rewrite(&changed, &req, &v("2.0.3")).is_err());
}

#[test]
fn lockfiles_pin_the_admitted_version_and_refresh_in_their_directory() {
    let lock = "version = 3\n\n[[package]]\nname = \"core-utils\"\nversion = \"1.4.2\"\n\n\
        [[package]]\nname = \"core-utils\"\nversion = \"2.0.1\"\n";
    let member = "[dependencies]\ncore-utils = \"1.4\"\n";
    let tree = MemTree::new()
        .with("ws/Cargo.lock", lock)
        .with("ws/crates/m/Cargo.toml", member);
    let req = handler()
        .find(&tree, "ws/crates/m/Cargo.toml", member, NAME)
        .unwrap()
        .remove(0);
    let locked = handler().locked_version(&tree, &req, NAME).unwrap();
    assert_eq!(locked.as_deref(), Some("1.4.2"));
    let refresh = handler()
        .lock_refresh(&tree, &req, NAME, &v("2.0.3"))
        .unwrap();
    assert_eq!(refresh.dir, "ws");
    assert_eq!(refresh.lockfile, "ws/Cargo.lock");
    assert_eq!(
        refresh.commands,
        [[
            "cargo",
            "update",
            "-p",
            "core-utils@1.4.2",
            "--precise",
            "2.0.3"
        ]]
    );
    let single = MemTree::new().with("Cargo.toml", member);
    assert_eq!(
        handler().lock_refresh(&single, &req, NAME, &v("2.0.3")),
        None
    );
    let broken = MemTree::new()
        .with(
            "ws/Cargo.lock",
            "[[package]]\nname = \"core-utils\"\nversion = 7\n",
        )
        .with("ws/crates/m/Cargo.toml", member);
    let err = handler().locked_version(&broken, &req, NAME).unwrap_err();
    assert_eq!((err.path.as_str(), err.line), ("ws/Cargo.lock", 1), "{err}");
}

#[test]
fn package_info_resolves_renames() {
    let text = "[package]\nname = \"billing-lib\"\npublish = false\n\n[dependencies]\n\
        cu = { package = \"core-utils\", version = \"1\" }\nserde = \"1\"\n\
        [dev-dependencies]\nserde = \"1\"\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n";
    let info = handler().package_info("Cargo.toml", text).unwrap();
    assert_eq!(info.publishes.as_deref(), Some("billing-lib"));
    assert_eq!(info.requires, ["core-utils", "libc", "serde"]);
    let virtual_root = "[workspace]\nmembers = []\n[workspace.dependencies]\ncore-utils = \"1\"\n";
    let info = handler().package_info("Cargo.toml", virtual_root).unwrap();
    assert_eq!(info.publishes, None);
    assert_eq!(info.requires, ["core-utils"]);
    assert!(handler().package_info("Cargo.toml", "[package\n").is_err());
}

#[test]
fn manifests_are_recognised_by_name() {
    for (path, want) in [
        ("Cargo.toml", true),
        ("crates/a/Cargo.toml", true),
        ("Cargo.lock", false),
        ("xCargo.toml", false),
        ("cargo.toml", false),
    ] {
        assert_eq!(handler().is_manifest(path), want, "{path}");
    }
}

#[test]
fn a_version_beside_a_git_tag_moves_with_it() {
    let text = "[dependencies]\ncore-utils = { version = \"~1.4\", git = \"https://x/core-utils\", tag = \"v1.4.0\" }\n";
    let tree = MemTree::new().with("Cargo.toml", text);
    let req = handler()
        .find(&tree, "Cargo.toml", text, NAME)
        .unwrap()
        .remove(0);
    let splices = handler().rewrite(&tree, &req, &v("1.5.1")).unwrap();
    let out = apply_splices(&tree, &splices).unwrap();
    assert_eq!(
        String::from_utf8(out["Cargo.toml"].clone()).unwrap(),
        text.replace("~1.4", "~1.5").replace("v1.4.0", "v1.5.1")
    );
}

#[test]
fn workspace_roots_are_found_as_cargo_finds_them() {
    let root = "[package]\nname = \"root\"\n[workspace]\n[workspace.dependencies]\ncore-utils = \"1.4\"\n\
        [dependencies]\ncore-utils = { workspace = true }\n";
    let elsewhere = "[workspace]\n[workspace.dependencies]\ncore-utils = \"=1.3.0\"\n";
    let member = "[package]\nname = \"m\"\nworkspace = \"../../other\"\n[dependencies]\ncore-utils.workspace = true\n";
    let tree = MemTree::new()
        .with("Cargo.toml", root)
        .with("other/Cargo.toml", elsewhere)
        .with("nested/m/Cargo.toml", member);
    // A root that is also a package inherits from itself.
    let kinds: Vec<(String, String)> = found(&tree, "Cargo.toml")
        .into_iter()
        .map(|r| (r.0, r.4))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "dependencies".to_string(),
                "workspace:Cargo.toml".to_string()
            ),
            ("workspace.dependencies".to_string(), "registry".to_string()),
        ]
    );
    // `package.workspace` names the root explicitly.
    assert_eq!(
        found(&tree, "nested/m/Cargo.toml"),
        [row(
            "dependencies",
            "core-utils",
            "=1.3.0",
            5,
            "workspace:other/Cargo.toml",
            "other/Cargo.toml"
        )]
    );
}
