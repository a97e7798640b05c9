"""Imported by the fork server that starts extraction workers (see `flows.workers`).

Everything a worker needs is loaded here once and inherited by every worker:
Prefect's task engine, the tasks it runs, Prefect's collections and spaCy.
All of it lives as long as the worker, so it is then frozen out of the cyclic
garbage collector's way: a worker's full collections walk only what its own
work makes (over the dev set, a third of a second a worker went on walking
the inherited objects).
"""

import gc

import prefect.task_engine  # noqa: F401

import flows.tasks  # noqa: F401
from flows.workers import prepare_worker

prepare_worker()
gc.freeze()
