"""Every rendered video carries its own slug: the slugs are read in step with the videos (in
hashed_id order, never all held), past the slugs of videos that are not published, and a video
without a slug gets none."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.factories import add_video
from wistia_sync.catalog.slugs import assign_slugs
from wistia_sync.publish import snapshot
from wistia_sync.store.db import open_database


def test_each_rendered_video_has_the_slug_recorded_for_it(tmp_path: Path) -> None:
    db = open_database(tmp_path / "wistia.db", create=True)
    ids = [f"v{number:02d}" for number in range(20)]
    for number, hashed_id in enumerate(ids):
        add_video(db, hashed_id, name=f"Clip {19 - number}")  # slugs in another order
    assign_slugs(db, None)
    db.execute("UPDATE videos SET visibility = 'hidden' WHERE hashed_id IN ('v00', 'v07', 'v19')")
    db.execute("DELETE FROM video_slugs WHERE hashed_id IN ('v03', 'v04', 'v12')")
    recorded = dict(db.execute("SELECT hashed_id, slug FROM video_slugs").fetchall())

    for hashed_ids in (None, ids[::2], ["v03", "v05"]):
        rendered = snapshot.published_videos(db, hashed_ids)
        expected = set(ids if hashed_ids is None else hashed_ids) - {"v00", "v07", "v19"}
        assert set(rendered) == expected
        for hashed_id, video in rendered.items():
            assert json.loads(video.json).get("slug") == recorded.get(hashed_id), hashed_id
