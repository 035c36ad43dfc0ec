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


def test_error_and_notice_lines_read_as_rich_would_print_them_to_a_pipe(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from wistia_sync.cli.console import fail_line, notice

    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    message = "tag [/b] [bold]x[/bold] \x1b]0;t\x07 \u202e ok"
    fail_line(message)
    notice(message)
    plain = capsys.readouterr().err

    rich_file = io.StringIO()
    rich = Console(file=rich_file, highlight=False, soft_wrap=True, emoji=False)
    from rich.markup import escape

    from wistia_sync.cli.console import terminal_safe

    rich.print(f"[bold red]error:[/] {escape(terminal_safe(message))}", markup=True)
    rich.print(terminal_safe(message), markup=False)
    assert plain == rich_file.getvalue()
    assert "\x1b" not in plain and "\\x1b]0;t\\x07" in plain and "[/b]" in plain
