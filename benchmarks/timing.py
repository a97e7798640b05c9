"""What both benchmarks do between timings on a machine whose speed wanders."""

from __future__ import annotations

import gc
import time

SETTLE_S = 2.0


def settle() -> None:
    """Let Prefect's background work and the last run's processes finish first."""
    gc.collect()
    time.sleep(SETTLE_S)
