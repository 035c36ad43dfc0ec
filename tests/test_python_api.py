"""The library's documented API: every name is importable from ``wistia_sync``, documented in
docs/python-api.md, and the example there runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import wistia_sync

DOC = Path(__file__).resolve().parent.parent / "docs" / "python-api.md"


@pytest.mark.parametrize("name", [n for n in wistia_sync.__all__ if n != "__version__"])
def test_every_api_name_is_importable_and_documented(name: str) -> None:
    assert getattr(wistia_sync, name) is not None
    assert re.search(rf"`{re.escape(name)}\b", DOC.read_text(encoding="utf-8")), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        wistia_sync.no_such_thing  # noqa: B018


def test_importing_the_package_loads_none_of_its_dependencies() -> None:
    code = (
        "import sys, wistia_sync; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'rich', 'sqlite_utils', 'typer', 'jinja2', 'boto3')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_documented_example_runs(tmp_path: Path) -> None:
    (example,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISTIA")}
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("full sync: 48 new"), done.stdout
    assert (tmp_path / "output" / "tags" / "getting-started.json").is_file()
