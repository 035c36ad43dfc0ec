"""A reference reader of the published search index: what a client may rely on, in Python.

It follows the entry's links the way the JavaScript client does (each relative to the file it is
in) and evaluates a query by the rules the README states, so the tests can check the index
against the database and the client against this evaluator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from wistia_sync.contract.search import folder_filter, tag_filter, tokens


class PublishedIndex:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.entry = self.read("search/index.json")
        self.postings: dict[str, dict[int, int]] = {}
        self.shard_sizes: list[int] = []
        for term, number, url in self.entry["shards"]:
            assert isinstance(term, str) and isinstance(number, int)
            count = 0
            for shard_term, deltas, masks in self.read(self.resolve("search/index.json", url))[
                "terms"
            ]:
                at = 0
                for position, delta in enumerate(deltas):
                    at += delta
                    digit = masks[position] if len(masks) > 1 else masks
                    found = self.postings.setdefault(shard_term, {})
                    assert at not in found, (shard_term, at)
                    found[at] = int(digit, 32)
                    count += 1
            self.shard_sizes.append(count)
        self.records: dict[int, dict[str, Any]] = {}
        for _, list_url in self.entry["record_lists"]:
            list_path = self.resolve("search/index.json", list_url)
            for _, block_url in self.read(list_path)["blocks"]:
                block_path = self.resolve(list_path, block_url)
                for record in self.read(block_path)["records"]:
                    record["url"] = self.resolve(block_path, record["url"])
                    self.records[record["id"]] = record

    def term_shards(self) -> list[tuple[str, int, str]]:
        """Every term shard's start and path, as the entry lists them, in key order."""
        return [
            (term, number, self.resolve("search/index.json", url))
            for term, number, url in self.entry["shards"]
        ]

    def read(self, path: str) -> Any:
        return json.loads((self.root / path).read_bytes())

    @staticmethod
    def resolve(base: str, url: str) -> str:
        return urljoin("https://site.test/" + base, url).removeprefix("https://site.test/")

    def search(
        self, query: str, *, tag: str | None = None, folder: str | None = None
    ) -> list[dict[str, Any]]:
        """Every word required, the last one a prefix; ranked by the best field each word is
        found in (an exact word counts double a completion), then newest first."""
        words = tokens(query)
        scores: dict[int, float] | None = None
        for position, word in enumerate(words):
            last = position == len(words) - 1
            matched: dict[int, float] = {}
            for term, postings in self.postings.items():
                if term == word or (last and term.startswith(word) and not term.startswith("#")):
                    for number, mask in postings.items():
                        score = (1 << (mask.bit_length() - 1) if mask else 0) * (
                            2 if term == word else 1
                        )
                        matched[number] = max(matched.get(number, 0), score)
            scores = (
                matched
                if scores is None
                else {n: s + matched[n] for n, s in scores.items() if n in matched}
            )
        for required in [tag_filter(tag)] if tag else []:
            scores = self._filtered(scores, required)
        for required in [folder_filter(folder)] if folder else []:
            scores = self._filtered(scores, required)
        ranked = sorted((scores or {}).items(), key=lambda item: (-item[1], -item[0]))
        return [self.records[number] for number, _ in ranked]

    def _filtered(self, scores: dict[int, float] | None, term: str) -> dict[int, float]:
        allowed = self.postings.get(term, {})
        if scores is None:
            return dict.fromkeys(allowed, 0.0)
        return {n: s for n, s in scores.items() if n in allowed}


def names(results: list[dict[str, Any]]) -> list[str]:
    return [str(record["name"]) for record in results]
