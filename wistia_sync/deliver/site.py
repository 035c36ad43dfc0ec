"""The site's delivery: where every publish is delivered, stored with the site, checked here.

``wistia-sync site --target … --purge …`` stores the settings (``change_site_delivery``) as the
page size is stored, so cron, every editor and the webhook worker deliver the same way; secrets
stay in the environment or files and are never stored.

A process may still name a delivery itself (``run``/``publish``/``deliver``/``verify`` options,
``WISTIA_SYNC_TARGET`` and the other variables): ``resolve_delivery`` merges what it names with
what the site stores, setting by setting.

- The site stores none of it: the process's value is used, for that process only, with one
  notice telling the operator to store it with ``wistia-sync site`` (so editors deliver alike).
- The site stores the same value: nothing to say.
- The site stores another value: refused (a ``UsageError``, exit 2, nothing sent), rather than
  deliver two ways; change the site's setting, or drop the option or variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wistia_sync.config import (
    BASE_URL_ENV,
    ENTRY_CACHE_CONTROL_ENV,
    IMMUTABLE_CACHE_CONTROL_ENV,
    PURGE_BUDGET_ENV,
    PURGE_ENV,
    TARGET_ENV,
    format_duration,
)
from wistia_sync.deliver.delivery import DeliverySettings
from wistia_sync.deliver.purge.kinds import purge_key
from wistia_sync.deliver.purge.providers import check_base_url
from wistia_sync.deliver.targets import parse_target
from wistia_sync.errors import ConfigError, UsageError
from wistia_sync.publish.settings import (
    DELIVERY_KEYS,
    delivery_deadlines,
    stored_delivery,
)
from wistia_sync.store.db import write_transaction
from wistia_sync.store.state import set_state

if TYPE_CHECKING:
    from sqlite_utils import Database

# The settings a process may also name itself: its option, and its environment variable.
OPTIONS: dict[str, tuple[str, str | None]] = {
    "target": ("--target", TARGET_ENV),
    "purge": ("--purge", PURGE_ENV),
    "base_url": ("--base-url", BASE_URL_ENV),
    "purge_budget": ("--purge-budget", PURGE_BUDGET_ENV),
    # No variable: AWS_ENDPOINT_URL is boto3's own, used when the site stores no endpoint.
    "s3_endpoint_url": ("--s3-endpoint-url", None),
    "cache_control_immutable": ("--cache-control-immutable", IMMUTABLE_CACHE_CONTROL_ENV),
    "cache_control_entry": ("--cache-control-entry", ENTRY_CACHE_CONTROL_ENV),
}
MAX_DEADLINE_SECONDS = 3600
MAX_BUDGET = 10**9


@dataclass(frozen=True)
class ResolvedDelivery:
    """The delivery a process uses (None: none) and the notice to print (None: nothing)."""

    settings: DeliverySettings | None
    notice: str | None = None


def change_site_delivery(db: Database, changes: Mapping[str, str | int | float | None]) -> None:
    """Store the given delivery settings (``None``: unchanged; ``""``: cleared).

    Every value is checked, and so is the whole (a Cloudflare purge by URL needs a base URL),
    before anything is stored: bad input changes nothing.
    """
    stored = check_site_delivery(db, changes)
    with write_transaction(db):
        for name, value in changes.items():
            if value is None:
                continue
            if name in stored:
                set_state(db, DELIVERY_KEYS[name], stored[name])
            else:
                db.execute("DELETE FROM sync_state WHERE key = ?", [DELIVERY_KEYS[name]])
        if changes.get("target") is not None:
            # A delivery owed to a target the site no longer delivers to is owed no more.
            db.execute("DELETE FROM delivery_owed WHERE target IS NOT ?", [stored.get("target")])


def check_site_delivery(
    db: Database, changes: Mapping[str, str | int | float | None]
) -> dict[str, str]:
    """The delivery settings ``changes`` would leave stored, checked; nothing is written."""
    unknown = set(changes) - set(DELIVERY_KEYS)
    if unknown:
        raise UsageError(f"unknown delivery setting {sorted(unknown)[0]!r}")
    stored = stored_delivery(db)
    for name, value in changes.items():
        if value is None:
            continue
        if str(value).strip():
            stored[name] = _checked(name, value)
        else:
            stored.pop(name, None)
    _check_whole(stored)
    return stored


def _checked(name: str, value: str | int | float) -> str:
    """The text to store for ``name``; a ``UsageError`` naming the option if unusable."""
    text = str(value).strip()
    if name == "target":
        location = parse_target(text)
        return text if location is None else str(location)
    if name == "purge":
        purge_key(text)
        return text
    if name == "base_url":
        return str(check_base_url(text))
    if name == "purge_budget":
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_BUDGET:
            raise ConfigError(f"--purge-budget must be a whole number of items, not {text!r}")
        return str(int(text))
    if name == "s3_endpoint_url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(f"invalid --s3-endpoint-url {text[:200]!r}: use https://host")
        if any(char.isspace() or ord(char) < 0x21 for char in text):
            raise ConfigError("invalid --s3-endpoint-url: it contains spaces or control characters")
        return text
    if name in ("cache_control_immutable", "cache_control_entry"):
        from wistia_sync.contract.cache_policy import cache_policy

        cache_policy(purge_configured=False, **{name.rpartition("_")[2]: text})
        return text
    # A deadline, in seconds: whole, from 1 s to an hour.
    seconds = float(value)
    if not 1 <= seconds <= MAX_DEADLINE_SECONDS:
        option = "--" + name.replace("_", "-")
        raise ConfigError(f"{option} must be between 1s and 1h, not {format_duration(seconds)}")
    return str(round(seconds))


def _check_whole(stored: Mapping[str, str]) -> None:
    purge = stored.get("purge")
    by_url = bool(purge) and purge_key(str(purge)).startswith("cloudflare:")
    if by_url and not str(purge).endswith(":tags") and not stored.get("base_url"):
        raise ConfigError("--purge cloudflare: needs --base-url (it purges full URLs)")


def site_delivery(db: Database, *, interactive: bool = False) -> DeliverySettings:
    """The delivery the site stores (``configured`` is False when it names no target or purge).

    ``interactive``: a person or an event waits on the delivery (an editor command, the webhook
    worker), so the upload has the site's total deadline too; the purge always has one.
    """
    stored = stored_delivery(db)
    purge_deadline, upload_deadline = delivery_deadlines(db)
    budget = stored.get("purge_budget")
    return DeliverySettings(
        target=stored.get("target"),
        purge=stored.get("purge"),
        purge_budget=None if budget is None else int(budget),
        base_url=stored.get("base_url"),
        s3_endpoint_url=stored.get("s3_endpoint_url"),
        immutable_cache_control=stored.get("cache_control_immutable"),
        entry_cache_control=stored.get("cache_control_entry"),
        purge_deadline=float(purge_deadline),
        upload_deadline=float(upload_deadline) if interactive else None,
    )


# DeliverySettings' field of each setting a process may name.
_FIELDS = {
    "target": "target",
    "purge": "purge",
    "base_url": "base_url",
    "purge_budget": "purge_budget",
    "s3_endpoint_url": "s3_endpoint_url",
    "cache_control_immutable": "immutable_cache_control",
    "cache_control_entry": "entry_cache_control",
}


def resolve_delivery(
    db: Database, given: DeliverySettings | None = None, *, interactive: bool = False
) -> ResolvedDelivery:
    """The site's delivery, with what this process names merged in (the module's rules)."""
    settings = site_delivery(db, interactive=interactive)
    unstored: list[str] = []
    if given is not None:
        assert set(_FIELDS.values()) <= {f.name for f in fields(DeliverySettings)}
        for name, field_name in _FIELDS.items():
            mine = getattr(given, field_name)
            if mine is None or str(mine).strip() == "":
                continue
            theirs = getattr(settings, field_name)
            if theirs is None:
                settings = replace(settings, **{field_name: mine})
                unstored.append(name)
            elif _same(name, mine, theirs):
                continue
            else:
                option, variable = OPTIONS[name]
                named = option if variable is None else f"{option} (or {variable})"
                raise UsageError(
                    f"{named} differs from the site's delivery setting: "
                    f"refusing to deliver two ways; drop it, or change the site's with "
                    f"`wistia-sync site {option} …` (`wistia-sync site` shows it)"
                )
    if not settings.configured:
        return ResolvedDelivery(None)
    notice = None
    if unstored:
        options = [OPTIONS[name][0] for name in unstored]
        them = "it" if len(options) == 1 else "them"
        notice = (
            f"notice: {', '.join(options)} (given here or by its variable) is not stored with the "
            f"site, so editors and the webhook worker deliver without {them}; store {them} once "
            f"with `wistia-sync site {' '.join(f'{option} …' for option in options)}`"
        )
    return ResolvedDelivery(settings, notice)


def _same(name: str, mine: object, theirs: object) -> bool:
    if name == "target":
        try:
            return str(parse_target(str(mine))) == str(parse_target(str(theirs)))
        except ConfigError:
            return False
    return str(mine).strip() == str(theirs).strip()
