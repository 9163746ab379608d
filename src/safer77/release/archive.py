"""Where releases live, and how one is made public without ever showing half of it.

Layout under the release root::

    releases/.builds/2024-05-1a2b3c4d5e6f/   a release as built (named by its manifest digest)
    releases/2024-05 -> .builds/2024-05-1a2b3c4d5e6f   the month's release (symlink)
    releases/index.html, releases/feed.xml   the archive and its Atom feed
    releases/history.json                    when each release was first published
    current -> releases/2024-05              the public pointer (the newest month)
    work/                                    downloads, the lock, the run log

A release is built in ``releases/.builds/.tmp-*`` and renamed into place once complete; the
month's symlink and ``current`` are then replaced with :func:`os.replace` (atomic on POSIX).
A run that fails or is killed before that leaves the previous release and ``current`` as they
were; its temporary folder is removed by the next run.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safer77.errors import Conflict
from safer77.release.manifest import NAME as MANIFEST
from safer77.release.manifest import read_manifest

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def builds(self) -> Path:
        return self.releases / ".builds"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def history(self) -> Path:
        return self.releases / "history.json"

    def release(self, month: str) -> Path:
        return self.releases / month


def published(layout: Layout) -> list[str]:
    """The months with a published release, oldest first."""
    if not layout.releases.is_dir():
        return []
    return sorted(
        p.name
        for p in layout.releases.iterdir()
        if MONTH.match(p.name) and (p / MANIFEST).is_file()
    )


def previous_release(layout: Layout, month: str) -> str | None:
    """The newest published month before ``month`` (what a release of ``month`` revises)."""
    earlier = [m for m in published(layout) if m < month]
    return earlier[-1] if earlier else None


def latest_manifest(layout: Layout) -> dict[str, Any] | None:
    """The manifest of the release published last (its high-water mark is where the next
    fetch starts)."""
    months = published(layout)
    if not months:
        return None
    found = [read_manifest(layout.release(m)) for m in months]
    return max(found, key=lambda d: (int(d.get("max_load_id", 0)), str(d.get("release"))))


def current_month(layout: Layout) -> str | None:
    target = os.readlink(layout.current) if layout.current.is_symlink() else None
    return Path(target).name if target else None


def new_build_dir(layout: Layout, month: str) -> Path:
    """A fresh temporary folder for building ``month``'s release."""
    layout.builds.mkdir(parents=True, exist_ok=True)
    tmp = layout.builds / f".tmp-{month}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    return tmp


def remove_stale_builds(layout: Layout) -> list[Path]:
    """Remove the temporary folders of runs that did not finish (the caller holds the lock)."""
    if not layout.builds.is_dir():
        return []
    stale = [p for p in layout.builds.iterdir() if p.name.startswith(".tmp-")]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def _swap_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` in one atomic step (a new link renamed over the old)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish(layout: Layout, tmp: Path, month: str, digest: str) -> tuple[Path, bool]:
    """Move the finished build ``tmp`` into place as ``month``'s release and switch the
    month's link and (for the newest month) ``current``. Returns the build folder and whether
    anything changed: a build identical to the published one is discarded."""
    name = f"{month}-{digest[:12]}"
    final = layout.builds / name
    link = layout.release(month)
    old = os.readlink(link) if link.is_symlink() else None
    if final.exists():
        shutil.rmtree(tmp)
        changed = old != f".builds/{name}"
    else:
        os.rename(tmp, final)
        changed = True
    _fsync_dir(layout.builds)
    if link.exists() and not link.is_symlink():
        raise Conflict(f"{link} is not a link made by `safer77 release`; move it away")
    _swap_symlink(link, f".builds/{name}")
    newest = max([*published(layout), month])
    if newest == month:
        _swap_symlink(layout.current, f"releases/{month}")
    _fsync_dir(layout.releases)
    _fsync_dir(layout.root)
    if old and old != f".builds/{name}":
        shutil.rmtree(layout.releases / old, ignore_errors=True)  # superseded build of month
    return final, changed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_history(layout: Layout) -> dict[str, dict[str, str]]:
    """month -> {"published": first publication time, "build": build folder}."""
    if not layout.history.exists():
        return {}
    doc: dict[str, dict[str, str]] = json.loads(layout.history.read_text(encoding="utf-8"))
    return doc


def record_history(layout: Layout, month: str, build: str, when: str) -> None:
    """Note ``month``'s build; the publication time changes only when the build does."""
    hist = read_history(layout)
    if hist.get(month, {}).get("build") != build:
        hist[month] = {"published": when, "build": build}
    write_atomic(layout.history, json.dumps(hist, indent=1, sort_keys=True) + "\n")


@contextmanager
def locked(layout: Layout) -> Iterator[None]:
    """Hold the release lock (one run at a time); the kernel frees it if the run dies."""
    layout.work.mkdir(parents=True, exist_ok=True)
    path = layout.work / "release.lock"
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"another release is running (lock {path} is held)") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
