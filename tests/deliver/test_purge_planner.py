"""The purge planner: exact paths, batches within limits, wildcards when cheaper or over budget."""

from __future__ import annotations

from wistia_sync.deliver.purge.planner import ProviderLimits, plan_purge

CLOUDFRONT = ProviderLimits(max_items_per_call=3000, collapse_at=20)
CLOUDFLARE = ProviderLimits(max_items_per_call=100, collapse_at=10**9, supports_prefixes=False)


def rendered(plan) -> list[list[str]]:
    return [[str(item) for item in call] for call in plan.calls]


def test_a_few_changes_purge_exactly_those_paths() -> None:
    plan = plan_purge(["tags/a.json", "videos.json", "videos/x.json", "videos.json"], CLOUDFRONT)
    assert rendered(plan) == [["videos.json", "tags/a.json", "videos/x.json"]]
    assert plan.cost == 3 and not plan.collapsed


def test_nothing_changed_plans_nothing() -> None:
    plan = plan_purge([], CLOUDFRONT, budget_left=0)
    assert plan.calls == [] and not plan.over_budget


def test_a_folder_with_many_changes_becomes_one_wildcard() -> None:
    paths = [f"videos/v{i}.json" for i in range(25)] + ["videos.json", "tags/a.json"]
    plan = plan_purge(paths, CLOUDFRONT)
    assert rendered(plan) == [["videos.json", "tags/a.json", "videos/*"]]
    assert plan.collapsed == ["videos/*"]


def test_batches_stay_within_the_per_call_limit() -> None:
    paths = [f"videos/v{i:03d}.json" for i in range(250)]
    plan = plan_purge(paths, CLOUDFLARE)
    assert [len(call) for call in plan.calls] == [100, 100, 50]
    assert sorted(str(item) for call in plan.calls for item in call) == sorted(paths)


def test_over_budget_collapses_largest_folders_first_then_the_site() -> None:
    paths = [f"tags/t{i}.json" for i in range(10)] + ["videos/a.json", "videos/b.json"]
    paths += ["videos.json"]
    plan = plan_purge(paths, CLOUDFRONT, budget_left=5)
    assert rendered(plan) == [["videos.json", "tags/*", "videos/a.json", "videos/b.json"]]
    plan = plan_purge(paths, CLOUDFRONT, budget_left=3)
    assert rendered(plan) == [["videos.json", "tags/*", "videos/*"]]
    plan = plan_purge(paths, CLOUDFRONT, budget_left=2)
    assert rendered(plan) == [["*"]] and plan.collapsed == ["*"]


def test_no_budget_left_plans_nothing_and_says_so() -> None:
    plan = plan_purge(["videos.json"], CLOUDFRONT, budget_left=0)
    assert plan.calls == [] and plan.over_budget
    assert plan.paths == ["videos.json"]


def test_without_prefix_support_over_budget_purges_the_whole_site() -> None:
    plan = plan_purge([f"v/{i}.json" for i in range(5)], CLOUDFLARE, budget_left=2)
    assert rendered(plan) == [["*"]]
