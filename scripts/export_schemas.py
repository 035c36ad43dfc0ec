"""Regenerate the JSON Schemas from the pydantic models in wistia_sync/contract/schemas.py.

They are written twice, byte for byte the same: docs/schema/ (for people reading the repo) and
wistia_sync/contract/schema/ (shipped in the package and copied into every output's schema/ by a
publish, which so never imports pydantic). Run it after changing a model:
``python scripts/export_schemas.py``. With ``--check`` it changes nothing and exits 1 if a
committed file differs from the models (tests/publish/test_publish.py does the same check, so a
forgotten regeneration fails the suite).
"""

from __future__ import annotations

import sys
from pathlib import Path

from wistia_sync.contract.schemas import render_schema_files

REPO = Path(__file__).resolve().parent.parent
SCHEMA_DIRS = (REPO / "docs" / "schema", REPO / "wistia_sync" / "contract" / "schema")


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    wanted = render_schema_files()
    out_of_date = False
    for folder in SCHEMA_DIRS:
        where = folder.relative_to(REPO).as_posix()
        stale = sorted(p.name for p in folder.glob("*.schema.json") if p.name not in wanted)
        differing = sorted(
            name
            for name, content in wanted.items()
            if not (folder / name).is_file() or (folder / name).read_bytes() != content
        )
        out_of_date = out_of_date or bool(stale or differing)
        if check_only:
            for name in [*differing, *stale]:
                print(f"{where}/{name} is out of date", file=sys.stderr)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for name in differing:
            (folder / name).write_bytes(wanted[name])
            print(f"wrote {where}/{name}")
        for name in stale:
            (folder / name).unlink()
            print(f"removed {where}/{name}")
    return 1 if check_only and out_of_date else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
