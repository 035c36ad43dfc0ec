import pytest

pytest_plugins = ["tests.fakewistia.plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="Run the longer variants of the reliability scenarios (more kills, longer runs).",
    )
