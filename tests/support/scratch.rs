//! Scratch directories for tests, on a RAM-backed file system when the
//! machine has one with room (`/dev/shm`, ≥ 2 GiB free), else in the default
//! temporary directory.
//!
//! Why: on the development machine `/tmp` is on an ext4 disk mounted with
//! online `discard` and shared by parallel builds, so SQLite's fsyncs and
//! deleting thousands of small git files cost seconds (measured: the
//! 100-repository fault-injection test took 49 s with its repositories in
//! `/tmp`, 13.5 s in `/dev/shm`; half of the difference was deleting them).

use std::path::Path;

/// RAM-backed space below this is not used: containers often mount a
/// 64 MB `/dev/shm`, and a test that runs out of space there mid-way fails
/// for the wrong reason.
const MIN_FREE: u64 = 2 << 30;

/// Free bytes on the file system of `path` (0 when unknown).
fn free_bytes(path: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return 0;
    };
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return 0;
    }
    (st.f_bavail as u64).saturating_mul(st.f_frsize as u64)
}

/// A fresh directory, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && free_bytes(shm) >= MIN_FREE
        && let Ok(dir) = tempfile::Builder::new().prefix("wb-test-").tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("tempdir")
}
