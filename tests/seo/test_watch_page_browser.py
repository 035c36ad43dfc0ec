"""A watch page in headless Chromium (issue 22): the player is shown above the fold, and
axe-core finds no serious or critical accessibility problem.

axe-core comes from npm (``.ci/run`` installs it under ``.ci/node``); when it is not there the
test installs it into pytest's cache, and skips, saying so, only if npm cannot reach its
registry.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from tests.seo.conftest import Publish
from tests.seo.support import turn_on
from tests.seo.test_structured_data import HOSTILE, add_chapters, add_transcript
from tests.support.browser import headless_chromium
from tests.support.factories import add_video

REPO = Path(__file__).resolve().parents[2]
AXE_INSTALLED = REPO / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    if AXE_INSTALLED.exists():
        return AXE_INSTALLED.read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("axe-core is not installed and there is no npm to install it")
    prefix = tmp_path_factory.mktemp("axe")
    try:
        subprocess.run(
            [npm, "install", "--silent", "--no-save", "--no-audit", "--no-fund",
             "--prefix", str(prefix), "axe-core@4"],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"npm could not install axe-core (is its registry reachable?): {error}")
    return (prefix / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def browser() -> Iterator[Any]:
    # Nothing leaves the machine: Wistia's player host fails at once, as offline.
    with headless_chromium("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1") as driver:
        yield driver


@pytest.fixture
def served(out: Path) -> Iterator[str]:
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_a_watch_page_shows_the_player_above_the_fold_and_passes_axe(
    db: Database, out: Path, publish: Publish, served: str, browser: Any, axe_source: str
) -> None:
    add_video(db, "v1", name=HOSTILE, description=f"<p>{HOSTILE}</p>", width=1920, height=1080)
    add_chapters(db, "v1", [["Start", 0], ["Later", 30]])
    add_transcript(db, "v1", "eng", "Every word of it.\nAnother line.")
    turn_on(db)
    publish()
    (page,) = sorted((out / "watch").glob("*.html"))

    browser.get(served + f"watch/{page.name}")
    player = browser.find_element("id", "player")
    assert player.is_displayed()
    assert player.get_attribute("src") == "https://fast.wistia.net/embed/iframe/v1"
    viewport = browser.execute_script("return window.innerHeight")
    assert player.rect["y"] < viewport and player.rect["height"] > 200  # above the fold
    assert browser.title == HOSTILE.strip()  # the name as text, never as markup
    assert browser.execute_script("return document.querySelectorAll('script').length") == 1

    browser.execute_script(axe_source)
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.help])))"
        ".catch(e => done([['axe-error', 'critical', String(e)]]));"
    )
    assert [v for v in violations if v[1] in SEVERE] == []
