//! The sandbox lockfile refresh commands run in: `bwrap` (bubblewrap) with
//! a minimal view of the file system.
//!
//! Lockfile tools run repository code (`bundle lock` evaluates the Gemfile,
//! pnpm and yarn berry load the repository's plugins, pip-compile may run a
//! `setup.py`), so a refresh must not see the App's private key, the store
//! or the git cache. Inside the sandbox the tool sees only: read-only
//! system directories (`/usr`, `/bin`, `/sbin`, `/lib*`, `/etc/ssl`,
//! `/etc/ca-certificates`, `/etc/resolv.conf`, `/etc/hosts`,
//! `/etc/passwd`, `/etc/group`, `/etc/nsswitch.conf`), every absolute
//! directory on the refresh `PATH` and `RUSTUP_HOME` (or `~/.rustup`)
//! read-only (but `/`, `HOME` and their like, which would undo the view), a private empty `/tmp` and `HOME` (tmpfs), `/proc`, a
//! minimal `/dev`, and the scratch checkout read-write. Every namespace is
//! unshared but the network (package registries are reached from inside;
//! restricting egress to them takes an HTTP(S) proxy, whose variables are
//! the only network setting passed in).
//!
//! Invariants: nothing outside that list is bound, so the App key, the
//! store and the git cache are never visible; `bwrap` is probed once per
//! program path (it needs user namespaces) and an unusable one counts as
//! missing.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;

use super::error::SandboxError;

/// `pull_requests.refresh_sandbox`: how lockfile refresh commands are
/// isolated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshSandbox {
    /// Run them in `bwrap` when it is usable; otherwise skip every refresh
    /// with a PR note (the bump itself is still pushed).
    #[default]
    Bwrap,
    /// Run them directly, with this process's file system view.
    None,
    /// Run them in `bwrap`; a push that needs a refresh fails when it is not
    /// usable.
    Required,
}

/// Read-only system paths bound when they exist.
const SYSTEM_DIRS: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/alternatives",
];

/// Where `HOME` points inside the sandbox when the real one is unusable.
const FALLBACK_HOME: &str = "/tmp/home";

/// A usable `bwrap`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bwrap {
    program: PathBuf,
}

/// The sandbox to run refreshes in under `mode`: `Ok(None)` runs them
/// directly, `Err` says why no usable sandbox was found. `program` is the
/// `bwrap` to use (looked up on `path` when `None`).
pub(crate) fn resolve(
    mode: RefreshSandbox,
    program: Option<&Path>,
    path: Option<&OsStr>,
) -> Result<Option<Bwrap>, SandboxError> {
    if mode == RefreshSandbox::None {
        return Ok(None);
    }
    let program = match program {
        Some(p) => p.to_path_buf(),
        None => path
            .and_then(|p| super::refresh::find_on_path(p, "bwrap"))
            .ok_or(SandboxError::NotOnPath)?,
    };
    if !program.is_file() {
        return Err(SandboxError::Missing(program));
    }
    probe(&program)?;
    Ok(Some(Bwrap { program }))
}

/// Run `bwrap` once with the namespaces a refresh uses (cached per path).
fn probe(program: &Path) -> Result<(), SandboxError> {
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, Result<(), SandboxError>>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = seen.lock()
        && let Some(known) = map.get(program)
    {
        return known.clone();
    }
    let out = Command::new(program)
        .args([
            "--unshare-all",
            "--share-net",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            "/",
            "/",
            "true",
        ])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let result = match out {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().next().unwrap_or("").trim();
            Err(SandboxError::CannotRun {
                program: program.to_path_buf(),
                status: out.status.to_string(),
                first_line: first.to_string(),
            })
        }
        Err(e) => Err(SandboxError::CannotStart {
            program: program.to_path_buf(),
            message: e.to_string(),
        }),
    };
    if let Ok(mut map) = seen.lock() {
        map.insert(program.to_path_buf(), result.clone());
    }
    result
}

impl Bwrap {
    /// A command running `exe args` in `dir` inside the sandbox, with the
    /// scratch checkout `root` writable and `env` as the whole environment.
    pub(crate) fn command(
        &self,
        exe: &Path,
        args: &[String],
        root: &Path,
        dir: &Path,
        env: &[(OsString, OsString)],
    ) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args([
            "--unshare-all",
            "--share-net",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
        ]);
        for sys in SYSTEM_DIRS {
            if Path::new(sys).exists() {
                cmd.arg("--ro-bind").arg(sys).arg(sys);
            }
        }
        cmd.args(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        let var = |name: &str| {
            env.iter()
                .find(|(k, _)| k.as_os_str() == OsStr::new(name))
                .map(|(_, v)| v.clone())
        };
        let home = var("HOME")
            .map(PathBuf::from)
            .filter(|h| h.is_absolute() && h.parent().is_some() && !h.starts_with(root))
            .unwrap_or_else(|| PathBuf::from(FALLBACK_HOME));
        cmd.arg("--tmpfs").arg(&home);
        let mut ro: Vec<PathBuf> = Vec::new();
        if let Some(path) = var("PATH") {
            ro.extend(std::env::split_paths(&path));
        }
        match var("RUSTUP_HOME") {
            Some(r) => ro.push(PathBuf::from(r)),
            None => ro.push(home.join(".rustup")),
        }
        let mut bound: Vec<PathBuf> = Vec::new();
        for dir in ro {
            // `/` would undo the whole view, `HOME` or an ancestor of it its
            // tmpfs, an ancestor of the checkout the private `/tmp`;
            // relative entries mean nothing.
            if !dir.is_absolute()
                || dir.parent().is_none()
                || home.starts_with(&dir)
                || root.starts_with(&dir)
                || !dir.is_dir()
            {
                continue;
            }
            if bound.contains(&dir) {
                continue;
            }
            cmd.arg("--ro-bind").arg(&dir).arg(&dir);
            bound.push(dir);
        }
        cmd.arg("--bind").arg(root).arg(root);
        cmd.arg("--chdir").arg(dir);
        for (k, v) in env {
            let v = match k.to_str() {
                Some("HOME") => home.clone().into_os_string(),
                Some("TMPDIR") => OsString::from("/tmp"),
                _ => v.clone(),
            };
            cmd.arg("--setenv").arg(k).arg(v);
        }
        if var("HOME").is_none() {
            cmd.arg("--setenv").arg("HOME").arg(&home);
        }
        cmd.arg("--").arg(exe).args(args);
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_needs_no_program() {
        assert_eq!(
            resolve(
                RefreshSandbox::None,
                Some(Path::new("/no/such/bwrap")),
                None
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_missing_program_is_named() {
        for mode in [RefreshSandbox::Bwrap, RefreshSandbox::Required] {
            let err = resolve(mode, Some(Path::new("/no/such/bwrap")), None).unwrap_err();
            assert_eq!(err.to_string(), "`/no/such/bwrap` does not exist");
        }
        let err = resolve(RefreshSandbox::Bwrap, None, Some(OsStr::new("/no/such"))).unwrap_err();
        assert_eq!(err.to_string(), "`bwrap` is not on PATH");
    }

    #[test]
    fn the_view_binds_no_secret_paths() {
        let b = Bwrap {
            program: PathBuf::from("/usr/bin/bwrap"),
        };
        let env = vec![
            (OsString::from("HOME"), OsString::from("/root")),
            (
                OsString::from("PATH"),
                OsString::from("/usr/bin:/:rel:/root:/tmp"),
            ),
        ];
        let cmd = b.command(
            Path::new("/usr/bin/true"),
            &[],
            Path::new("/tmp/scratch"),
            Path::new("/tmp/scratch/svc"),
            &env,
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.contains("--tmpfs /root"), "{joined}");
        assert!(
            joined.contains("--bind /tmp/scratch /tmp/scratch"),
            "{joined}"
        );
        assert!(!joined.contains("--ro-bind / /"), "{joined}");
        assert!(!joined.contains(" rel "), "{joined}");
        assert!(!joined.contains("--ro-bind /root /root"), "{joined}");
        assert!(!joined.contains("--ro-bind /tmp /tmp"), "{joined}");
        assert!(joined.contains("--ro-bind /usr/bin /usr/bin"), "{joined}");
        assert!(joined.ends_with("-- /usr/bin/true"), "{joined}");
    }
}
