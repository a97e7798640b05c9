"""Where tubewiki keeps per-user state (the background server's record, the runner's
socket): apart from any vault, and found without importing anything heavy."""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "TUBEWIKI_STATE_DIR"


def state_home() -> Path:
    """tubewiki's per-user state folder: $TUBEWIKI_STATE_DIR, else the XDG state home."""
    configured = os.environ.get(STATE_ENV, "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "tubewiki"
