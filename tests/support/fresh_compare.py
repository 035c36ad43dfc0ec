"""Comparing an output folder with a fresh publish of the same database into another folder.

Every file the fresh folder holds is byte-identical in the converged one, except the file list's
own files: the converged folder also keeps pages (and search shards) in their grace period, which
its files.json lists and the fresh one's does not (a fresh folder never held them). So the file
lists are compared as parsed, without the files in grace.
"""

from __future__ import annotations

from pathlib import Path

from wistia_sync.contract.filelist import FileEntry, read_local_file_list
from wistia_sync.contract.layout import FILES_PATH, is_list_file


def without_file_list(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` (by output path) without files.json and its shards and chunks."""
    return {path: data for path, data in files.items() if not _file_list_file(path)}


def fresh_differences(
    current: dict[str, bytes], out: Path, rebuilt: dict[str, bytes], fresh: Path
) -> list[str]:
    """How the folder ``out`` (its files ``current``) differs from ``fresh`` (``rebuilt``),
    beyond the files in grace ``out`` alone keeps and its file list names."""
    kept, made = without_file_list(current), without_file_list(rebuilt)
    differing = [path for path, data in made.items() if kept.get(path) != data]
    problems = [f"{path} differs from a fresh publish" for path in sorted(differing)]
    in_grace = set(kept) - set(made)
    listing, fresh_listing = _listing(out), _listing(fresh)
    if listing[0] != fresh_listing[0]:
        problems.append("files.json: another generation than a fresh publish's")
    entries = {path: entry for path, entry in listing[1].items() if path not in in_grace}
    if entries != fresh_listing[1]:
        problems.append(
            "files.json lists other files than a fresh publish's: "
            f"{sorted(set(entries) ^ set(fresh_listing[1]))[:5]}"
        )
    return problems


def files_in_grace(current: dict[str, bytes], rebuilt: dict[str, bytes]) -> set[str]:
    """The files only the converged folder holds (besides the file list's own)."""
    return set(without_file_list(current)) - set(without_file_list(rebuilt))


def _listing(folder: Path) -> tuple[str, dict[str, FileEntry]]:
    listing, _ = read_local_file_list(folder)
    return listing.generation, listing.files


def _file_list_file(path: str) -> bool:
    return path == FILES_PATH or is_list_file(path)
