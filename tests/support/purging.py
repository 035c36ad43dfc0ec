"""`command:` purge providers for tests: one that records what it is sent, one that purges the
nginx proxy_cache CDN stand-in by deleting its cache entries."""

from __future__ import annotations

import sys
from pathlib import Path

# Deletes the nginx proxy_cache entries (key $uri) of the URLs on standard input, as a CDN purge
# does: every variant of each. The origin answers `Vary: Accept-Encoding`, so nginx keeps one
# cache file per Accept-Encoding a client sent (a browser's and httpx's differ), each under its
# own file name; deleting only md5($uri) missed the others. Each file's header holds its key
# ("\nKEY: /path\n"): match that. A URL ending in "*" purges every key it prefixes.
NGINX_CACHE_PURGER = """
import pathlib, sys, urllib.parse
cache = pathlib.Path(sys.argv[1])
markers = []
for line in sys.stdin:
    path = urllib.parse.urlsplit(line.strip()).path
    if path.endswith("*"):
        markers.append(b"\\nKEY: " + path[:-1].encode())
    elif path:
        markers.append(b"\\nKEY: " + path.encode() + b"\\n")
for entry in cache.rglob("*"):
    if not entry.is_file():
        continue
    try:
        with open(entry, "rb") as file:
            head = file.read(8192)
    except FileNotFoundError:
        continue
    if any(marker in head for marker in markers):
        entry.unlink(missing_ok=True)
"""


def nginx_cache_purge(cache: Path) -> str:
    return f"command:{sys.executable} -c '{NGINX_CACHE_PURGER}' {cache}"


def purge_recorder(tmp_path: Path, exit_code: int = 0) -> tuple[str, Path]:
    """A command: spec appending its standard input to a file, exiting with ``exit_code``;
    :func:`set_recorder_exit` changes the code later."""
    out = tmp_path / "purged.txt"
    script = tmp_path / "purge.py"
    script.write_text(
        f"import sys\nopen({str(out)!r}, 'a').write(sys.stdin.read())\nsys.exit({exit_code})\n"
    )
    return f"command:{sys.executable} {script}", out


def set_recorder_exit(tmp_path: Path, exit_code: int) -> None:
    script = tmp_path / "purge.py"
    lines = script.read_text().splitlines()
    script.write_text("\n".join([*lines[:-1], f"sys.exit({exit_code})"]) + "\n")


def purged(out: Path) -> list[str]:
    return out.read_text().splitlines() if out.exists() else []
