"""CDN purges: each provider sends exactly the changed paths; budgets, failures and retries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr

from tests.support.nginxserver import free_port
from tests.support.purging import purge_recorder, set_recorder_exit
from wistia_sync.deliver.purge.kinds import SPEC_FORMS, spec_syntax
from wistia_sync.deliver.purge.providers import PROVIDERS, make_provider
from wistia_sync.deliver.purge.purger import month_spend, pending_paths, purge_changed, purge_status
from wistia_sync.errors import ConfigError
from wistia_sync.store.db import open_database

CASSETTES = Path(__file__).parent.parent / "cassettes" / "purge"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
SERVICE = "SU1Z0isxPaozGVKXdv0eY"
BASE = "https://cdn.example.com/site/"
CHANGED = ["videos/abc123.json", "tags/onboarding.json", "videos.json"]
MANY = [f"videos/v{i:03d}.json" for i in range(300)]


def _json_body(request: Any) -> Any:
    return None if not request.body else json.loads(request.body)


def _purge_headers(request: Any) -> tuple[Any, Any]:
    headers = {name.lower(): value for name, value in request.headers.items()}
    keys = headers.get("surrogate-key")
    return (None if keys is None else sorted(keys.split())), headers.get("fastly-soft-purge")


def _same_body(recorded: Any, sent: Any) -> None:
    assert _json_body(recorded) == _json_body(sent)


def _same_purge_headers(recorded: Any, sent: Any) -> None:
    assert _purge_headers(recorded) == _purge_headers(sent)


replay = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization", "fastly-key"],
    match_on=["method", "uri", "json_body", "purge_headers"],
)
replay.register_matcher("json_body", _same_body)
replay.register_matcher("purge_headers", _same_purge_headers)


@pytest.fixture
def db(tmp_path: Path) -> Any:
    return open_database(tmp_path / "wistia.db", create=True)


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> str:
    token = "cf-and-fastly-secret-token-0123456789"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", token)
    monkeypatch.setenv("FASTLY_API_TOKEN", token)
    return token


def test_command_provider_gets_exactly_the_changed_urls(tmp_path: Path, db: Any) -> None:
    spec, out = purge_recorder(tmp_path)
    report = purge_changed(db, make_provider(spec, base_url=BASE), CHANGED)
    assert report.error is None and report.calls == 1
    assert out.read_text().splitlines() == [
        BASE + "videos.json",
        BASE + "tags/onboarding.json",
        BASE + "videos/abc123.json",
    ]
    assert month_spend(db, spec) == 3


def test_a_failed_purge_is_remembered_and_retried_by_the_next(tmp_path: Path, db: Any) -> None:
    failing, _ = purge_recorder(tmp_path, exit_code=3)
    report = purge_changed(db, make_provider(failing), ["videos.json"])
    assert report.error is not None and "exited with 3" in report.error
    assert pending_paths(db, failing) == ["videos.json"]

    set_recorder_exit(tmp_path, 0)
    report = purge_changed(db, make_provider(failing), ["tags/new.json"])
    assert report.error is None
    assert (tmp_path / "purged.txt").read_text().splitlines()[-2:] == [
        "/videos.json",
        "/tags/new.json",
    ]
    assert pending_paths(db, failing) == []


def test_a_missing_command_warns_and_owes(tmp_path: Path, db: Any) -> None:
    spec = f"command:{tmp_path / 'no-such-purger'}"
    report = purge_changed(db, make_provider(spec), CHANGED)
    assert report.error is not None
    assert sorted(pending_paths(db, spec)) == sorted(CHANGED)


def test_budget_collapses_then_stops_and_records_spend(tmp_path: Path, db: Any) -> None:
    spec, out = purge_recorder(tmp_path)
    provider = make_provider(spec, base_url=BASE)
    tags = [f"tags/t{i}.json" for i in range(6)]
    report = purge_changed(db, provider, [*tags, "videos.json"], budget=3)
    assert report.collapsed == ["tags/*"]
    assert out.read_text().splitlines() == [BASE + "videos.json", BASE + "tags/*"]
    assert month_spend(db, spec) == 2
    report = purge_changed(db, provider, ["videos.json", "tags.json"], budget=3)
    assert report.collapsed == ["*"] and month_spend(db, spec) == 3
    report = purge_changed(db, provider, ["videos.json"], budget=3)
    assert report.error is not None and "budget" in report.error
    assert pending_paths(db, spec) == ["videos.json"]
    [status] = purge_status(db)
    # Kept under the provider's kind (and zone), never the command line.
    assert (status.provider, status.items_sent, status.calls, status.pending) == (
        "command",
        3,
        2,
        1,
    )
    assert status.last_error is not None and "budget" in status.last_error


@pytest.mark.parametrize(
    ("cassette", "spec", "paths", "calls"),
    [
        ("cloudflare_files.yaml", f"cloudflare:{ZONE}", CHANGED, 1),
        ("cloudflare_batches.yaml", f"cloudflare:{ZONE}", MANY[:150], 2),
        ("cloudflare_tags.yaml", f"cloudflare:{ZONE}:tags", CHANGED, 1),
        ("fastly_keys.yaml", f"fastly:{SERVICE}", CHANGED, 1),
        ("fastly_batches.yaml", f"fastly:{SERVICE}", MANY, 2),
    ],
)  # fmt: skip
def test_each_provider_sends_exactly_the_documented_requests(
    db: Any, tokens: str, cassette: str, spec: str, paths: list[str], calls: int
) -> None:
    """Cloudflare ≤ 100 URLs a call (or tags), Fastly ≤ 256 surrogate keys a call, soft."""
    with replay.use_cassette(cassette) as played:
        report = purge_changed(db, make_provider(spec, base_url=BASE), paths)
    assert report.error is None and report.calls == calls
    assert played.all_played


def test_cloudflare_refusal_is_remembered_without_the_token(db: Any, tokens: str) -> None:
    spec = f"cloudflare:{ZONE}"
    with replay.use_cassette("cloudflare_refused.yaml"):
        report = purge_changed(db, make_provider(spec, base_url=BASE), ["videos.json"])
    assert report.error == "Cloudflare refused the purge (HTTP 403: Authentication error)"
    assert pending_paths(db, spec) == ["videos.json"]
    stored = json.dumps(list(db.execute("SELECT * FROM purge_pending").fetchall()))
    assert tokens not in stored


@pytest.mark.parametrize(
    "spec",
    ["cloudfront:", "cloudfront:bad id", "akamai:x", "command:", "fastly:S1", "cloudflare:Z1"],
)
def test_unusable_purge_settings_are_configuration_errors(
    spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FASTLY_API_TOKEN", raising=False)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    with pytest.raises(ConfigError):
        make_provider(spec)


@pytest.fixture(scope="module")
def moto_cloudfront() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def cloudfront(moto_cloudfront: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return boto3.session.Session().client("cloudfront", endpoint_url=moto_cloudfront)


def test_cloudfront_invalidates_exactly_the_changed_paths(cloudfront: Any, db: Any) -> None:
    client = cloudfront
    distribution = client.create_distribution(DistributionConfig=_distribution_config())
    dist_id = distribution["Distribution"]["Id"]
    spec = f"cloudfront:{dist_id}"
    provider = make_provider(spec, base_url=BASE, cloudfront_client=client)
    paths = [*CHANGED, *(f"folders/f{i}.json" for i in range(25))]
    report = purge_changed(db, provider, paths)
    assert report.error is None and report.collapsed == ["folders/*"]
    invalidations = client.list_invalidations(DistributionId=dist_id)["InvalidationList"]
    [summary] = invalidations["Items"]
    batch = client.get_invalidation(DistributionId=dist_id, Id=summary["Id"])["Invalidation"]
    assert sorted(batch["InvalidationBatch"]["Paths"]["Items"]) == sorted(
        ["/site/videos.json", "/site/folders/*", "/site/tags/onboarding.json",
         "/site/videos/abc123.json"]
    )  # fmt: skip
    assert month_spend(db, spec) == 4


def test_cloudfront_unknown_distribution_is_remembered(cloudfront: Any, db: Any) -> None:
    spec = "cloudfront:ENOSUCHDIST"
    report = purge_changed(db, make_provider(spec, cloudfront_client=cloudfront), ["videos.json"])
    assert report.error is not None and "NoSuchDistribution" in report.error
    assert pending_paths(db, spec) == ["videos.json"]


def _distribution_config() -> dict[str, Any]:
    return {
        "CallerReference": "wistia-sync-test",
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "origin",
                    "DomainName": "origin.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "origin",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }


ROOT = Path(__file__).resolve().parents[2]


def _purge_table_specs() -> list[str]:
    """The first column of docs/serving.md's table of purge providers."""
    text = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    section = text.split("## CDN purge (`--purge PROVIDER`)", 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("| `")]
    return [row.split("|")[1].strip().strip("`") for row in rows]


def test_the_docs_list_exactly_the_registered_providers_with_their_spec_syntax() -> None:
    registered = [form for provider in PROVIDERS.values() for form in provider.syntax]
    assert _purge_table_specs() == registered
    assert [spec.partition(":")[0] for spec in registered] == [
        kind for kind, provider in PROVIDERS.items() for _ in provider.syntax
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `WISTIA_SYNC_PURGE` |"))
    assert re.findall(r"`([a-z]+:[^`]*)`", row) == registered


def test_every_kind_has_one_provider_class_in_the_order_help_lists_them() -> None:
    assert list(PROVIDERS) == list(SPEC_FORMS)
    assert all(provider.syntax == SPEC_FORMS[kind] for kind, provider in PROVIDERS.items())


def test_help_and_errors_name_every_registered_spec_form() -> None:
    with pytest.raises(ConfigError) as refused:
        make_provider("akamai:x")
    for provider in PROVIDERS.values():
        assert all(form in str(refused.value) for form in provider.syntax)
        assert all(form in spec_syntax() for form in provider.syntax)
