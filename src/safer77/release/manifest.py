"""``manifest.json``: every file of a release with its sha256, and what the release was made
from (code version, high-water mark, load log, coverage). Nothing in it records when the
release was built, so a rebuild from the same warehouse writes the same bytes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from safer77 import __version__

NAME = "manifest.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` but the manifest: relative path -> sha256, sorted."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != NAME:
            out[rel] = sha256(p)
    return out


def code_version() -> dict[str, str]:
    """The package version, and the git commit of the source tree when it is a checkout."""
    out = {"safer77": __version__}
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return out
    if found.returncode == 0 and found.stdout.strip():
        out["git"] = found.stdout.strip()
    return out


def write_manifest(folder: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` into ``folder``: ``info`` and the files' digests."""
    doc = {**info, "files": digests(folder)}
    (folder / NAME).write_text(
        json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    return doc


def read_manifest(folder: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((folder / NAME).read_text(encoding="utf-8"))
    return doc


def verify(folder: Path) -> list[str]:
    """The files whose digest differs from the manifest's, or that are missing or extra."""
    listed = read_manifest(folder)["files"]
    found = digests(folder)
    return sorted(p for p in set(listed) | set(found) if listed.get(p) != found.get(p))
