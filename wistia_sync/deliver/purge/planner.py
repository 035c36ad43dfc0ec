"""Plan a CDN purge: exactly the changed entry files, within a provider's limits and a budget.

Pure: a list of output paths in, a plan of provider-neutral items out. An item is a path
(``tags/x.json``), a prefix (``tags/``: everything under it) or the whole site (``""`` as a
prefix). A provider turns items into what its API takes (CloudFront paths and wildcards,
Cloudflare URLs and prefixes, Fastly surrogate keys, lines on a command's standard input).

CloudFront bills per path, a wildcard counting as one: a folder with many changed files is
cheaper as ``folder/*``. The monthly budget is in the same unit (items sent); when what is owed
exceeds what is left, the planner collapses the largest folders first, then the whole site,
and with nothing left it plans nothing (the paths stay owed until the budget allows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

SITE_PREFIX = ""


@dataclass(frozen=True)
class PurgeItem:
    value: str  # an output path, or a folder prefix ending with "/", or "" for the whole site
    is_prefix: bool = False

    def __str__(self) -> str:
        return f"{self.value}*" if self.is_prefix else self.value


@dataclass(frozen=True)
class ProviderLimits:
    max_items_per_call: int
    # A folder with at least this many changed files is purged as one wildcard/prefix.
    collapse_at: int = 20
    supports_prefixes: bool = True


@dataclass
class PurgePlan:
    paths: list[str]  # every output path the plan covers
    calls: list[list[PurgeItem]] = field(default_factory=list)
    collapsed: list[str] = field(default_factory=list)
    over_budget: bool = False

    @property
    def cost(self) -> int:
        return sum(len(call) for call in self.calls)


def plan_purge(
    paths: Iterable[str], limits: ProviderLimits, budget_left: int | None = None
) -> PurgePlan:
    """The cheapest plan covering ``paths`` within ``limits`` and ``budget_left`` items."""
    wanted = sorted(set(paths))
    plan = PurgePlan(paths=wanted)
    if not wanted:
        return plan
    groups: dict[str, list[str]] = defaultdict(list)
    for path in wanted:
        folder = path.rpartition("/")[0]
        groups[f"{folder}/" if folder else SITE_PREFIX].append(path)
    items: dict[str, list[PurgeItem]] = {
        prefix: [PurgeItem(path) for path in members] for prefix, members in groups.items()
    }

    def collapse(prefix: str) -> None:
        items[prefix] = [PurgeItem(prefix, is_prefix=True)]
        plan.collapsed.append(f"{prefix}*")

    if limits.supports_prefixes:
        for prefix, members in groups.items():
            if prefix != SITE_PREFIX and len(members) >= limits.collapse_at:
                collapse(prefix)

    def cost() -> int:
        return sum(len(group) for group in items.values())

    if budget_left is not None and cost() > budget_left:
        if limits.supports_prefixes:
            for prefix in sorted(items, key=lambda p: -len(items[p])):
                if cost() <= budget_left:
                    break
                if prefix != SITE_PREFIX and len(items[prefix]) > 1:
                    collapse(prefix)
        if cost() > budget_left:
            items = {SITE_PREFIX: [PurgeItem(SITE_PREFIX, is_prefix=True)]}
            plan.collapsed = ["*"]
        if budget_left < 1:
            plan.over_budget = True
            plan.collapsed = []
            return plan
    flat = [item for prefix in sorted(items) for item in items[prefix]]
    size = max(1, limits.max_items_per_call)
    plan.calls = [flat[start : start + size] for start in range(0, len(flat), size)]
    return plan
