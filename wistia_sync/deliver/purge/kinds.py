"""The kinds of purge provider ``--purge`` takes, and the spec forms each is written in.

Plain data, apart from the providers (which bring their HTTP, AWS and subprocess machinery), so
that a command's ``--help`` lists them for the cost of this module. ``providers.PROVIDERS`` has a
class for every kind here, in this order, and each class's ``syntax`` is its entry here.
"""

import re

SPEC_FORMS: dict[str, tuple[str, ...]] = {
    "cloudfront": ("cloudfront:DISTRIBUTION_ID",),
    "cloudflare": ("cloudflare:ZONE_ID", "cloudflare:ZONE_ID:tags"),
    "fastly": ("fastly:SERVICE_ID",),
    "command": ("command:COMMAND ARGS",),
}


# IndexNow (``purge.indexnow``) shares the purges' budget, owed items and status, keyed
# ``indexnow:<endpoint host>``; it is set with ``site --indexnow``, never with ``--purge``.
INDEXNOW_KIND = "indexnow"


def spec_syntax() -> str:
    """Every spec form ``--purge`` takes, for help and errors: ``a, b or c``."""
    forms = [form for forms in SPEC_FORMS.values() for form in forms]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def provider_label(spec: str) -> str:
    """What may be shown of a provider: its kind and zone (``cloudflare ZONE``, ``fastly
    SERVICE``, ``cloudfront DISTRIBUTION``), never a ``command:`` line (``command``), which may
    carry arguments an operator would not print. A spec of no known kind shows as ``unknown``."""
    kind, _, argument = spec.partition(":")
    if kind == INDEXNOW_KIND:
        return kind
    if kind not in SPEC_FORMS:
        return "unknown"
    zone = argument.partition(":")[0]
    if kind == "command" or not zone or not zone.replace("-", "").replace("_", "").isalnum():
        return kind
    return f"{kind} {zone[:128]}"


_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# The modes a kind's spec may end with (``cloudflare:ZONE:tags``); "" is no mode.
_MODES: dict[str, tuple[str, ...]] = {"cloudflare": ("", "tags")}


def purge_key(spec: str) -> str:
    """What owed purges and spend are kept under: the provider's kind and zone, never the rest
    of the spec (``cloudflare:ZONE`` whatever the mode, ``cloudfront:DISTRIBUTION``,
    ``fastly:SERVICE``, and ``command`` for any command), so fixing a command's arguments or
    switching Cloudflare to tags keeps what is owed. A :class:`ConfigError` when ``spec`` is
    not in a form ``SPEC_FORMS`` lists (its syntax only: secrets are checked when it is used).
    """
    from wistia_sync.errors import ConfigError

    spec = spec.strip()
    kind, _, argument = spec.partition(":")
    if kind == INDEXNOW_KIND:  # not a --purge form: set with `site --indexnow`
        from urllib.parse import urlsplit

        host = urlsplit(argument).hostname if "://" in argument else argument  # a key already
        return f"{kind}:{host or 'unknown'}"
    if kind not in SPEC_FORMS:
        raise ConfigError(f"unknown --purge {spec[:200]!r}: use {spec_syntax()}")
    if kind == "command":
        import shlex

        try:
            argv = shlex.split(argument)
        except ValueError as error:
            raise ConfigError(f"invalid purge command {argument[:200]!r}: {error}") from None
        if not argv:
            raise ConfigError("--purge command: needs a command, e.g. command:/usr/local/bin/purge")
        return kind
    identifier, _, mode = argument.partition(":")
    if not _ID.fullmatch(identifier) or mode not in _MODES.get(kind, ("",)):
        raise ConfigError(f"invalid --purge {spec[:200]!r}: use {' or '.join(SPEC_FORMS[kind])}")
    return f"{kind}:{identifier}"
