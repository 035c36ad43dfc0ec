"""Purge what a publish changed from the CDN.

- ``providers``: ``PROVIDERS``, each kind of CDN (``--purge KIND:…``) and the one call it sends;
- ``planner``: pure planning of the items to send, within a provider's limits and the budget;
- ``purger``: ``purge_changed``, which plans, sends and records: the paths a failed purge still
  owes (``purge_pending``), the month's spend and each provider's status.
"""
