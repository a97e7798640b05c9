"""Flow runs started by the CLI skip heartbeats only when nobody could read them."""

from __future__ import annotations

from flows.settings import local_run


def heartbeat() -> int | None:
    from prefect.settings import get_current_settings

    return get_current_settings().flows.heartbeat_frequency


def test_no_heartbeats_for_the_temporary_server_and_back_after() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}):
        before = heartbeat()
        assert before is not None  # Prefect's default sends them
        with local_run():
            assert heartbeat() is None
        assert heartbeat() == before


def test_heartbeats_stay_on_for_a_configured_server() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}):
        before = heartbeat()
        with local_run():
            assert heartbeat() == before is not None
