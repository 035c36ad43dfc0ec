"""Scenario 7: the files are public, so nothing private may reach them, and nothing hostile may
break them.

- The API token never appears in any output file, database row (WAL included), lock file, log
  line, error message or cassette, whatever the command, with ``--debug`` too and on failures.
- Hostile names from Wistia and from editors (path traversal, HTML and script, huge, RTL override,
  zero-width, NUL, newlines) give safe file names, valid JSON that keeps the names exactly, and
  no file outside the output folder; names an editor may not use are refused, changing nothing.
- A hidden, archived, deleted, processing or failed video, or a media that is not a video, never
  appears in any output file, over random mixes driven through ``run``; every other video does.
- The database, its WAL and the lock files are owner-only; output files are world-readable.
"""

from __future__ import annotations

import random
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import TOKEN, MakeWorkspace, Serve, make_account
from tests.reliability.harness import (
    SEO_ORIGIN,
    EditorBook,
    Ledger,
    connect,
    failure_problems,
    output_files,
    output_problems,
    published_ids,
)
from tests.support.fakewistia.server import ANY, STATS, FaultPlan, server_error, unauthorized
from wistia_sync.demo.api import FakeWistia
from wistia_sync.demo.catalog import generate_catalog
from wistia_sync.publish.build import published_text
from wistia_sync.wistia.records import MAX_NAME_LENGTH, MAX_TAG_NAME_LENGTH, wistia_tag_name

SCENARIO = "7. security"
REPO = Path(__file__).resolve().parents[2]


def every_file_under(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_the_token_never_appears_in_files_rows_logs_errors_or_cassettes(
    serve: Serve, workspace: MakeWorkspace, ledger: Ledger, tmp_path: Path
) -> None:
    api = make_account(120, seed=51)
    server = serve(api)
    ws = workspace(server)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    outputs = []

    def cli(*args: str, faults: FaultPlan | None = None, **kwargs: Any) -> None:
        server.faults = faults or FaultPlan()
        outputs.append(ws.cli(*args, **kwargs))

    cli("run")
    cli("--debug", "run", "--full")
    cli("--debug", "sync", "--json")
    cli("run", "--full", faults=FaultPlan().starting_at(3, unauthorized()))
    cli("--debug", "run", "--full", faults=FaultPlan().starting_at(3, unauthorized()))
    cli("--debug", "sync", faults=FaultPlan().starting_at(1, server_error(503), path=ANY))
    cli("sync", "--full", faults=FaultPlan().starting_at(1, server_error(500), path=STATS))
    cli("--debug", "sync", "--token-file", str(token_file), env={"WISTIA_API_TOKEN": ""})
    cli("sync", "--token-file", str(tmp_path / "missing"), env={"WISTIA_API_TOKEN": ""})
    video = published_ids(ws.db)[0]
    cli("--debug", "tag", "add", video, "Editor pick")
    cli("--debug", "visibility", "hide", video)
    cli("--debug", "publish", "--force")
    cli("status")
    cli("status", "--json")
    cli("videos", "list", "--json")
    cli("log")

    failures = [r for r in outputs if r.returncode != 0]
    assert len(failures) == 5, [(r.args, r.returncode) for r in outputs]
    for result in failures:
        assert not failure_problems(result) or result.args[0] == "--debug", result.describe()
    assert all(entry.status == 200 for entry in server.log[:3]), "the token was not accepted"
    needle = TOKEN.encode()
    leaks = [f"output of `{' '.join(r.args)}`" for r in outputs if TOKEN in r.output]
    files = every_file_under(ws.root)
    leaks += [str(path) for path, data in files.items() if needle in data]
    cassettes = every_file_under(REPO / "tests" / "cassettes")
    leaks += [str(path) for path, data in cassettes.items() if needle in data]
    debug_lines = sum(r.stderr.count("\n") for r in outputs if r.args[0] == "--debug")
    ledger.record(
        SCENARIO,
        "the API token (16 commands, with --debug, on 401/5xx failures, via --token-file)",
        times=len(outputs),
        runs=len(outputs),
        files_checked=len(files) + len(cassettes),
        lost_changes=0,
        invalid_files=len(leaks),
        held=f"found in no file, database page, lock, cassette or output ({debug_lines} lines "
        "of --debug output scanned)",
    )
    assert debug_lines > 20, "--debug printed nothing: the scan proves little"
    assert not leaks, leaks


HOSTILE_NAMES = (
    "../../../etc/passwd",
    "<script>alert('x')</script>",
    "A" * 5000,
    "\u202egnp.exe",
    "zero\u200bwidth\u200djoiner",
    "nul\x00byte",
    "line\nbreak\r\nand\ttab",
    "🎬 émoji \uff26\uff35\uff2c\uff2c",
    '"quoted" \\ backslash',
    ".hidden",
    "CON",
    "",
)
HOSTILE_TAGS = (
    "../x",
    "..",
    ".hidden",
    "CON",
    "tag/with/slashes",
    "<img src=x onerror=alert(1)>",
    "x" * 500,
    "\u202etxt.exe",
    "a\u200bb",
    "nul\x00tag",
    "🎬",
    "Ünïcödé",
    "tab\tsep",
    "   padded   ",
    "%2e%2e%2f",
)


def hostile_account() -> FakeWistia:
    media, stats = generate_catalog(40, seed=61, folders=3)
    for index, name in enumerate(HOSTILE_NAMES):
        media[index]["name"] = name
        media[index]["description"] = f"<p onclick='x'>{name}</p>"
        media[index]["status"], media[index]["type"], media[index]["archived"] = (
            "ready",
            "Video",
            False,
        )
    for index, tag in enumerate(HOSTILE_TAGS):
        media[index % len(media)]["tags"] = [*media[index % len(media)]["tags"], {"name": tag}]
    media[20]["folder"] = {"id": 9, "name": "<b>../../folder</b>", "hashed_id": "..%2Fevil"}
    media[21]["folder"] = {"id": 10, "name": "\u202eRTL folder\x00", "hashed_id": "fold3r0k"}
    for index in (22, 23):
        media[index]["status"], media[index]["type"], media[index]["archived"] = (
            "ready",
            "Video",
            False,
        )
    stats.pop(media[22]["hashed_id"], None)
    media[22]["hashed_id"] = "bad.id-x_"  # not a safe file name: never published
    return FakeWistia(media, stats, token=TOKEN)


def test_hostile_names_give_safe_files_and_valid_json_that_keeps_them_exactly(
    serve: Serve, workspace: MakeWorkspace, ledger: Ledger
) -> None:
    api = hostile_account()
    server = serve(api)
    ws = workspace(server)
    result = ws.cli("run", "--full")
    assert result.returncode == 0, result.describe()
    video = published_ids(ws.db)[0]
    problems_markup: list[str] = []
    editor_ok = ["../../y", "<script>x</script>", "CON", ".dotted", "🎬 two", "y" * 100]
    added = ws.cli("tag", "add", video, *editor_ok)
    refused = {
        name: ws.cli("tag", "add", video, name)
        for name in ("\u202eRTL", "zero\u200bwidth", "z" * 101, "   ", "bell\x07")
    }
    # Unknown videos whose names look like terminal markup: the error must quote them as given.
    for name in ("[/bold]", "[red]x[/red]"):
        refused[name] = ws.cli("tag", "add", name, "Editor pick")
        if name not in refused[name].stderr:
            problems_markup.append(f"the error line does not quote {name!r} as given")
    check = output_problems(ws.output, converged=True)
    files = output_files(ws.output)
    problems = check.problems + problems_markup
    outside = {
        p.relative_to(ws.root).as_posix()
        for p in ws.root.rglob("*")
        if p.is_file() and not p.is_relative_to(ws.output)
    }
    expected_outside = {"wistia.db", "wistia.db-wal", "wistia.db-shm"}
    expected_outside |= {"wistia.db.run.lock", "wistia.db.publish.lock"}
    if outside - expected_outside:
        problems.append(f"files outside the output folder: {sorted(outside - expected_outside)}")
    import json

    # Every JSON file; index.html was checked above to be exactly the template's output.
    documents = {path: json.loads(data) for path, data in files.items() if path.endswith(".json")}
    names = {
        doc["video"]["hashed_id"]: doc["video"]["name"]
        for path, doc in documents.items()
        if path.startswith("videos/")
    }
    # Kept exactly, but for what ingest makes safe: names are cut at 1,000
    # characters; Wistia's tags lose control and bidi characters (as editors' are refused them)
    # and are cut at 100; and no published string keeps a bidi control.
    for media in api.media():
        kept = published_text(media["name"][:MAX_NAME_LENGTH])
        if media["hashed_id"] in names and names[media["hashed_id"]] != kept:
            problems.append(f"{media['hashed_id']}: name not kept exactly")
    for name in HOSTILE_NAMES[:-1]:
        if published_text(name[:MAX_NAME_LENGTH]) not in names.values():
            problems.append(f"hostile video name {name[:30]!r} was not published")
    published_tags = {entry["name"] for entry in documents["tags.json"]["tags"]}
    wistia_tags = {wistia_tag_name(tag)[:MAX_TAG_NAME_LENGTH].strip() for tag in HOSTILE_TAGS}
    for tag in [*(t for t in wistia_tags if t), *editor_ok]:
        if tag.strip() and tag.strip() not in published_tags:
            problems.append(f"tag {tag[:30]!r} was not published")
    if any(path.startswith("videos/bad") for path in files):
        problems.append("a media whose hashed_id is not a safe file name got a file")
    if "..%2Fevil" in "".join(files):
        problems.append("an unsafe folder id became a file name")
    if added.returncode != 0:
        problems.append(f"editor tags were refused: {added.describe()}")
    for name, outcome in refused.items():
        if outcome.returncode != 2 or failure_problems(outcome):
            problems.append(f"tag {name!r} was not refused cleanly: {outcome.describe()}")
    with connect(ws.db) as conn:
        editor_links = conn.execute(
            "SELECT count(*) FROM video_tags WHERE source = 'editor'"
        ).fetchone()[0]
    if editor_links != len(editor_ok):
        problems.append(f"{editor_links} editor links, expected {len(editor_ok)}")
    ledger.record(
        SCENARIO,
        f"hostile names: {len(HOSTILE_NAMES)} video names, {len(HOSTILE_TAGS)} Wistia tags, "
        f"{len(editor_ok) + len(refused)} editor arguments, unsafe ids",
        times=len(HOSTILE_NAMES) + len(HOSTILE_TAGS) + len(editor_ok) + len(refused) + 2,
        runs=2 + len(refused),
        files_checked=check.files,
        lost_changes=0,
        invalid_files=check.invalid,
        held="safe file names only inside the output folder, valid JSON keeping every name "
        "exactly (over-long ones cut, control characters stripped from Wistia's tags); unusable "
        "editor names refused with exit 2, nothing changed",
    )
    assert not problems, "\n".join(problems)


def secret_account(seed: int) -> FakeWistia:
    """An account whose every name and thumbnail carries its media's hashed id, for scanning."""
    media, stats = generate_catalog(150, seed=seed, folders=4)
    for item in media:
        item["name"] = f"Title of {item['hashed_id']}"
    return FakeWistia(media, stats, token=TOKEN)


def unpublished_by_design(api: FakeWistia, deleted: set[str], hidden: set[str]) -> set[str]:
    unpublished = set(deleted) | set(hidden)
    for media in api.media():
        if media["type"] != "Video" or media["status"] != "ready" or media["archived"]:
            unpublished.add(media["hashed_id"])
        if media.get("protected") is not False and media.get("protected") is not None:
            unpublished.add(media["hashed_id"])  # password-protected, or not clearly open
    return unpublished


@pytest.mark.parametrize("site_settings", [False, True], ids=["plain", "site-settings"])
def test_unpublished_videos_never_appear_in_any_output_file_over_random_mixes(
    serve: Serve, workspace: MakeWorkspace, ledger: Ledger, soak: bool, site_settings: bool
) -> None:
    rounds = 12 if soak else 4
    rng = random.Random(7007)
    api = secret_account(seed=71)
    server = serve(api)
    ws = workspace(server)
    first = ws.cli("run")
    assert first.returncode == 0, first.describe()
    # Small pages, so edits and re-cuts retire many of them; no takedown grace, so every file
    # the publisher owns (listed or retired) must be free of unpublished videos after each run.
    settings = ws.cli("site", "--page-size", "10", "--takedown-grace", "0s")
    assert settings.returncode == 0, settings.describe()
    if site_settings:  # sitemaps, JSON-LD, watch pages and the slug lookup too (issue 22)
        seo = ws.cli("site", "--origin", SEO_ORIGIN, "--watch-url", "/v/{slug}", "--watch-pages")
        assert seo.returncode == 0, seo.describe()
    book = EditorBook(ws.db)
    deleted: set[str] = set()
    hidden: set[str] = set()
    secret_tags: dict[str, set[str]] = {}  # tag -> the videos carrying it
    problems: list[str] = []
    files_checked = invalid = 0
    for round_ in range(rounds):
        live = [m["hashed_id"] for m in api.media()]
        for hashed_id in rng.sample(live, 30):
            change = rng.choice(
                ("processing", "failed", "archive", "unarchive", "image", "protect", "ok")
            )
            if change == "protect":
                api.update(hashed_id, protected=True)
            elif change in ("processing", "failed"):
                api.update(hashed_id, status=change)
            elif change in ("archive", "unarchive"):
                api.update(hashed_id, archived=change == "archive")
            elif change == "image":
                api.update(hashed_id, type="Image")
            else:
                api.update(hashed_id, status="ready", type="Video", archived=False, protected=None)
        for hashed_id in rng.sample(live, 3):
            api.delete(hashed_id)
            deleted.add(hashed_id)
        known = [h for h in live if h not in deleted]
        for hashed_id in rng.sample(known, 6):
            if rng.random() < 0.5:
                book.set_visibility(hashed_id, "hidden")
                hidden.add(hashed_id)
            else:
                book.set_visibility(hashed_id, "public")
                hidden.discard(hashed_id)
        # Pages retired earlier, by an edit to another video or by a re-cut, must still go
        # when a video they hold stops being published.
        for hashed_id in rng.sample(sorted(set(known) - hidden), 4):
            book.tag(hashed_id, f"Retire{round_}")
        if round_ % 2:
            recut = ws.cli("site", "--page-size", str(rng.choice((7, 10, 13))))
            assert recut.returncode == 0, recut.describe()
        result = ws.cli("run", "--full", "--stats-budget", "10")
        if result.returncode != 0:
            problems.append(f"round {round_}: run failed: {result.describe()}")
        unpublished = unpublished_by_design(api, deleted, hidden)
        secret = f"Secret{round_}Tag"
        secret_tags[secret] = set(rng.sample(sorted(unpublished - deleted), 3))
        for hashed_id in secret_tags[secret]:
            book.tag(hashed_id, secret)
        republish = ws.cli("publish")
        if republish.returncode != 0:
            problems.append(f"round {round_}: publish failed: {republish.describe()}")
        files = output_files(ws.output)
        blob = b"\n".join(files.values())
        for hashed_id in sorted(unpublished):
            if hashed_id.encode() in blob:
                holders = sorted(path for path, data in files.items() if hashed_id.encode() in data)
                problems.append(f"round {round_}: unpublished {hashed_id} appears in {holders}")
        for tag, carriers in secret_tags.items():
            if carriers <= unpublished and (tag.encode() in blob or tag.lower().encode() in blob):
                problems.append(f"round {round_}: tag {tag} of unpublished videos appears")
        for media in api.media():
            hashed_id = media["hashed_id"]
            if hashed_id not in unpublished and f"videos/{hashed_id}.json" not in files:
                problems.append(f"round {round_}: published {hashed_id} has no file")
        check = output_problems(ws.output, converged=True)
        files_checked += check.files
        invalid += check.invalid
        problems += check.problems
        if site_settings and not list((ws.output / "watch").glob("*.html")):
            problems.append(f"round {round_}: no watch page with site settings on")
    ledger.record(
        SCENARIO,
        "random mixes of hidden, archived, deleted, processing, failed, password-protected "
        "and non-video media; editor tags and page-size re-cuts retiring pages, no takedown "
        "grace" + (" (site settings on: sitemaps, JSON-LD, watch pages)" if site_settings else ""),
        times=rounds,
        runs=2 * rounds + 1,
        files_checked=files_checked,
        lost_changes=len(book.lost()),
        invalid_files=invalid,
        held="no unpublished video (id, name, thumbnail) nor a tag only they carry in any "
        "file, listed or retired; every published video has its file",
    )
    assert not book.lost(), book.lost()
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("umask", [0o000, 0o077], ids=["umask 000", "umask 077"])
def test_database_and_locks_are_owner_only_and_output_world_readable(
    umask: int, serve: Serve, workspace: MakeWorkspace, ledger: Ledger
) -> None:
    server = serve(make_account(60, seed=81))
    ws = workspace(server)
    result = ws.cli("run", umask=umask)
    assert result.returncode == 0, result.describe()
    edited = ws.cli("visibility", "hide", published_ids(ws.db)[0], umask=umask)
    assert edited.returncode == 0, edited.describe()
    private = [ws.db, *(ws.root / n for n in ("wistia.db.run.lock", "wistia.db.publish.lock"))]
    private += [p for p in (Path(f"{ws.db}-wal"), Path(f"{ws.db}-shm")) if p.exists()]
    problems = [
        f"{p.name} is {stat.filemode(p.stat().st_mode)}"
        for p in private
        if p.stat().st_mode & 0o777 != 0o600
    ]
    public = [p for p in ws.output.rglob("*") if p.name != ".gitignore"]
    for path in public:
        mode = path.stat().st_mode & 0o777
        want = 0o755 if path.is_dir() else 0o644
        if mode != want:
            problems.append(f"{path.relative_to(ws.root)} is {oct(mode)}, not {oct(want)}")
    ledger.record(
        SCENARIO,
        f"file permissions under umask {umask:03o}",
        times=1,
        runs=2,
        files_checked=len(private) + len(public),
        lost_changes=0,
        invalid_files=0,
        held="database and locks 0600 (SQLite gives its WAL and shm the database's mode); "
        "output files 0644, folders 0755",
    )
    assert len(private) >= 3 and len(public) > 50
    assert not problems, problems
