"""The stages import one way only: down the floors of docs/architecture.md, with no circles."""

import runpy
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_layers.py"


def test_no_import_runs_back_up_and_no_module_imports_itself_in_a_circle() -> None:
    problems = runpy.run_path(str(SCRIPT))["problems"]
    assert problems() == []


def test_the_checker_sees_an_import_that_runs_back_up(tmp_path: Path) -> None:
    package = tmp_path / "wistia_sync"
    (package / "store").mkdir(parents=True)
    (package / "cli").mkdir()
    for folder in (package, package / "store", package / "cli"):
        (folder / "__init__.py").write_text("")
    (package / "cli" / "run.py").write_text("from wistia_sync.store.db import open_database\n")
    (package / "store" / "db.py").write_text(
        "def open_database():\n    from wistia_sync.cli.run import x\n"
    )
    problems = runpy.run_path(str(SCRIPT))["problems"](tmp_path)
    assert problems == [
        "wistia_sync.store.db:2 imports wistia_sync.cli.run: store (floor 4) may only import "
        "lower floors, and cli is on floor 10",
        "circle: wistia_sync.cli.run ↔ wistia_sync.store.db",
    ]
