"""``wistia-sync publish`` with nothing to publish, answered before Typer is imported.

Cron and scripts run ``publish`` far more often than it has anything to do, and Typer's import
alone costs several times the answer (``wistia_sync.publish.idle``). So ``entry`` hands the
plainest command lines here first: ``publish`` with at most ``--db PATH``, ``--output PATH``,
``--quiet``/``-q`` and ``--json``, the database and folder taken from the environment as the
options' own variables give them, no delivery named by the site or the environment, no
``--debug``. If the output is up to date, this prints what the command would print and the
process ends; in every other case (another option, anything to publish, any error) it returns
False having printed nothing, and the full command runs and speaks for itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from wistia_sync import config

_FLAGS = {"--quiet": "quiet", "-q": "quiet", "--json": "json"}
_VALUES = {"--db": "db", "--output": "output"}


def answer_noop_publish(arguments: list[str]) -> bool:
    """True when ``arguments`` (after the program name) are a plain ``publish`` with nothing
    to publish, now answered; False: run the full command."""
    given = _parse(arguments)
    if given is None or os.environ.get(config.DEBUG_ENV) == "1":
        return False
    if any(os.environ.get(name) for name in config.DELIVERY_ENV):
        return False  # the command's delivery options read them
    db = Path(given.get("db") or os.environ.get(config.DB_ENV) or config.DEFAULT_DB)
    output = Path(given.get("output") or os.environ.get(config.OUTPUT_ENV) or config.DEFAULT_OUTPUT)
    try:
        generation = _up_to_date(db, output)
    except Exception:  # the full command meets it again, and reports it properly
        return False
    if generation is None:
        return False
    from wistia_sync.publish.idle import NOOP_SUMMARY, noop_result

    if "json" in given:
        result = {**noop_result(generation), "delivery": None}
        print(json.dumps(result, ensure_ascii=False, indent=2), flush=True)
    elif "quiet" not in given:
        print(NOOP_SUMMARY, flush=True)
    return True


def _parse(arguments: list[str]) -> dict[str, str] | None:
    """The options of a plain ``publish`` command line (None: not one)."""
    if not arguments or arguments[0] != "publish":
        return None
    given: dict[str, str] = {}
    words = iter(arguments[1:])
    for word in words:
        name, equals, value = word.partition("=")
        if word in _FLAGS and _FLAGS[word] not in given:
            given[_FLAGS[word]] = ""
        elif name in _VALUES and _VALUES[name] not in given:
            value = value if equals else next(words, "")
            if not value or value.startswith("-") or not value.isprintable():
                return None  # a missing or odd value: the full command's parser decides
            given[_VALUES[name]] = value
        else:
            return None
    return given


def _up_to_date(db: Path, output: Path) -> str | None:
    """The output's generation when a publish would change nothing (None: it might)."""
    from wistia_sync.publish.idle import up_to_date
    from wistia_sync.publish.settings import site_delivers
    from wistia_sync.store.db import database_file, open_database
    from wistia_sync.store.lock import publish_lock_path

    config.check_database_outside_output(db, output)
    database = open_database(db)
    try:
        file = Path(database_file(database))  # where ``publish_and_deliver`` puts the lock
        if site_delivers(database) or not file.is_absolute():
            return None
        return up_to_date(database, output, lock_path=publish_lock_path(file))
    finally:
        database.close()
