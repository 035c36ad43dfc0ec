"""A term shard's text: rendered from postings, parsed back, and changed in place.

``{"terms":[[term,[first number,deltas…],masks],…]}``, terms in order, each term's numbers
ascending. An entry depends on its own term's postings only, so an edit that changes a few
postings rewrites only their terms' entries (``splice_term_shard``): the rest of the text is
kept as it is, byte for byte what ``render_term_shard`` gives for the same postings, without
parsing or rendering the shard's other postings in Python.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from itertools import accumulate, groupby, pairwise, repeat
from operator import itemgetter

from wistia_sync.publish.build import dumps

MASK_DIGITS = "0123456789abcdefghijklmnopqrstuv"
_MASK_OF_DIGIT = {digit: mask for mask, digit in enumerate(MASK_DIGITS)}
_HEAD = '{"terms":['
_TAIL = "]}"
# An entry starts with ``["``: a term is the only string opened right after a ``[`` (masks
# follow a comma, deltas are numbers), and no term holds a quote (tokens are letters and
# digits, filters safe slugs and ids: ``_plain`` checks), so ``["`` marks an entry's start and
# ``"]`` its end.
_ENTRY = '["'
# Up to this many changes to one term's postings are spliced into its deltas' text one by one;
# more (a bulk edit) into a list of its deltas.
_FEW_CHANGES = 8

Posting = tuple[str, int, int]  # term, number, mask
# A term's change: the numbers whose posting goes, and number -> mask of those that come.
TermChange = tuple[set[int], dict[int, int]]


def render_term_shard(postings: list[Posting]) -> str:
    """``{"terms": [[term, [first number, deltas…], masks], …]}``: masks one base-32 digit a
    posting, or one digit for all when they agree (small, and gzip-friendly)."""
    terms: list[list[object]] = []
    for term, group in groupby(postings, key=itemgetter(0)):
        entries = list(group)
        numbers = [number for _, number, _ in entries]
        deltas = [numbers[0], *(b - a for a, b in pairwise(numbers))]
        digits = "".join([MASK_DIGITS[mask] for _, _, mask in entries])
        terms.append(
            [term, deltas, digits[0] if digits.count(digits[0]) == len(digits) else digits]
        )
    return dumps({"terms": terms})


def parse_term_shard(text: str) -> list[Posting]:
    """The postings of a term shard's text, in key order."""
    postings: list[Posting] = []
    extend = postings.extend
    for term, deltas, digits in json.loads(text)["terms"]:
        masks = (
            repeat(_MASK_OF_DIGIT[digits])
            if len(digits) == 1
            else map(_MASK_OF_DIGIT.__getitem__, digits)
        )
        extend(zip(repeat(term), accumulate(deltas), masks))
    return postings


def splice_term_shard(text: str, changes: dict[str, TermChange]) -> tuple[str, int] | None:
    """The shard's text with these terms' postings changed, and how many postings it gained
    (negative: lost); None when the change does not apply to this text (a posting to remove
    is absent, one to add is there already, a term is not plain text): the caller then parses
    and renders the shard whole."""
    if not (text.startswith(_HEAD) and text.endswith(_TAIL)):
        return None
    end = len(text) - len(_TAIL)
    parts: list[str] = []
    cursor = len(_HEAD)  # the text before it is in ``parts``
    gained = 0
    for term in sorted(changes):
        if not _plain(term):
            return None
        start = text.find(f'["{term}",[', cursor, end)
        if start == -1:
            start = stop = _insertion_point(text, term, cursor, end)
            entry = None
        else:
            stop = text.index('"]', start) + 2
            entry = text[start:stop]
        changed = _changed_entry(term, entry, *changes[term])
        if changed is None:
            return None
        new_entry, difference = changed
        gained += difference
        _keep(parts, text[cursor:start])
        if new_entry:
            parts.append(new_entry)
        cursor = stop
    _keep(parts, text[cursor:end])
    return _HEAD + ",".join(parts) + _TAIL, gained


def _plain(term: str) -> bool:
    """The term is written as it is between quotes, and holds nothing that marks an entry."""
    return bool(term) and dumps(term) == f'"{term}"' and "[" not in term and "]" not in term


def _keep(parts: list[str], run: str) -> None:
    """A run of untouched entries, without the commas that joined it to its neighbours."""
    run = run.strip(",")
    if run:
        parts.append(run)


def _term_at(text: str, start: int) -> str:
    return text[start + 2 : text.index('"', start + 2)]


def _insertion_point(text: str, term: str, low: int, end: int) -> int:
    """Where an entry for ``term`` (absent) goes: the start of the first entry at or after
    ``low`` whose term sorts after it, or ``end``. A binary search over character offsets:
    the first entry starting at or after an offset sorts no earlier as the offset grows."""

    def next_entry(offset: int) -> int:
        found = text.find(_ENTRY, offset, end)
        return end if found == -1 else found

    high = end
    while low < high:
        middle = (low + high) // 2
        start = next_entry(middle)
        if start == end or _term_at(text, start) > term:
            high = middle
        else:
            low = middle + 1
    return next_entry(low)


class _Deltas:
    """A term's deltas as text, changed where a posting comes or goes: a few changes are
    spliced into the text (no delta is converted back), many into a list of the parts."""

    def __init__(self, text: str, changes: int) -> None:
        self.parts = text.split(",") if text and changes > _FEW_CHANGES else None
        self.text = text + "," if text else ""  # every delta followed by a comma

    def replace(self, first: int, last: int, new: str) -> None:
        """Deltas ``first`` to ``last`` (excluded) become ``new`` (comma-separated, or none)."""
        if self.parts is not None:
            self.parts[first:last] = new.split(",") if new else []
            return
        start = _delta_start(self.text, first)
        end = start
        for _ in range(last - first):
            end = self.text.index(",", end) + 1
        self.text = self.text[:start] + (new + "," if new else "") + self.text[end:]

    def __str__(self) -> str:
        return ",".join(self.parts) if self.parts is not None else self.text[:-1]


def _delta_start(text: str, index: int) -> int:
    """Where delta ``index`` starts in comma-ended deltas: just past the index-th comma, found
    by halving with ``str.count`` (a few passes in C, no delta converted)."""
    if index == 0:
        return 0
    low, high = index, len(text)
    while low < high:
        middle = (low + high) // 2
        if text.count(",", 0, middle) >= index:
            high = middle
        else:
            low = middle + 1
    if text.count(",", 0, low) != index:
        raise ValueError(f"no delta {index} in a term's {text.count(',')}")
    return low


def _changed_entry(
    term: str, entry: str | None, removed: set[int], added: dict[int, int]
) -> tuple[str, int] | None:
    """The term's entry with these postings removed and added ("" when none is left), and the
    change in its postings; None when a removed one is absent or an added one present.

    A term in most videos has thousands of postings in one shard: its deltas are read as
    numbers once (to find where a posting goes) and each change edits the deltas beside it."""
    numbers: list[int] = []
    deltas = _Deltas("", 0)
    digits = ""
    if entry is not None:
        head = len(term) + 5  # ["term",[
        close = entry.index("]", head)
        try:
            numbers = list(accumulate(json.loads(f"[{entry[head:close]}]")))
        except ValueError:
            return None
        deltas = _Deltas(entry[head:close], len(removed) + len(added))
        digits = entry[close + 3 : -2]  # between '],"' and '"]'
        if len(digits) != len(numbers) and len(digits) != 1:
            return None
    before = len(numbers)
    uniform = len(digits) == 1  # one digit for every posting
    for number in removed:
        place = bisect_left(numbers, number)
        if place == len(numbers) or numbers[place] != number:
            return None
        previous = numbers[place - 1] if place else 0
        if place + 1 < len(numbers):  # the next posting's delta now spans both
            deltas.replace(place, place + 2, str(numbers[place + 1] - previous))
        else:
            deltas.replace(place, place + 1, "")
        del numbers[place]
        if not uniform:
            digits = digits[:place] + digits[place + 1 :]
    for number, mask in added.items():
        place = bisect_left(numbers, number)
        if (place < len(numbers) and numbers[place] == number) or not 0 <= mask < 32:
            return None
        previous = numbers[place - 1] if place else 0
        if place < len(numbers):
            deltas.replace(place, place + 1, f"{number - previous},{numbers[place] - number}")
        else:
            deltas.replace(place, place, str(number - previous))
        numbers.insert(place, number)
        digit = MASK_DIGITS[mask]
        if uniform and digit != digits:
            if len(numbers) == 1:
                digits = digit  # the only posting
                continue
            digits *= len(numbers) - 1
            uniform = False
        if not uniform:
            digits = digits[:place] + digit + digits[place:]
    if not numbers:
        return "", -before
    if not uniform and digits.count(digits[0]) == len(digits):
        digits = digits[0]
    return f'["{term}",[{deltas}],"{digits}"]', len(numbers) - before
