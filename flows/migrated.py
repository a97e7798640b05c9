"""Whether the temporary server's database is already migrated as far as this Prefect goes.

Every temporary server checks its database against Prefect's migrations on
start: it imports alembic and reads the 100-odd migration scripts to find the
head, 0.15 s of a cold command, to learn what the previous command already
knew. So after a server that migrated has answered, the database's revision is
remembered with the list of migration scripts it was migrated by; the next
server starts without the check (PREFECT_API_DATABASE_MIGRATE_ON_START=false)
when the database still holds that revision and the scripts are the same.

Only Prefect's default SQLite database qualifies, and only while the user has
set neither the database nor the check: anything else is left to Prefect.
Nothing here imports Prefect.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from flows.settings import prefect_package, profile_settings
from tubewiki.user_state import state_home

RECORD_FILE = "migrated.json"
SKIP = {"PREFECT_API_DATABASE_MIGRATE_ON_START": "false"}
MIGRATIONS = Path("server", "database", "_migrations", "versions", "sqlite")  # in prefect
# The settings a user may pick another database or the check with (Prefect 3 reads both
# spellings); any of them set, in the environment or the profile, and the check runs.
_USER_CHOICES = (
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_API_DATABASE_MIGRATE_ON_START",
    "PREFECT_SERVER_DATABASE_MIGRATE_ON_START",
)


def default_database(env: Mapping[str, str]) -> Path | None:
    """Prefect's default SQLite file under `env`, or None when the user chose the
    database or the check themselves."""
    chosen = {*env, *profile_settings(env)}
    if any(name in chosen for name in _USER_CHOICES):
        return None
    home = env.get("PREFECT_HOME", "").strip()
    return (Path(home).expanduser() if home else Path.home() / ".prefect") / "prefect.db"


def already_migrated(database: Path) -> bool:
    """The database holds the revision a server migrated it to with these same scripts."""
    scripts, revision = _scripts(), _revision(database)
    if scripts is None or revision is None:
        return False
    return _known().get(str(database)) == {"scripts": scripts, "revision": revision}


def remember(database: Path) -> None:
    """After a server that checked the database has answered: its revision now is the
    head of these scripts."""
    scripts, revision = _scripts(), _revision(database)
    if scripts is None or revision is None:
        return
    known = _known()
    known[str(database)] = {"scripts": scripts, "revision": revision}
    path = state_home() / RECORD_FILE
    with contextlib.suppress(OSError):  # unrecorded, the next server checks again
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{RECORD_FILE}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(known, indent=1) + "\n", encoding="utf-8")
        partial.replace(path)


def _known() -> dict[str, object]:
    """The record: each database's scripts digest and revision."""
    try:
        known = json.loads((state_home() / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _scripts() -> str | None:
    """A digest of the names of Prefect's SQLite migration scripts: a Prefect that
    brings new migrations has other names."""
    package = prefect_package()
    if package is None:
        return None
    try:
        names = sorted(os.listdir(package / MIGRATIONS))
    except OSError:
        return None
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def _revision(database: Path) -> str | None:
    """The alembic revision the database is at, read without writing anything."""
    if not database.is_file():
        return None
    try:
        with contextlib.closing(
            sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=1)
        ) as connection:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None
