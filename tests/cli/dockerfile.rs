//! The Dockerfile's contract with the code (there is no Docker engine on
//! these machines, so the contract is checked here instead of by a build).

use wavebump::config::Config;

use crate::support::crate_root;

fn dockerfile() -> String {
    std::fs::read_to_string(crate_root().join("Dockerfile")).expect("Dockerfile")
}

#[test]
fn binary_templates_port_and_entrypoint_match_the_code() {
    let d = dockerfile();
    // The binary the build produces is the one the image runs.
    assert!(
        d.contains("cargo build --release --locked --bin wavebump"),
        "{d}"
    );
    assert!(d.contains("/src/target/release/wavebump /usr/local/bin/wavebump"));
    assert!(d.contains(r#"ENTRYPOINT ["wavebump"]"#));
    // Every COPY source exists in the repository.
    for line in d
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from="))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(
                crate_root().join(src).exists(),
                "Dockerfile copies missing {src}"
            );
        }
    }
    // The templates are shipped.
    assert!(d.contains("COPY templates ./templates"));
    assert!(d.contains("/src/templates /usr/share/wavebump/templates"));
    // The exposed port is the config's default port, and the listen address
    // the image uses is on it.
    let config = Config::embedded_example().expect("example config");
    let port = config.server.listen.port();
    assert!(
        d.contains(&format!("EXPOSE {port}")),
        "EXPOSE {port} missing"
    );
    assert!(d.contains(&format!("0.0.0.0:{port}")));
    assert!(d.contains(&format!("http://127.0.0.1:{port}/healthz")));
    // A volume for the SQLite database, a non-root user, CA certificates.
    assert!(d.contains("VOLUME [\"/var/lib/wavebump\"]"));
    assert!(d.contains("USER wavebump"));
    assert!(d.contains("ca-certificates"));
    // Dependencies are built in a layer of their own, before the source.
    let deps = d
        .find("COPY Cargo.toml Cargo.lock")
        .expect("manifests copied first");
    let src = d.find("COPY src ./src").expect("source copied");
    assert!(deps < src);
    // git2 is built with its https transport (system OpenSSL).
    let manifest = std::fs::read_to_string(crate_root().join("Cargo.toml")).unwrap();
    let git2 = manifest
        .lines()
        .find(|l| l.starts_with("git2"))
        .expect("git2 dependency");
    assert!(git2.contains("https"), "{git2}");
}
