"""Where backups live: a local folder, or a prefix in an S3 bucket (the site's client, endpoint
and credentials chain). Both hold only files named by ``backup_name``; anything else there is
never listed, read or removed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wistia_sync.errors import ConfigError, WistiaSyncError

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from wistia_sync.deliver.targets import S3Location

# wistia-sync-2026-12-07T07-38-00.123456Z.db: sorts by time, safe in any file system and S3 key.
_NAME = re.compile(r"wistia-sync-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6}Z\.db")


def backup_name(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("wistia-sync-%Y-%m-%dT%H-%M-%S.%fZ.db")


def is_backup_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


class BackupPlace(Protocol):
    def names(self) -> list[str]:
        """The backups held, oldest first."""

    def put(self, file: Path, name: str) -> None:
        """Put ``file`` in place as ``name``, whole or not at all."""

    def fetch(self, name: str, to: Path) -> None: ...

    def remove(self, name: str) -> None: ...

    def where(self, name: str) -> str: ...


@dataclass(frozen=True)
class LocalFolder:
    folder: Path

    def names(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if is_backup_name(p.name))

    def put(self, file: Path, name: str) -> None:
        # ``file`` was written in this folder (``staging_folder``): the rename is atomic.
        file.replace(self.folder / name)
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def fetch(self, name: str, to: Path) -> None:
        shutil.copyfile(self.folder / name, to)

    def remove(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    def where(self, name: str) -> str:
        return str(self.folder / name)


@dataclass
class S3Prefix:
    location: S3Location
    client: BaseClient

    def names(self) -> list[str]:
        found: list[str] = []
        with _s3_errors(self.location):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=self.location.prefix, Delimiter="/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = str(item["Key"])[len(self.location.prefix) :]
                    if is_backup_name(name):
                        found.append(name)
        return sorted(found)

    def put(self, file: Path, name: str) -> None:
        # One PUT (multipart above boto3's threshold): the object appears whole or not at all.
        with _s3_errors(self.location):
            self.client.upload_file(str(file), self.location.bucket, self.location.key(name))

    def fetch(self, name: str, to: Path) -> None:
        with _s3_errors(self.location):
            self.client.download_file(self.location.bucket, self.location.key(name), str(to))

    def remove(self, name: str) -> None:
        with _s3_errors(self.location):
            self.client.delete_object(Bucket=self.location.bucket, Key=self.location.key(name))

    def where(self, name: str) -> str:
        return f"{self.location}{name}"


@contextmanager
def _s3_errors(location: S3Location) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise WistiaSyncError(f"backup store {location}: {error}") from None


def open_place(dest: str, *, endpoint_url: str | None, published: str | None) -> BackupPlace:
    """The place ``dest`` names: ``s3://bucket/prefix`` or an existing local folder.

    ``published`` is the site's target: a backup prefix inside it would be served to the world.
    """
    if dest.startswith("s3://"):
        from wistia_sync.deliver.s3 import make_s3_client
        from wistia_sync.deliver.targets import parse_target

        location = parse_target(dest)
        assert location is not None
        target = parse_target(published) if published else None
        inside = target is not None and target.bucket == location.bucket
        if inside and target is not None and location.prefix.startswith(target.prefix):
            raise ConfigError(
                f"backup destination {location} is inside the published target {target}: "
                "the database would be served to the world; use a prefix outside it"
            )
        return S3Prefix(location, make_s3_client(endpoint_url))
    folder = Path(dest)
    if not folder.is_dir():
        raise ConfigError(
            f"backup destination {dest} is not a folder: create it, or give s3://bucket/prefix"
        )
    return LocalFolder(folder)


def staging_folder(place: BackupPlace, beside: Path) -> Path:
    """Where a backup is built: in the destination folder itself (so putting it in place is a
    rename), or beside the database for a bucket (not /tmp, often a small RAM disk)."""
    return place.folder if isinstance(place, LocalFolder) else beside
