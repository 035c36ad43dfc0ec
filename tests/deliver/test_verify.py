"""`wistia-sync verify` against nginx, and against nginx's proxy_cache in front (a CDN stand-in)
purged by the `command:` provider deleting its cache entries."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.support.factories import add_folder, add_video, tag_video
from tests.support.nginxserver import free_port, require_nginx, running_nginx
from tests.support.purging import nginx_cache_purge
from tests.support.sitefolder import DEFAULT_VIDEOS, changed_entry_paths, publish_sample
from wistia_sync.cli.app import app
from wistia_sync.deliver.delivery import DeliverySettings, deliver
from wistia_sync.deliver.verify import LatencySummary, freshness_latency, verify_site
from wistia_sync.store.db import open_database

runner = CliRunner()


def origin_and_cdn(root: Path, origin: int, cdn: int, cache: Path) -> str:
    result = runner.invoke(
        app, ["nginx-config", "--output", str(root), "--listen", f"127.0.0.1:{origin}",
              "--purge", "command:x"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return (
        result.stdout
        + f"""
proxy_cache_path {cache} levels=1:2 keys_zone=cdn:1m inactive=1h use_temp_path=off;
server {{
    listen 127.0.0.1:{cdn};
    location / {{
        proxy_pass http://127.0.0.1:{origin};
        proxy_cache cdn;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status always;
    }}
}}
"""
    )


def known_to_the_database(db: Any) -> None:
    for folder in ("fold1", "fold2"):
        add_folder(db, folder)
    for video in DEFAULT_VIDEOS:
        add_video(db, video.hashed_id, folder_hashed_id=video.folder)
        for tag in video.tags:
            tag_video(db, video.hashed_id, tag)


@dataclass(frozen=True)
class CdnSite:
    out: Path
    db: Any
    first: dict[str, Any]
    origin: str
    cdn: str
    purge: str


@contextmanager
def warm_cdn_in_front_of_nginx(tmp_path: Path) -> Iterator[CdnSite]:
    """A published sample site behind nginx and the proxy_cache CDN, every file already cached."""
    require_nginx()
    out, cache = tmp_path / "out", tmp_path / "cache"
    db = open_database(tmp_path / "wistia.db", create=True)
    known_to_the_database(db)
    first = publish_sample(out)
    origin_port, cdn_port = free_port(), free_port()
    cdn = f"http://127.0.0.1:{cdn_port}/"
    with running_nginx(tmp_path / "nginx", origin_and_cdn(out, origin_port, cdn_port, cache)):
        for path in [*first["files"], "videos/jkl012.json"]:
            httpx.get(cdn + path)  # the readers warm the CDN
        yield CdnSite(
            out, db, first, f"http://127.0.0.1:{origin_port}/", cdn, nginx_cache_purge(cache)
        )


def test_a_hidden_video_is_caught_in_the_cdn_and_purged(tmp_path: Path) -> None:
    with warm_cdn_in_front_of_nginx(tmp_path) as site:
        out, db, first, origin, cdn = site.out, site.db, site.first, site.origin, site.cdn
        assert httpx.get(cdn + "videos.json").headers["x-cache"] == "HIT"
        assert verify_site(out, cdn, db=db).ok

        second = publish_sample(out, DEFAULT_VIDEOS[:3], generation="gen-2")  # hide jkl012
        assert verify_site(out, origin, db=db).ok  # the origin is right at once
        report = verify_site(out, cdn, db=db)
        assert not report.ok
        assert set(report.stale) == {
            p for p in changed_entry_paths(first, second) if p in second["files"]
        }
        assert set(report.unpublished_videos) == {"jkl012"}
        assert report.unpublished_videos["jkl012"] == ["folders/fold2.json", "videos/jkl012.json"]
        assert set(report.still_served) == {"videos/jkl012.json", "folders/fold2.json"}

        delivery = deliver(
            out, db=db, settings=DeliverySettings(purge=site.purge, base_url=cdn),
            changed_entry_paths=changed_entry_paths(first, second),
        )  # fmt: skip
        assert delivery.purge is not None and delivery.purge.error is None
        assert verify_site(out, cdn, db=db).ok
        assert httpx.get(cdn + "videos/jkl012.json").status_code == 404


def test_the_cdn_purge_reaches_every_variant_of_a_url(tmp_path: Path) -> None:
    with warm_cdn_in_front_of_nginx(tmp_path) as site:
        url = site.cdn + "videos.json"
        browser_like = {"Accept-Encoding": "gzip, deflate, br, zstd"}
        assert httpx.get(url, headers=browser_like).headers["x-cache"] == "MISS"  # a 2nd variant
        assert httpx.get(url, headers=browser_like).headers["x-cache"] == "HIT"
        assert httpx.get(url).headers["x-cache"] == "HIT"

        settings = DeliverySettings(purge=site.purge, base_url=site.cdn)
        deliver(site.out, db=site.db, settings=settings, changed_entry_paths=["videos.json"])

        # The first variant asked for again lands in the main cache file; the second is then
        # looked up under its own file, which a purge of the main file alone left behind.
        assert httpx.get(url).headers["x-cache"] == "MISS"
        assert httpx.get(url, headers=browser_like).headers["x-cache"] == "MISS"
        assert httpx.get(site.cdn + "tags.json").headers["x-cache"] == "HIT"  # only what it named


def test_verify_wait_repurges_the_cdn_and_records_the_latency(tmp_path: Path) -> None:
    with warm_cdn_in_front_of_nginx(tmp_path) as site:
        publish_sample(site.out, DEFAULT_VIDEOS[1:], generation="gen-2")  # no purge: a CDN miss
        result = runner.invoke(
            app,
            ["verify", "--base-url", site.cdn, "--output", str(site.out),
             "--db", str(tmp_path / "wistia.db"), "--purge", site.purge, "--wait", "20"],
        )  # fmt: skip
        db = site.db
    assert result.exit_code == 0, result.output
    assert "served everywhere" in result.stderr
    latency = freshness_latency(db)
    assert latency.publishes == 1 and latency.p50_seconds is not None
    [row] = db.execute("SELECT generation, repurged FROM freshness").fetchall()
    assert row[0] == "gen-2" and row[1] > 0


def test_latency_percentiles(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    for index, seconds in enumerate([1.0, 2.0, 3.0, 4.0, 50.0]):
        db.execute(
            "INSERT INTO freshness VALUES (?, 'u', '2026-01-01T00:00:00Z', ?, ?, 0)",
            [f"g{index}", f"2026-01-01T00:00:0{index}Z", seconds],
        )
    assert freshness_latency(db) == LatencySummary(5, 3.0, 50.0)
    assert freshness_latency(open_database(tmp_path / "empty.db", create=True)).publishes == 0


def test_verify_cli_lists_a_planted_stale_file_and_a_404(tmp_path: Path) -> None:
    require_nginx()
    out, served = tmp_path / "out", tmp_path / "served"
    old = publish_sample(out)
    shutil.copytree(out, served)
    new = publish_sample(out, DEFAULT_VIDEOS[:3], generation="gen-2")
    for path in new["files"]:
        if path not in old["files"] or path == "tags/tour.json":
            (served / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(out / path, served / path)
    for path in ("tags.json", "manifest.json", "videos.json", "folders.json"):
        shutil.copy(out / path, served / path)
    (served / "tags/tour.json").write_bytes(b'{"planted": "stale"}\n')
    (served / "videos/abc123.json").unlink()
    port = free_port()
    result = runner.invoke(
        app, ["nginx-config", "--output", str(served), "--listen", f"127.0.0.1:{port}"]
    )
    with running_nginx(tmp_path / "nginx", result.stdout):
        verified = runner.invoke(
            app,
            ["verify", "--base-url", f"http://127.0.0.1:{port}/", "--output", str(out),
             "--db", str(tmp_path / "none.db")],
        )  # fmt: skip
    assert verified.exit_code == 1, verified.output
    lines = verified.stdout.splitlines()
    assert "stale\ttags/tour.json" in lines
    assert "missing\tvideos/abc123.json\t404" in lines
    assert "1 stale, 1 missing" in verified.stderr
    assert not (tmp_path / "none.db").exists()


def test_an_unreachable_site_is_reported_not_raised(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish_sample(out)
    report = verify_site(out, f"http://127.0.0.1:{free_port()}/", timeout=2)
    assert not report.ok
    assert report.unreachable is not None and "ConnectError" in report.unreachable
    assert report.unchecked > 0 and report.checked == 0 and report.errors == {}


def test_verify_against_an_unreachable_host_is_one_error_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    listed = len(publish_sample(out)["files"])
    url = f"http://127.0.0.1:{free_port()}/"
    result = runner.invoke(app, ["verify", "--base-url", url, "--output", str(out)])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: could not reach {url} (ConnectError: "), lines[0]
    assert lines[0].endswith(" files checked") and "none of" in lines[0]
    assert listed > 1  # many files, still one line


@pytest.mark.parametrize("url", ["ftp://x/", "not a url", ""])
def test_a_bad_base_url_is_a_configuration_error(tmp_path: Path, url: str) -> None:
    publish_sample(tmp_path / "out")
    result = runner.invoke(app, ["verify", "--base-url", url, "--output", str(tmp_path / "out")])
    assert result.exit_code == 2
