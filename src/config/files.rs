//! What a config file on disk adds to config text: the file is read with a
//! size cap, and the files it names for the PR texts must be there.

use std::io::Read;
use std::path::Path;

use super::node::{self, Node};
use super::{ConfigError, ConfigErrorKind};

/// The largest config file read: a wavebump config is a few kilobytes, and
/// `--config /dev/zero` (or a log file named by mistake) must fail at once
/// rather than fill memory.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The PR templates a `pull_requests.templates_dir` may override (see
/// `render::pr::render_pr`): each file present there replaces the built-in
/// one.
pub const PR_TEMPLATES: [&str; 3] = ["pr_title.hbs", "pr_body.md.hbs", "commit_message.hbs"];

/// The bytes of the config file at `path`, at most [`MAX_CONFIG_BYTES`].
pub fn read_capped(path: &Path, origin: &str) -> Result<Vec<u8>, ConfigError> {
    let io = |message: String| ConfigError {
        origin: origin.to_owned(),
        line: 0,
        column: 0,
        path: String::new(),
        kind: ConfigErrorKind::Io,
        message,
    };
    let file =
        std::fs::File::open(path).map_err(|e| io(format!("cannot read the config file: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(format!("cannot read the config file: {e}")))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(io(format!(
            "the config file is larger than the cap of {} bytes (1 MiB); is it the right file?",
            MAX_CONFIG_BYTES
        )));
    }
    Ok(bytes)
}

/// `pull_requests.templates_dir` (already resolved against the config's
/// directory) must be a directory holding at least one of [`PR_TEMPLATES`],
/// each a readable file: otherwise PRs would silently go out with the
/// built-in texts.
pub(super) fn check_templates_dir(
    dir: &Path,
    root: &Node,
    origin: &str,
) -> Result<(), ConfigError> {
    let at = [
        node::Seg::Key("pull_requests"),
        node::Seg::Key("templates_dir"),
    ];
    let pos = root.nearest_pos(&at);
    let fail = |message: String| ConfigError {
        origin: origin.to_owned(),
        line: pos.line,
        column: pos.column,
        path: "pull_requests.templates_dir".to_owned(),
        kind: ConfigErrorKind::InvalidValue,
        message,
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(fail(format!(
                "expected a directory of PR templates, found a file: {}",
                dir.display()
            )));
        }
        Err(e) => {
            return Err(fail(format!(
                "expected a directory of PR templates, but {} cannot be read: {e}",
                dir.display()
            )));
        }
    }
    let mut found = 0;
    for name in PR_TEMPLATES {
        let file = dir.join(name);
        match std::fs::metadata(&file) {
            Ok(m) if m.is_file() => {
                std::fs::File::open(&file).map_err(|e| {
                    fail(format!("template {} cannot be read: {e}", file.display()))
                })?;
                found += 1;
            }
            Ok(_) => {
                return Err(fail(format!("template {} is not a file", file.display())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(fail(format!(
                    "template {} cannot be read: {e}",
                    file.display()
                )));
            }
        }
    }
    if found == 0 {
        return Err(fail(format!(
            "{} holds none of the PR templates ({}): it would override nothing",
            dir.display(),
            PR_TEMPLATES.join(", ")
        )));
    }
    Ok(())
}
