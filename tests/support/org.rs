//! Generated organisations on disk, with git config isolated.

use std::path::Path;
use std::sync::Once;

use tempfile::TempDir;
use wavebump::demo::{self, GenerateOptions, RepoSpec};

static ISOLATE: Once = Once::new();

/// Keep the developer's git configuration out of every test repository.
pub fn isolate_git() {
    ISOLATE.call_once(|| {
        let dir = std::env::temp_dir().join("wavebump-test-gitconfig");
        std::fs::create_dir_all(&dir).expect("create git config dir");
        wavebump::git::isolate_global_config(&dir).expect("isolate git config");
    });
}

/// A generated organisation in a temporary directory.
pub struct Org {
    pub dir: TempDir,
    pub specs: Vec<RepoSpec>,
}

impl Org {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

pub fn generate(repos: usize, seed: u64) -> Org {
    isolate_git();
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = demo::generate(dir.path(), &GenerateOptions { repos, seed }).expect("generate");
    Org { dir, specs }
}
