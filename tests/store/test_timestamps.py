"""Timestamps are written exactly as ``strftime`` wrote them, whatever the year and offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from wistia_sync.store.timestamps import format_timestamp, parse_timestamp

offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=offsets
)


@given(moments)
def test_format_timestamp_is_strftime_of_the_utc_moment(moment: datetime) -> None:
    expected = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert format_timestamp(moment) == expected


def test_years_before_1000_keep_strftime_s_spelling() -> None:
    early = datetime(999, 5, 6, 7, 8, 9, 123_456, tzinfo=UTC)
    assert format_timestamp(early) == early.strftime("%Y-%m-%dT%H:%M:%SZ")
    late = datetime(2026, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC)
    assert format_timestamp(late) == "2026-01-02T03:04:05Z"
    assert parse_timestamp(format_timestamp(late)) == late.replace(microsecond=0)
