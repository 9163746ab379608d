"""Solve: unsolved-homicide analytics (linkage, low-clearance clusters, emerging series)."""
