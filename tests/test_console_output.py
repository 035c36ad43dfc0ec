"""Where the CLI decides between plain lines and rich output without importing rich."""

from __future__ import annotations

import pytest
from rich.console import Console

from wistia_sync.cli.console import stdout_is_terminal

ENVIRONMENTS = [
    {},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"TTY_COMPATIBLE": "1"},
    {"TTY_COMPATIBLE": "0"},
    {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
    {"TTY_COMPATIBLE": "yes", "FORCE_COLOR": "1"},
]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=repr)
def test_stdout_is_terminal_answers_what_rich_answers(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert stdout_is_terminal() == Console(highlight=False, soft_wrap=True).is_terminal
