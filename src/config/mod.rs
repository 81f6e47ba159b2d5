//! The YAML config: schema ([`schema`]), loading, defaults and validation.
//!
//! Loading runs in three steps, each of which can only fail with a
//! [`ConfigError`] naming `file:line:column`, the key path and what was
//! expected:
//! 1. serde-saphyr parses the text into a positioned tree ([`node`]);
//! 2. the tree is deserialised into [`Config`] by a small serde
//!    deserializer ([`de`]) that attaches the path and position to every
//!    serde error (unknown keys get "did you mean");
//! 3. [`validate`] checks what types cannot, then paths are resolved
//!    against the config file's directory and `critical` becomes a tier.
//!
//! Secrets are never in the config: it names variables and files, and
//! [`secret`] loads them into redacted [`Secret`]s.

mod de;
pub mod error;
pub mod files;
mod node;
pub mod schema;
pub mod secret;
pub mod store;
mod textpath;
mod validate;
pub mod values;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::{ConfigError, ConfigErrorKind};
pub use node::Pos;
pub use schema::*;
pub use secret::{OperatorToken, Secret, SecretError};
pub use store::StoreBackend;
pub use values::{FailureBudget, WaveSize};

use de::{KeyRecorder, NodeDe};
use node::{Entry, Node, Value};

/// The documented example config, embedded so the CLI runs with no file.
pub const EXAMPLE_YAML: &str = include_str!("../../config.example.yaml");

/// The name errors in the embedded example are reported under.
pub const EXAMPLE_ORIGIN: &str = "config.example.yaml";

impl Config {
    /// Reads and parses a config file; relative paths in it (store, key,
    /// secret files, templates) are resolved against its directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let bytes = files::read_capped(path, &origin)?;
        let text = utf8(&bytes, &origin)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let (config, root) = Config::parse_tree_in(text, &origin, &base)?;
        // A file on disk names files on disk: they must be there.
        if let Some(dir) = &config.pull_requests.templates_dir {
            files::check_templates_dir(dir, &root, &origin)?;
        }
        Ok(config)
    }

    /// Parses config text; `origin_name` names it in errors. Relative paths
    /// stay relative to the current directory.
    pub fn parse(text: &str, origin_name: &str) -> Result<Config, ConfigError> {
        Config::parse_in(text, origin_name, Path::new(""))
    }

    /// Parses config text, resolving relative paths against `base_dir`.
    pub fn parse_in(text: &str, origin_name: &str, base_dir: &Path) -> Result<Config, ConfigError> {
        Config::parse_tree_in(text, origin_name, base_dir).map(|(config, _)| config)
    }

    /// [`Config::parse_in`], also giving the positioned tree.
    fn parse_tree_in(
        text: &str,
        origin_name: &str,
        base_dir: &Path,
    ) -> Result<(Config, Node), ConfigError> {
        let root = parse_tree(text, origin_name)?;
        let mut config =
            Config::deserialize(NodeDe::root(&root, None)).map_err(|e| located(e, origin_name))?;
        validate::validate(&config, &root, origin_name)?;
        config.finish(&root, origin_name, base_dir)?;
        Ok((config, root))
    }

    /// Parses bytes that may not be UTF-8 (the first bad byte is located).
    pub fn parse_bytes(bytes: &[u8], origin_name: &str) -> Result<Config, ConfigError> {
        Config::parse(utf8(bytes, origin_name)?, origin_name)
    }

    /// The embedded `config.example.yaml`, parsed.
    pub fn embedded_example() -> Result<Config, ConfigError> {
        Config::parse(EXAMPLE_YAML, EXAMPLE_ORIGIN)
    }

    /// Post-validation: resolve paths, the store URL, and the critical tier.
    fn finish(&mut self, root: &Node, origin: &str, base: &Path) -> Result<(), ConfigError> {
        self.base_dir = base.to_path_buf();
        let resolve = |p: &mut Option<PathBuf>| {
            if let Some(path) = p
                && path.is_relative()
            {
                *path = base.join(&*path);
            }
        };
        resolve(&mut self.github.private_key_path);
        resolve(&mut self.github.webhook_secret_file);
        resolve(&mut self.server.operator_tokens_file);
        resolve(&mut self.pull_requests.templates_dir);
        self.store.backend = store::resolve(&self.store.url, base).ok_or_else(|| {
            let path = [node::Seg::Key("store"), node::Seg::Key("url")];
            let pos = root.nearest_pos(&path);
            ConfigError {
                origin: origin.to_owned(),
                line: pos.line,
                column: pos.column,
                path: "store.url".to_owned(),
                kind: ConfigErrorKind::InvalidValue,
                message: format!(
                    "expected {}, found `{}`",
                    store::STORE_EXPECTED,
                    store::redact_url(&node::shorten(&self.store.url))
                ),
            }
        })?;
        if !self.rollout.critical.is_empty() {
            self.rollout.tiers.push(Tier {
                name: "critical".to_owned(),
                repos: self.rollout.critical.clone(),
            });
        }
        Ok(())
    }
}

impl RolloutConfig {
    /// Whether `waves` holds cumulative percentages (else counts).
    pub fn waves_are_percentages(&self) -> bool {
        matches!(self.waves.first(), Some(WaveSize::Percent(_)))
    }
}

/// The keys a config text uses and the keys the schema accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyReport {
    /// Every key path the schema accepts, at every struct the text reaches
    /// (list indices written `[]`, e.g. `rollout.tiers[].name`).
    pub accepted: BTreeSet<String>,
    /// Every key path present in the text (indices written `[]`).
    pub present: BTreeSet<String>,
}

impl KeyReport {
    /// Accepted keys the text does not mention.
    pub fn undocumented(&self) -> Vec<&str> {
        self.accepted
            .difference(&self.present)
            .map(String::as_str)
            .collect()
    }
}

/// Compares a text's keys with the schema's (keeps `config.example.yaml`
/// from rotting: every accepted key must appear in it).
pub fn key_report(text: &str, origin_name: &str) -> Result<KeyReport, ConfigError> {
    let root = parse_tree(text, origin_name)?;
    let recorder = KeyRecorder::default();
    Config::deserialize(NodeDe::root(&root, Some(&recorder)))
        .map_err(|e| located(e, origin_name))?;
    let mut report = KeyReport::default();
    for (path, fields) in recorder.into_inner() {
        for field in fields {
            report.accepted.insert(if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            });
        }
    }
    collect_present(&root, "", &mut report.present);
    Ok(report)
}

fn collect_present(node: &Node, path: &str, out: &mut BTreeSet<String>) {
    match &node.value {
        Value::Map(entries) => {
            for Entry { key, value, .. } in entries {
                let p = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_present(value, &p, out);
                out.insert(p);
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_present(item, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

fn located(e: de::DeError, origin: &str) -> ConfigError {
    let (pos, path) = e.at.unwrap_or((Pos::START, String::new()));
    ConfigError {
        origin: origin.to_owned(),
        line: pos.line,
        column: pos.column,
        path,
        kind: e.kind,
        message: e.message,
    }
}

/// UTF-8 check that locates the first bad byte.
fn utf8<'a>(bytes: &'a [u8], origin: &str) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let text = String::from_utf8_lossy(good);
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError {
            origin: origin.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            path: String::new(),
            kind: ConfigErrorKind::Encoding,
            message: "expected UTF-8 text, found an invalid byte".to_owned(),
        }
    })
}

/// Nesting deeper than this is refused: the schema needs 5 levels, and the
/// tree's recursive visitors must stay far from the stack limit.
const MAX_DEPTH: usize = 24;

/// Step 1: YAML text → positioned tree, YAML 1.2 core schema (only
/// `true`/`false` are booleans, so a repository named `y` or `no` stays a
/// string). An empty document is an error.
fn parse_tree(text: &str, origin: &str) -> Result<Node, ConfigError> {
    let syntax = |pos: Pos, message: String| ConfigError {
        origin: origin.to_owned(),
        line: pos.line,
        column: pos.column,
        path: textpath::path_at(text, pos.line),
        kind: ConfigErrorKind::Syntax,
        message,
    };
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH },
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
    };
    let node: Option<Node> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let pos = e
            .location()
            .and_then(|l| {
                Some(Pos {
                    line: u32::try_from(l.line()).ok().filter(|n| *n > 0)?,
                    column: u32::try_from(l.column()).ok().filter(|n| *n > 0)?,
                })
            })
            .unwrap_or(Pos::START);
        syntax(pos, format!("expected valid YAML: {}", syntax_message(&e)))
    })?;
    match node {
        Some(n) if n.value != Value::Null => Ok(n),
        _ => Err(syntax(
            Pos::START,
            "expected a mapping with at least the key `library`, found an empty document"
                .to_owned(),
        )),
    }
}

/// serde-saphyr's message without its own location suffix and snippet.
fn syntax_message(e: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::DuplicateMappingKey { key, .. } = e.without_snippet() {
        return match key {
            Some(k) => format!("expected each key once, found `{}` again", node::shorten(k)),
            None => "expected each key once, found one again".to_owned(),
        };
    }
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("").trim();
    let trimmed = match first.rfind(" at line ") {
        Some(i) => first.get(..i).unwrap_or(first),
        None => first,
    };
    trimmed.trim_end_matches(':').to_owned()
}
