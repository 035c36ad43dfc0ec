"""Beyond the output folder: mirror it to object storage, purge the CDN, verify what is served,
and the nginx configuration for serving it from disk.

- ``delivery``: ``deliver``/``deliver_publish``, what every publishing path calls next, and
  ``DeliverySettings``; ``targets``: parsing ``--target``;
- ``s3``: mirroring the folder to an S3-compatible bucket (boto3, imported only there);
- ``purge``: the CDN purge (providers, planner, and the paths a failed purge still owes);
- ``verify``: comparing what the public URL serves with the last publish;
- ``nginx``: the nginx server block for serving the folder from disk.
"""
