"""Prefect settings tubewiki needs before Prefect is imported.

With no server configured, Prefect starts a temporary local one. Analytics stay
off so nothing leaves the machine, and the startup timeout is raised because a
busy 2-core machine can exceed Prefect's 20 s default.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}

# What a command sets unless `--verbose` (`cli_common.flow_session`); the warm runner
# (`flows.runner`) imports Prefect under the same.
QUIET = {"PREFECT_LOGGING_LEVEL": "CRITICAL", "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL"}


@cache
def prefect_package() -> Path | None:
    """The installed `prefect` package's folder, found without importing it."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def profile_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings of Prefect's active profile under `env`, read without importing Prefect."""
    home = Path(env.get("PREFECT_HOME", "") or Path.home() / ".prefect")
    path = Path(env.get("PREFECT_PROFILES_PATH", "") or home / "profiles.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    name = env.get("PREFECT_PROFILE") or data.get("active", "ephemeral")
    profile = data.get("profiles", {}).get(name, {})
    return profile if isinstance(profile, dict) else {}


def apply_defaults() -> None:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)


def apply_quiet() -> None:
    """`QUIET`, where the environment does not say otherwise."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)


@contextmanager
def local_run(temporary: bool | None = None) -> Iterator[None]:
    """Flow runs started in this block send no heartbeats to Prefect's temporary server,
    and that server ends with this process, even one killed with SIGKILL.

    Heartbeats let a server mark a crashed run, but the temporary server dies
    with this process, so nobody reads them; and every flow run waits up to a
    second for its heartbeat thread to stop, most of a short run's overhead.
    With a configured server they stay on. `temporary` says whether the API is
    a temporary server (`flows.server` starts one and sets PREFECT_API_URL to
    it); by default, whether no PREFECT_API_URL is set, so Prefect starts one.
    """
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    if temporary is None:
        temporary = not get_current_settings().api.url
        if temporary:
            # Prefect itself will start the server (flows run outside the CLI): a
            # killed process must not leave it running. The CLI's own temporary
            # server (`flows.server`) already dies with its parent.
            from flows.lifeline import guard_temporary_server

            guard_temporary_server()
    if not temporary:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
