"""What defining record classes costs start-up: dataclasses, NamedTuples, plain classes.

    python benchmarks/bench_records.py [--classes 35] [--fields 5] [--repeat 9]

Each figure is the median CPU time (user + system, from ``wait4``) of a fresh interpreter that
imports a module defining ``--classes`` classes of ``--fields`` annotated fields each, with
postponed annotations (as every module of the package has) and its bytecode already written,
minus that of an interpreter importing a module with only what the kind needs (``dataclasses``,
``typing``): the class definitions alone. The imports are
given too, against a bare interpreter (``typing`` is already imported by ``wistia_sync``, so a
NamedTuple adds none; ``dataclasses`` brings ``inspect`` with it). Kinds run alternately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measured import run_measured

KINDS = {
    "dataclass": ("from dataclasses import dataclass\n", "@dataclass(frozen=True)\nclass C{i}:\n"),
    "NamedTuple": ("from typing import NamedTuple\n", "class C{i}(NamedTuple):\n"),
    "plain class (__slots__)": ("", "class C{i}:\n"),
}
TYPES = ("str", "int | None", "tuple[str, ...]", "bool", "str | None")


def module(kind: str, classes: int, fields: int) -> tuple[str, str]:
    """(the imports alone, the imports and the classes) as module sources."""
    imports, header = KINDS[kind]
    names = [f"f{n}" for n in range(fields)]
    types = [TYPES[n % len(TYPES)] for n in range(fields)]
    lines = ["from __future__ import annotations\n", imports]
    for i in range(classes):
        lines.append(header.format(i=i))
        lines.append('    """A record."""\n')
        if kind.startswith("plain"):
            slots = ", ".join(f'"{name}"' for name in sorted(names))
            lines.append(f"    __slots__ = ({slots},)\n")
            arguments = ", ".join(f"{n}: {t}" for n, t in zip(names, types, strict=True))
            lines.append(f"    def __init__(self, {arguments}) -> None:\n")
            lines.extend(f"        self.{name} = {name}\n" for name in names)
        else:
            lines.extend(f"    {n}: {t}\n" for n, t in zip(names, types, strict=True))
    return "from __future__ import annotations\n" + imports, "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--classes", type=int, default=35)
    parser.add_argument("--fields", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=9)
    arguments = parser.parse_args()
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    cpu: dict[str, list[float]] = {"bare": []}
    with tempfile.TemporaryDirectory() as folder:
        scripts: dict[str, Path] = {}
        for kind in KINDS:
            imports, full = module(kind, arguments.classes, arguments.fields)
            for name, source in ((f"{kind}: imports", imports), (kind, full)):
                path = Path(folder) / f"m{len(scripts)}.py"
                path.write_text(source)
                scripts[name] = path
                cpu[name] = []
        env["PYTHONPATH"] = folder
        for path in scripts.values():  # writes the bytecode, as an installed package has it
            run_measured([sys.executable, "-c", f"import {path.stem}"], env)
        load_before = os.getloadavg()[0]
        for _ in range(arguments.repeat):
            cpu["bare"].append(run_measured([sys.executable, "-c", "pass"], env).cpu)
            for name, path in scripts.items():
                cpu[name].append(
                    run_measured([sys.executable, "-c", f"import {path.stem}"], env).cpu
                )
        load_after = os.getloadavg()[0]
    median = {name: statistics.median(values) for name, values in cpu.items()}
    print(
        f"{arguments.classes} classes of {arguments.fields} fields, median CPU of "
        f"{arguments.repeat} runs, load average {load_before:.1f} → {load_after:.1f}"
    )
    print()
    print("| kind | its imports (over a bare interpreter) | the classes (over the imports) |")
    print("|---|---:|---:|")
    for kind in KINDS:
        imports = median[f"{kind}: imports"]
        print(
            f"| {kind} | {1000 * (imports - median['bare']):.1f} ms | "
            f"{1000 * (median[kind] - imports):.1f} ms |"
        )


if __name__ == "__main__":
    main()
