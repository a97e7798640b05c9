"""Serve the three flows from one process, without a work pool or worker.

    python -m flows.serve

This is the one-process alternative to `prefect deploy --all` plus a worker:
`watch-channels` runs hourly, the other two run when triggered.
"""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from flows.ingest import ingest_video
from flows.rebuild import rebuild_vault
from flows.watch import watch_channels


def main() -> None:
    deployments = [
        ingest_video.to_deployment(name="ingest-video"),
        watch_channels.to_deployment(name="watch-channels", cron="0 * * * *"),
        rebuild_vault.to_deployment(name="rebuild-vault"),
    ]
    serve(*[d for d in deployments if isinstance(d, RunnerDeployment)])


if __name__ == "__main__":
    main()
