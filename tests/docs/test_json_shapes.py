"""Every --json output of the real commands fits the JSON Schema docs/json.md gives for it.

The commands run on the real app (click's runner, in this process, so the pipeline loads
once) against a data folder of their own, the bundled config and examples, the real outbox
backend and a real HTTP server on 127.0.0.1 for a feed; `digest preview --serve` and the
scheduler's run-once run as real processes.
"""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from tests.docs.markdown import code_blocks
from tests.support.feedserver import FixtureServer, Route, serve
from tests.support.paths import ROOT

from digest.cli import cli
from digest.cli.reference import context, walk

JSON_MD = ROOT / "docs" / "json.md"
CONFIG = ROOT / "config" / "digest.toml"
EXAMPLES = ROOT / "examples"
ARTICLE = EXAMPLES / "articles" / "qonversations-xi-blinken.txt"


def load_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for block in code_blocks(JSON_MD, "json"):
        schema = json.loads(block.text)
        assert "title" in schema, f"docs/json.md line {block.line}: a schema needs a title naming its command"
        assert schema["title"] not in schemas, f"docs/json.md line {block.line}: {schema['title']} twice"
        schemas[schema["title"]] = schema
    return schemas


SCHEMAS = load_schemas()

# Every schema in docs/json.md, each checked against real output by a test below.
EXERCISED = {
    "digest summarize SOURCE --json",
    "digest summarize SOURCE SOURCE... --json",
    "digest summarize --jsonl (each line)",
    "digest extract SOURCE --json",
    "digest ingest --json",
    "digest preview --json",
    "digest preview --serve --json",
    "digest preview: digest.json",
    "digest social SOURCE --json",
    "digest post SOURCE --json",  # tests/publish/test_post_command.py (needs the local servers)
    "digest social accounts --json",
    "digest social queue --json",
    "digest length --json",
    "digest send --json",
    "digest db status --json",
    "digest db upgrade --json",
    "digest subscribers add EMAIL --json",
    "digest subscribers import PATH --json",
    "digest subscribers list --json",
    "digest subscribers lists --json",
    "digest subscribers remove EMAIL --json",
    "digest subscribers unsubscribe EMAIL_OR_TOKEN --json",
    "digest subscribers reactivate EMAIL --json",
    "digest bounces classify FILE... --json",
    "digest bounces process SOURCE --json",
    "digest schedule list --json",
    "digest schedule run-once NAME --json",
    "social job: DIGEST_DATA_DIR/social/EDITION.json",
    "digest subscribers show EMAIL --json",
    "digest editions list --json",
    "digest editions edit EDITION --json",
    "digest editions show EDITION --json",
    "digest editions approve EDITION --json",
    "digest archive export DIRECTORY --json",
    "digest serve --json",
}


def check(title: str, document: Any) -> None:
    """Validate one real output; the error names the doc's schema and the offending path."""
    validator = jsonschema.Draft202012Validator(SCHEMAS[title])
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:5]]
        raise AssertionError(f"output does not fit docs/json.md '{title}':\n  " + "\n  ".join(lines))


class Workspace:
    """A folder with its own data dir; commands read the bundled config and examples."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"

    def env(self, **extra: str) -> dict[str, str | None]:
        cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DIGEST_")}
        return {
            **cleared,
            "DIGEST_CONFIG": str(CONFIG),
            "DIGEST_DATA_DIR": str(self.data),
            "DIGEST_UNSUBSCRIBE_KEY": "docs-json-shapes-test-key",
            **extra,
        }

    def run(self, *args: str, stdin: str | None = None, exit_code: int = 0, **env: str) -> str:
        result = CliRunner().invoke(cli, list(args), input=stdin, env=self.env(**env), catch_exceptions=False)
        assert result.exit_code == exit_code, f"digest {' '.join(args)}: {result.stderr}"
        return result.stdout

    def json(self, *args: str, stdin: str | None = None, exit_code: int = 0, **env: str) -> Any:
        """The one JSON document the command printed (json.loads refuses anything else on stdout)."""
        return json.loads(self.run(*args, stdin=stdin, exit_code=exit_code, **env))

    def process(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in {**os.environ, **self.env(**extra)}.items() if v is not None}
        env["PYTHONPATH"] = str(ROOT / "src")
        return subprocess.Popen(
            [sys.executable, "-m", "digest", *args],
            cwd=self.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("json-shapes"))


@pytest.fixture(autouse=True)
def _in_workspace(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ./config, ./scheduled or .env of the checkout is picked up."""
    monkeypatch.chdir(workspace.root)


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FixtureServer]:
    with serve() as server:
        server.feed("/feed.xml", "rss2.xml")
        server.add("/gone", Route(status=404, body=b"gone"))
        yield server


# ---------------------------------------------------------------- the doc itself


def test_docs_json_md_has_a_schema_for_exactly_what_these_tests_check() -> None:
    assert set(SCHEMAS) == EXERCISED


@pytest.mark.parametrize("title", sorted(SCHEMAS))
def test_schema_is_valid_closed_and_its_examples_fit(title: str) -> None:
    schema = SCHEMAS[title]
    jsonschema.Draft202012Validator.check_schema(schema)
    for node in _subschemas(schema):
        if "properties" in node:
            assert node.get("additionalProperties") is False, f"{title}: an object with properties must be closed"
            assert set(node.get("required", [])) <= set(node["properties"]), f"{title}: required key not described"
    assert schema.get("examples"), f"{title}: give an example"
    for example in schema["examples"]:
        check(title, example)


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in {"examples", "const", "enum"}:
                yield from _subschemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _subschemas(item)


def test_every_command_with_a_json_option_has_a_schema() -> None:
    """A --json (or --jsonl) added to a command later fails here until docs/json.md has its shape."""
    for ctx in walk(cli, context(cli, "digest")):
        flags = {flag for p in ctx.command.params if isinstance(p, click.Option) for flag in p.opts}
        for flag in {"--json", "--jsonl"} & flags:
            path = ctx.command_path
            assert any(t.startswith(path + " ") and flag in t for t in SCHEMAS), f"{path} {flag}: no schema"


def test_a_renamed_key_fails_validation() -> None:
    """The schemas are strict enough to catch a renamed or a missing key."""
    good = {"platform": "x", "length": 5, "limit": 280, "valid": True}
    check("digest length --json", good)
    with pytest.raises(AssertionError, match="Additional properties"):
        check("digest length --json", {**{k: v for k, v in good.items() if k != "valid"}, "fits": True})
    with pytest.raises(AssertionError, match="required"):
        check("digest length --json", {k: v for k, v in good.items() if k != "limit"})


# ---------------------------------------------------------------- the commands


def test_summarize(workspace: Workspace) -> None:
    one = workspace.json("summarize", str(ARTICLE), "--json")
    check("digest summarize SOURCE --json", one)
    assert one["related"], "the seed article lists related stories"

    several = workspace.json("summarize", *sorted(map(str, (EXAMPLES / "articles").iterdir())), "--json")
    check("digest summarize SOURCE SOURCE... --json", several)
    assert len(several) == 4

    lines = "\n".join(
        [
            json.dumps({"id": 1, "text": ARTICLE.read_text(encoding="utf-8")}),
            json.dumps({"id": "b", "title": "Short one", "text": "Alpha beta gamma. Delta epsilon here."}),
            json.dumps({"id": 3}),
            "not json",
        ]
    )
    out = workspace.run("summarize", "--jsonl", stdin=lines)
    records = [json.loads(line) for line in out.splitlines()]
    assert [r.get("id") for r in records] == [1, "b", 3, None]
    assert ["error" in r for r in records] == [False, False, True, True]
    for record in records:
        check("digest summarize --jsonl (each line)", record)


def test_extract_files_and_a_feed(workspace: Workspace, feed_server: FixtureServer) -> None:
    files = workspace.json("extract", str(EXAMPLES / "articles"), "--json")
    check("digest extract SOURCE --json", files)
    assert len(files) == 4
    feed = workspace.json("extract", feed_server.url("/feed.xml"), "--json", DIGEST_ALLOW_PRIVATE_ADDRESSES="1")
    check("digest extract SOURCE --json", feed)
    assert feed[0]["published"] and feed[0]["author"] == "Maria Jensen"


def test_ingest_with_a_failing_source(workspace: Workspace, feed_server: FixtureServer) -> None:
    config = workspace.root / "ingest.toml"
    config.write_text(
        f'[[sources]]\ntype = "path"\npath = "{(EXAMPLES / "articles").as_posix()}"\nname = "examples"\n\n'
        f'[[sources]]\ntype = "feed"\nurl = "{feed_server.url("/feed.xml")}"\n\n'
        f'[[sources]]\ntype = "url"\nurl = "{feed_server.url("/gone")}"\n',
        encoding="utf-8",
    )
    report = workspace.json("ingest", "--json", DIGEST_CONFIG=str(config), DIGEST_ALLOW_PRIVATE_ADDRESSES="1")
    check("digest ingest --json", report)
    assert [s["type"] for s in report["sources"]] == ["path", "feed", "url"]
    assert report["failed"] == 1 and report["sources"][2]["error"]


def test_preview_and_its_data_file(workspace: Workspace) -> None:
    result = workspace.json("preview", "--out", str(workspace.root / "preview"), "--json")
    check("digest preview --json", result)
    data = json.loads(Path(result["data"]).read_text(encoding="utf-8"))
    check("digest preview: digest.json", data)
    assert any(story["teasers"] for story in data["stories"])


def test_preview_serve_prints_where_it_listens(workspace: Workspace) -> None:
    proc = workspace.process("preview", "--serve", "--port", "0", "--json")
    try:
        assert proc.stdout is not None
        where = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    check("digest preview --serve --json", where)
    assert where["host"] == "127.0.0.1", stderr


def test_social_and_length(workspace: Workspace) -> None:
    url = "https://example.com/story"
    posts = workspace.json("social", str(ARTICLE), "--url", url, "--json")
    check("digest social SOURCE --json", posts)
    assert [p["platform"] for p in posts["posts"]] == ["x", "bluesky", "mastodon", "linkedin", "threads"]
    thread = workspace.json("social", str(ARTICLE), "--url", url, "--thread", "--platform", "bluesky", "--json")
    check("digest social SOURCE --json", thread)
    assert {"thread", "facets", "thread_facets"} <= set(thread["posts"][0])
    # no [[social.accounts]] in the bundled config: an empty list, an empty queue (the shapes
    # with accounts and queued posts are checked in tests/publish, against the local servers)
    check("digest social accounts --json", workspace.json("social", "accounts", "--json"))
    check("digest social queue --json", workspace.json("social", "queue", "--json"))

    for post in posts["posts"]:
        length = workspace.json("length", "--platform", post["platform"], "-", "--json", stdin=post["text"])
        check("digest length --json", length)
        assert length["valid"] is True
    too_long = workspace.json("length", "--platform", "x", "x" * 300, "--json")
    check("digest length --json", too_long)
    assert too_long["valid"] is False


def test_subscribers(workspace: Workspace) -> None:
    csv = workspace.root / "people.csv"
    csv.write_text("email,name\nnot-an-address,Nobody\nzoe@example.org,Zoe\n", encoding="utf-8")
    imported = workspace.json("subscribers", "import", str(csv), "--json")
    check("digest subscribers import PATH --json", imported)
    assert imported["invalid"][0]["line"] == 2

    added = workspace.json("subscribers", "add", "vic@example.org", "--name", "Vic", "--list", "vip", "--json")
    check("digest subscribers add EMAIL --json", added)
    again = workspace.json("subscribers", "add", "vic@example.org", "--list", "vip", "--json")
    check("digest subscribers add EMAIL --json", again)
    assert (added["outcome"], again["outcome"]) == ("added", "unchanged")

    gone = workspace.json("subscribers", "unsubscribe", "zoe@example.org", "--json")
    check("digest subscribers unsubscribe EMAIL_OR_TOKEN --json", gone)
    suppressed = workspace.json("subscribers", "add", "zoe@example.org", "--json")
    check("digest subscribers add EMAIL --json", suppressed)
    assert suppressed["outcome"] == "suppressed"

    for args in ([], ["--all-lists"], ["--active", "--list", "vip"]):
        listed = workspace.json("subscribers", "list", *args, "--json")
        check("digest subscribers list --json", listed)
        assert listed
    lists = workspace.json("subscribers", "lists", "--json")
    check("digest subscribers lists --json", lists)
    assert {entry["list"] for entry in lists} >= {"default", "vip"}

    workspace.json("subscribers", "add", "tmp@example.org", "--json")
    removed = workspace.json("subscribers", "remove", "tmp@example.org", "--json")
    check("digest subscribers remove EMAIL --json", removed)


def test_bounces_classify_process_and_reactivate(workspace: Workspace) -> None:
    from tests.support.bounce_mail import COMPLAINT, EMAILS, HARD, bounce_for, plain_message

    reply = workspace.root / "reply.eml"
    reply.write_bytes(plain_message())
    files = [str(EMAILS / HARD), str(reply), str(workspace.root / "missing.eml")]
    classified = workspace.json("bounces", "classify", *files, "--json", exit_code=1)
    check("digest bounces classify FILE... --json", classified)
    assert [sorted(c) for c in classified] == [["bounces", "file"], ["bounces", "file"], ["error", "file"]]

    workspace.json("subscribers", "add", "gone@example.org", "--json")
    box = mailbox.Maildir(workspace.root / "Maildir", create=True)
    box.add(bounce_for(HARD, "gone@example.org"))
    box.add(bounce_for(COMPLAINT, "nobody-here@example.org"))
    box.close()
    url = f"maildir://{workspace.root / 'Maildir'}"
    for args in (["--dry-run"], []):
        report = workspace.json("bounces", "process", url, *args, "--json")
        check("digest bounces process SOURCE --json", report)
        assert report["suppressed"] == ["gone@example.org"] and report["unmatched"] == 1

    back = workspace.json("subscribers", "reactivate", "gone@example.org", "--yes", "--json")
    check("digest subscribers reactivate EMAIL --json", back)
    assert [r["status"] for r in back] == ["active"]


def test_send_through_the_outbox(workspace: Workspace) -> None:
    workspace.json("subscribers", "import", str(EXAMPLES / "subscribers.csv"), "--json")
    workspace.json("subscribers", "add", "vip@example.org", "--list", "vip", "--json")
    reports = [
        workspace.json("send", "--now", "--json"),
        workspace.json("send", "--dry-run", "--json"),
        workspace.json("send", "--to", "editor@example.org", "--json"),
        workspace.json("send", "--now", "--list", "vip", "--json"),
        # the archive may hold unsent stories from another test's ingest: the second run is empty
        workspace.json("send", "--only-new", "--edition", "second", "--json"),
        workspace.json("send", "--only-new", "--edition", "third", "--json"),
    ]
    for report in reports:
        check("digest send --json", report)
    first, dry, _test, vip, _second, empty = reports
    assert first["sent"] >= 4 and first["backend"] == "outbox://outbox"
    assert dry["dry_run"] is True and "would_send" in dry
    assert vip["list"] == "vip"
    assert empty.get("skipped_empty") is True
    assert len(list((workspace.data / "outbox" / "new").glob("*.eml"))) >= first["sent"] + 2


def test_schedule_list(workspace: Workspace) -> None:
    jobs = workspace.json("schedule", "list", "--jobs", str(ROOT / "scheduled"), "--json")
    check("digest schedule list --json", jobs)
    assert {job["name"] for job in jobs} == {"daily-digest", "social-copy"}


@pytest.mark.slow  # three real processes, each building or sending a digest
def test_schedule_run_once_for_both_kinds_of_job(workspace: Workspace) -> None:
    """Real processes: run-once sets the service's logging, which must not leak into this one."""
    jobs = workspace.root / "jobs"
    jobs.mkdir()
    articles = (EXAMPLES / "articles").as_posix()
    (jobs / "news.toml").write_text(f'job = "digest"\nevery = "1d"\nsources = ["{articles}"]\n', encoding="utf-8")
    (jobs / "copy.toml").write_text(
        f'job = "social"\nevery = "1d"\nsources = ["{articles}"]\neditors = ["desk@example.org"]\n', encoding="utf-8"
    )
    data = str(workspace.root / "schedule-data")  # its own archive: every example story is new here
    workspace.json("subscribers", "import", str(EXAMPLES / "subscribers.csv"), "--json", DIGEST_DATA_DIR=data)
    at = "2026-03-02T07:00:00Z"
    outcomes = []
    for name in ("news", "news", "copy"):
        args = ("schedule", "run-once", name, "--jobs", str(jobs), "--at", at, "--json")
        proc = workspace.process(*args, DIGEST_DATA_DIR=data)
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        outcomes.append(json.loads(stdout))
    for outcome in outcomes:
        check("digest schedule run-once NAME --json", outcome)
    assert [o["status"] for o in outcomes] == ["sent", "duplicate", "sent"]
    copy = json.loads(Path(outcomes[2]["details"]["file"]).read_text(encoding="utf-8"))
    check("social job: DIGEST_DATA_DIR/social/EDITION.json", copy)
    assert copy["sent_to"] == ["desk@example.org"]


def test_subscriber_records_and_reactivate(workspace: Workspace) -> None:
    data = str(workspace.root / "records-data")
    workspace.json("subscribers", "import", str(EXAMPLES / "subscribers.csv"), "--json", DIGEST_DATA_DIR=data)
    workspace.json("send", "--now", "--json", DIGEST_DATA_DIR=data)
    record = workspace.json("subscribers", "show", "ada@example.com", "--json", DIGEST_DATA_DIR=data)
    check("digest subscribers show EMAIL --json", record)
    assert [s["status"] for s in record["sends"]] == ["sent"]

    engine = create_engine(f"sqlite:///{data}/digest.sqlite3")
    with engine.begin() as conn:  # what a hard bounce leaves behind
        conn.execute(text("UPDATE subscribers SET status = 'bounced' WHERE email = 'ada@example.com'"))
    engine.dispose()
    back = workspace.json("subscribers", "reactivate", "ada@example.com", "--yes", "--json", DIGEST_DATA_DIR=data)
    check("digest subscribers reactivate EMAIL --json", back)
    assert [row["status"] for row in back] == ["active"]


def test_editions_from_draft_to_archive(workspace: Workspace) -> None:
    data = str(workspace.root / "editions-data")
    jobs = workspace.root / "draft-jobs"
    jobs.mkdir()
    articles = (EXAMPLES / "articles").as_posix()
    (jobs / "morning.toml").write_text(
        f'job = "digest"\nevery = "1d"\napprove = true\neditors = ["desk@example.org"]\nsources = ["{articles}"]\n',
        encoding="utf-8",
    )
    workspace.json("subscribers", "import", str(EXAMPLES / "subscribers.csv"), "--json", DIGEST_DATA_DIR=data)
    proc = workspace.process(
        "schedule",
        "run-once",
        "morning",
        "--jobs",
        str(jobs),
        "--at",
        "2026-03-02T07:00:00Z",
        "--json",
        DIGEST_DATA_DIR=data,
    )
    stdout, stderr = proc.communicate(timeout=300)
    fired = json.loads(stdout)
    check("digest schedule run-once NAME --json", fired)
    assert fired["status"] == "draft", stderr
    edition = fired["edition"]

    listed = workspace.json("editions", "list", "--json", DIGEST_DATA_DIR=data)
    check("digest editions list --json", listed)
    assert [e["status"] for e in listed] == ["draft"]
    edited = workspace.json(
        "editions", "edit", edition, "--drop", "2", "--lede", '1:"Our words."', "--json", DIGEST_DATA_DIR=data
    )
    check("digest editions edit EDITION --json", edited)
    shown = workspace.json("editions", "show", edition, "--json", DIGEST_DATA_DIR=data)
    check("digest editions show EDITION --json", shown)
    assert shown["story_list"][0]["lede"] == "Our words." and "lede" in shown["story_list"][0]["edited"]
    approved = workspace.json("editions", "approve", edition, "--json", DIGEST_DATA_DIR=data)
    check("digest editions approve EDITION --json", approved)
    assert approved["sent"] >= 4

    out = workspace.root / "public"
    exported = workspace.json(
        "archive", "export", str(out), "--json", DIGEST_DATA_DIR=data, DIGEST_WEB__BASE_URL="https://news.digest.test"
    )
    check("digest archive export DIRECTORY --json", exported)
    assert exported["editions"] == [edition] and (out / "feed.xml").exists()


def test_db_status_and_upgrade(workspace: Workspace) -> None:
    data = str(workspace.root / "db-data")
    upgraded = workspace.json("db", "upgrade", "--json", DIGEST_DATA_DIR=data)
    check("digest db upgrade --json", upgraded)
    status = workspace.json("db", "status", "--json", DIGEST_DATA_DIR=data)
    check("digest db status --json", status)
    assert status["up_to_date"] is True and status["revision"] == status["head"] == upgraded["to"]


def test_serve_prints_where_it_listens(workspace: Workspace) -> None:
    proc = workspace.process("serve", "--port", "0", "--json", DIGEST_DATA_DIR=str(workspace.root / "serve-data"))
    try:
        assert proc.stdout is not None
        where = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    check("digest serve --json", where)
    assert where["host"] == "127.0.0.1" and proc.returncode == 0, stderr


def test_schedule_run_once_for_a_bounces_job(workspace: Workspace) -> None:
    from tests.support.bounce_mail import SOFT, bounce_for

    jobs = workspace.root / "bounce-jobs"
    jobs.mkdir()
    maildir = workspace.root / "BounceJobMaildir"
    box = mailbox.Maildir(maildir, create=True)
    box.add(bounce_for(SOFT, "someone@example.org"))
    box.close()
    (jobs / "bounce-check.toml").write_text(
        f'job = "bounces"\nevery = "15m"\nsource = "maildir://{maildir.as_posix()}"\n', encoding="utf-8"
    )
    listed = workspace.json("schedule", "list", "--jobs", str(jobs), "--json")
    check("digest schedule list --json", listed)
    proc = workspace.process("schedule", "run-once", "bounce-check", "--jobs", str(jobs), "--json")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    outcome = json.loads(stdout)
    check("digest schedule run-once NAME --json", outcome)
    assert outcome["status"] == "processed" and outcome["details"]["bounces"]["processed"] == 1
