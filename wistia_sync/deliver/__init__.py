"""Beyond the output folder: mirror it to object storage, purge the CDN, verify what is served,
and the nginx configuration for serving it from disk."""
