"""A flow whose two pool workers each write down who they are, then wait.

    python tests/helpers/hold_workers.py FOLDER

`tests/test_worker_lifeline.py` kills this process and checks that the
workers and their fork server end with it. Uses the Prefect API in
PREFECT_API_URL.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from prefect import flow, task

import flows  # noqa: F401  (tubewiki's Prefect defaults before Prefect is imported)
from flows.workers import api_shared_with_workers, make_task_runner


@task
def linger(record: str) -> None:
    Path(record).write_text(f"{os.getpid()} {os.getppid()}\n", encoding="utf-8")
    time.sleep(300)


@flow
def hold(folder: str) -> None:
    with api_shared_with_workers():
        futures = [linger.submit(f"{folder}/worker{i}") for i in range(2)]
        for future in futures:
            future.wait()


if __name__ == "__main__":
    hold.with_options(task_runner=make_task_runner("process", workers=2))(sys.argv[1])
