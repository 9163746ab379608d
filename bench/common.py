"""What the benchmark scripts share."""

from __future__ import annotations

import os
from pathlib import Path

#: ../shared/data beside the checkout, or $SAFER77_SHARED_DATA (the tests read the same)
SHARED = Path(
    os.environ.get("SAFER77_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
