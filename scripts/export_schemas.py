"""Regenerate docs/schema/*.json from the pydantic models in wistia_sync/contract.py.

Run it after changing a model: ``python scripts/export_schemas.py``. With ``--check`` it changes
nothing and exits 1 if the committed files differ from the models (tests/test_publish.py does the
same check, so a forgotten regeneration fails the suite).
"""

from __future__ import annotations

import sys
from pathlib import Path

from wistia_sync.contract import render_schema_files

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schema"


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    wanted = render_schema_files()
    stale = sorted(
        path.name for path in SCHEMA_DIR.glob("*.schema.json") if path.name not in wanted
    )
    differing = sorted(
        name
        for name, content in wanted.items()
        if not (SCHEMA_DIR / name).is_file() or (SCHEMA_DIR / name).read_bytes() != content
    )
    if check_only:
        for name in [*differing, *stale]:
            print(f"docs/schema/{name} is out of date", file=sys.stderr)
        return 1 if differing or stale else 0
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name in differing:
        (SCHEMA_DIR / name).write_bytes(wanted[name])
        print(f"wrote docs/schema/{name}")
    for name in stale:
        (SCHEMA_DIR / name).unlink()
        print(f"removed docs/schema/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
