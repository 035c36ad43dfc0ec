"""Mirror the local output folder to an S3-compatible bucket, in an order readers can trust.

The bucket keeps a copy of the ``files.json`` the last complete delivery uploaded, with its
shards: diffing it against the local one says what to upload and remove without listing the
bucket, and only the shards the two indexes do not share are read (a shard is named by its
content hash), so an edit's delivery costs the same at any catalog size. Order:

1. immutable pages and the new shards of the file list (in parallel), so every page an entry
   file lists exists before it;
2. entry files other than the manifest (in parallel);
3. ``manifest.json``, the file a frontend polls;
4. removals of objects the local list no longer holds;
5. ``files.json`` last: it is the record of a delivery that completed; then the shards only
   the previous ``files.json`` named are removed (a failure there leaves a few stray shards,
   never a list naming a missing one).

A failure anywhere stops before the manifest where it can, and always before ``files.json``, so
the bucket's list still describes what the previous delivery left; the next delivery re-diffs
against it and converges (uploads and deletions are idempotent).

boto3 is an optional extra (``pip install 'wistia-sync[s3]'``), imported only here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wistia_sync.contract.cache_policy import CachePolicy, cache_tags, content_type
from wistia_sync.contract.filelist import (
    LIST_READ_ATTEMPTS,
    FileEntry,
    FileIndex,
    FileListError,
    FileListReplaced,
    ShardRef,
    entries_of,
    local_shard_reader,
    parse_file_index,
    read_local_index,
)
from wistia_sync.contract.layout import FILES_PATH, MANIFEST_PATH
from wistia_sync.deliver.targets import S3Location, TargetError
from wistia_sync.errors import ConfigError

if TYPE_CHECKING:
    from botocore.client import BaseClient

UPLOAD_WORKERS = 8
CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60
MAX_ATTEMPTS = 4
# S3 caps user metadata at 2 KB in all; the tags get most of it, the rest stays for sha256.
MAX_METADATA_TAG_BYTES = 1800
_DELETE_BATCH = 1000  # DeleteObjects' limit

_CREDENTIAL_CODES = {
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AccessDenied",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "AuthorizationHeaderMalformed",
}


@dataclass
class UploadReport:
    """What one delivery changed in the bucket."""

    target: str
    uploaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    bytes_uploaded: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.target}: uploaded {len(self.uploaded)} objects ({self.bytes_uploaded} bytes), "
            f"removed {len(self.removed)}, {self.unchanged} unchanged"
        )


def make_s3_client(
    endpoint_url: str | None = None, *, deadline_seconds: float | None = None
) -> BaseClient:
    """A boto3 S3 client on the standard credential chain, with bounded retries and timeouts.

    With a total ``deadline_seconds`` (``deliver.delivery`` enforces it), each request's
    timeouts are kept within half of it, so a request in flight at the deadline ends soon after.
    """
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigError("an s3:// target needs boto3: pip install 'wistia-sync[s3]'") from None
    within = float("inf") if deadline_seconds is None else max(1.0, deadline_seconds / 2)
    config = Config(
        connect_timeout=min(CONNECT_TIMEOUT_SECONDS, within),
        read_timeout=min(READ_TIMEOUT_SECONDS, within),
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        max_pool_connections=UPLOAD_WORKERS * 2,
        # Only send checksums S3 requires: S3-compatible stores differ in which they accept.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A session of its own: boto3's default session caches the credentials it first resolved.
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url or None, config=config)


def mirror_to_s3(
    output_dir: Path,
    location: S3Location,
    policy: CachePolicy,
    *,
    client: BaseClient,
    workers: int = UPLOAD_WORKERS,
) -> UploadReport:
    """Make the bucket prefix equal the local output folder; see the module docstring."""
    for attempt in range(LIST_READ_ATTEMPTS):
        try:
            return _mirror(output_dir, location, policy, client=client, workers=workers)
        except FileListReplaced:  # a publish replaced the local list before anything was sent
            if attempt == LIST_READ_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _mirror(
    output_dir: Path, location: S3Location, policy: CachePolicy, *, client: BaseClient, workers: int
) -> UploadReport:
    local_index, local_raw = read_local_index(output_dir)
    with _describing_failures(location):
        report = UploadReport(target=str(location))
        diff = _diff(output_dir, local_index, location, policy, client, report)
        if diff.up_to_date:
            return report
        upload = _Uploader(client, location, policy, output_dir, report)
        _upload_in_order(upload, diff.changed, diff.new_shards, workers)
        _delete(client, location, diff.removals)
        report.removed = diff.removals
        upload.raw(FILES_PATH, local_raw)
    try:
        with _describing_failures(location):
            _delete(client, location, diff.old_shards)
    except TargetError as error:
        report.warnings.append(f"{error}; the previous file list's shards stay in the bucket")
    return report


@dataclass(frozen=True)
class _Diff:
    """What a delivery sends and removes: the local file list against the bucket's copy."""

    changed: list[FileEntry]  # files to upload, in path order
    removals: list[str]  # objects the local list no longer holds
    new_shards: list[FileEntry]  # the local list's shards the bucket lacks
    old_shards: list[str]  # the bucket's list's shards the local one no longer names
    up_to_date: bool  # the bucket already holds this very publish


def _diff(
    output_dir: Path,
    local_index: FileIndex,
    location: S3Location,
    policy: CachePolicy,
    client: BaseClient,
    report: UploadReport,
) -> _Diff:
    remote = _remote_file_index(client, location, report)
    remote_index, remote_policy = remote if remote else (None, None)
    # Objects carry their headers: a changed policy re-sends every file with the new ones.
    same_headers = remote_policy == _policy_fingerprint(policy)
    local_files, remote_files, remote_index = _entries_to_compare(
        output_dir, local_index, remote_index, same_headers, client, location, report
    )
    changed = [
        entry
        for path, entry in sorted(local_files.items())
        if not same_headers or path not in remote_files or remote_files[path].sha256 != entry.sha256
    ]
    report.unchanged = local_index.count - len(changed)
    removals = sorted(set(remote_files) - set(local_files))
    remote_shards = {ref.path for ref in remote_index.shards} if remote_index else set()
    new_shards = [
        ref.as_entry()
        for ref in local_index.shards
        if not same_headers or ref.path not in remote_shards
    ]
    up_to_date = (
        not changed
        and not removals
        and not new_shards
        and remote_index is not None
        and remote_index.generation == local_index.generation
    )
    return _Diff(
        changed=changed,
        removals=removals,
        new_shards=new_shards,
        old_shards=sorted(remote_shards - {ref.path for ref in local_index.shards}),
        up_to_date=up_to_date,
    )


def _entries_to_compare(
    output_dir: Path,
    local_index: FileIndex,
    remote_index: FileIndex | None,
    same_headers: bool,
    client: BaseClient,
    location: S3Location,
    report: UploadReport,
) -> tuple[dict[str, FileEntry], dict[str, FileEntry], FileIndex | None]:
    """The local and remote entries of the shards the two lists do not share, and the remote
    index still trusted (None when its shards could not be read: then everything is sent)."""
    shared = _shared_shards(local_index, remote_index) if same_headers else set()
    read_local = local_shard_reader(output_dir)
    local_source = str(output_dir / FILES_PATH)
    local_files = entries_of(
        local_index,
        [ref for ref in local_index.shards if ref.path not in shared],
        read_local,
        local_source,
    )
    if remote_index is None:
        return local_files, {}, None
    try:
        remote_files = entries_of(
            remote_index,
            [ref for ref in remote_index.shards if ref.path not in shared],
            _remote_shard_reader(client, location),
            f"{location}{FILES_PATH}",
        )
    except FileListError as error:
        report.warnings.append(f"{error}; uploading every file again")
        every_file = entries_of(local_index, local_index.shards, read_local, local_source)
        return every_file, {}, None
    return local_files, remote_files, remote_index


def _upload_in_order(
    upload: _Uploader, changed: list[FileEntry], new_shards: list[FileEntry], workers: int
) -> None:
    """Immutable pages and new shards, then entry files, then the manifest (the module doc)."""
    pages = [entry for entry in changed if entry.cache == "immutable"]
    entries = [e for e in changed if e.cache == "entry" and e.path != MANIFEST_PATH]
    manifest = [entry for entry in changed if entry.path == MANIFEST_PATH]
    for phase in (pages + new_shards, entries, manifest):
        _in_parallel(upload.file, phase, workers)


def _shared_shards(local: FileIndex, remote: FileIndex | None) -> set[str]:
    """Shards both lists name with the same fingerprint: their entries are the same."""
    if remote is None:
        return set()
    theirs = {(ref.path, ref.sha256, ref.count) for ref in remote.shards}
    return {ref.path for ref in local.shards if (ref.path, ref.sha256, ref.count) in theirs}


def _remote_shard_reader(client: BaseClient, location: S3Location) -> Callable[[ShardRef], bytes]:
    from botocore.exceptions import ClientError

    def read(ref: ShardRef) -> bytes:
        try:
            response = client.get_object(Bucket=location.bucket, Key=location.key(ref.path))
            body: bytes = response["Body"].read()
        except ClientError as error:
            if _error_code(error) in ("NoSuchKey", "404"):
                raise FileListError(f"{location}{ref.path} is missing") from None
            raise
        return body

    return read


class _Uploader:
    def __init__(
        self,
        client: BaseClient,
        location: S3Location,
        policy: CachePolicy,
        output_dir: Path,
        report: UploadReport,
    ) -> None:
        self.client, self.location, self.policy = client, location, policy
        self.output_dir, self.report = output_dir, report

    def file(self, entry: FileEntry) -> None:
        body = (self.output_dir / entry.path).read_bytes()
        if hashlib.sha256(body).hexdigest() != entry.sha256:
            # A publish replaced the file after files.json was read: deliver that publish next.
            raise TargetError(
                f"{entry.path} changed in {self.output_dir} during the delivery; nothing "
                "published was replaced, and the next delivery sends the new files"
            )
        metadata = {"sha256": entry.sha256}
        if entry.cache == "entry":
            metadata["cache-tags"] = ",".join(cache_tags(entry.path, body, MAX_METADATA_TAG_BYTES))
        self._put(entry.path, body, self.policy.cache_control(entry.cache), metadata)
        self.report.uploaded.append(entry.path)
        self.report.bytes_uploaded += len(body)

    def raw(self, path: str, body: bytes) -> None:
        metadata = {
            "sha256": hashlib.sha256(body).hexdigest(),
            "cache-policy": _policy_fingerprint(self.policy),
        }
        self._put(path, body, self.policy.cache_control("entry"), metadata)

    def _put(self, path: str, body: bytes, cache_control: str, metadata: dict[str, str]) -> None:
        self.client.put_object(
            Bucket=self.location.bucket,
            Key=self.location.key(path),
            Body=body,
            ContentType=content_type(path),
            CacheControl=cache_control,
            Metadata=metadata,
        )


def _in_parallel(
    action: Callable[[FileEntry], None], entries: list[FileEntry], workers: int
) -> None:
    if not entries:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(entries)))) as pool:
        futures = [pool.submit(action, entry) for entry in entries]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            error = future.exception()
            if error is not None:
                raise error


def _remote_file_index(
    client: BaseClient, location: S3Location, report: UploadReport
) -> tuple[FileIndex, str | None] | None:
    """The bucket's files.json and the cache policy its objects were sent with."""
    from botocore.exceptions import ClientError

    try:
        response = client.get_object(Bucket=location.bucket, Key=location.key(FILES_PATH))
        raw = response["Body"].read()
    except ClientError as error:
        if _error_code(error) in ("NoSuchKey", "404"):
            return None
        raise
    policy = response.get("Metadata", {}).get("cache-policy")
    try:
        return parse_file_index(raw, f"{location}{FILES_PATH}"), policy
    except FileListError as error:
        # Unreadable: upload everything again (removals of unknown objects are then skipped).
        report.warnings.append(f"{error}; uploading every file again")
        return None


def _policy_fingerprint(policy: CachePolicy) -> str:
    return hashlib.sha256(f"{policy.immutable}\n{policy.entry}".encode()).hexdigest()[:16]


def _delete(client: BaseClient, location: S3Location, paths: Iterable[str]) -> None:
    keys = [{"Key": location.key(path)} for path in paths]
    for start in range(0, len(keys), _DELETE_BATCH):
        batch = keys[start : start + _DELETE_BATCH]
        response = client.delete_objects(
            Bucket=location.bucket, Delete={"Objects": batch, "Quiet": True}
        )
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise TargetError(
                f"{location}: could not remove {len(errors)} objects "
                f"({first.get('Key')}: {first.get('Code')}); the next delivery retries"
            )


def _error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _describing_failures(location: S3Location) -> Iterator[None]:
    """Turns boto3's exceptions into one clear line naming the target and what to do."""
    try:
        yield
    except TargetError:
        raise
    except Exception as error:
        message = _describe(error, location)
        if message is None:
            raise
        raise TargetError(message) from error


def _describe(error: BaseException, location: S3Location) -> str | None:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
    )

    where = f"cannot deliver to {location}"
    kept = "; the previous published files are still in place"
    if isinstance(error, NoCredentialsError):
        return (
            f"{where}: no AWS credentials found (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or use an instance role)"
        )
    if isinstance(error, EndpointConnectionError):
        return f"{where}: cannot reach the endpoint ({error}){kept}"
    if isinstance(error, ClientError):
        code = _error_code(error)
        if code == "NoSuchBucket":
            return f"{where}: the bucket {location.bucket} does not exist; create it first"
        if code == "RequestTimeTooSkewed":
            return (
                f"{where}: this machine's clock is too far from the server's; sync it (NTP){kept}"
            )
        if code in _CREDENTIAL_CODES:
            return f"{where}: the credentials were refused ({code}); check the key and secret{kept}"
        message = error.response.get("Error", {}).get("Message", "")
        return f"{where}: {code or 'error'} {message}".rstrip() + kept
    if isinstance(error, BotoCoreError):
        return f"{where}: {error}{kept}"
    if isinstance(error, OSError) and error.filename:
        return f"{where}: cannot read {error.filename} ({error.strerror or error}){kept}"
    if isinstance(error, OSError):
        return f"{where}: network error ({error}){kept}"
    return None
