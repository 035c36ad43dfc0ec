"""`wistia-sync nginx-config` served by a real nginx: every header the cache policy promises."""

from __future__ import annotations

import gzip
import re
import shutil
import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.support.nginxserver import free_port, require_nginx, running_nginx
from tests.support.sitefolder import encode, publish_sample
from wistia_sync.cli.app import app
from wistia_sync.contract.cache_policy import (
    ENTRY_CACHE_CONTROL_PURGED,
    ENTRY_CACHE_CONTROL_UNPURGED,
    IMMUTABLE_CACHE_CONTROL,
)
from wistia_sync.contract.filelist import read_local_file_list, read_local_index
from wistia_sync.contract.layout import FILES_PATH, cache_class, published_path

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

        # A file-list shard is content-addressed too; another file in its folder is not served.
        shard = http.get(f"/{shard_path}")
        assert shard.status_code == 200
        assert shard.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
        assert "cache-tag" not in shard.headers
        notes = http.get("/files/notes.json")
        assert notes.status_code == 404
        assert notes.headers["cache-control"] == "public, max-age=10"

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


def test_dot_files_are_not_served(site: tuple[Path, dict], tmp_path: Path) -> None:
    root, _ = site
    (root / ".videos.json.0123456789abcdef.tmp").write_text("{}")
    (root / "tags" / ".secret").write_text("x")
    port = free_port()
    config = nginx_config("--output", str(root), "--listen", f"127.0.0.1:{port}")
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        assert http.get("/.videos.json.0123456789abcdef.tmp").status_code == 404
        assert http.get("/tags/.secret").status_code == 404


def test_gzip_on_the_fly_and_never_a_stale_gz_beside_a_file(
    site: tuple[Path, dict], tmp_path: Path
) -> None:
    """The publisher writes no .gz: one beside a file (a video hidden since) is never served."""
    root, _ = site
    big = encode({"videos": [{"hashed_id": f"v{i}", "name": "x" * 40} for i in range(50)]})
    (root / "videos" / "big123.json").write_bytes(big)
    stale = encode({"videos": [{"hashed_id": "hidden1", "name": "Hidden since"}] * 20})
    for path in ("folders.json.gz", "videos/big123.json.gz", "tags/onboarding.json.gz"):
        (root / path).write_bytes(gzip.compress(stale))
    port = free_port()
    config = nginx_config("--output", str(root), "--listen", f"127.0.0.1:{port}")
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        dynamic = http.get("/videos/big123.json", headers={"Accept-Encoding": "gzip"})
        assert dynamic.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in dynamic.headers["vary"]
        assert dynamic.content == big
        for path in ("folders.json", "tags/onboarding.json"):
            served = http.get(f"/{path}", headers={"Accept-Encoding": "gzip"})
            assert served.content == (root / path).read_bytes()
            assert b"hidden1" not in served.content
            assert served.headers["content-type"] == "application/json; charset=utf-8"
            assert http.get(f"/{path}.gz").status_code == 404


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


def raw_status(port: int, target: str) -> int:
    """The status nginx answers to ``GET target`` sent exactly as written (no URL cleaning)."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(f"GET {target} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        return int(connection.makefile("rb").readline().split()[1])


def published_paths(root: Path) -> set[str]:
    """Every path the last publish wrote: its file list, the list and the list's shards."""
    file_list, _ = read_local_file_list(root)
    index, _ = read_local_index(root)
    return {*file_list.files, FILES_PATH, *(shard.path for shard in index.shards)}


@pytest.mark.parametrize("prefix", ["/", "/site/"])
def test_only_what_the_publisher_wrote_is_served(prefix: str, tmp_path: Path) -> None:
    """Over every file in the output folder: served (byte for byte) if and only if published.

    Whatever else lands there (the database, its journal and lock files put there by hand, the
    publisher's temp files, a stale .gz, notes, a symlink to the database) is never served.
    """
    require_nginx()
    root, db = tmp_path / "output", tmp_path / "wistia.db"
    ran = runner.invoke(app, ["run", "--demo", "--db", str(db), "--output", str(root)])
    assert ran.exit_code == 0, ran.output
    published = published_paths(root)
    assert any(path.startswith("schema/") for path in published)
    for name in ("wistia.db", "wistia.db-wal", "wistia.db-shm", "wistia.db.run.lock"):
        shutil.copyfile(db, root / name)
    foreign = {
        ".wistia-sync-tmp/0123456789abcdef.videos.json": b"{}",
        "videos.json.gz": gzip.compress(b"{}"),
        "tags/product-tour.json.gz": gzip.compress(b"{}"),
        "videos.json.bak": b"{}",
        "videos.json~": b"{}",
        "notes.txt": b"notes",
        "README.md": b"notes",
        "pages/notes.json": b"{}",
        "files/notes.json": b"{}",
        "schema/notes.txt": b"notes",
        "private/wistia.db": db.read_bytes(),
        "tags/.hidden.json": b"{}",
        ".env": b"SECRET=1",
    }
    for path, body in foreign.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)
    (root / "videos" / "zz9zz9zz9z.json").symlink_to(db)
    (root / "tags" / "linked.json").symlink_to(root / "videos.json")
    port = free_port()
    config = nginx_config(
        "--output", str(root), "--db", str(db), "--listen", f"127.0.0.1:{port}",
        "--path-prefix", prefix,
    )  # fmt: skip
    on_disk = {str(path.relative_to(root)) for path in root.rglob("*") if not path.is_dir()}
    assert published < on_disk
    with (
        running_nginx(tmp_path / "nginx", config),
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        for path in sorted(on_disk):
            response = http.get(f"{prefix}{path}")
            if path in published:
                assert response.status_code == 200, path
                assert response.content == (root / path).read_bytes(), path
            else:
                assert response.status_code in (403, 404), path
                assert response.content != (root / path).read_bytes(), path
        assert http.get(prefix).content == (root / "index.html").read_bytes()
        for sneaky in ("tags/../wistia.db", "tags/%2e%2e/wistia.db", "/wistia.db", "WISTIA.DB"):
            assert raw_status(port, f"{prefix}{sneaky}") in (400, 403, 404), sneaky


def test_every_path_a_publish_writes_is_one_nginx_serves(tmp_path: Path) -> None:
    """The layout's pattern is what nginx-config serves: it must name every published file."""
    root, db = tmp_path / "output", tmp_path / "wistia.db"
    ran = runner.invoke(app, ["run", "--demo", "--db", str(db), "--output", str(root)])
    assert ran.exit_code == 0, ran.output
    for path in published_paths(root):
        assert published_path().fullmatch(path), path


def test_two_sites_in_one_nginx_keep_their_own_headers(tmp_path: Path) -> None:
    """nginx's map variables are global: each generated config names its own."""
    require_nginx()
    roots = [tmp_path / "plain", tmp_path / "purged"]
    listings = [publish_sample(root) for root in roots]
    ports = [free_port(), free_port()]
    plain = ("--output", str(roots[0]), "--listen", f"127.0.0.1:{ports[0]}")
    purged = (
        "--output",
        str(roots[1]),
        "--listen",
        f"127.0.0.1:{ports[1]}",
        "--purge",
        "command:true",
    )
    configs = [
        nginx_config(*plain),
        nginx_config(*purged, "--cache-control-immutable", "public, max-age=600"),
    ]
    expected = [
        (ENTRY_CACHE_CONTROL_UNPURGED, IMMUTABLE_CACHE_CONTROL),
        (ENTRY_CACHE_CONTROL_PURGED, "public, max-age=600"),
    ]
    with running_nginx(tmp_path / "nginx", "\n".join(configs)):
        for port, listing, (entry, immutable) in zip(ports, listings, expected, strict=True):
            page = next(path for path in listing["files"] if path.startswith("pages/"))
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
                assert http.get("/videos.json").headers["cache-control"] == entry
                assert http.get(f"/{page}").headers["cache-control"] == immutable
                assert http.get("/tags/tour.json").headers["cache-tag"] == "wistia-sync,tag-tour"


def _cache_control_map(config: str) -> list[tuple[re.Pattern[str], str]]:
    """The generated config's Cache-Control map, as (regex, value) in nginx's order."""
    block = config.split("_cache_control {", 1)[1].split("\n}", 1)[0]
    return [
        (re.compile(regex), value)
        for regex, value in re.findall(r'^\s*"~([^"]+)"\s+"([^"]*)";', block, re.MULTILINE)
    ]


def test_the_config_gives_every_published_file_its_cache_class(tmp_path: Path) -> None:
    """Without an nginx: the first of the config's patterns a published path matches gives
    the Cache-Control of its class (every content-addressed file is immutable)."""
    root, db = tmp_path / "output", tmp_path / "wistia.db"
    ran = runner.invoke(app, ["run", "--demo", "--db", str(db), "--output", str(root)])
    assert ran.exit_code == 0, ran.output
    rules = _cache_control_map(nginx_config("--output", str(root)))
    paths = published_paths(root)
    assert any(cache_class(path) == "immutable" for path in paths)
    for path in paths:
        value = next(value for regex, value in rules if regex.match(f"200:/{path}"))
        assert (value == IMMUTABLE_CACHE_CONTROL) == (cache_class(path) == "immutable"), path
