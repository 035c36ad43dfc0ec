"""Operating the tool for years: backups and their restore drill, the dead-man's switch ping,
Prometheus metrics.

Above ``deliver`` (a backup may go to the site's S3 bucket with its client) and beside
``webhooks``: the webhook server is handed the metrics renderer by the CLI, never imports it.
"""
