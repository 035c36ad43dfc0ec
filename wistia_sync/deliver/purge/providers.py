"""CDN purge providers: each turns planned items into its API's request and sends one call.

``PROVIDERS`` maps each kind to its class; ``--purge KIND:…`` builds one with the class's
``from_spec``. The kinds and their spec forms are ``kinds.SPEC_FORMS``: the option's help, the
error for an unknown kind and the providers table in docs/serving.md (a test compares it) all
come from there, and registering a class for a kind it does not name fails at import.

Secrets come from the environment only (``CLOUDFLARE_API_TOKEN``, ``FASTLY_API_TOKEN``; AWS's
standard chain for CloudFront), never from arguments. The HTTP and AWS clients are imported only
when a provider is built or sends. A ``command:`` purge runs in a minimal environment
(``purge_environment``: none of those secrets unless ``WISTIA_SYNC_PURGE_ENV`` names them), and
what it prints when it fails is redacted and capped before it becomes an error.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, Self, TypeVar
from urllib.parse import urlsplit

from wistia_sync.deliver.purge.kinds import SPEC_FORMS, spec_syntax
from wistia_sync.deliver.purge.planner import ProviderLimits, PurgeItem
from wistia_sync.errors import ConfigError, WistiaSyncError
from wistia_sync.redaction import redact_output, register_environment_secrets, register_secret

if TYPE_CHECKING:
    from botocore.client import BaseClient

CLOUDFLARE_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
FASTLY_TOKEN_ENV = "FASTLY_API_TOKEN"
CLOUDFLARE_API = "https://api.cloudflare.com/client/v4"
FASTLY_API = "https://api.fastly.com"
HTTP_TIMEOUT_SECONDS = 30.0
COMMAND_TIMEOUT_SECONDS = 120.0
COMMAND_OUTPUT_LIMIT = 300  # characters of a failed command's output kept in its error
# What a ``command:`` purge inherits from this process's environment (with every ``LC_*``), and
# the variable naming more (README "Secrets in purges and --debug"); every other one is dropped.
PURGE_COMMAND_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR")
PURGE_ENV_ALLOW_ENV = "WISTIA_SYNC_PURGE_ENV"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class PurgeFailed(WistiaSyncError):
    """A purge call failed; the paths it covered stay owed and are retried."""


class PurgeProvider(Protocol):
    spec: str
    limits: ProviderLimits

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None: ...


@dataclass(frozen=True)
class SiteUrls:
    """Turns output paths into public URLs (or URL paths) under the base URL."""

    base_url: str | None

    def url(self, value: str) -> str:
        if self.base_url is None:
            return "/" + value
        return self.base_url.rstrip("/") + "/" + value

    def path(self, value: str) -> str:
        base = urlsplit(self.base_url).path if self.base_url else "/"
        return base.rstrip("/") + "/" + value


def check_base_url(base_url: str | None) -> str | None:
    if base_url is None or not base_url.strip():
        return None
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"invalid --base-url {base_url[:200]!r}: use https://host/path/")
    if any(char.isspace() or ord(char) < 0x21 for char in base_url.strip()):
        raise ConfigError("invalid --base-url: it contains spaces or control characters")
    return base_url.strip()


class Provider:
    """A kind of purge provider: what ``--purge`` calls it and how a spec of it is read."""

    kind: ClassVar[str]
    syntax: ClassVar[tuple[str, ...]]  # each spec form it takes, e.g. "fastly:SERVICE_ID"
    limits: ProviderLimits
    spec: str

    @classmethod
    def from_spec(
        cls, spec: str, *, urls: SiteUrls, cloudfront_client: BaseClient | None = None
    ) -> Self:
        """The provider ``spec`` (``kind:…``) describes; a :class:`ConfigError` if unusable."""
        raise NotImplementedError

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        raise NotImplementedError


PROVIDERS: dict[str, type[Provider]] = {}
_P = TypeVar("_P", bound=type[Provider])


def _registered(provider: _P) -> _P:
    provider.syntax = SPEC_FORMS[provider.kind]
    PROVIDERS[provider.kind] = provider
    return provider


def _identifier(spec: str, modes: tuple[str, ...] = ("",)) -> tuple[str, str]:
    """The ID and mode of a ``kind:ID[:mode]`` spec; ``modes`` are those the kind takes."""
    kind, _, argument = spec.partition(":")
    identifier, _, mode = argument.partition(":")
    if not _ID.fullmatch(identifier):
        raise ConfigError(f"invalid --purge {spec[:200]!r}: expected {kind}:ID")
    if mode not in modes:
        raise ConfigError(
            f"invalid --purge {spec[:200]!r}: use {' or '.join(PROVIDERS[kind].syntax)}"
        )
    return identifier, mode


@_registered
class CloudFront(Provider):
    """CreateInvalidation with paths (``/tags/x.json``) and wildcards (``/tags/*``)."""

    kind = "cloudfront"
    limits = ProviderLimits(max_items_per_call=3000, collapse_at=20)

    def __init__(self, spec: str, distribution_id: str, urls: SiteUrls, client: BaseClient) -> None:
        self.spec, self.distribution_id, self.urls, self.client = (
            spec,
            distribution_id,
            urls,
            client,
        )

    @classmethod
    def from_spec(
        cls, spec: str, *, urls: SiteUrls, cloudfront_client: BaseClient | None = None
    ) -> Self:
        distribution_id, _ = _identifier(spec)
        return cls(spec, distribution_id, urls, cloudfront_client or _cloudfront_client())

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        paths = [self.urls.path(str(item)) for item in items]
        reference = hashlib.sha256(f"{time.time_ns()}\n{paths}".encode()).hexdigest()[:32]
        self.client.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"wistia-sync-{reference}",
            },
        )


@_registered
class Cloudflare(Provider):
    """POST /zones/{zone}/purge_cache: ``files`` (≤ 100 URLs a call) and ``prefixes``, or
    ``tags`` (the Cache-Tag header nginx-config and the S3 metadata carry)."""

    kind = "cloudflare"
    # Free per URL (within rate limits): exact URLs unless the budget says otherwise.
    limits = ProviderLimits(max_items_per_call=100, collapse_at=10**9)

    def __init__(self, spec: str, zone: str, token: str, urls: SiteUrls, by_tag: bool) -> None:
        self.spec, self.zone, self.token, self.urls, self.by_tag = spec, zone, token, urls, by_tag

    @classmethod
    def from_spec(
        cls, spec: str, *, urls: SiteUrls, cloudfront_client: BaseClient | None = None
    ) -> Self:
        zone, mode = _identifier(spec, modes=("", "tags"))
        if urls.base_url is None and mode != "tags":
            raise ConfigError("--purge cloudflare: needs --base-url (it purges full URLs)")
        return cls(spec, zone, _secret(CLOUDFLARE_TOKEN_ENV, cls.kind), urls, mode == "tags")

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        import httpx

        if self.by_tag:
            body: dict[str, list[str]] = {"tags": _tags(items)}
        else:
            files = [self.urls.url(item.value) for item in items if not item.is_prefix]
            prefixes = [_bare(self.urls.url(item.value)) for item in items if item.is_prefix]
            body = {
                key: value for key, value in (("files", files), ("prefixes", prefixes)) if value
            }
        response = httpx.post(
            f"{CLOUDFLARE_API}/zones/{self.zone}/purge_cache",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=_within(HTTP_TIMEOUT_SECONDS, timeout),
        )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not answer.get("success"):
            errors = answer.get("errors") or [{"message": response.reason_phrase}]
            first = errors[0] if isinstance(errors, list) and errors else {}
            raise PurgeFailed(
                f"Cloudflare refused the purge (HTTP {response.status_code}: "
                f"{str(first.get('message', ''))[:200]})"
            )


@_registered
class Fastly(Provider):
    """POST /service/{id}/purge with up to 256 surrogate keys, as a soft purge."""

    kind = "fastly"
    limits = ProviderLimits(max_items_per_call=256, collapse_at=10**9, supports_prefixes=False)

    def __init__(self, spec: str, service: str, token: str) -> None:
        self.spec, self.service, self.token = spec, service, token

    @classmethod
    def from_spec(
        cls, spec: str, *, urls: SiteUrls, cloudfront_client: BaseClient | None = None
    ) -> Self:
        service, _ = _identifier(spec)
        return cls(spec, service, _secret(FASTLY_TOKEN_ENV, cls.kind))

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        import httpx

        response = httpx.post(
            f"{FASTLY_API}/service/{self.service}/purge",
            headers={
                "Fastly-Key": self.token,
                "Surrogate-Key": " ".join(_tags(items)),
                "Fastly-Soft-Purge": "1",
                "Accept": "application/json",
            },
            timeout=_within(HTTP_TIMEOUT_SECONDS, timeout),
        )
        if response.status_code != 200:
            raise PurgeFailed(
                f"Fastly refused the purge (HTTP {response.status_code}: {response.text[:200]})"
            )


@_registered
class Command(Provider):
    """Runs a command (no shell) with the purged URLs on standard input, one a line."""

    kind = "command"
    limits = ProviderLimits(max_items_per_call=100_000, collapse_at=10**9)

    def __init__(self, spec: str, argv: list[str], urls: SiteUrls) -> None:
        self.spec, self.argv, self.urls = spec, argv, urls

    @classmethod
    def from_spec(
        cls, spec: str, *, urls: SiteUrls, cloudfront_client: BaseClient | None = None
    ) -> Self:
        import shlex

        argument = spec.partition(":")[2]
        try:
            argv = shlex.split(argument)
        except ValueError as error:
            raise ConfigError(f"invalid purge command {argument[:200]!r}: {error}") from None
        if not argv:
            raise ConfigError("--purge command: needs a command, e.g. command:/usr/local/bin/purge")
        return cls(spec, argv, urls)

    def purge(self, items: list[PurgeItem], *, timeout: float | None = None) -> None:
        lines = "".join(self.urls.url(str(item)) + "\n" for item in items)
        # Anything the command prints may echo a secret of ours (or its own): register this
        # process's before it runs, and redact what it says before it is stored or shown.
        register_environment_secrets()
        try:
            result = subprocess.run(
                self.argv,
                input=lines.encode(),
                capture_output=True,
                timeout=_within(COMMAND_TIMEOUT_SECONDS, timeout),
                check=False,
                env=purge_environment(),
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PurgeFailed(
                redact_output(f"purge command {self.argv[0]} failed: {error}")
            ) from None
        if result.returncode != 0:
            said = _last_lines(result.stderr) or _last_lines(result.stdout)
            raise PurgeFailed(
                redact_output(
                    f"purge command {self.argv[0]} exited with {result.returncode}"
                    + (f": {said}" if said else ""),
                    limit=COMMAND_OUTPUT_LIMIT,
                )
            )


def _within(limit: float, timeout: float | None) -> float:
    """A call's own limit, shortened to what the purge deadline leaves (``timeout``)."""
    return limit if timeout is None else max(0.1, min(limit, timeout))


def purge_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a ``command:`` purge runs with: ``PURGE_COMMAND_ENV`` and ``LC_*`` from
    this process's, plus the variables ``WISTIA_SYNC_PURGE_ENV`` names (comma- or
    space-separated), and nothing else: none of our secrets unless the operator passes one."""
    environ = os.environ if environ is None else environ
    allowed = set(PURGE_COMMAND_ENV)
    for name in re.split(r"[\s,]+", environ.get(PURGE_ENV_ALLOW_ENV, "")):
        if name and not _ENV_NAME.fullmatch(name):
            raise ConfigError(f"{PURGE_ENV_ALLOW_ENV}: {name[:100]!r} is not a variable name")
        allowed.add(name)
    passed = {
        name: value for name, value in environ.items() if name in allowed or name.startswith("LC_")
    }
    passed.setdefault("PATH", os.defpath)
    return passed


def _last_lines(output: bytes, count: int = 3) -> str:
    """The last ``count`` non-blank lines, each redacted (a header's value ends with its line),
    joined with `` | ``."""
    lines = [line.strip() for line in output.decode(errors="replace").splitlines()]
    return " | ".join([redact_output(line, 10_000) for line in lines if line][-count:])


def _tags(items: list[PurgeItem]) -> list[str]:
    from wistia_sync.contract.cache_policy import SITE_TAG, path_tag

    tags: list[str] = []
    for item in items:
        tag = SITE_TAG if item.is_prefix else (path_tag(item.value) or SITE_TAG)
        if tag not in tags:
            tags.append(tag)
    return tags


def _bare(url: str) -> str:
    # Cloudflare's prefixes are host + path, without the scheme.
    return url.split("://", 1)[1]


def make_provider(
    spec: str,
    *,
    base_url: str | None = None,
    cloudfront_client: BaseClient | None = None,
) -> PurgeProvider:
    """The provider ``spec`` names; a :class:`ConfigError` for anything unusable."""
    urls = SiteUrls(check_base_url(base_url))
    provider = PROVIDERS.get(spec.partition(":")[0])
    if provider is None:
        raise ConfigError(f"unknown --purge {spec[:200]!r}: use {spec_syntax()}")
    return provider.from_spec(spec, urls=urls, cloudfront_client=cloudfront_client)


def _secret(name: str, kind: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"--purge {kind}: set {name} in the environment")
    if any(char.isspace() or ord(char) < 0x21 or ord(char) > 0x7E for char in value):
        raise ConfigError(
            f"{name} contains spaces or non-ASCII characters; check how it was copied"
        )
    register_secret(value)  # redacted from every message and record
    return value


def _cloudfront_client() -> BaseClient:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigError(
            "--purge cloudfront: needs boto3: pip install 'wistia-sync[s3]'"
        ) from None
    config = Config(
        connect_timeout=10, read_timeout=30, retries={"max_attempts": 4, "mode": "standard"}
    )
    return boto3.session.Session().client("cloudfront", config=config)
