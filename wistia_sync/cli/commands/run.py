"""``wistia-sync run``, what cron calls: sync, republish what is behind, deliver, and verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wistia_sync import config
from wistia_sync.cli.client import ApiUrl, ApiVersion, Demo, RateLimit, TokenFile, open_client
from wistia_sync.cli.console import notice, stdout_console
from wistia_sync.cli.delivery_options import (
    BaseUrl,
    EntryCacheControl,
    ImmutableCacheControl,
    Purge,
    PurgeBudget,
    S3EndpointUrl,
    Target,
    delivery_settings,
)
from wistia_sync.cli.options import (
    DURATION,
    AllowMassUnpublish,
    DbPath,
    Force,
    Json,
    OutputDir,
    Quiet,
    seconds,
)
from wistia_sync.cli.progress import run_sync
from wistia_sync.cli.sync_options import (
    AllowMassDelete,
    CaptionsBudget,
    DefaultVisibility,
    Full,
    FullEvery,
    StatsBudget,
    sync_options,
)

if TYPE_CHECKING:
    from wistia_sync.deliver.delivery import DeliveryReport, DeliverySettings
    from wistia_sync.job import JobReport


def run_command(
    db: DbPath = Path(config.DEFAULT_DB),
    output: OutputDir = Path(config.DEFAULT_OUTPUT),
    token_file: TokenFile = None,
    api_url: ApiUrl = config.DEFAULT_API_URL,
    api_version: ApiVersion = config.DEFAULT_API_VERSION,
    rate_limit: RateLimit = 600,
    full: Full = False,
    full_every: FullEvery = config.DEFAULT_FULL_EVERY,
    stats_budget: StatsBudget = 100,
    captions_budget: CaptionsBudget = 200,
    allow_mass_delete: AllowMassDelete = False,
    default_visibility: DefaultVisibility = "public",
    demo: Demo = False,
    force: Force = False,
    allow_mass_unpublish: AllowMassUnpublish = False,
    target: Target = None,
    s3_endpoint_url: S3EndpointUrl = None,
    purge: Purge = None,
    purge_budget: PurgeBudget = None,
    base_url: BaseUrl = None,
    cache_control_immutable: ImmutableCacheControl = None,
    cache_control_entry: EntryCacheControl = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Then check that --base-url serves this publish (re-purging what is stale, "
            "once) and record how long that took; exit 1 if still stale after --verify-wait.",
        ),
    ] = False,
    verify_wait: Annotated[
        str,
        typer.Option(
            "--verify-wait", metavar=DURATION, help="How long --verify may wait (at most 1h)."
        ),
    ] = "60s",
    ping_url: Annotated[
        str | None,
        typer.Option(
            "--ping-url",
            help="Ping a healthchecks-style monitor: URL/start, then URL or URL/<exit code> "
            "(default: the site's, `site --ping-url`; '' pings nothing).",
            show_default=False,
        ),
    ] = None,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            help="Write Prometheus metrics to this .prom file (node exporter's textfile "
            "collector) as the run ends.",
            show_default=False,
        ),
    ] = None,
    quiet: Quiet = False,
    as_json: Json = False,
) -> None:
    """Sync, then republish what changed. Exits 75 at once if another run holds the lock."""
    from wistia_sync.ops.ping import run_pinger
    from wistia_sync.ops.watch import watched_run

    if metrics_file is not None:
        from wistia_sync.ops.metrics import check_metrics_path

        check_metrics_path(metrics_file)
    pinger = run_pinger(ping_url, db)
    with watched_run(pinger, metrics_file, db) as summary:
        from wistia_sync.job import run_job

        wait = verify_wait_seconds(verify, verify_wait, base_url, db)
        delivery = delivery_settings(
            target, s3_endpoint_url, purge, purge_budget, base_url,
            cache_control_immutable, cache_control_entry,
        )  # fmt: skip

        options = sync_options(
            full, full_every, stats_budget, allow_mass_delete, default_visibility, captions_budget
        )
        options.source = "demo" if demo else "wistia"
        report = run_job(
            db,
            output,
            open_client=lambda: open_client(
                demo, token_file, api_url, api_version, rate_limit, quiet=quiet
            ),
            options=options,
            sync=lambda database, client, opts: run_sync(database, client, opts, quiet=quiet),
            force=force,
            delivery=delivery,
            allow_mass_unpublish=allow_mass_unpublish,
            started=pinger.start if pinger else None,
        )
        if report.sync is not None:
            summary.update(job_summary(report))
        settings = report.delivery_settings
        served_at = base_url or (settings.base_url if settings else None)
        print_job_report(
            report, quiet=quiet, as_json=as_json, owed_later=verify and bool(served_at)
        )
        if verify and served_at:
            verify_served(db, output, settings, served_at, wait=wait, quiet=quiet)
        raise_owed(report.delivery)


def job_summary(report: JobReport) -> dict[str, Any]:
    """The run's JSON summary (``--json``, and the body of ``--ping-url``'s last ping)."""
    assert report.sync is not None
    data = report.sync.as_dict()
    data["publish"] = None if report.publish is None else report.publish.as_dict()
    data["delivery"] = None if report.delivery is None else report.delivery.as_dict()
    return data


def raise_owed(delivery: DeliveryReport | None) -> None:
    """Exit 3 with one line when the delivery or purge is owed (the local publish stands)."""
    owed = None if delivery is None else delivery.owed()
    if owed is not None:
        from wistia_sync.errors import DeliveryOwed

        raise DeliveryOwed(owed)


def verify_served(
    db: Path,
    output: Path,
    delivery: DeliverySettings | None,
    base_url: str,
    *,
    wait: float,
    quiet: bool,
) -> None:
    """``run --verify``: wait until the public URL serves this publish; exit 1 if it never does."""
    from wistia_sync.deliver.purge.providers import check_base_url, make_provider
    from wistia_sync.deliver.verify import verify_until_fresh
    from wistia_sync.store.db import open_database

    checked = check_base_url(base_url)
    assert checked is not None
    purge = delivery.purge if delivery else None
    provider = make_provider(purge, base_url=checked) if purge else None
    fresh = verify_until_fresh(
        output, checked, db=open_database(db), wait_seconds=wait, purge=provider,
        purge_budget=delivery.purge_budget if delivery else None,
    )  # fmt: skip
    if fresh.latency_seconds is None:
        for line in fresh.report.lines():
            typer.echo(line)
        notice(f"warning: not served everywhere after {wait:g} s: {fresh.report.summary()}")
        raise typer.Exit(1)
    if not quiet:
        notice(f"served everywhere {fresh.latency_seconds:.1f} s after the publish")


def verify_wait_seconds(
    verify: bool, verify_wait: str, base_url: str | None, db: Path | None = None
) -> float:
    """``--verify-wait`` in seconds; ``--verify`` without ``--base-url`` (given, or stored with
    the site) is refused."""
    from wistia_sync.errors import ConfigError

    wait = seconds(verify_wait, "--verify-wait", maximum=3600)
    if verify and not base_url and not (db is not None and _site_base_url(db)):
        raise ConfigError(
            "--verify needs --base-url (or `wistia-sync site --base-url URL`): the public URL "
            "the output folder is served at"
        )
    return wait


def _site_base_url(db: Path) -> str | None:
    if not db.exists():
        return None
    from wistia_sync.publish.settings import stored_delivery
    from wistia_sync.store.db import open_database

    return stored_delivery(open_database(db)).get("base_url")


def print_job_report(
    report: JobReport, *, quiet: bool, as_json: bool, owed_later: bool = False
) -> None:
    """What the run did, on stdout (warnings on stderr); a failed sync is raised after saying
    what was republished from the last good database, an owed delivery (exit 3) after that
    unless ``owed_later`` (the caller raises it after ``--verify``)."""
    result = report.publish
    if report.delivery_notice and not quiet:
        notice(report.delivery_notice)
    for warning in report.delivery.warnings if report.delivery else ():
        notice(f"warning: {warning}")
    if report.sync_error is not None:
        if result is not None and result.changed and not quiet:
            stdout_console().print(f"republished from the last good database: {result.summary()}")
        raise report.sync_error
    assert report.sync is not None
    if as_json:
        stdout_console().print_json(json.dumps(job_summary(report)))
    elif not quiet:
        stdout_console().print(report.sync.line(), markup=False)
        stdout_console().print(result.summary() if result else "output up to date", markup=False)
        for line in report.delivery.lines() if report.delivery else ():
            stdout_console().print(line, markup=False)
    if not owed_later:
        raise_owed(report.delivery)
