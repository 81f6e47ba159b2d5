//! wavebump's own closed enum of GitHub events, and the parsers that turn a
//! stored delivery (event name + raw body) into it.
//!
//! Invariant: [`parse`] never panics, on any name and any bytes. An event
//! name wavebump does not handle is `Event::Unknown` (the body is not read);
//! a handled event whose payload lacks a field wavebump needs is a
//! [`ParseError`] naming the event and the JSON path
//! (`check_run: .check_run.head_sha: missing`). Fields wavebump does not
//! need are ignored, so GitHub adding fields never breaks parsing; string
//! values GitHub adds later become `Other(..)` variants.

mod ci;
mod comment;
mod installation;
mod json;
mod pull_request;
mod refs;
mod release;
mod review;
mod types;

pub use ci::{
    CheckRunAction, CheckRunEvent, CheckStatus, CheckSuiteAction, CheckSuiteEvent, Conclusion,
    StatusEvent, StatusState,
};
pub use comment::{AuthorAssociation, CommentAction, IssueCommentEvent, PingEvent};
pub use installation::{
    InstallationAction, InstallationEvent, InstallationRepositoriesAction,
    InstallationRepositoriesEvent,
};
pub use json::{ParseError, Problem};
pub use pull_request::{PullRequestAction, PullRequestEvent};
pub use refs::{CreateEvent, PushEvent, RefType};
pub use release::{ReleaseAction, ReleaseEvent};
pub use review::{PullRequestReviewEvent, ReviewAction, ReviewVerdict};
pub use types::{Actor, ActorKind, App, RepoRef, Repository};

use json::Obj;

/// The event names wavebump handles (`X-GitHub-Event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// `release`.
    Release,
    /// `create`.
    Create,
    /// `push`.
    Push,
    /// `check_run`.
    CheckRun,
    /// `check_suite`.
    CheckSuite,
    /// `status`.
    Status,
    /// `pull_request`.
    PullRequest,
    /// `pull_request_review`.
    PullRequestReview,
    /// `installation`.
    Installation,
    /// `installation_repositories`.
    InstallationRepositories,
    /// `issue_comment`.
    IssueComment,
    /// `ping`.
    Ping,
}

impl EventKind {
    /// Every handled kind, in declaration order.
    pub const ALL: [EventKind; 12] = [
        EventKind::Release,
        EventKind::Create,
        EventKind::Push,
        EventKind::CheckRun,
        EventKind::CheckSuite,
        EventKind::Status,
        EventKind::PullRequest,
        EventKind::PullRequestReview,
        EventKind::Installation,
        EventKind::InstallationRepositories,
        EventKind::IssueComment,
        EventKind::Ping,
    ];

    /// GitHub's name for the event.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Release => "release",
            EventKind::Create => "create",
            EventKind::Push => "push",
            EventKind::CheckRun => "check_run",
            EventKind::CheckSuite => "check_suite",
            EventKind::Status => "status",
            EventKind::PullRequest => "pull_request",
            EventKind::PullRequestReview => "pull_request_review",
            EventKind::Installation => "installation",
            EventKind::InstallationRepositories => "installation_repositories",
            EventKind::IssueComment => "issue_comment",
            EventKind::Ping => "ping",
        }
    }

    /// The kind for a name, `None` for events wavebump does not handle.
    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// One GitHub event, in wavebump's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `release`.
    Release(ReleaseEvent),
    /// `create`.
    Create(CreateEvent),
    /// `push`.
    Push(PushEvent),
    /// `check_run`.
    CheckRun(CheckRunEvent),
    /// `check_suite`.
    CheckSuite(CheckSuiteEvent),
    /// `status`.
    Status(StatusEvent),
    /// `pull_request`.
    PullRequest(PullRequestEvent),
    /// `pull_request_review`.
    PullRequestReview(PullRequestReviewEvent),
    /// `installation`.
    Installation(InstallationEvent),
    /// `installation_repositories`.
    InstallationRepositories(InstallationRepositoriesEvent),
    /// `issue_comment`.
    IssueComment(IssueCommentEvent),
    /// `ping`.
    Ping(PingEvent),
    /// An event wavebump does not handle; the caller counts and drops it.
    Unknown {
        /// The `X-GitHub-Event` name.
        name: String,
    },
}

impl Event {
    /// The kind, `None` for [`Event::Unknown`].
    pub fn kind(&self) -> Option<EventKind> {
        Some(match self {
            Event::Release(_) => EventKind::Release,
            Event::Create(_) => EventKind::Create,
            Event::Push(_) => EventKind::Push,
            Event::CheckRun(_) => EventKind::CheckRun,
            Event::CheckSuite(_) => EventKind::CheckSuite,
            Event::Status(_) => EventKind::Status,
            Event::PullRequest(_) => EventKind::PullRequest,
            Event::PullRequestReview(_) => EventKind::PullRequestReview,
            Event::Installation(_) => EventKind::Installation,
            Event::InstallationRepositories(_) => EventKind::InstallationRepositories,
            Event::IssueComment(_) => EventKind::IssueComment,
            Event::Ping(_) => EventKind::Ping,
            Event::Unknown { .. } => return None,
        })
    }
}

/// Parses a stored delivery's body as the event `event_name`.
pub fn parse(event_name: &str, body: &[u8]) -> Result<Event, ParseError> {
    let Some(kind) = EventKind::from_name(event_name) else {
        return Ok(Event::Unknown {
            name: event_name.to_owned(),
        });
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| ParseError {
        event: kind.name().to_owned(),
        path: ".".to_owned(),
        problem: Problem::Malformed(e.to_string()),
    })?;
    let root = Obj::root(kind.name(), &value)?;
    Ok(match kind {
        EventKind::Release => Event::Release(release::parse(&root)?),
        EventKind::Create => Event::Create(refs::parse_create(&root)?),
        EventKind::Push => Event::Push(refs::parse_push(&root)?),
        EventKind::CheckRun => Event::CheckRun(ci::parse_check_run(&root)?),
        EventKind::CheckSuite => Event::CheckSuite(ci::parse_check_suite(&root)?),
        EventKind::Status => Event::Status(ci::parse_status(&root)?),
        EventKind::PullRequest => Event::PullRequest(pull_request::parse(&root)?),
        EventKind::PullRequestReview => Event::PullRequestReview(review::parse(&root)?),
        EventKind::Installation => Event::Installation(installation::parse_installation(&root)?),
        EventKind::InstallationRepositories => {
            Event::InstallationRepositories(installation::parse_installation_repositories(&root)?)
        }
        EventKind::IssueComment => Event::IssueComment(comment::parse_issue_comment(&root)?),
        EventKind::Ping => Event::Ping(comment::parse_ping(&root)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_name(k.name()), Some(k));
        }
        assert_eq!(EventKind::from_name("fork"), None);
        assert_eq!(EventKind::from_name("Release"), None);
    }

    #[test]
    fn unknown_events_are_not_read() {
        assert_eq!(
            parse("star", b"\xff not json"),
            Ok(Event::Unknown {
                name: "star".into()
            })
        );
    }

    #[test]
    fn errors_name_event_and_path() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("ping", b"{", "ping: .: malformed JSON: EOF while parsing an object at line 1 column 1"),
            ("ping", b"[]", "ping: .: expected an object, found an array"),
            ("ping", b"{\"hook_id\":\"1\"}", "ping: .hook_id: expected a non-negative integer, found a string"),
            (
                "check_run",
                br#"{"action":"completed","repository":{"id":1,"full_name":"a/b"},"sender":{"login":"x","id":1,"type":"User"},"check_run":{"id":1,"name":"ci"}}"#,
                "check_run: .check_run.head_sha: missing",
            ),
            (
                "release",
                br#"{"action":"published","repository":{"id":1,"full_name":"a/b"},"sender":{"login":"x","id":1,"type":"User"},"release":{"tag_name":7}}"#,
                "release: .release.tag_name: expected a string, found a number",
            ),
        ];
        for (name, body, want) in cases {
            assert_eq!(parse(name, body).unwrap_err().to_string(), *want);
        }
    }
}

/// GitHub's official example payloads (`tests/data/github/webhooks/`,
/// written by `scripts/github-data` from `@octokit/webhooks-examples`):
/// every example of a handled event parses.
#[cfg(test)]
mod official_examples {
    use super::*;

    #[test]
    fn every_official_example_of_a_handled_event_parses() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/github/webhooks");
        let mut failures = Vec::new();
        let mut parsed = 0;
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            let event = file.split('.').next().unwrap().to_owned();
            let body = std::fs::read(&path).unwrap();
            match parse(&event, &body) {
                Ok(e) => {
                    assert_eq!(
                        e.kind().is_some(),
                        EventKind::from_name(&event).is_some(),
                        "{file}"
                    );
                    parsed += 1;
                }
                Err(e) => failures.push(format!("{file}: {e}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(parsed > 100, "{parsed} examples");
    }
}
