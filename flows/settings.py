"""Prefect settings tubewiki needs before Prefect is imported.

With no server configured, Prefect starts a temporary local one. Analytics stay
off so nothing leaves the machine, and the startup timeout is raised because a
busy 2-core machine can exceed Prefect's 20 s default.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def apply_defaults() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
