"""Wistia webhooks: a receiver that stores signed deliveries, and a worker that applies them.

The receiver (``app``) answers 200 only once a delivery's events are committed to the inbox
table, so a crash after the answer loses nothing and a crash before it gets the delivery resent.
The worker (``worker``) drains the inbox in debounced batches: it refetches the affected media
from Wistia (``sync.refresh_media``) and republishes. ``serve`` runs both under uvicorn.
"""
