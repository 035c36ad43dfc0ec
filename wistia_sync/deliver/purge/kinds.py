"""The kinds of purge provider ``--purge`` takes, and the spec forms each is written in.

Plain data, apart from the providers (which bring their HTTP, AWS and subprocess machinery), so
that a command's ``--help`` lists them for the cost of this module. ``providers.PROVIDERS`` has a
class for every kind here, in this order, and each class's ``syntax`` is its entry here.
"""

SPEC_FORMS: dict[str, tuple[str, ...]] = {
    "cloudfront": ("cloudfront:DISTRIBUTION_ID",),
    "cloudflare": ("cloudflare:ZONE_ID", "cloudflare:ZONE_ID:tags"),
    "fastly": ("fastly:SERVICE_ID",),
    "command": ("command:COMMAND ARGS",),
}


def spec_syntax() -> str:
    """Every spec form ``--purge`` takes, for help and errors: ``a, b or c``."""
    forms = [form for forms in SPEC_FORMS.values() for form in forms]
    return ", ".join(forms[:-1]) + " or " + forms[-1]


def provider_label(spec: str) -> str:
    """What may be shown of a provider: its kind and zone (``cloudflare ZONE``, ``fastly
    SERVICE``, ``cloudfront DISTRIBUTION``), never a ``command:`` line (``command``), which may
    carry arguments an operator would not print. A spec of no known kind shows as ``unknown``."""
    kind, _, argument = spec.partition(":")
    if kind not in SPEC_FORMS:
        return "unknown"
    zone = argument.partition(":")[0]
    if kind == "command" or not zone or not zone.replace("-", "").replace("_", "").isalnum():
        return kind
    return f"{kind} {zone[:128]}"
