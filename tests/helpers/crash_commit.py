"""Commit the writes in a JSON file to a vault; the crash test kills this process mid-way.

Usage: crash_commit.py VAULT WRITES_JSON. Prints "ready" once loaded, so the
parent can time its SIGKILL from the start of `commit`, and "done" at the end.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tubewiki.journal import commit


def main() -> None:
    vault, spec = Path(sys.argv[1]), Path(sys.argv[2])
    writes = json.loads(spec.read_text(encoding="utf-8"))
    print("ready", flush=True)
    commit(vault, writes, meta={"run_id": "crash-test"})
    print("done", flush=True)


if __name__ == "__main__":
    main()
