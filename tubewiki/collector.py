"""Python's cyclic garbage collector, paused while tubewiki builds many objects at once.

Loading Prefect and spaCy, or a 10,000-note vault, creates objects by the
hundred thousand and almost no garbage; the collector keeps walking them on
the way (a fifth of a model's load, and most of a big vault's overhead).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """No collection inside the block; with `freeze`, what it built is then exempt from
    later collections for good (for what lives as long as the process, like a model)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
