"""Mirror the Wistia account into the database: the crawl, one media at a time, play counts.

The modules, in the order a sync uses them:

- ``summary``: what a run is asked to do (``SyncOptions``), where it reports progress
  (``Progress``) and what it did (``SyncSummary``).
- ``runs``: the run's row in ``sync_runs``, opened as it starts and closed with its outcome.
- ``account``: ``sync_account``, one run: whether a full crawl is due, the listing passes and
  their watermarks, the archive check, the mass-delete guard, then the deletions it confirms.
- ``pages``: ``store_media_page``, each page listed: rows, folders, Wistia tag links, and the
  rejected records quarantined.
- ``media``: media asked for by id: deletion checks (``confirm_deleted``), the targeted refresh
  (``refresh_media``: webhooks, ``sync --media``) and one reported deletion (``confirm_deletion``).
- ``stats``: play counts (``refresh_stats`` within a run, ``fetch_missing_plays`` for the
  webhook worker).
- ``failures``: requests about one media that keep failing, recorded with a backoff.
- ``batches``: ids cut into the batches one request or query takes.

Each imports only those below it in ``failures``, ``summary``, ``runs``/``batches``, ``pages``,
``stats``, ``media``, ``account``; nothing here imports a later stage (publish, deliver,
webhooks, job, cli).
"""
