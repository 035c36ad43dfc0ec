"""Where a publish is delivered beyond the local output folder (which is always written first)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wistia_sync.errors import ConfigError, WistiaSyncError

# S3's bucket naming rules (lowercase letters, digits, dots and hyphens; 3 to 63 characters).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"(?:[A-Za-z0-9_.-]{1,200}/){0,8}")


class TargetError(WistiaSyncError):
    """A remote target refused or failed a delivery; the previous published state is intact."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending with "/"

    def key(self, path: str) -> str:
        return self.prefix + path

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_target(text: str | None) -> S3Location | None:
    """``None`` for the local folder alone; an :class:`S3Location` for ``s3://bucket/prefix``."""
    if text is None or not text.strip() or text.strip() == "local":
        return None
    if not text.startswith("s3://"):
        raise ConfigError(
            f"unsupported target {text[:200]!r}: use s3://bucket/prefix (or leave it unset to "
            "serve the local output folder)"
        )
    bucket, _, prefix = text.removeprefix("s3://").partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(f"invalid S3 bucket name {bucket[:100]!r} in target {text[:200]!r}")
    prefix = prefix.strip("/")
    prefix = f"{prefix}/" if prefix else ""
    if not _PREFIX.fullmatch(prefix) or any(part in (".", "..") for part in prefix.split("/")):
        raise ConfigError(f"invalid S3 key prefix {prefix[:200]!r} in target {text[:200]!r}")
    return S3Location(bucket=bucket, prefix=prefix)
