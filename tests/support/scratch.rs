//! Scratch directories for tests, on a RAM-backed file system when the
//! machine has one (`/dev/shm`), else in the default temporary directory.
//!
//! Why: on the development machine `/tmp` is on an ext4 disk mounted with
//! online `discard` and shared by parallel builds, so SQLite's fsyncs and
//! deleting thousands of small git files cost seconds (measured: the
//! 100-repository fault-injection test took 49 s with its repositories in
//! `/tmp`, 13.5 s in `/dev/shm`; half of the difference was deleting them).

use std::path::Path;

/// A fresh directory, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::Builder::new().prefix("wb-test-").tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().expect("tempdir")
}
