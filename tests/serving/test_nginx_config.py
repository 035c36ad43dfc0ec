"""`wistia-sync nginx-config` served by a real nginx: every header the cache policy promises."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.serving.nginxserver import free_port, require_nginx, running_nginx
from tests.serving.sitefolder import encode, publish_sample
from wistia_sync.cache_policy import (
    ENTRY_CACHE_CONTROL_PURGED,
    ENTRY_CACHE_CONTROL_UNPURGED,
    IMMUTABLE_CACHE_CONTROL,
)
from wistia_sync.cli.app import app

runner = CliRunner()


def nginx_config(*args: str) -> str:
    result = runner.invoke(app, ["nginx-config", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    require_nginx()
    root = tmp_path / "output"
    listing = publish_sample(root)
    return root, listing


def test_every_header_of_every_path_class(site: tuple[Path, dict], tmp_path: Path) -> None:
    root, listing = site
    port = free_port()
    config = nginx_config("--output", str(root), "--listen", f"127.0.0.1:{port}")
    page = next(path for path in listing["files"] if path.startswith("pages/"))
    shard_path = f"files/{'0f' * 16}.json"
    (root / "files").mkdir(exist_ok=True)
    for path in (shard_path, "files/notes.json"):
        (root / path).write_bytes(b'{"schema_version": 2, "files": {}}')
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        entry = http.get("/tags/onboarding.json")
        assert entry.status_code == 200
        assert entry.content == (root / "tags/onboarding.json").read_bytes()
        assert entry.headers["content-type"] == "application/json; charset=utf-8"
        assert entry.headers["cache-control"] == ENTRY_CACHE_CONTROL_UNPURGED
        assert entry.headers["cache-tag"] == "wistia-sync,tag-onboarding"
        assert entry.headers["surrogate-key"] == "wistia-sync tag-onboarding"
        assert entry.headers["access-control-allow-origin"] == "*"
        assert "ETag" in entry.headers["access-control-expose-headers"]
        assert entry.headers["x-content-type-options"] == "nosniff"
        etag = entry.headers["etag"]

        video = http.get("/videos/abc123.json")
        assert video.headers["cache-tag"] == "wistia-sync,video-abc123"
        assert http.get("/videos.json").headers["cache-tag"] == "wistia-sync,all"
        assert http.get("/manifest.json").headers["cache-tag"] == "wistia-sync,manifest"

        for preview in (http.get("/index.html"), http.get("/")):
            assert preview.content == (root / "index.html").read_bytes()
            assert preview.headers["content-type"] == "text/html; charset=utf-8"
            assert preview.headers["cache-control"] == ENTRY_CACHE_CONTROL_UNPURGED
            assert preview.headers["cache-tag"] == "wistia-sync,preview"
            assert preview.headers["surrogate-key"] == "wistia-sync preview"

        immutable = http.get(f"/{page}")
        assert immutable.status_code == 200
        assert immutable.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
        assert "cache-tag" not in immutable.headers

        # A file-list shard is content-addressed too; another file in its folder is not.
        shard = http.get(f"/{shard_path}")
        assert shard.status_code == 200
        assert shard.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
        assert "cache-tag" not in shard.headers
        notes = http.get("/files/notes.json")
        assert notes.headers["cache-control"] == ENTRY_CACHE_CONTROL_UNPURGED

        revalidated = http.get("/tags/onboarding.json", headers={"If-None-Match": etag})
        assert revalidated.status_code == 304
        assert revalidated.headers["cache-control"] == ENTRY_CACHE_CONTROL_UNPURGED

        missing = http.get("/videos/gone999.json")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "public, max-age=10"
        assert missing.headers["access-control-allow-origin"] == "*"

        preflight = http.options("/videos.json")
        assert preflight.status_code == 204
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert http.post("/videos.json", content=b"{}").status_code == 405


def test_dot_files_are_denied(site: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = site
    (root / ".videos.json.0123456789abcdef.tmp").write_text("{}")
    (root / "tags" / ".secret").write_text("x")
    port = free_port()
    config = nginx_config("--output", str(root), "--listen", f"127.0.0.1:{port}")
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        assert http.get("/.videos.json.0123456789abcdef.tmp").status_code == 403
        assert http.get("/tags/.secret").status_code == 403
        assert http.get("/tags/.secret").headers["cache-control"] == "no-store"


def test_gzip_and_gzip_static(site: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = site
    big = encode({"videos": [{"hashed_id": f"v{i}", "name": "x" * 40} for i in range(50)]})
    (root / "videos" / "big.json").write_bytes(big)
    precompressed = encode({"precompressed": True})
    (root / "folders.json.gz").write_bytes(gzip.compress(precompressed))
    port = free_port()
    config = nginx_config("--output", str(root), "--listen", f"127.0.0.1:{port}")
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        dynamic = http.get("/videos/big.json", headers={"Accept-Encoding": "gzip"})
        assert dynamic.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in dynamic.headers["vary"]
        assert dynamic.content == big
        static = http.get("/folders.json", headers={"Accept-Encoding": "gzip"})
        assert static.headers["content-encoding"] == "gzip"
        assert json.loads(static.content) == {"precompressed": True}
        assert static.headers["content-type"] == "application/json; charset=utf-8"


def test_purge_configured_and_path_prefix(site: tuple[Path, dict], tmp_path: Path) -> None:
    root, listing = site
    port = free_port()
    config = nginx_config(
        "--output", str(root), "--listen", f"127.0.0.1:{port}",
        "--path-prefix", "/site/", "--purge", "command:true",
    )  # fmt: skip
    page = next(path for path in listing["files"] if path.startswith("pages/"))
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        entry = http.get("/site/videos.json")
        assert entry.status_code == 200
        assert entry.headers["cache-control"] == ENTRY_CACHE_CONTROL_PURGED
        assert entry.headers["cache-tag"] == "wistia-sync,all"
        assert http.get(f"/site/{page}").headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
        assert http.get("/videos.json").status_code == 404


def test_custom_cache_control_is_used(tmp_path: Path) -> None:
    config = nginx_config("--output", str(tmp_path), "--cache-control-entry", "public, max-age=5")
    assert '"public, max-age=5"' in config


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--listen", "127.0.0.1:80; include /etc/passwd"),
        ("--server-name", 'x"; root /'),
        ("--path-prefix", "site"),
        ("--cors-origin", "https://a.example\nadd_header X 1"),
        ("--cache-control-entry", 'public"; return 200 "x'),
    ],
)
def test_values_that_could_inject_config_are_refused(option: str, value: str) -> None:
    result = runner.invoke(app, ["nginx-config", option, value])
    assert result.exit_code == 2
    assert "invalid" in result.output
    assert "Traceback" not in result.output


def test_output_folder_with_unsafe_characters_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["nginx-config", "--output", str(tmp_path / "a b;c")])
    assert result.exit_code == 2
