"""Issue 20: the preview page's player view, in headless Chromium: a video's captions switch on
through <track> elements (Chromium's own WebVTT parser reads the published file), and its
chapters are listed and seek when clicked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.deliver import test_preview_browser as preview
from tests.deliver.test_preview_browser import GatedFolder, published_folder, wait_ready
from tests.support.factories import add_video
from wistia_sync.contract.vtt import cues_digest
from wistia_sync.store.db import open_database

browser = preview.browser  # the headless Chromium fixture

CUES = {
    "eng": [[0, 1500, "Hello <there> & welcome"], [2000, 3500, "Second line"]],
    "fra": [[0, 1500, "Bonjour"]],
}
CHAPTERS = [["Intro", 0.0], ["The <b>middle</b>", 42.5]]


def captioned(db_path: Path) -> None:
    db = open_database(db_path, create=True)
    add_video(db, "cap001", name="Captioned")
    add_video(db, "plain1", name="Plain")
    for lang, cues in CUES.items():
        text = json.dumps(cues, separators=(",", ":"))
        label = {"eng": "English", "fra": "Français"}[lang]
        db.execute(
            "INSERT INTO video_captions (hashed_id, lang, label, cues, digest, transcript) "
            "VALUES (?, ?, ?, ?, ?, '')",
            ["cap001", lang, label, text, cues_digest(text)],
        )
    db.execute(
        "INSERT INTO caption_sync (hashed_id, chapters) VALUES (?, ?)",
        ["cap001", json.dumps(CHAPTERS)],
    )
    db.conn.commit()
    db.conn.close()


def test_captions_switch_on_and_chapters_seek_in_the_player(tmp_path: Path, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select, WebDriverWait

    out = published_folder(tmp_path, captioned)
    with GatedFolder(out, "none") as site:
        browser.get(site.url + "index.html")
        wait_ready(browser)
        assert not browser.find_elements("css selector", '[data-hashed-id="plain1"] .watch')
        browser.find_element("css selector", '[data-hashed-id="cap001"] .watch').click()
        player = browser.find_element("id", "player")
        assert player.is_displayed()
        tracks = browser.execute_script(
            "return [...document.querySelectorAll('#player track')]"
            ".map(t => [t.kind, t.srclang, t.label])"
        )
        assert tracks == [["captions", "eng", "English"], ["captions", "fra", "Français"]]

        Select(browser.find_element("id", "captions")).select_by_value("eng")
        cues_of = (
            "const t = [...document.querySelector('#player video').textTracks]"
            ".find(t => t.language === arguments[0]);"
            "return t && t.mode === 'showing' && t.cues ? [...t.cues].map(c => [c.startTime, "
            "c.endTime, c.text]) : null"
        )
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(cues_of, "eng"))
        assert browser.execute_script(cues_of, "eng") == [
            [0, 1.5, "Hello &lt;there&gt; &amp; welcome"],
            [2, 3.5, "Second line"],
        ]
        modes = "return [...document.querySelector('#player video').textTracks].map(t => t.mode)"
        assert browser.execute_script(modes) == ["showing", "disabled"]
        Select(browser.find_element("id", "captions")).select_by_value("fra")
        assert browser.execute_script(modes) == ["disabled", "showing"]

        buttons = browser.find_elements("css selector", "#player .chapters button")
        assert [b.text for b in buttons] == ["0:00 Intro", "0:42 The <b>middle</b>"]
        buttons[1].click()
        position = "return document.querySelector('#player video').currentTime"
        WebDriverWait(browser, 5).until(lambda d: d.execute_script(position) == 42.5)
        assert browser.title != "pwned"
