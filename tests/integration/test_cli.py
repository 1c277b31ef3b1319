"""The `hambastegi` command, run as users run it: a separate process, real migrations.

Most tests start it forked from a process that has it imported already (`tests.commands`);
the first test, and the servers, exec `python -m hambastegi` as a shell does."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.commands import command
from tests.databases import POSTGRES_URL, engine_under_test


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from _environment(tmp_path)


@pytest.fixture(scope="module")
def prepared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated instance with an organisation, shared by tests that change nothing."""
    for env in _environment(tmp_path_factory.mktemp("cli")):
        assert hb(env, "migrate").returncode == 0
        assert hb(env, "actor", "create", "oil_workers").returncode == 0
        yield env


def _environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMBASTEGI_")}
    env.update({"HAMBASTEGI_DATA_DIR": str(tmp_path / "data"), "HAMBASTEGI_LOG_LEVEL": "warning"})
    if engine_under_test() != "postgresql":
        yield env
        return
    schema = f"t_cli_{secrets.token_hex(6)}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    env.update({"HAMBASTEGI_DATABASE_URL": POSTGRES_URL, "HAMBASTEGI_DATABASE_SCHEMA": schema})
    try:
        yield env
    finally:
        asyncio.run(run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def hb(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return command(env, *args, stdin=stdin)


def exec_hb(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hambastegi", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_then_create_and_list_actors(cli_env: dict[str, str]) -> None:
    first, again = exec_hb(cli_env, "migrate"), exec_hb(cli_env, "migrate")
    created = exec_hb(cli_env, "actor", "create", "oil_workers", "--display-name", "Oil Workers")
    network = exec_hb(cli_env, "actor", "create", "solidarity", "--type", "network")
    listed = exec_hb(cli_env, "actor", "list")

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert created.returncode == 0, created.stderr
    assert "Organization @oil_workers@127.0.0.1:8000" in created.stdout
    assert "Group" in network.stdout
    assert "oil_workers" in listed.stdout
    assert "solidarity" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("actor", "create", "Bad Name"), "invalid username"),
        (("actor", "create", "admin"), "reserved"),
        (("actor", "create", "x" * 31), "invalid username"),
        (("follow", "nobody", "someone@example.org"), "no actor named 'nobody'"),
        (("follow", "oil_workers", "not a handle"), "not a user@host handle"),
        (("followers", "approve", "oil_workers", "ghost@example.org"), "does not follow"),
        (("domain", "unblock", "never-blocked.example"), "has no block entry"),
        (("domain", "block", "not a domain/x"), "not a domain name"),
        (
            ("user", "create", "editor", "--password-stdin", "--editor-of", "nowhere"),
            "no actor named",
        ),
        (("actor", "safety", "nobody", "off"), "no actor named 'nobody'"),
        (("user", "totp", "nobody"), "no user named 'nobody'"),
    ],
)
def test_requests_that_cannot_be_carried_out_exit_1_with_a_message(
    prepared_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = hb(prepared_env, *args, stdin="a-long-enough-password\n")

    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_a_duplicate_actor_is_refused_and_the_first_is_kept(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")
    hb(cli_env, "actor", "create", "oil_workers", "--display-name", "First")

    again = hb(cli_env, "actor", "create", "oil_workers", "--display-name", "Second")

    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "First" in hb(cli_env, "actor", "list").stdout


def test_bad_settings_exit_2_naming_the_setting(cli_env: dict[str, str]) -> None:
    result = hb({**cli_env, "HAMBASTEGI_BASE_URL": "ftp://nowhere"}, "actor", "list")

    assert result.returncode == 2
    assert "HAMBASTEGI_BASE_URL" in result.stderr


def test_bad_usage_exits_2(cli_env: dict[str, str]) -> None:
    result = hb(cli_env, "actor", "create", "x", "--type", "person")

    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_users_need_a_long_password(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")

    short = hb(cli_env, "user", "create", "editor", "--password-stdin", stdin="short\n")
    good = hb(
        cli_env,
        "user",
        "create",
        "editor",
        "--admin",
        "--password-stdin",
        stdin="correct horse battery\n",
    )

    assert short.returncode == 1
    assert "at least 12 characters" in short.stderr
    assert good.returncode == 0, good.stderr
    assert "editor  admin" in hb(cli_env, "user", "list").stdout


def test_new_organisations_have_the_safety_profile_until_it_is_turned_off(
    cli_env: dict[str, str],
) -> None:
    hb(cli_env, "migrate")
    hb(cli_env, "actor", "create", "at_risk")
    hb(cli_env, "actor", "create", "public_union", "--no-safety-profile")

    before = hb(cli_env, "actor", "list").stdout.splitlines()
    off = hb(cli_env, "actor", "safety", "at_risk", "off")
    after = hb(cli_env, "actor", "list").stdout.splitlines()

    assert ["safety profile" in line for line in before] == [True, False]
    assert off.returncode == 0
    assert "safety profile of @at_risk@127.0.0.1:8000: off" in off.stdout
    assert not any("safety profile" in line for line in after)


def test_a_second_factor_is_turned_on_from_the_command_line(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")
    hb(cli_env, "user", "create", "editor", "--password-stdin", stdin="correct horse battery\n")

    result = hb(cli_env, "user", "totp", "editor")

    assert result.returncode == 0, result.stderr
    assert "otpauth://totp/" in result.stdout
    assert "secret=" in result.stdout


def test_demo_is_idempotent(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")

    first, second = hb(cli_env, "demo"), hb(cli_env, "demo")

    assert first.returncode == second.returncode == 0
    assert "created" in first.stdout
    assert "already in place" in second.stdout


def test_domain_policy_round_trip(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")

    blocked = hb(cli_env, "domain", "block", "Spam.Example", "--note", "spam wave")
    listed = hb(cli_env, "domain", "list").stdout
    lifted = hb(cli_env, "domain", "unblock", "spam.example")

    assert blocked.returncode == lifted.returncode == 0
    assert "block  spam.example  spam wave" in listed
    assert "no blocked or allowed servers" in hb(cli_env, "domain", "list").stdout


def test_changing_the_base_url_of_an_existing_database_is_refused(cli_env: dict[str, str]) -> None:
    hb(cli_env, "migrate")
    hb(cli_env, "actor", "list")

    moved = hb({**cli_env, "HAMBASTEGI_BASE_URL": "http://127.0.0.1:9999"}, "actor", "list")

    assert moved.returncode == 1
    assert "belongs to http://127.0.0.1:8000" in moved.stderr


def test_sqlite_is_migrated_in_place_but_postgres_must_be_migrated_first(
    cli_env: dict[str, str],
) -> None:
    result = hb(cli_env, "actor", "list")

    if engine_under_test() == "postgresql":
        assert result.returncode == 1
        assert "run `hambastegi migrate`" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert "no actors yet" in result.stdout


STRIKE_FILE = """---
title: Haft Tappeh strike, week three
country: IR
region: Khuzestan
workplace: Haft Tappeh sugar mill
sector: sugar_food
workers: 4000
start_date: 2026-05-01
status: ongoing
demands:
  - unpaid wages
sources:
  - https://news.example/ht
tags: [sugar]
---
The strike continues. #Khuzestan
"""


def test_post_list_edit_pin_deliveries_and_delete_a_strike_report(
    prepared_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "strike.md"
    source.write_text(STRIKE_FILE)
    posted = hb(
        prepared_env,
        "post",
        "oil_workers",
        "--kind",
        "strike",
        "--file",
        str(source),
        "--language",
        "fa",
    )
    assert posted.returncode == 0, posted.stderr
    post_id = posted.stdout.split()[1]

    source.write_text(STRIKE_FILE.replace("status: ongoing", "status: won\nend_date: 2026-05-30"))
    edited = hb(prepared_env, "edit", post_id, "--file", str(source))
    pinned = hb(prepared_env, "pin", post_id)
    listed = hb(prepared_env, "posts", "oil_workers")
    deliveries = hb(prepared_env, "deliveries", post_id)
    deleted = hb(prepared_env, "delete", post_id)
    again = hb(prepared_env, "delete", post_id)

    assert "published" in posted.stdout
    assert edited.returncode == 0, edited.stderr
    assert pinned.returncode == 0, pinned.stderr
    assert f"{post_id}  strike" in listed.stdout
    assert "Haft Tappeh strike, week three" in listed.stdout
    assert deliveries.returncode == 0
    assert "no deliveries" in deliveries.stdout
    assert "410" in deleted.stdout
    assert again.returncode == 1
    assert "deleted" in again.stderr


def test_a_scheduled_post_is_listed_as_scheduled(
    prepared_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "note.md"
    source.write_text("Embargoed statement")

    result = hb(
        prepared_env,
        "post",
        "oil_workers",
        "--file",
        str(source),
        "--publish-at",
        "2099-01-01T09:00+03:30",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("scheduled")


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody", (), "not valid YAML"),
        (
            "---\ncountry: XX\nworkplace: w\nsector: textiles\nstart_date: 2026-01-01\n---\nx",
            ("--kind", "strike"),
            "country must be",
        ),
        ("body", ("--kind", "article"), "needs a title"),
        ("body", ("--publish-at", "tomorrow"), "ISO date and time"),
        ("body", ("--publish-at", "2099-01-01T09:00"), "time zone offset"),
        ("body", ("--image", "/nonexistent.jpg", "--alt", "x"), "cannot read image"),
        ("body", ("--image", "/nonexistent.jpg"), "one --alt TEXT for every --image"),
        ("body", ("--language", "xx-!!"), "language must be"),
    ],
)
def test_bad_posts_exit_1_and_publish_nothing(
    prepared_env: dict[str, str], tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    source = tmp_path / "post.md"
    source.write_text(content)
    before = hb(prepared_env, "posts", "oil_workers").stdout

    result = hb(prepared_env, "post", "oil_workers", "--file", str(source), *args)

    assert result.returncode == 1
    assert message in result.stderr
    assert hb(prepared_env, "posts", "oil_workers").stdout == before


def test_a_missing_post_file_is_a_clear_error(prepared_env: dict[str, str]) -> None:
    result = hb(prepared_env, "post", "oil_workers", "--file", "/nonexistent/post.md")

    assert result.returncode == 1
    assert "cannot read /nonexistent/post.md" in result.stderr


@pytest.mark.parametrize("mode", ["block", "allowlist"])
def test_following_a_blocked_or_unlisted_server_is_a_message_never_a_traceback(
    cli_env: dict[str, str], mode: str
) -> None:
    assert hb(cli_env, "migrate").returncode == 0
    assert hb(cli_env, "actor", "create", "oil_workers").returncode == 0
    if mode == "block":
        assert hb(cli_env, "domain", "block", "blocked.example").returncode == 0
        env = cli_env
    else:
        env = {**cli_env, "HAMBASTEGI_ALLOWLIST_MODE": "true"}

    result = hb(env, "follow", "oil_workers", "someone@blocked.example")

    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_runs_several_web_processes_on_one_port(cli_env: dict[str, str]) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**cli_env, "HAMBASTEGI_BASE_URL": f"http://127.0.0.1:{port}"}
    assert hb(env, "migrate").returncode == 0
    assert hb(env, "actor", "create", "oil_workers").returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "hambastegi", "serve", "--workers", "2", "--web-only",
         "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline, status = time.monotonic() + 60, 0
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.2)
        answers = []
        for _ in range(10):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/actors/oil_workers") as r:
                answers.append(r.status)
        workers = _children(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert status == 200
    assert answers == [200] * 10
    assert len(workers) >= 2  # uvicorn's supervisor and its two web processes


def test_migrate_says_what_it_did(cli_env: dict[str, str]) -> None:
    first, again = hb(cli_env, "migrate"), hb(cli_env, "migrate")

    assert first.returncode == 0, first.stderr
    assert "created the database schema" in first.stdout
    assert "up to date" in again.stdout


def test_a_password_is_changed_from_the_command_line(cli_env: dict[str, str]) -> None:
    assert hb(cli_env, "migrate").returncode == 0
    assert (
        hb(cli_env, "user", "create", "editor", "--password-stdin", stdin="first long password\n")
    ).returncode == 0

    short = hb(cli_env, "user", "passwd", "editor", "--password-stdin", stdin="short\n")
    nobody = hb(cli_env, "user", "passwd", "ghost", "--password-stdin", stdin="x" * 20 + "\n")
    changed = hb(
        cli_env, "user", "passwd", "editor", "--password-stdin", stdin="second long password\n"
    )

    assert short.returncode == 1
    assert "at least" in short.stderr
    assert nobody.returncode == 1
    assert "no user named 'ghost'" in nobody.stderr
    assert changed.returncode == 0, changed.stderr
    assert "new password set for editor" in changed.stdout


def test_an_actors_name_is_translated_from_the_command_line(
    prepared_env: dict[str, str],
) -> None:
    persian = hb(
        prepared_env,
        "actor", "profile", "oil_workers", "--language", "fa",
        "--display-name", "کارگران نفت", "--summary", "اتحادیهٔ کارگران نفت",
    )  # fmt: skip
    bad_language = hb(
        prepared_env, "actor", "profile", "oil_workers", "--language", "x y", "--display-name", "n"
    )
    nobody = hb(prepared_env, "actor", "profile", "nobody", "--display-name", "n")

    assert persian.returncode == 0, persian.stderr
    assert "profile of @oil_workers@" in persian.stdout
    assert bad_language.returncode == 1
    assert "BCP 47" in bad_language.stderr
    assert nobody.returncode == 1
    assert "no actor named 'nobody'" in nobody.stderr


def test_network_work_from_the_command_line_says_what_is_wrong(
    prepared_env: dict[str, str],
) -> None:
    assert hb(prepared_env, "actor", "create", "teachers").returncode == 0
    base = prepared_env.get("HAMBASTEGI_BASE_URL", "http://127.0.0.1:8000")
    not_named = hb(prepared_env, "actor", "move", "oil_workers", f"{base}/actors/teachers")
    cleared = hb(prepared_env, "actor", "alias", "oil_workers")
    boost_bad = hb(prepared_env, "boost", "oil_workers", "not an address")
    report_here = hb(prepared_env, "report", f"{base}/actors/teachers", "--comment", "x")

    assert not_named.returncode == 1
    assert "alsoKnownAs" in not_named.stderr
    assert cleared.returncode == 0, cleared.stderr
    assert "(nobody)" in cleared.stdout
    assert boost_bad.returncode == 1
    assert "address" in boost_bad.stderr
    assert report_here.returncode == 1
    assert "on this server" in report_here.stderr


EVENT_FILE = """---
title: Monthly meeting
starts_at: 2099-06-02T18:00
timezone: Europe/Stockholm
location: Online
recurrence: FREQ=MONTHLY;BYDAY=1TU
---
Reports and plans.
"""


def test_statements_participants_attending_and_reports_from_the_command_line(
    prepared_env: dict[str, str], tmp_path: Path
) -> None:
    statement_file = tmp_path / "statement.md"
    statement_file.write_text("---\ntitle: Free the bus drivers\n---\nWe call for their release.\n")
    event_file = tmp_path / "event.md"
    event_file.write_text(EVENT_FILE)
    statement = hb(
        prepared_env,
        "post", "oil_workers", "--kind", "article", "--language", "en",
        "--file", str(statement_file),
    )  # fmt: skip
    event = hb(
        prepared_env,
        "post", "oil_workers", "--kind", "event", "--file", str(event_file), "--language", "en",
    )  # fmt: skip
    assert statement.returncode == 0, statement.stderr
    assert event.returncode == 0, event.stderr
    statement_id, event_id = statement.stdout.split()[1], event.stdout.split()[1]

    opened = hb(prepared_env, "statement", "open", statement_id)
    signed = hb(prepared_env, "statement", "sign", statement_id, "oil_workers")
    twice = hb(prepared_env, "statement", "sign", statement_id, "oil_workers")
    listed = hb(prepared_env, "statement", "list")
    withdrawn = hb(prepared_env, "statement", "withdraw", statement_id, "oil_workers")
    unsigned = hb(prepared_env, "statement", "withdraw", statement_id, "oil_workers")
    invitations = hb(prepared_env, "statement", "invitations", "oil_workers")
    no_invitation = hb(prepared_env, "statement", "sign-invitation", "999")
    participants = hb(prepared_env, "participants", "list", event_id)
    not_a_post = hb(prepared_env, "participants", "list", "no-such-post")
    nobody_waiting = hb(prepared_env, "participants", "approve", "999")
    bad_address = hb(prepared_env, "attend", "oil_workers", "next Tuesday")
    attending = hb(prepared_env, "attending", "oil_workers")
    not_attending = hb(prepared_env, "unattend", "oil_workers", "https://events.example/e/1")
    reports = hb(prepared_env, "reports", "list")
    no_report = hb(prepared_env, "reports", "forward", "999")

    assert opened.returncode == 0, opened.stderr
    assert "open for co-signing" in opened.stdout
    assert signed.returncode == 0, signed.stderr
    assert twice.returncode == 1
    assert "signed already" in twice.stderr
    assert "1 signed" in listed.stdout
    assert "@oil_workers@" in listed.stdout
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert unsigned.returncode == 1
    assert "has not signed" in unsigned.stderr
    assert "no invitations" in invitations.stdout
    assert no_invitation.returncode == 1
    assert "no such invitation" in no_invitation.stderr
    assert participants.returncode == 0, participants.stderr
    assert "accepted: 0" in participants.stdout
    assert not_a_post.returncode == 1
    assert "no post" in not_a_post.stderr
    assert nobody_waiting.returncode == 1
    assert "no participant waiting" in nobody_waiting.stderr
    assert bad_address.returncode == 1
    assert "address" in bad_address.stderr
    assert "attends no event elsewhere" in attending.stdout
    assert not_attending.returncode == 1
    assert "has not said it will attend" in not_attending.stderr
    assert reports.stdout.strip() == "no reports"
    assert no_report.returncode == 1
    assert "no report #999" in no_report.stderr
