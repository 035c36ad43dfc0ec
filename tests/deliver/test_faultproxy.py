"""The fault-injecting proxy the convergence tests rely on: each kind of rule does what it says,
and boto3's retries ride out a rule that fires fewer times than ``MAX_ATTEMPTS``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deliver.conftest import s3_objects
from tests.support.faultproxy import FaultProxy, running_fault_proxy
from tests.support.seaweed import SeaweedS3
from tests.support.sitefolder import publish_sample
from wistia_sync.contract.cache_policy import cache_policy
from wistia_sync.deliver.s3 import MAX_ATTEMPTS, make_s3_client, mirror_to_s3
from wistia_sync.deliver.targets import S3Location, TargetError

POLICY = cache_policy(purge_configured=False)


@pytest.fixture
def proxy(seaweed: SeaweedS3) -> Iterator[FaultProxy]:
    with running_fault_proxy(seaweed.endpoint_url) as running:
        yield running


def test_faults_that_fire_fewer_times_than_the_retries_are_ridden_out(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, proxy: FaultProxy
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    proxy.add("PUT", r"/videos\.json$", "drop", times=MAX_ATTEMPTS - 2)
    proxy.add("PUT", r"/manifest\.json$", "slow_down", times=MAX_ATTEMPTS - 2)
    slow = proxy.add("PUT", r"/tags\.json$", "delay", times=1, seconds=0.5)
    started = time.monotonic()
    mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=make_s3_client(proxy.url))
    assert time.monotonic() - started >= 0.5 and slow.fired == 1
    assert proxy.requests("PUT", r"/videos\.json$") == ["dropped", "dropped", "200"]
    assert proxy.requests("PUT", r"/manifest\.json$") == ["503", "503", "200"]
    assert "manifest.json" in s3_objects(make_s3_client(s3_env.endpoint_url), bucket)


def test_a_fault_that_always_fires_fails_the_delivery_in_one_line(
    tmp_path: Path, s3_env: SeaweedS3, bucket: str, proxy: FaultProxy
) -> None:
    root = tmp_path / "output"
    publish_sample(root)
    rule = proxy.add("PUT", r"/manifest\.json$", "slow_down")
    with pytest.raises(TargetError, match="SlowDown") as caught:
        mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=make_s3_client(proxy.url))
    # botocore's retries.max_attempts counts retries: the first attempt comes on top.
    assert rule.fired == MAX_ATTEMPTS + 1 and "\n" not in str(caught.value)
    proxy.remove(rule)  # rules change while the proxy runs
    mirror_to_s3(root, S3Location(bucket, ""), POLICY, client=make_s3_client(proxy.url))
