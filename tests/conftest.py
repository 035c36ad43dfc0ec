from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.support.fakewistia.plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="Run the longer variants of the reliability scenarios (more kills, longer runs).",
    )


@pytest.fixture(autouse=True)
def fresh_consoles() -> Iterator[None]:
    """Each test gets the CLI's consoles built anew: rich reads FORCE_COLOR, TTY_COMPATIBLE and
    the terminal's width once, when a console is built, and a test may change them."""
    from wistia_sync.cli.console import stderr_console, stdout_console

    yield
    stdout_console.cache_clear()
    stderr_console.cache_clear()


@pytest.fixture(autouse=True)
def secrets_of_this_test_only() -> Iterator[None]:
    """The secrets a test registers (a token, a webhook secret such as "x") are forgotten after
    it: the registry is process-wide, and a short one would redact later tests' messages."""
    from wistia_sync import redaction

    before = set(redaction._secrets)
    yield
    with redaction._lock:
        redaction._secrets.intersection_update(before)
