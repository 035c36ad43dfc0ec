"""Argument coercion without pydantic for the plain parameters our commands declare.

Typer 0.29 coerces every parameter value (defaults included) through a pydantic ``TypeAdapter``
it builds on first use: importing pydantic and building the adapters of one command's dozen
parameters is most of an editor command's start-up (~0.4 s of 0.7 s). Our parameters are plain
``str``, ``bool``, ``int``/``float`` with ``min``/``max``, ``Path`` and ``list[str]``, and
nearly every value a user gives them is unambiguous (``42``, ``wistia.db``).

So each such parameter gets a runtime coercion (Typer's own ``RuntimeParam`` contract) that
handles exactly those unambiguous values, with the result Typer's adapter would give, and hands
every other value to Typer's own coercion, built then. A rejected value therefore always gets
Typer's own error message, and an unusual but valid one (`` 1_000 ``, ``+5``, ``12.0``) Typer's
own result: the fast path only ever answers where it and Typer agree (``tests/cli/test_coercion.py``
compares both on the same values, good and bad).

This is the one place we use Typer internals. ``install`` (called once, by
``wistia_sync.cli.app``) replaces ``_TyperParameter.get_runtime_param``, the method that fills
each parameter's lazy ``_runtime_param`` slot on first use, and builds on ``typer._coercion``'s
``RuntimeParam`` and ``build_runtime_param`` and ``typer._param_types.coerce_cli_path``. typer
is pinned ``<0.30``; if a release moves them, this module does not import or ``install`` does
nothing, every parameter stays on Typer's own (slower, still correct) path, and
``tests/cli/test_coercion.py`` fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._click.core import Context
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import _TyperParameter
from typer.models import ParameterInfo

# The slot Typer's ``_TyperParameter.get_runtime_param`` fills on first use and reads after.
TYPER_SLOT = "_runtime_param"
SLOT_PRESENT = TYPER_SLOT in getattr(_TyperParameter, "__annotations__", {}) and hasattr(
    _TyperParameter, "get_runtime_param"
)
# Typer's own method, kept so that tests can compare both paths on the same command line.
TYPER_GET_RUNTIME_PARAM = getattr(_TyperParameter, "get_runtime_param", None)

# Longer digit strings go to Typer (and int() refuses more than 4,300 digits anyway).
MAX_DIGITS = 18


class Undecided(Exception):
    """The fast path does not answer for this value: Typer's own coercion does."""


def _digits(text: str) -> bool:
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def _in_range(number: float, info: ParameterInfo) -> bool:
    return (info.min is None or number >= info.min) and (info.max is None or number <= info.max)


def _as_int(value: Any, info: ParameterInfo) -> int:
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _digits(value):
        number = int(value)
    else:
        raise Undecided
    if not _in_range(number, info):
        raise Undecided
    return number


def _as_float(value: Any, info: ParameterInfo) -> float:
    if type(value) in (int, float):
        number = float(value)
    elif isinstance(value, str):
        whole, dot, fraction = value.partition(".")
        if not (_digits(whole) and (not dot or _digits(fraction))):
            raise Undecided
        number = float(value)
    else:
        raise Undecided
    if not _in_range(number, info):
        raise Undecided
    return number


def _as_str(value: Any, info: ParameterInfo) -> str:
    if type(value) is not str:
        raise Undecided
    return value


def _as_bool(value: Any, info: ParameterInfo) -> bool:
    if type(value) is not bool:
        raise Undecided
    return value


def _as_path(value: Any, info: ParameterInfo) -> Path:
    """What pydantic's ``Path`` validation gives for a string, then Typer's own path checks.

    The checks (exists, file or folder, readable) depend only on the path, so they pass or fail
    here exactly as in Typer; when one fails, Typer redoes them to word the error its way.
    """
    if isinstance(value, Path):
        path = value
    elif type(value) is str:
        path = Path(value)
    else:
        raise Undecided
    try:
        checked = coerce_cli_path(path, info, path_type=Path)
    except BadParameter:
        raise Undecided from None
    assert isinstance(checked, Path)
    return checked


def _as_str_list(value: Any, info: ParameterInfo) -> list[str]:
    if not isinstance(value, list | tuple) or any(type(item) is not str for item in value):
        raise Undecided
    return list(value)


Coerce = Callable[[Any, ParameterInfo], Any]
FAST_PATHS: dict[Any, Coerce] = {
    str: _as_str,
    bool: _as_bool,
    int: _as_int,
    float: _as_float,
    Path: _as_path,
    list[str]: _as_str_list,
}


def fast_path_for(descriptor: TypeDescriptor) -> Coerce | None:
    """The fast coercion for this parameter, or None to leave it to Typer.

    Only the parameter options our commands use are covered; any other option that changes how
    Typer coerces (a parser, clamping, a dash for stdin, a path type, resolving, a file) does
    not get one.
    """
    info = descriptor.parameter_info
    if (
        descriptor.file_annotation is not None
        or info.parser is not None
        or info.clamp
        or info.allow_dash
        or info.resolve_path
        or info.path_type is not None
    ):
        return None
    try:
        return FAST_PATHS.get(descriptor.annotation)
    except TypeError:  # an unhashable annotation
        return None


@dataclass(frozen=True)
class FastRuntimeParam(RuntimeParam):
    """Typer's ``RuntimeParam`` contract: the fast path, else Typer's own coercion."""

    descriptor: TypeDescriptor
    fast: Coerce

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        try:
            return self.fast(value, self.parameter_info)
        except Undecided:
            typer_own = build_runtime_param(self.descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def fast_runtime_param(descriptor: TypeDescriptor) -> FastRuntimeParam | None:
    """The fast coercion for a parameter with this descriptor, or None to leave it to Typer."""
    fast = fast_path_for(descriptor)
    if fast is None:
        return None
    return FastRuntimeParam(
        parameter_info=descriptor.parameter_info,
        annotation=descriptor.annotation,
        descriptor=descriptor,
        fast=fast,
    )


def fast_get_runtime_param(self: _TyperParameter) -> RuntimeParam:
    """``_TyperParameter.get_runtime_param`` with the fast coercion where it applies."""
    runtime: RuntimeParam | None = getattr(self, TYPER_SLOT)
    if runtime is None:
        runtime = fast_runtime_param(self.type_descriptor) or build_runtime_param(
            self.type_descriptor
        )
        setattr(self, TYPER_SLOT, runtime)
    return runtime


def install() -> bool:
    """Make every Typer parameter of this process coerce through ``fast_get_runtime_param``.

    Idempotent. Returns False, changing nothing, when Typer's internals are not what this
    module expects (then every parameter stays on Typer's own path).
    """
    if not SLOT_PRESENT:
        return False
    _TyperParameter.get_runtime_param = fast_get_runtime_param  # type: ignore[method-assign]
    return True
