"""nginx's ETag is hex(mtime seconds)-hex(size): a rewrite to new bytes of the same size in the
same second kept it, and a reader revalidating got 304 with the old body. Every rewrite moves
the file's mtime forward by at least a second, so a changed file never answers an old ETag."""

from __future__ import annotations

from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.support.nginxserver import free_port, require_nginx, running_nginx
from wistia_sync.cli.app import app
from wistia_sync.contract.filelist import read_local_file_list

runner = CliRunner()
VIDEO = "2uj5nqq36y"
RENAMES = 8


def invoke(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def demo_site_tagged_t1(tmp_path: Path) -> tuple[tuple[str, ...], int, str]:
    """The demo published with one video tagged ``t1``: its --db/--output arguments, and a
    port and the nginx config serving it there."""
    require_nginx()
    root, db = tmp_path / "output", tmp_path / "wistia.db"
    paths = ("--db", str(db), "--output", str(root))
    invoke("run", "--demo", "-q", *paths)
    invoke("tag", "add", VIDEO, "t1", "-q", *paths)
    port = free_port()
    config = runner.invoke(app, ["nginx-config", *paths, "--listen", f"127.0.0.1:{port}"]).stdout
    return paths, port, config


def test_no_rewritten_file_answers_an_etag_it_had_before(tmp_path: Path) -> None:
    """Same-size rewrites as fast as an editor's commands go (renaming a tag back and forth
    changes its name in every file showing it, not their sizes): after each, every ETag a
    reader was given for a file whose bytes have changed since gets a 200 and the new bytes."""
    paths, port, config = demo_site_tagged_t1(tmp_path)
    root = tmp_path / "output"
    given: dict[str, dict[str, bytes]] = {}  # path → every ETag served for it → its body
    names = ["t1", "t2"]
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        for rename in range(RENAMES + 1):
            entries = read_local_file_list(root)[0].entry_paths()
            for path in entries:
                current = (root / path).read_bytes()
                for etag, body in given.get(path, {}).items():
                    if body == current:
                        continue
                    response = http.get(f"/{path}", headers={"If-None-Match": etag})
                    assert response.status_code == 200, (rename, path, etag)
                    assert response.content == current, (rename, path)
                response = http.get(f"/{path}")
                assert response.content == current
                given.setdefault(path, {})[response.headers["etag"]] = current
            if rename < RENAMES:
                invoke("tag", "rename", names[rename % 2], names[(rename + 1) % 2], "-q", *paths)
    bodies = given[f"videos/{VIDEO}.json"].values()
    assert len(set(bodies)) == 2  # the test did exercise same-size rewrites
    assert len({len(body) for body in bodies}) == 1


def test_a_file_removed_and_written_again_never_answers_its_old_etag(tmp_path: Path) -> None:
    """Hidden, renamed while hidden, shown again, as fast as an editor goes: the video's file
    comes back with new bytes of the same size, and the ETag a reader kept must not match."""
    paths, port, config = demo_site_tagged_t1(tmp_path)
    root = tmp_path / "output"
    path = f"/videos/{VIDEO}.json"
    names = ["t1", "t2"]
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        for cycle in range(RENAMES):
            before = http.get(path)
            invoke("visibility", "hide", VIDEO, "-q", *paths)
            rename = ("tag", "rename", names[cycle % 2], names[(cycle + 1) % 2], "--no-publish")
            invoke(*rename, "-q", *paths)
            invoke("visibility", "show", VIDEO, "-q", *paths)
            current = (root / path.lstrip("/")).read_bytes()
            assert current != before.content and len(current) == len(before.content)
            revalidated = http.get(path, headers={"If-None-Match": before.headers["etag"]})
            assert revalidated.status_code == 200, cycle
            assert revalidated.content == current


def test_a_clock_stepped_back_is_followed_not_kept_ahead_of(tmp_path: Path) -> None:
    """A clock file dated two days ahead (the system clock went back since) does not date every
    later file two days in the future: stamps follow the clock down."""
    import os
    import time

    db, out = str(tmp_path / "wistia.db"), tmp_path / "output"
    invoke("run", "--demo", "--quiet", "--db", db, "--output", str(out))
    clock = out / ".wistia-sync-tmp" / "mtime-clock"
    ahead = time.time() + 2 * 86400
    os.utime(clock, (ahead, ahead))

    invoke("visibility", "hide", VIDEO, "--db", db, "--output", str(out))

    assert (out / "videos.json").stat().st_mtime < time.time() + 3600
