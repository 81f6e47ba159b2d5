//! Lockfile refresh commands (`cargo update -p …`, `npm install
//! --package-lock-only …`) run in a scratch checkout.
//!
//! Invariants: no shell — argv is run as given, and the program must be a
//! bare name found on `PATH` (a path such as `./tool` would run code from
//! the repository being edited); the environment is cleared except for a
//! short allow-list of locale, home and tool-cache variables, and any
//! variable whose value holds the token is dropped; each command has a
//! timeout after which it is killed; every outcome (ran, failed, timed
//! out, tool missing) becomes a note for the PR body, never silence.
//! Unless configured otherwise the command runs inside `bwrap` (see
//! `sandbox`), seeing the scratch checkout but not the App key, the store
//! or the git cache.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::credentials::{Credentials, scrub};
use super::error::CommandFailure;
use super::sandbox::{Bwrap, RefreshSandbox};

/// How long one refresh command may run before it is killed.
pub const DEFAULT_REFRESH_TIMEOUT: Duration = Duration::from_secs(300);

/// Variables a lockfile tool may see; everything else (tokens above all)
/// is dropped.
const ALLOWED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "GOFLAGS",
    "npm_config_cache",
    "BUNDLE_PATH",
    "GEM_HOME",
    "PIP_CACHE_DIR",
    "UV_CACHE_DIR",
    // An egress proxy restricting the tools to the package registries.
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// At most this much of a command's stderr is kept (its tail).
const STDERR_KEEP: usize = 16 * 1024;
/// Lines of stderr quoted in a failure note.
const STDERR_LINES: usize = 5;
/// Longest stderr line quoted.
const LINE_MAX: usize = 200;

/// How a refresh's command list ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every command exited 0; their display forms.
    Ran(Vec<String>),
    /// A note saying which command failed, timed out or is missing.
    Stopped(String),
}

/// Where and how long refresh commands run.
pub(crate) struct Runner<'a> {
    pub(crate) timeout: Duration,
    /// The `PATH` to look programs up on and to hand them; this process's
    /// own when `None`.
    pub(crate) path: Option<&'a OsStr>,
    pub(crate) creds: Option<&'a Credentials>,
    /// Whether the commands run in `bwrap`.
    pub(crate) sandbox: RefreshSandbox,
    /// The `bwrap` to use; looked up on `path` when `None`.
    pub(crate) sandbox_program: Option<&'a Path>,
}

/// Run `commands` one after the other in `dir` (inside the scratch checkout
/// `root`), in `sandbox` when given, stopping at the first that cannot run
/// or fails.
pub(crate) fn run_commands(
    root: &Path,
    dir: &Path,
    commands: &[Vec<String>],
    runner: &Runner<'_>,
    sandbox: Option<&Bwrap>,
) -> Outcome {
    let mut ran = Vec::new();
    for argv in commands {
        let shown = show(argv);
        let Some((program, args)) = argv.split_first() else {
            return Outcome::Stopped("an empty refresh command was skipped".to_string());
        };
        if program.is_empty() || program.contains('/') || program.contains('\\') {
            return Outcome::Stopped(format!(
                "`{shown}` not run: the program must be a bare name looked up on PATH"
            ));
        }
        let path = runner
            .path
            .map(OsStr::to_os_string)
            .or_else(|| std::env::var_os("PATH"));
        let Some(exe) = path.as_deref().and_then(|p| find_on_path(p, program)) else {
            return Outcome::Stopped(format!("tool missing: `{program}` is not on PATH"));
        };
        let at = Place { root, dir, sandbox };
        if let Err(failure) = run_one(&exe, args, &at, runner, path.as_deref(), &shown) {
            return Outcome::Stopped(failure.to_string());
        }
        ran.push(shown);
    }
    Outcome::Ran(ran)
}

/// Where one command runs.
struct Place<'a> {
    root: &'a Path,
    dir: &'a Path,
    sandbox: Option<&'a Bwrap>,
}

fn run_one(
    exe: &Path,
    args: &[String],
    at: &Place<'_>,
    runner: &Runner<'_>,
    path: Option<&OsStr>,
    shown: &str,
) -> Result<(), CommandFailure> {
    let (timeout, creds) = (runner.timeout, runner.creds);
    let mut env = allowed_env(creds);
    if let Some(path) = path {
        env.retain(|(k, _)| k != "PATH");
        env.push((OsString::from("PATH"), path.to_os_string()));
    }
    let mut cmd = match at.sandbox {
        Some(bwrap) => bwrap.command(exe, args, at.root, at.dir, &env),
        None => {
            let mut cmd = Command::new(exe);
            cmd.args(args).current_dir(at.dir).env_clear().envs(env);
            cmd
        }
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|source| CommandFailure::Start {
        shown: shown.to_string(),
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(buf.get(..n).unwrap_or_default());
                if tail.len() > STDERR_KEEP {
                    let cut = tail.len() - STDERR_KEEP;
                    tail.drain(..cut);
                }
            }
            let _ = tx.send(tail);
        });
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CommandFailure::TimedOut {
                    shown: shown.to_string(),
                    timeout,
                });
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(source) => {
                return Err(CommandFailure::Wait {
                    shown: shown.to_string(),
                    source,
                });
            }
        }
    };
    if status.success() {
        return Ok(());
    }
    // A grandchild may keep stderr open: wait a little, not forever.
    let stderr = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    let code = status
        .code()
        .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
    let tail = last_lines(&String::from_utf8_lossy(&stderr));
    Err(CommandFailure::Exit {
        shown: scrub(shown, creds),
        status: code,
        stderr: scrub(&tail.join(" / "), creds),
    })
}

/// The allowed variables of this process's environment, minus any whose
/// value contains the token.
fn allowed_env(creds: Option<&Credentials>) -> Vec<(OsString, OsString)> {
    ALLOWED_ENV
        .iter()
        .filter_map(|name| std::env::var_os(name).map(|v| (OsString::from(name), v)))
        .filter(|(_, v)| {
            let text = v.to_string_lossy();
            scrub(&text, creds) == text
        })
        .collect()
}

/// The executable `program` resolves to on `path`.
pub(crate) fn find_on_path(path: &OsStr, program: &str) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// argv as one readable line.
fn show(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last few non-empty lines, each cut to a readable length.
fn last_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(STDERR_LINES);
    lines
        .iter()
        .skip(start)
        .map(|l| {
            if l.chars().count() > LINE_MAX {
                let cut: String = l.chars().take(LINE_MAX).collect();
                format!("{cut}…")
            } else {
                (*l).to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNER: Runner<'static> = Runner {
        timeout: Duration::from_secs(1),
        path: None,
        creds: None,
        sandbox: RefreshSandbox::None,
        sandbox_program: None,
    };

    #[test]
    fn show_quotes_odd_arguments() {
        let argv = vec!["npm".to_string(), "a b".to_string(), String::new()];
        assert_eq!(show(&argv), "npm 'a b' ''");
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        let text = "1\n2\n\n3\n4\n5\n6\n";
        assert_eq!(last_lines(text), ["2", "3", "4", "5", "6"]);
        let long = "x".repeat(500);
        assert_eq!(last_lines(&long)[0].chars().count(), LINE_MAX + 1);
    }

    #[test]
    fn refuses_paths_and_empty_commands() {
        let dir = std::env::temp_dir();
        for argv in [vec!["./tool".to_string()], vec!["a/b".to_string()], vec![]] {
            let out = run_commands(&dir, &dir, std::slice::from_ref(&argv), &RUNNER, None);
            assert!(matches!(out, Outcome::Stopped(_)), "{argv:?}: {out:?}");
        }
    }

    #[test]
    fn missing_tool_is_reported() {
        let dir = std::env::temp_dir();
        let out = run_commands(
            &dir,
            &dir,
            &[vec!["wavebump-no-such-tool-xyz".to_string()]],
            &RUNNER,
            None,
        );
        assert_eq!(
            out,
            Outcome::Stopped("tool missing: `wavebump-no-such-tool-xyz` is not on PATH".into())
        );
    }
}
