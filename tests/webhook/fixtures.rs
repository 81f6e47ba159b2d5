//! Every fixture in `tests/data/webhook/` parses to the expected event: a
//! table of the fields the engine uses (one line per fixture), plus a full
//! `Debug` snapshot of each parsed event.

use wavebump::rollout::Verb;
use wavebump::server::commands::Command;
use wavebump::server::events::{self, Event, EventKind};

use super::harness::{event_of, fixture, fixture_names};

/// The fields the engine branches on, in one line.
fn summary(e: &Event) -> String {
    match e {
        Event::Release(r) => format!(
            "release {} {} tag={} prerelease={} draft={} published_at={:?} publication={} inst={:?}",
            r.action.as_str(),
            r.repository.full_name,
            r.tag,
            r.prerelease,
            r.draft,
            r.published_at,
            r.is_publication(),
            r.installation_id
        ),
        Event::Create(c) => format!(
            "create {} {} {} tag={:?}",
            c.repository.full_name,
            c.ref_type.as_str(),
            c.ref_name,
            c.tag()
        ),
        Event::Push(p) => format!(
            "push {} {} tag={:?} branch={:?} created={} after={}",
            p.repository.full_name,
            p.git_ref,
            p.tag(),
            p.branch(),
            p.created,
            &p.after[..7]
        ),
        Event::CheckRun(c) => format!(
            "check_run {} {} {:?} sha={} status={} conclusion={:?} app={:?} suite={} prs={:?}",
            c.action.as_str(),
            c.repository.full_name,
            c.name,
            &c.head_sha[..7],
            c.status.as_str(),
            c.conclusion.as_ref().map(|c| c.as_str()),
            c.app
                .as_ref()
                .map(|a| (a.id.unwrap(), a.slug.as_deref().unwrap())),
            c.check_suite_id.unwrap(),
            c.pull_requests
        ),
        Event::CheckSuite(c) => format!(
            "check_suite {} {} sha={} branch={:?} status={:?} conclusion={:?} prs={:?}",
            c.action.as_str(),
            c.repository.full_name,
            &c.head_sha[..7],
            c.head_branch,
            c.status.as_ref().map(|s| s.as_str()),
            c.conclusion.as_ref().map(|c| c.as_str()),
            c.pull_requests
        ),
        Event::Status(s) => format!(
            "status {} sha={} {} {} url={:?} branches={:?}",
            s.repository.full_name,
            &s.sha[..7],
            s.context,
            s.state.as_str(),
            s.target_url,
            s.branches
        ),
        Event::PullRequest(p) => format!(
            "pull_request {} {}#{} head={}@{} merged={} merged_by={:?} sender={}({}) other_pusher={}",
            p.action.as_str(),
            p.repository.full_name,
            p.number,
            p.head_ref,
            &p.head_sha[..7],
            p.merged,
            p.merged_by.as_ref().map(|a| a.login.as_str()),
            p.sender.as_ref().unwrap().login,
            p.sender.as_ref().unwrap().kind.as_ref().unwrap().as_str(),
            p.pushed_by_someone_else("wavebump[bot]")
        ),
        Event::PullRequestReview(r) => format!(
            "pull_request_review {} {}#{} verdict={} reviewer={:?} at={:?}",
            r.action.as_str(),
            r.repository.full_name,
            r.number,
            r.verdict.as_str(),
            r.reviewer.as_ref().map(|a| a.login.as_str()),
            r.submitted_at
        ),
        Event::Installation(i) => format!(
            "installation {} id={} account={} repos={:?}",
            i.action.as_str(),
            i.installation_id,
            i.account.as_ref().unwrap().login,
            i.repositories.as_ref().map(|r| r
                .iter()
                .map(|r| r.full_name.as_deref().unwrap())
                .collect::<Vec<_>>())
        ),
        Event::InstallationRepositories(i) => format!(
            "installation_repositories {} id={} added={:?} removed={:?}",
            i.action.as_str(),
            i.installation_id,
            i.added
                .iter()
                .map(|r| r.full_name.as_deref().unwrap())
                .collect::<Vec<_>>(),
            i.removed
                .iter()
                .map(|r| r.full_name.as_deref().unwrap())
                .collect::<Vec<_>>()
        ),
        Event::IssueComment(c) => format!(
            "issue_comment {} {}#{} pr={} by={} {} commands={:?}",
            c.action.as_str(),
            c.repository.full_name,
            c.issue_number,
            c.is_pull_request,
            c.author.as_ref().unwrap().login,
            c.author_association.as_str(),
            c.commands
                .iter()
                .map(|r| match r {
                    Ok(Command::Run {
                        verb: Verb::Retry,
                        reason: None,
                    }) => "retry".to_owned(),
                    Ok(Command::Help) => "help".to_owned(),
                    Ok(Command::Run {
                        verb: Verb::Skip,
                        reason,
                    }) => format!("skip({reason:?})"),
                    Ok(other) => format!("{other:?}"),
                    Err(e) => format!("error(line {})", e.line),
                })
                .collect::<Vec<_>>()
        ),
        Event::Ping(p) => format!(
            "ping hook={} app={:?} zen={:?}",
            p.hook_id.unwrap(),
            p.app_id,
            p.zen.as_deref().unwrap()
        ),
        Event::Unknown { name } => format!("unknown {name}"),
    }
}

const TABLE: &[(&str, &str)] = &[
    (
        "check_run.completed.json",
        "check_run completed acme/billing-api \"test (ubuntu-latest)\" sha=e5a1f0c status=completed conclusion=Some(\"success\") app=Some((15368, \"github-actions\")) suite=31000000001 prs=[57]",
    ),
    (
        "check_run.created.json",
        "check_run created acme/billing-api \"test (ubuntu-latest)\" sha=e5a1f0c status=queued conclusion=None app=Some((15368, \"github-actions\")) suite=31000000001 prs=[57]",
    ),
    (
        "check_suite.completed.json",
        "check_suite completed acme/billing-api sha=e5a1f0c branch=Some(\"wavebump/core-utils-2.4.0\") status=Some(\"completed\") conclusion=Some(\"failure\") prs=[57]",
    ),
    (
        "check_suite.requested.json",
        "check_suite requested acme/billing-api sha=e5a1f0c branch=Some(\"wavebump/core-utils-2.4.0\") status=Some(\"queued\") conclusion=None prs=[57]",
    ),
    (
        "create.branch.json",
        "create acme/core-utils branch fix/retry-after tag=None",
    ),
    (
        "create.tag.json",
        "create acme/core-utils tag v2.4.0 tag=Some(\"v2.4.0\")",
    ),
    (
        "installation.created.json",
        "installation created id=51234567 account=acme repos=Some([\"acme/core-utils\", \"acme/billing-api\"])",
    ),
    (
        "installation.deleted.json",
        "installation deleted id=51234567 account=acme repos=Some([\"acme/core-utils\", \"acme/billing-api\"])",
    ),
    (
        "installation.suspend.json",
        "installation suspend id=51234567 account=acme repos=None",
    ),
    (
        "installation_repositories.added.json",
        "installation_repositories added id=51234567 added=[\"acme/search-indexer\"] removed=[]",
    ),
    (
        "installation_repositories.removed.json",
        "installation_repositories removed id=51234567 added=[] removed=[\"acme/billing-api\"]",
    ),
    (
        "issue_comment.on_issue.json",
        "issue_comment created acme/billing-api#61 pr=false by=bob-dev COLLABORATOR commands=[]",
    ),
    (
        "issue_comment.retry.json",
        "issue_comment created acme/billing-api#57 pr=true by=alice MEMBER commands=[\"retry\"]",
    ),
    (
        "issue_comment.skip.json",
        "issue_comment created acme/billing-api#57 pr=true by=alice OWNER commands=[\"skip(Some(\\\"billing-api pins core-utils until Q3\\\"))\"]",
    ),
    (
        "issue_comment.unknown_command.json",
        "issue_comment created acme/billing-api#57 pr=true by=bob-dev CONTRIBUTOR commands=[\"error(line 1)\"]",
    ),
    (
        "ping.json",
        "ping hook=512345678 app=Some(1100001) zen=\"Keep it logically awesome.\"",
    ),
    (
        "pull_request.closed_merged.json",
        "pull_request closed acme/billing-api#57 head=wavebump/core-utils-2.4.0@e5a1f0c merged=true merged_by=Some(\"alice\") sender=alice(User) other_pusher=false",
    ),
    (
        "pull_request.closed_unmerged.json",
        "pull_request closed acme/billing-api#57 head=wavebump/core-utils-2.4.0@e5a1f0c merged=false merged_by=None sender=bob-dev(User) other_pusher=false",
    ),
    (
        "pull_request.edited.json",
        "pull_request edited acme/billing-api#57 head=wavebump/core-utils-2.4.0@e5a1f0c merged=false merged_by=None sender=bob-dev(User) other_pusher=false",
    ),
    (
        "pull_request.opened.json",
        "pull_request opened acme/billing-api#57 head=wavebump/core-utils-2.4.0@e5a1f0c merged=false merged_by=None sender=wavebump[bot](Bot) other_pusher=false",
    ),
    (
        "pull_request.reopened.json",
        "pull_request reopened acme/billing-api#57 head=wavebump/core-utils-2.4.0@e5a1f0c merged=false merged_by=None sender=bob-dev(User) other_pusher=false",
    ),
    (
        "pull_request.synchronize_bot.json",
        "pull_request synchronize acme/billing-api#57 head=wavebump/core-utils-2.4.0@c0ffee0 merged=false merged_by=None sender=wavebump[bot](Bot) other_pusher=false",
    ),
    (
        "pull_request.synchronize_human.json",
        "pull_request synchronize acme/billing-api#57 head=wavebump/core-utils-2.4.0@c0ffee0 merged=false merged_by=None sender=bob-dev(User) other_pusher=true",
    ),
    (
        "pull_request_review.approved.json",
        "pull_request_review submitted acme/billing-api#57 verdict=approved reviewer=Some(\"carol\") at=Some(\"2026-02-03T04:05:06Z\")",
    ),
    (
        "pull_request_review.changes_requested.json",
        "pull_request_review submitted acme/billing-api#57 verdict=changes_requested reviewer=Some(\"dave\") at=Some(\"2026-02-03T04:05:06Z\")",
    ),
    (
        "pull_request_review.dismissed.json",
        "pull_request_review dismissed acme/billing-api#57 verdict=dismissed reviewer=Some(\"dave\") at=Some(\"2026-02-03T04:05:06Z\")",
    ),
    (
        "push.branch.json",
        "push acme/core-utils refs/heads/main tag=None branch=Some(\"main\") created=false after=9f2c1e0",
    ),
    (
        "push.tag.json",
        "push acme/core-utils refs/tags/v2.4.0 tag=Some(\"v2.4.0\") branch=None created=true after=9f2c1e0",
    ),
    (
        "release.prereleased.json",
        "release prereleased acme/core-utils tag=v2.5.0-rc.1 prerelease=true draft=false published_at=Some(\"2025-06-02T09:12:00Z\") publication=false inst=Some(51234567)",
    ),
    (
        "release.published.json",
        "release published acme/core-utils tag=v2.4.0 prerelease=false draft=false published_at=Some(\"2025-06-02T09:12:00Z\") publication=true inst=Some(51234567)",
    ),
    ("star.created.json", "unknown star"),
    (
        "status.pending.json",
        "status acme/billing-api sha=e5a1f0c ci/jenkins pending url=Some(\"https://jenkins.acme.example/job/billing-api/812/\") branches=[\"wavebump/core-utils-2.4.0\"]",
    ),
    (
        "status.success.json",
        "status acme/billing-api sha=e5a1f0c ci/jenkins success url=Some(\"https://jenkins.acme.example/job/billing-api/812/\") branches=[\"wavebump/core-utils-2.4.0\"]",
    ),
];

#[test]
fn every_fixture_parses_to_the_expected_event() {
    let names = fixture_names();
    let listed: Vec<&str> = TABLE.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, listed,
        "every fixture has a row, every row a fixture"
    );
    let mut failures = Vec::new();
    for (name, want) in TABLE {
        let got = match events::parse(event_of(name), &fixture(name)) {
            Ok(e) => summary(&e),
            Err(e) => format!("error: {e}"),
        };
        if got != *want {
            failures.push(format!("{name}\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_handled_event_has_a_fixture() {
    let names = fixture_names();
    for kind in EventKind::ALL {
        assert!(
            names.iter().any(|n| event_of(n) == kind.name()),
            "no fixture for `{}`",
            kind.name()
        );
    }
}

#[test]
fn full_events_snapshot() {
    for name in fixture_names() {
        let event = events::parse(event_of(&name), &fixture(&name)).unwrap();
        insta::assert_debug_snapshot!(name.trim_end_matches(".json").replace('.', "_"), event);
    }
}

#[test]
fn release_notes_and_comment_bodies_are_kept_verbatim() {
    let Event::Release(r) = events::parse("release", &fixture("release.published.json")).unwrap()
    else {
        panic!("not a release");
    };
    assert_eq!(
        r.notes.as_deref(),
        Some(
            "## What's changed\n\n* Faster `parse_duration` by @alice in #412\n* Fix #398: retries honour `Retry-After`\n"
        )
    );
    let Event::IssueComment(c) =
        events::parse("issue_comment", &fixture("issue_comment.retry.json")).unwrap()
    else {
        panic!("not a comment");
    };
    assert_eq!(
        c.body,
        "CI flaked on the cache step.\r\n\r\n/wavebump retry"
    );
}
