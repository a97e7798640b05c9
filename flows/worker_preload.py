"""Imported by the fork server that starts extraction workers (see `flows.workers`).

Everything a worker needs is loaded here once and inherited by every worker:
Prefect's task engine, the tasks it runs, Prefect's collections and spaCy.
"""

import prefect.task_engine  # noqa: F401

import flows.tasks  # noqa: F401
from flows.workers import prepare_worker

prepare_worker()
