"""Mirror the local output folder to an S3-compatible bucket, in an order readers can trust,
converging whatever an earlier delivery left.

The bucket keeps a copy of the ``files.json`` the last complete delivery uploaded, with its
shards: diffing it against the local one says what to upload and remove without listing the
bucket, and only the shards the two indexes do not share are read (a shard is named by its
content hash), so an edit's delivery costs the same at any catalog size.

That copy describes the bucket only if no delivery stopped half-way since. So before its first
request a delivery records its dirty set (every path it will upload or remove, shards included)
in a journal (the database's ``delivery_intents``, see ``deliver.intents``), and settles it only
once ``files.json`` is in place. A delivery that finds a dirty set left by one that failed, was
killed or raced re-sends each of its paths whatever the diff says: uploads what the output holds,
removes what it no longer holds. When the bucket's ``files.json`` is missing or unreadable, or
when asked (``reconcile``: ``deliver --reconcile``, and ``run`` daily), the delivery compares the
output with a real listing of the bucket instead (ListObjectsV2: one request per 1,000 objects,
each with its ETag, the MD5 of a single-part PUT), as Hugo's deploy and s3deploy do; only the
publisher's own names (``contract.layout.is_managed``) under the prefix are ever removed.

Order (``contract.layout.delivery_phase``), each phase complete before the next starts:

1. immutable pages, schemas and the new shards of the file list (in parallel);
1b. the new chunks listing pages (``page-lists/``) or shards (``shard-lists/``);
2. per-item entry files: ``videos/<id>.json``, ``tags/<slug>.json``, ``folders/<id>.json``;
3. the indexes linking to them: ``videos.json``, ``tags.json``, ``folders.json``, ``index.html``;
4. ``manifest.json``, the file a frontend polls;
5. removals of objects the local list no longer holds;
6. ``files.json`` last: the record of a delivery that completed; then the shards (and chunks)
   only the previous list named are removed (a failure there leaves them owed, never a list naming a
   missing one).

So a reader of the bucket never follows a link to a file not uploaded yet, mid-delivery included.
A failure stops before the next phase; what was already sent stays owed and is sent again.

boto3 is an optional extra (``pip install 'wistia-sync[s3]'``), imported only here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wistia_sync.contract.cache_policy import CachePolicy, cache_tags, content_type
from wistia_sync.contract.filelist import (
    LIST_READ_ATTEMPTS,
    FileEntry,
    FileIndex,
    FileListError,
    FileListReplaced,
    ShardRef,
    entries_of,
    expand_index,
    local_shard_reader,
    parse_file_index,
    read_local_index,
    shards_covering,
)
from wistia_sync.contract.layout import (
    DELIVERY_PHASES,
    FILES_PATH,
    delivery_phase,
    is_list_file,
    is_managed,
)
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
    reconciled: bool = False  # compared with a listing of the bucket
    listed: int = 0  # the publisher's objects that listing found

    def summary(self) -> str:
        return (
            f"{self.target}: uploaded {len(self.uploaded)} objects ({self.bytes_uploaded} bytes), "
            f"removed {len(self.removed)}, {self.unchanged} unchanged"
            + (f"; reconciled with a listing of {self.listed} objects" if self.reconciled else "")
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


class Journal(Protocol):
    """Where a delivery records its dirty set (``deliver.intents.DatabaseJournal``)."""

    def owed(self) -> set[str]: ...

    def intend(self, paths: Iterable[str]) -> None: ...

    def settle(self, paths: Iterable[str]) -> None: ...

    def reconciled(self, objects: int) -> None: ...


class MemoryJournal:
    """A journal for one process (a script or test without a database)."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.reconciles: list[int] = []

    def owed(self) -> set[str]:
        return set(self.paths)

    def intend(self, paths: Iterable[str]) -> None:
        self.paths.update(paths)

    def settle(self, paths: Iterable[str]) -> None:
        self.paths.difference_update(paths)

    def reconciled(self, objects: int) -> None:
        self.reconciles.append(objects)


class _ChangedDuringDelivery(TargetError):
    """A publish replaced a file after its list was read: start again from the new list."""


def mirror_to_s3(
    output_dir: Path,
    location: S3Location,
    policy: CachePolicy,
    *,
    client: BaseClient,
    workers: int = UPLOAD_WORKERS,
    journal: Journal | None = None,
    reconcile: bool = False,
) -> UploadReport:
    """Make the bucket prefix equal the local output folder; see the module docstring.

    A publish that replaces the output while it is sent (another editor) makes the delivery
    start again from the new file list: what it already sent is in the journal, so sent again.
    """
    journal = journal if journal is not None else MemoryJournal()
    for attempt in range(LIST_READ_ATTEMPTS):
        try:
            return _mirror(
                output_dir, location, policy, client=client, workers=workers,
                journal=journal, reconcile=reconcile,
            )  # fmt: skip
        except (FileListReplaced, _ChangedDuringDelivery):
            if attempt == LIST_READ_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _mirror(
    output_dir: Path,
    location: S3Location,
    policy: CachePolicy,
    *,
    client: BaseClient,
    workers: int,
    journal: Journal,
    reconcile: bool,
) -> UploadReport:
    local_index, local_raw = read_local_index(output_dir)
    local = _LocalList(output_dir, local_index)
    report = UploadReport(target=str(location))
    with _describing_failures(location):
        owed = journal.owed()
        remote = _remote_file_index(client, location, report)  # its policy, even to reconcile
        diff = None
        if remote.index is not None and not reconcile:
            diff = _diff(local, remote, policy, client, location, report)
        if diff is None:  # asked to, or the bucket's list is missing or unreadable
            diff = _diff_by_listing(local, local_raw, remote.policy, policy, client, location)
            report.reconciled, report.listed = True, diff.listed
            report.unchanged = local.index.count - len(diff.changed)
        diff = _with_owed(diff, owed, local)
        if diff.up_to_date:
            if report.reconciled:
                journal.reconciled(report.listed)
            return report
        # Before the first request: a delivery stopped anywhere from here on leaves these owed.
        journal.intend(diff.paths())
        upload = _Uploader(client, location, policy, output_dir, report)
        _upload_in_order(upload, diff.changed, diff.new_shards, workers)
        _delete(client, location, diff.removals)
        report.removed = diff.removals
        upload.raw(FILES_PATH, local_raw)
        settled = (owed | set(diff.paths())) - set(diff.old_shards)
        journal.settle(settled)
        if report.reconciled:
            journal.reconciled(report.listed)
    try:
        with _describing_failures(location):
            _delete(client, location, diff.old_shards)
        journal.settle(diff.old_shards)
    except TargetError as error:
        report.warnings.append(f"{error}; the next delivery removes them")
    return report


@dataclass(frozen=True)
class _Diff:
    """What a delivery sends and removes."""

    changed: list[FileEntry]  # files to upload, in path order
    removals: list[str]  # objects the local list no longer holds
    new_shards: list[FileEntry]  # the local list's shards the bucket lacks
    old_shards: list[str]  # shards in the bucket the local list no longer names
    up_to_date: bool  # the bucket already holds this very publish
    listed: int = 0  # objects of the publisher's in a listing (a reconcile)

    def paths(self) -> list[str]:
        return [
            *(entry.path for entry in self.changed),
            *self.removals,
            *(entry.path for entry in self.new_shards),
            *self.old_shards,
        ]


class _LocalList:
    """The output folder's file list, read shard by shard as needed."""

    def __init__(self, output_dir: Path, index: FileIndex) -> None:
        self.output_dir, self.index = output_dir, index
        self.read = local_shard_reader(output_dir)
        self.source = str(output_dir / FILES_PATH)
        # Every file of the list itself: its shards and the chunks listing them.
        self.shards = {ref.path: ref for ref in [*index.shards, *index.lists]}
        self._ordered = sorted(index.shards, key=lambda ref: ref.first)

    def entries(self, shards: Iterable[ShardRef] | None = None) -> dict[str, FileEntry]:
        chosen = self.index.shards if shards is None else shards
        return entries_of(self.index, chosen, self.read, self.source)

    def lookup(self, paths: Iterable[str]) -> dict[str, FileEntry]:
        """The entries of ``paths`` the list holds: only the shards covering them are read."""
        wanted = set(paths)
        if not wanted:
            return {}
        if self.index.inline is not None:
            return {p: e for p, e in self.index.inline.items() if p in wanted}
        firsts = [ref.first for ref in self._ordered]
        covering = {
            ref.path for path in wanted for ref in shards_covering(self._ordered, path, firsts)
        }
        found = self.entries(ref for ref in self._ordered if ref.path in covering)
        return {path: entry for path, entry in found.items() if path in wanted}


def _diff(
    local: _LocalList,
    remote: _RemoteList,
    policy: CachePolicy,
    client: BaseClient,
    location: S3Location,
    report: UploadReport,
) -> _Diff | None:
    """The local file list against the bucket's copy (None: the copy's shards are unreadable)."""
    assert remote.index is not None
    try:
        # A chunk the local index lists too holds the same shards: only the others are read.
        remote_index = expand_index(
            remote.index,
            _remote_shard_reader(client, location),
            f"{location}{FILES_PATH}",
            known=local.index.subtrees,
        )
    except FileListError as error:
        report.warnings.append(f"{error}; comparing with a listing of the bucket instead")
        return None
    # Objects carry their headers: a changed policy re-sends every file with the new ones.
    same_headers = remote.policy == _policy_fingerprint(policy)
    shared = _shared_shards(local.index, remote_index) if same_headers else set()
    local_files = local.entries(ref for ref in local.index.shards if ref.path not in shared)
    try:
        remote_files = entries_of(
            remote_index,
            [ref for ref in remote_index.shards if ref.path not in shared],
            _remote_shard_reader(client, location),
            f"{location}{FILES_PATH}",
        )
    except FileListError as error:
        report.warnings.append(f"{error}; comparing with a listing of the bucket instead")
        return None
    changed = [
        entry
        for path, entry in sorted(local_files.items())
        if not same_headers or path not in remote_files or remote_files[path].sha256 != entry.sha256
    ]
    report.unchanged = local.index.count - len(changed)
    removals = sorted(set(remote_files) - set(local_files))
    remote_shards = {ref.path for ref in [*remote_index.shards, *remote_index.lists]}
    new_shards = [
        ref.as_entry()
        for ref in local.shards.values()
        if not same_headers or ref.path not in remote_shards
    ]
    up_to_date = (
        not changed
        and not removals
        and not new_shards
        and remote_index.generation == local.index.generation
    )
    return _Diff(
        changed=changed,
        removals=removals,
        new_shards=new_shards,
        old_shards=sorted(remote_shards - set(local.shards)),
        up_to_date=up_to_date,
    )


def _diff_by_listing(
    local: _LocalList,
    local_raw: bytes,
    remote_policy: str | None,
    policy: CachePolicy,
    client: BaseClient,
    location: S3Location,
) -> _Diff:
    """The output against a listing of the bucket: an object is current when its ETag is the
    MD5 of the local bytes (and the bucket's list says its headers are this policy's)."""
    listed = list_managed_objects(client, location)
    same_headers = remote_policy == _policy_fingerprint(policy)
    local_files = local.entries()

    def current(path: str) -> bool:
        etag = listed.get(path)
        return same_headers and etag is not None and etag == _file_md5(local.output_dir / path)

    changed = [entry for path, entry in sorted(local_files.items()) if not current(path)]
    new_shards = [ref.as_entry() for ref in local.shards.values() if not current(ref.path)]
    theirs = [path for path in listed if path != FILES_PATH]
    removals = sorted(p for p in theirs if p not in local_files and not is_list_file(p))
    old_shards = sorted(p for p in theirs if is_list_file(p) and p not in local.shards)
    list_current = same_headers and listed.get(FILES_PATH) == hashlib.md5(local_raw).hexdigest()
    return _Diff(
        changed=changed,
        removals=removals,
        new_shards=new_shards,
        old_shards=old_shards,
        up_to_date=not (changed or removals or new_shards or old_shards) and list_current,
        listed=len(listed),
    )


def list_managed_objects(client: BaseClient, location: S3Location) -> dict[str, str]:
    """Every object of the publisher's under the prefix (its path there → its ETag, unquoted).

    Other keys under the prefix (someone else's) are left out, so never removed.
    """
    found: dict[str, str] = {}
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=location.bucket, Prefix=location.prefix):
        for item in page.get("Contents", []):
            path = str(item["Key"])[len(location.prefix) :]
            if is_managed(path):
                found[path] = str(item.get("ETag", "")).strip('"').lower()
    return found


def _file_md5(path: Path) -> str | None:
    try:
        return hashlib.md5(path.read_bytes()).hexdigest()
    except OSError:
        return None  # gone: the upload says why


def _with_owed(diff: _Diff, owed: set[str], local: _LocalList) -> _Diff:
    """Add what an earlier delivery set out to change and never confirmed: each path the output
    holds is uploaded again, each it does not hold is removed (only names of the publisher's)."""
    if not owed:
        return diff
    changed = {entry.path: entry for entry in diff.changed}
    new_shards = {entry.path: entry for entry in diff.new_shards}
    removals, old_shards = set(diff.removals), set(diff.old_shards)
    held = local.lookup(p for p in owed if p not in local.shards and p != FILES_PATH)
    for path in owed:
        if path == FILES_PATH:
            continue  # always sent last
        if path in local.shards:
            new_shards.setdefault(path, local.shards[path].as_entry())
        elif path in held:
            changed.setdefault(path, held[path])
        elif is_list_file(path):
            old_shards.add(path)
        elif is_managed(path):
            removals.add(path)
    return _Diff(
        changed=sorted(changed.values(), key=lambda entry: entry.path),
        removals=sorted(removals),
        new_shards=sorted(new_shards.values(), key=lambda entry: entry.path),
        old_shards=sorted(old_shards),
        up_to_date=False,
        listed=diff.listed,
    )


def _upload_in_order(
    upload: _Uploader, changed: list[FileEntry], new_shards: list[FileEntry], workers: int
) -> None:
    """Phase by phase (``contract.layout.delivery_phase``), each in parallel, each complete
    before the next starts: nothing is uploaded before what it links to."""
    phases: dict[str, list[FileEntry]] = {phase: [] for phase in DELIVERY_PHASES}
    for entry in [*new_shards, *changed]:
        phases[delivery_phase(entry.path)].append(entry)
    for phase in DELIVERY_PHASES:
        _in_parallel(upload.file, phases[phase], workers)


def _shared_shards(local: FileIndex, remote: FileIndex) -> set[str]:
    """Shards both lists name with the same fingerprint: their entries are the same."""
    theirs = {(ref.path, ref.sha256, ref.count) for ref in remote.shards}
    return {ref.path for ref in local.shards if (ref.path, ref.sha256, ref.count) in theirs}


def _remote_shard_reader(client: BaseClient, location: S3Location) -> Callable[[ShardRef], bytes]:
    from botocore.exceptions import ClientError

    def read(ref: ShardRef) -> bytes:
        try:
            response = client.get_object(Bucket=location.bucket, Key=location.key(ref.path))
            body: bytes = response["Body"].read()
        except ClientError as error:
            if _error_code(error) in _FATAL_CODES:
                raise
            raise FileListError(
                f"cannot read {location}{ref.path} ({_error_code(error)})"
            ) from None
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
            raise _ChangedDuringDelivery(
                f"{entry.path} changed in {self.output_dir} during the delivery (another "
                "publish); the next delivery sends the new files"
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


@dataclass(frozen=True)
class _RemoteList:
    """The bucket's files.json (None: missing or unreadable) and the cache policy it records."""

    index: FileIndex | None
    policy: str | None


# Errors a listing would meet as well: the delivery fails with them, one clear line.
_FATAL_CODES = _CREDENTIAL_CODES | {"NoSuchBucket", "RequestTimeTooSkewed"}


def _remote_file_index(
    client: BaseClient, location: S3Location, report: UploadReport
) -> _RemoteList:
    """The bucket's files.json and the cache policy its objects were sent with."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    source = f"{location}{FILES_PATH}"
    try:
        response = client.get_object(Bucket=location.bucket, Key=location.key(FILES_PATH))
        raw = response["Body"].read()
    except ClientError as error:
        code = _error_code(error)
        if code in ("NoSuchKey", "404"):
            return _RemoteList(None, None)
        if code in _FATAL_CODES:
            raise
        report.warnings.append(
            f"cannot read {source} ({code or error}); comparing with a listing of the bucket"
        )
        return _RemoteList(None, None)
    except NoCredentialsError:
        raise
    except BotoCoreError as error:
        report.warnings.append(f"cannot read {source} ({error}); comparing with a listing")
        return _RemoteList(None, None)
    policy = response.get("Metadata", {}).get("cache-policy")
    try:
        return _RemoteList(parse_file_index(raw, source), policy)
    except FileListError as error:
        report.warnings.append(f"{error}; comparing with a listing of the bucket instead")
        return _RemoteList(None, policy)


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
    kept = (
        "; the bucket may hold part of this publish (every link in it resolves) and the next "
        "delivery completes it"
    )
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
