"""`command:` purge providers for tests: one that records what it is sent, one that purges the
nginx proxy_cache CDN stand-in by deleting its cache entries."""

from __future__ import annotations

import sys
from pathlib import Path

# Deletes nginx proxy_cache entries (levels=1:2, key $uri) for the URLs on standard input.
NGINX_CACHE_PURGER = """
import hashlib, pathlib, sys, urllib.parse
cache = pathlib.Path(sys.argv[1])
for line in sys.stdin:
    path = urllib.parse.urlsplit(line.strip()).path
    if path.endswith("*"):
        for entry in cache.rglob("*"):
            if entry.is_file():
                entry.unlink()
        continue
    key = hashlib.md5(path.encode()).hexdigest()
    (cache / key[-1] / key[-3:-1] / key).unlink(missing_ok=True)
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
