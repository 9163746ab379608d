"""The monthly release: fetch (or take files), ingest, analyse, build, and publish a versioned,
archived release folder with the figures it published and their revisions.

Modules: :mod:`.config` (release.toml), :mod:`.figures` (data/figures.csv),
:mod:`.revisions` (what changed since the previous release, and the records behind it),
:mod:`.manifest` (every file's sha256), :mod:`.archive` (release folders, the public pointer,
the lock), :mod:`.feed` (releases/index.html and feed.xml), :mod:`.pages` (the Revisions page),
:mod:`.steps` (the run itself, step by step).
"""
