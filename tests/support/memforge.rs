//! An in-memory `ForgeWrite` for engine tests: repositories as `MemTree`s,
//! branches, pull requests, CI states the test sets, a record of every
//! write, and failure injection. Like GitHub, it refuses a second open PR
//! for the same head branch.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use wavebump::ecosystem::{MemTree, is_relevant_path};
use wavebump::forge::{
    BranchPush, Check, CiReport, CiState, Forge, ForgeError, ForgeWrite, MergeOutcome,
    NewPullRequest, PrState, PrStatus, PullRequest, PushOutcome, Release, RepoInfo, Rerun,
};

#[derive(Default)]
struct Repo {
    default_branch: String,
    /// branch → (head sha, tree)
    branches: BTreeMap<String, (String, MemTree)>,
    tags: Vec<String>,
}

#[derive(Default)]
struct State {
    repos: BTreeMap<String, Repo>,
    prs: Vec<(String, PullRequest, NewPullRequest)>,
    ci: HashMap<String, CiState>,
    /// repo → the name and first error line of its one check (default:
    /// `test`, none).
    check: HashMap<String, (String, Option<String>)>,
    default_ci: Option<CiState>,
    blocked: HashMap<String, String>,
    rerun: bool,
    writes: Vec<String>,
    reads: usize,
    next_sha: u64,
    /// operation → failures still to inject
    failures: HashMap<String, u32>,
    /// operation → answers to lose (write done, error returned)
    lost: HashMap<String, u32>,
    comments: Vec<(String, u64, String)>,
    /// (repo, number) → (who, when) of merges a person made.
    merged_by: HashMap<(String, u64), (String, String)>,
}

/// The fake forge. All methods lock one mutex: simple and deterministic.
#[derive(Default)]
pub struct MemForge {
    state: Mutex<State>,
}

impl MemForge {
    pub fn new() -> Self {
        let f = MemForge::default();
        {
            let mut s = f.state.lock().unwrap();
            s.default_ci = Some(CiState::Pending);
            s.rerun = true;
        }
        f
    }

    /// Add a repository whose `main` holds `tree`.
    pub fn add_repo(&self, name: &str, tree: MemTree, tags: &[&str]) {
        let mut s = self.state.lock().unwrap();
        s.next_sha += 1;
        let sha = format!("{:040x}", s.next_sha);
        let mut branches = BTreeMap::new();
        branches.insert("main".to_owned(), (sha, tree));
        s.repos.insert(
            name.to_owned(),
            Repo {
                default_branch: "main".into(),
                branches,
                tags: tags.iter().map(|t| t.to_string()).collect(),
            },
        );
    }

    /// CI of every commit of `repo` from now on.
    pub fn set_ci(&self, repo: &str, state: CiState) {
        self.state.lock().unwrap().ci.insert(repo.to_owned(), state);
    }

    /// CI of every commit of `repo` fails from now on, on a check named
    /// `name` whose first error line is `first_error`.
    pub fn fail_check(&self, repo: &str, name: &str, first_error: Option<&str>) {
        let mut s = self.state.lock().unwrap();
        s.ci.insert(repo.to_owned(), CiState::Failed);
        s.check.insert(
            repo.to_owned(),
            (name.to_owned(), first_error.map(str::to_owned)),
        );
    }

    /// CI of repositories without their own setting.
    pub fn set_default_ci(&self, state: CiState) {
        self.state.lock().unwrap().default_ci = Some(state);
    }

    /// Merges of `repo` are refused with `reason` (None: allowed).
    pub fn block_merge(&self, repo: &str, reason: Option<&str>) {
        let mut s = self.state.lock().unwrap();
        match reason {
            Some(r) => s.blocked.insert(repo.to_owned(), r.to_owned()),
            None => s.blocked.remove(repo),
        };
    }

    /// Whether `rerun_failed_checks` can re-run the failed check (else it
    /// is reported as not re-runnable, as a commit status is).
    pub fn set_rerun(&self, supported: bool) {
        self.state.lock().unwrap().rerun = supported;
    }

    /// The next `n` calls of `op` fail before doing anything.
    pub fn fail_next(&self, op: &str, n: u32) {
        self.state.lock().unwrap().failures.insert(op.to_owned(), n);
    }

    /// The next `n` calls of `op` do their write, then answer an error (a
    /// lost answer: the caller cannot know the write happened).
    pub fn lose_answer(&self, op: &str, n: u32) {
        self.state.lock().unwrap().lost.insert(op.to_owned(), n);
    }

    /// Every write made, in order (`create_pr repo #n`, ...).
    pub fn writes(&self) -> Vec<String> {
        self.state.lock().unwrap().writes.clone()
    }

    /// How many read calls were made.
    pub fn reads(&self) -> usize {
        self.state.lock().unwrap().reads
    }

    /// A person merges PR `number` of `repo` as `login` at `at` (RFC
    /// 3339): the PR is merged and its branch lands on the default branch.
    pub fn merge_as(&self, repo: &str, number: u64, login: &str, at: &str) {
        let mut s = self.state.lock().unwrap();
        let (_, pr, _) = s
            .prs
            .iter_mut()
            .find(|(r, p, _)| r == repo && p.number == number)
            .expect("PR to merge");
        pr.state = PrState::Merged;
        let branch = pr.head_branch.clone();
        let r = s.repos.get_mut(repo).expect("repo of PR");
        if let Some((_, tree)) = r.branches.get(&branch).cloned() {
            let default = r.default_branch.clone();
            r.branches
                .insert(default, (format!("merge-{number}"), tree));
        }
        s.merged_by
            .insert((repo.to_owned(), number), (login.to_owned(), at.to_owned()));
    }

    /// The body of PR `number` of `repo` as last written.
    pub fn body(&self, repo: &str, number: u64) -> Option<String> {
        let s = self.state.lock().unwrap();
        s.prs
            .iter()
            .find(|(r, p, _)| r == repo && p.number == number)
            .map(|(_, _, new)| new.body.clone())
    }

    /// A person reopens PR `number` of `repo`.
    pub fn reopen(&self, repo: &str, number: u64) {
        let mut s = self.state.lock().unwrap();
        if let Some((_, p, _)) = s
            .prs
            .iter_mut()
            .find(|(r, p, _)| r == repo && p.number == number)
        {
            p.state = PrState::Open;
        }
    }

    /// Every PR: (repo, PR).
    pub fn prs(&self) -> Vec<(String, PullRequest)> {
        let s = self.state.lock().unwrap();
        s.prs
            .iter()
            .map(|(r, p, _)| (r.clone(), p.clone()))
            .collect()
    }

    /// Comments left: (repo, number, body).
    pub fn comments(&self) -> Vec<(String, u64, String)> {
        self.state.lock().unwrap().comments.clone()
    }

    /// The file at `path` on `branch` of `repo`.
    pub fn file(&self, repo: &str, branch: &str, path: &str) -> Option<Vec<u8>> {
        let s = self.state.lock().unwrap();
        let tree = &s.repos.get(repo)?.branches.get(branch)?.1;
        tree.get(path).map(<[u8]>::to_vec)
    }

    /// Create a PR directly (as a crashed earlier process would have).
    pub fn create_pr_directly(&self, repo: &str, pr: &NewPullRequest) -> PullRequest {
        let mut s = self.state.lock().unwrap();
        Self::do_create(&mut s, repo, pr).unwrap()
    }

    fn check(s: &mut State, op: &str) -> Result<(), ForgeError> {
        if let Some(n) = s.failures.get_mut(op).filter(|n| **n > 0) {
            *n -= 1;
            return Err(ForgeError::Other(format!("injected failure in {op}")));
        }
        Ok(())
    }

    fn lose(s: &mut State, op: &str) -> bool {
        match s.lost.get_mut(op) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    fn do_create(
        s: &mut State,
        repo: &str,
        pr: &NewPullRequest,
    ) -> Result<PullRequest, ForgeError> {
        let head = s
            .repos
            .get(repo)
            .ok_or_else(|| ForgeError::NotFound(repo.to_owned()))?
            .branches
            .get(&pr.head_branch)
            .map(|(sha, _)| sha.clone())
            .ok_or_else(|| ForgeError::Repo {
                repo: repo.to_owned(),
                message: format!("no branch {}", pr.head_branch),
            })?;
        if s.prs.iter().any(|(r, p, _)| {
            r == repo && p.head_branch == pr.head_branch && p.state == PrState::Open
        }) {
            return Err(ForgeError::Repo {
                repo: repo.to_owned(),
                message: format!("a pull request already exists for {}", pr.head_branch),
            });
        }
        let number = s.prs.iter().filter(|(r, _, _)| r == repo).count() as u64 + 1;
        let created = PullRequest {
            number,
            url: format!("https://forge.test/{repo}/pull/{number}"),
            head_branch: pr.head_branch.clone(),
            head_sha: head,
            state: PrState::Open,
            title: pr.title.clone(),
            draft: pr.draft,
        };
        s.writes.push(format!("create_pr {repo} #{number}"));
        s.prs.push((repo.to_owned(), created.clone(), pr.clone()));
        Ok(created)
    }
}

impl Forge for MemForge {
    async fn list_repos(&self) -> Result<Vec<RepoInfo>, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Self::check(&mut s, "list_repos")?;
        Ok(s.repos
            .iter()
            .map(|(name, r)| RepoInfo {
                name: name.clone(),
                default_branch: r.default_branch.clone(),
                archived: false,
                fork: false,
                unreadable: None,
            })
            .collect())
    }

    async fn read_tree(&self, repo: &str) -> Result<MemTree, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Self::check(&mut s, "read_tree")?;
        let r = s
            .repos
            .get(repo)
            .ok_or_else(|| ForgeError::NotFound(repo.to_owned()))?;
        let tree = &r.branches.get(&r.default_branch).expect("default branch").1;
        Ok(tree
            .iter()
            .filter(|(p, _)| is_relevant_path(p))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect())
    }

    async fn tags(&self, repo: &str) -> Result<Vec<String>, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Ok(s.repos
            .get(repo)
            .map(|r| r.tags.clone())
            .unwrap_or_default())
    }
}

impl ForgeWrite for MemForge {
    async fn releases(&self, _repo: &str) -> Result<Vec<Release>, ForgeError> {
        Ok(Vec::new())
    }

    async fn find_open_pr(
        &self,
        repo: &str,
        branch: &str,
    ) -> Result<Option<PullRequest>, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Self::check(&mut s, "find_open_pr")?;
        Ok(s.prs
            .iter()
            .find(|(r, p, _)| r == repo && p.head_branch == branch && p.state == PrState::Open)
            .map(|(_, p, _)| p.clone()))
    }

    async fn pull_request(&self, repo: &str, number: u64) -> Result<PullRequest, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        s.prs
            .iter()
            .find(|(r, p, _)| r == repo && p.number == number)
            .map(|(_, p, _)| p.clone())
            .ok_or_else(|| ForgeError::NotFound(format!("{repo}#{number}")))
    }

    async fn pr_status(&self, repo: &str, number: u64) -> Result<PrStatus, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Self::check(&mut s, "pr_status")?;
        let pr = s
            .prs
            .iter()
            .find(|(r, p, _)| r == repo && p.number == number)
            .map(|(_, p, _)| p.clone())
            .ok_or_else(|| ForgeError::NotFound(format!("{repo}#{number}")))?;
        // An open PR's head is its branch's head now (a person may push).
        let head_sha = match pr.state {
            PrState::Open => s
                .repos
                .get(repo)
                .and_then(|r| r.branches.get(&pr.head_branch))
                .map_or_else(String::new, |(sha, _)| sha.clone()),
            _ => pr.head_sha.clone(),
        };
        let merged = s.merged_by.get(&(repo.to_owned(), number)).cloned();
        Ok(PrStatus {
            number,
            state: pr.state,
            head_sha,
            merged_by: merged.as_ref().map(|m| m.0.clone()),
            merged_at: merged.map(|m| m.1),
            updated_at: None,
        })
    }

    async fn push_branch(&self, repo: &str, push: &BranchPush) -> Result<PushOutcome, ForgeError> {
        let mut s = self.state.lock().unwrap();
        Self::check(&mut s, "push_branch")?;
        s.next_sha += 1;
        let sha = format!("{:040x}", s.next_sha);
        let r = s
            .repos
            .get_mut(repo)
            .ok_or_else(|| ForgeError::NotFound(repo.to_owned()))?;
        if let (Some(expected), Some((current, _))) =
            (&push.expected_head, r.branches.get(&push.branch))
            && expected != current
        {
            return Err(ForgeError::PushRejected {
                repo: repo.to_owned(),
                branch: push.branch.clone(),
                message: format!("branch is at {current}, expected {expected}"),
            });
        }
        let mut tree = r
            .branches
            .get(&push.base_branch)
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        for (path, bytes) in &push.files {
            tree.insert(path.clone(), bytes.clone());
        }
        r.branches.insert(push.branch.clone(), (sha.clone(), tree));
        for (pr_repo, pr, _) in s.prs.iter_mut() {
            if pr_repo == repo && pr.head_branch == push.branch && pr.state == PrState::Open {
                pr.head_sha = sha.clone();
            }
        }
        s.writes.push(format!("push_branch {repo} {}", push.branch));
        if Self::lose(&mut s, "push_branch") {
            return Err(ForgeError::Other("connection reset (push done)".into()));
        }
        Ok(PushOutcome {
            head_sha: sha,
            lock_notes: Vec::new(),
        })
    }

    async fn create_pr(&self, repo: &str, pr: &NewPullRequest) -> Result<PullRequest, ForgeError> {
        let mut s = self.state.lock().unwrap();
        Self::check(&mut s, "create_pr")?;
        let created = Self::do_create(&mut s, repo, pr)?;
        if Self::lose(&mut s, "create_pr") {
            return Err(ForgeError::Other("connection reset (PR created)".into()));
        }
        Ok(created)
    }

    async fn update_pr(
        &self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<(), ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.writes.push(format!("update_pr {repo} #{number}"));
        if let Some((_, p, new)) = s
            .prs
            .iter_mut()
            .find(|(r, p, _)| r == repo && p.number == number)
        {
            p.title = title.to_owned();
            new.body = body.to_owned();
        }
        Ok(())
    }

    async fn close_pr(
        &self,
        repo: &str,
        number: u64,
        comment: Option<&str>,
    ) -> Result<(), ForgeError> {
        let mut s = self.state.lock().unwrap();
        Self::check(&mut s, "close_pr")?;
        s.writes.push(format!("close_pr {repo} #{number}"));
        if let Some(c) = comment {
            s.comments.push((repo.to_owned(), number, c.to_owned()));
        }
        if let Some((_, p, _)) = s
            .prs
            .iter_mut()
            .find(|(r, p, _)| r == repo && p.number == number)
        {
            p.state = PrState::Closed;
        }
        Ok(())
    }

    async fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.writes.push(format!("comment {repo} #{number}"));
        s.comments.push((repo.to_owned(), number, body.to_owned()));
        Ok(())
    }

    async fn ci_state(&self, repo: &str, _sha: &str) -> Result<CiReport, ForgeError> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Self::check(&mut s, "ci_state")?;
        let state =
            s.ci.get(repo)
                .copied()
                .or(s.default_ci)
                .unwrap_or(CiState::Pending);
        let (name, first_error) = s
            .check
            .get(repo)
            .cloned()
            .unwrap_or_else(|| ("test".to_owned(), None));
        Ok(CiReport {
            state,
            checks: vec![Check {
                name,
                state,
                url: Some(format!("https://ci.test/{repo}")),
                required: true,
                first_error: first_error.filter(|_| state == CiState::Failed),
            }],
            note: None,
        })
    }

    async fn merge_pr(
        &self,
        repo: &str,
        number: u64,
        _sha: &str,
    ) -> Result<MergeOutcome, ForgeError> {
        let mut s = self.state.lock().unwrap();
        Self::check(&mut s, "merge_pr")?;
        if let Some(reason) = s.blocked.get(repo) {
            return Ok(MergeOutcome::Blocked(reason.clone()));
        }
        let Some(idx) = s
            .prs
            .iter()
            .position(|(r, p, _)| r == repo && p.number == number)
        else {
            return Err(ForgeError::NotFound(format!("{repo}#{number}")));
        };
        s.prs[idx].1.state = PrState::Merged;
        let branch = s.prs[idx].1.head_branch.clone();
        let r = s.repos.get_mut(repo).expect("repo of PR");
        if let Some((_, tree)) = r.branches.get(&branch).cloned() {
            let default = r.default_branch.clone();
            r.branches
                .insert(default, (format!("merge-{number}"), tree));
        }
        s.writes.push(format!("merge_pr {repo} #{number}"));
        Ok(MergeOutcome::Merged)
    }

    async fn rerun_failed_checks(&self, repo: &str, _sha: &str) -> Result<Rerun, ForgeError> {
        let mut s = self.state.lock().unwrap();
        let state = s.ci.get(repo).copied().or(s.default_ci);
        if state != Some(CiState::Failed) {
            return Ok(Rerun::default());
        }
        let name = s
            .check
            .get(repo)
            .map_or_else(|| "test".to_owned(), |c| c.0.clone());
        if s.rerun {
            s.writes.push(format!("rerun {repo}"));
            Ok(Rerun {
                rerequested: vec![name],
                not_rerunnable: vec![],
            })
        } else {
            Ok(Rerun {
                rerequested: vec![],
                not_rerunnable: vec![name],
            })
        }
    }

    async fn push_empty_commit(
        &self,
        repo: &str,
        branch: &str,
        expected_head: &str,
        _message: &str,
    ) -> Result<Option<String>, ForgeError> {
        let mut s = self.state.lock().unwrap();
        Self::check(&mut s, "push_empty_commit")?;
        s.next_sha += 1;
        let sha = format!("{:040x}", s.next_sha);
        let r = s
            .repos
            .get_mut(repo)
            .ok_or_else(|| ForgeError::NotFound(repo.to_owned()))?;
        let Some((current, tree)) = r.branches.get(branch).cloned() else {
            return Err(ForgeError::PushRejected {
                repo: repo.to_owned(),
                branch: branch.to_owned(),
                message: "no such branch".to_owned(),
            });
        };
        if current != expected_head {
            return Err(ForgeError::PushRejected {
                repo: repo.to_owned(),
                branch: branch.to_owned(),
                message: format!("branch is at {current}, expected {expected_head}"),
            });
        }
        r.branches.insert(branch.to_owned(), (sha.clone(), tree));
        for (pr_repo, pr, _) in s.prs.iter_mut() {
            if pr_repo == repo && pr.head_branch == branch && pr.state == PrState::Open {
                pr.head_sha = sha.clone();
            }
        }
        s.writes.push(format!("push_empty_commit {repo} {branch}"));
        Ok(Some(sha))
    }
}
