"""Timestamps as every table stores them: ISO 8601 text in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """The current time as the ISO 8601 UTC text every table stores."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    if utc.year >= 1000:  # four digits either way: isoformat is several times faster
        return utc.isoformat(timespec="seconds")[:19] + "Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
