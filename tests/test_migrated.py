"""The temporary server skips its migration check only for a database known migrated."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from flows import migrated
from flows.server import temporary_env

MIGRATE = "PREFECT_API_DATABASE_MIGRATE_ON_START"


def database_at(path: Path, revision: str | None) -> Path:
    """A SQLite file as Prefect's leaves it: one alembic_version row (or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num TEXT)")
        connection.execute("DELETE FROM alembic_version")
        if revision is not None:
            connection.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    connection.close()
    return path


def test_prefects_default_database_lives_in_its_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert migrated.default_database({"PREFECT_HOME": str(home)}) == home / "prefect.db"


@pytest.mark.parametrize(
    "setting",
    [
        "PREFECT_API_DATABASE_CONNECTION_URL",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL",
        MIGRATE,
        "PREFECT_SERVER_DATABASE_MIGRATE_ON_START",
    ],
)
def test_a_database_or_check_the_user_chose_is_left_to_prefect(
    tmp_path: Path, setting: str
) -> None:
    home = str(tmp_path / "home")
    assert migrated.default_database({"PREFECT_HOME": home, setting: "x"}) is None
    profiles = tmp_path / "profiles.toml"
    profiles.write_text(f'active = "mine"\n[profiles.mine]\n{setting} = "x"\n', encoding="utf-8")
    env = {"PREFECT_HOME": home, "PREFECT_PROFILES_PATH": str(profiles)}
    assert migrated.default_database(env) is None


def test_a_database_is_known_migrated_only_at_the_revision_remembered(tmp_path: Path) -> None:
    database = database_at(tmp_path / "prefect.db", "aaa111")
    assert not migrated.already_migrated(database)  # nothing remembered yet
    migrated.remember(database)
    assert migrated.already_migrated(database)
    database_at(database, "bbb222")  # another Prefect migrated it since
    assert not migrated.already_migrated(database)
    migrated.remember(database)
    assert migrated.already_migrated(database)
    database_at(database, None)  # emptied
    assert not migrated.already_migrated(database)
    database.unlink()  # gone: the next server creates it
    assert not migrated.already_migrated(database)


def test_other_migration_scripts_make_the_server_check_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = database_at(tmp_path / "prefect.db", "aaa111")
    migrated.remember(database)
    assert migrated.already_migrated(database)
    monkeypatch.setattr(migrated, "_scripts", lambda: "scripts of another prefect")
    assert not migrated.already_migrated(database)


def test_a_damaged_record_means_check_and_is_written_anew(tmp_path: Path) -> None:
    database = database_at(tmp_path / "prefect.db", "aaa111")
    record = migrated.state_home() / migrated.RECORD_FILE
    record.parent.mkdir(parents=True, exist_ok=True)
    for damage in ("{not json", "[1, 2]", json.dumps({str(database): 7})):
        record.write_text(damage, encoding="utf-8")
        assert not migrated.already_migrated(database)
    migrated.remember(database)
    assert migrated.already_migrated(database)


def test_the_server_skips_the_check_only_when_told() -> None:
    assert MIGRATE not in temporary_env({}, owner=1)
    assert temporary_env({}, owner=1, check_database=False)[MIGRATE] == "false"
