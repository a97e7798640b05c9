"""The server-side limit that keeps tubewiki's YouTube requests polite.

`fetch_source` calls `rate_limit("youtube-requests", strict=False)`, which
silently does nothing while the limit is missing, so every flow that talks to
YouTube calls `ensure_limits()` first. A limit a person already tuned (in the
UI or with `prefect gcl update`) is left as it is.
"""

from __future__ import annotations

import logging

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

from flows.tasks import YOUTUBE_LIMIT

log = logging.getLogger(__name__)

# Two requests at once at most, and a slot frees every 2 s: about one request per 2 s.
YOUTUBE_SLOTS = 2
YOUTUBE_SLOT_DECAY_PER_SECOND = 0.5


def ensure_limits(
    name: str = YOUTUBE_LIMIT,
    limit: int = YOUTUBE_SLOTS,
    slot_decay_per_second: float = YOUTUBE_SLOT_DECAY_PER_SECOND,
) -> bool:
    """Create the rate limit if the server lacks it; True when this call created it."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=name,
                    limit=limit,
                    slot_decay_per_second=slot_decay_per_second,
                    active=True,
                )
            )
        except ObjectAlreadyExists:  # another flow run created it meanwhile
            return False
    log.info(
        "created the %s rate limit (%d slots, %.2f freed per second)",
        name,
        limit,
        slot_decay_per_second,
    )
    return True
