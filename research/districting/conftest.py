"""Research tests run by ``make research``, not by ``make test``: this folder's modules and
the hand-drawn grids of tests/plan are importable, and CI's derandomized profile applies."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hypothesis

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "plan"))  # grids

hypothesis.settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("SAFER77_CI"):
    hypothesis.settings.load_profile("ci")
