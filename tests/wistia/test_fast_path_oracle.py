"""The fast parse and read of a page reject and repair exactly what the reference did.

``tests/support/reference_jsonbody.py`` and ``reference_records.py`` are the parser and reader
as they were before issue 19 (``json`` alone, and the reader before its fast paths). Every
hostile record of the untrusted-input suites, and a hypothesis stream of messy records and
JSON documents, goes through both: the parsed values, the stored fields, the notes and the
rejection reasons must be identical, and so must every parse error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.test_untrusted import HOSTILE_KINDS, hostile
from tests.support import reference_jsonbody, reference_records
from tests.wistia.test_untrusted_records import HOSTILE_RECORDS
from wistia_sync.demo import generate_catalog
from wistia_sync.wistia import jsonbody, records

BASE = generate_catalog(3, seed=5)[0]


def parsed(parse: Callable[[bytes], Any], content: bytes) -> tuple[str, str]:
    """What ``parse`` made of ``content``: its value's repr (exact: NaN, key order, types), or
    its error's type and text."""
    try:
        return "value", repr(parse(content))
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)


def fields_of(record: Any) -> Any:
    """A record's fields as a dict, nested records too, whether it is a dataclass (the
    reference's) or a msgspec struct (today's)."""
    if dataclasses.is_dataclass(record):
        names = [field.name for field in dataclasses.fields(record)]
    elif isinstance(record, msgspec.Struct):
        names = list(record.__struct_fields__)
    else:
        return record
    return {name: fields_of(getattr(record, name)) for name in names}


def outcome(results: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Each result's stored fields, rejection (reason, hashed id) and notes, class-free."""
    return [
        (
            None if r.media is None else fields_of(r.media),
            None if r.rejected is None else (r.rejected.reason, r.rejected.hashed_id),
            None if r.notes is None else dict(r.notes),
        )
        for r in results
    ]


def assert_same(content: bytes, *, archived_hint: bool | None = None) -> None:
    fast = parsed(jsonbody.parse_answer, content)
    assert fast == parsed(reference_jsonbody.parse_answer, content)
    if fast[0] != "value":
        return
    page = jsonbody.parse_answer(content)
    reference_page = reference_jsonbody.parse_answer(content)
    if not isinstance(page, list):
        page, reference_page = [page], [reference_page]
    fast_read = outcome(records.read_records(page, archived_hint=archived_hint))
    assert fast_read == outcome(
        reference_records.read_records(reference_page, archived_hint=archived_hint)
    )


def hostile_pages() -> dict[str, list[dict[str, Any]]]:
    pages: dict[str, list[dict[str, Any]]] = {}
    for kind, (change, _) in HOSTILE_RECORDS.items():
        pages[f"records: {kind}"] = [dict(media) for media in BASE[:1]] + [change(dict(BASE[1]))]
    for kind in HOSTILE_KINDS:
        record = dict(BASE[2])
        pages[f"reliability: {kind}"] = [hostile(record, {record["hashed_id"]: kind})]
    return pages


@pytest.mark.parametrize("archived_hint", [None, False, True])
@pytest.mark.parametrize(("kind", "page"), list(hostile_pages().items()))
def test_every_hostile_record_reads_as_it_did(
    kind: str, page: list[dict[str, Any]], archived_hint: bool | None
) -> None:
    assert_same(json.dumps(page).encode(), archived_hint=archived_hint)


DEEP = "[" * 5_000 + "]" * 5_000
EDGES = [
    b"[NaN, Infinity, -Infinity, 1e400, -1e400, 1e-400]",
    b'["\\ud800", "\\udfff\\ud800", "\\ud83d\\ude00", "\xed\xa0\x80"]',
    b'{"a": 1, "a": 2, "b": [1, 2], "a": 3}',
    b"[123456789012345678901234567890, -9223372036854775809, 18446744073709551616]",
    b"[-0, -0.0, 1E2, 1.5e-7, 0.30000000000000004, 5e-324, 1.7976931348623157e308]",
    b"\xef\xbb\xbf[1]",
    '[{"hashed_id": "abc", "name": "\u00e9"}]'.encode("utf-16"),
    '[{"hashed_id": "abc"}]'.encode("utf-32-le"),
    b"[1,]",
    b"",
    b"[1] [2]",
    b'["a\tb"]',
    b"nul\x00",
    ("[" * (jsonbody.FAST_DEPTH + 1) + "]" * (jsonbody.FAST_DEPTH + 1)).encode(),
    ("[" * jsonbody.FAST_DEPTH + "]" * jsonbody.FAST_DEPTH).encode(),
    ('[{"hashed_id": "deep1", "assets": ' + DEEP + "}, " + DEEP + "]").encode(),
    ('{"error": ' + DEEP + "}").encode(),
    # Around the recursion limit, where the two parsers' own limits would differ by a few.
    *(("[" * depth + "]" * depth).encode() for depth in range(985, 1001, 3)),
    *(('{"a":' * depth + "1" + "}" * depth).encode() for depth in range(985, 1001, 3)),
]


@pytest.mark.parametrize("content", EDGES)
def test_json_edge_cases_parse_as_they_did(content: bytes) -> None:
    assert_same(content)


# -- a stream of messy records --------------------------------------------------------------

ODD_TEXT = ["\ud800", "\udfff", "\u202e", "\u200b", "\x00", "\n", "e\u0301", "\uff34", " ", "é"]
text = st.lists(st.one_of(st.characters(), st.sampled_from(ODD_TEXT)), max_size=8).map("".join)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 65_535, 65_536, 2**63 - 1, 2**63, 10**30, 1.0, 1e308, -0.0]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=8,
)
timestamps = st.one_of(
    st.sampled_from(
        [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05+00:00",
            "2026-01-02T03:04:05.123456-05:00",
            "2026-01-02 03:04:05",
            "2026-01-02",
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:00:00+01:00",
            "yesterday",
            "2026-13-40T00:00:00Z",
            "1767225600",
        ]
    ),
    text,
    numbers,
)
hashed_ids = st.one_of(st.from_regex(r"[a-z0-9]{10}", fullmatch=True), text, numbers, st.none())
assets = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(
                st.sampled_from(["OriginalFile", "HdMp4VideoFile", "StillImageFile", "X"]), text
            ),
            "width": st.one_of(numbers, st.none(), text),
            "height": st.one_of(numbers, st.none(), text),
        },
    )
    | json_values,
    max_size=4,
)
fields: dict[str, st.SearchStrategy[Any]] = {
    "hashed_id": hashed_ids,
    "hashedId": hashed_ids,
    "id": st.one_of(numbers, text, st.none()),
    "name": st.one_of(text, json_values),
    "description": st.one_of(text, st.text(max_size=30), json_values),
    "type": st.one_of(st.sampled_from(["Video", "Audio"]), json_values),
    "status": st.one_of(st.sampled_from(["ready", "queued", "", "  "]), json_values),
    "archived": json_values,
    "created": timestamps,
    "updated": timestamps,
    "duration": st.one_of(numbers, json_values),
    "thumbnail": st.one_of(
        st.fixed_dictionaries(
            {
                "url": st.one_of(
                    st.sampled_from(
                        [
                            "https://x.test/a.jpg",
                            "HTTP://x.test/a b",
                            "javascript:alert(1)",
                            "https://x.test/\ud800",
                            "https://" + "a" * 2_100,
                        ]
                    ),
                    json_values,
                )
            }
        ),
        json_values,
    ),
    "protected": json_values,
    "folder": st.one_of(
        st.fixed_dictionaries(
            {"hashed_id": hashed_ids},
            optional={"id": st.one_of(numbers, st.none()), "name": st.one_of(text, json_values)},
        ),
        json_values,
    ),
    "project": json_values,
    "tags": st.one_of(
        st.lists(st.one_of(st.fixed_dictionaries({"name": text}), json_values), max_size=4),
        json_values,
    ),
    "assets": st.one_of(assets, json_values),
}
messy_records = st.one_of(
    st.fixed_dictionaries(
        {"hashed_id": st.from_regex(r"[a-z0-9]{10}", fullmatch=True)},
        optional={**{k: v for k, v in fields.items() if k != "hashed_id"}, "unknown": json_values},
    ),
    st.fixed_dictionaries({}, optional=fields),
    json_values,
)


def encode(page: list[Any], how: str) -> bytes:
    if how == "ascii":
        return json.dumps(page, ensure_ascii=True).encode()
    text = json.dumps(page, ensure_ascii=False)
    if how == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    return text.encode("utf-16", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=st.lists(messy_records, max_size=6),
    how=st.sampled_from(["ascii", "utf-8", "utf-16"]),
    archived_hint=st.sampled_from([None, False, True]),
)
def test_messy_records_read_as_they_did(
    page: list[Any], how: str, archived_hint: bool | None
) -> None:
    assert_same(encode(page, how), archived_hint=archived_hint)


@settings(max_examples=300, deadline=None)
@given(value=json_values, depth=st.integers(min_value=0, max_value=12), noise=st.binary(max_size=3))
def test_json_documents_and_broken_ones_parse_as_they_did(
    value: Any, depth: int, noise: bytes
) -> None:
    document = ("[" * depth + json.dumps(value) + "]" * depth).encode("utf-8", "surrogatepass")
    assert_same(document)
    assert_same(document + noise)
    assert_same(noise + document)
