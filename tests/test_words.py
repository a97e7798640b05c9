"""Everyday words: wordfreq imported without walking the caller's stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_wordfreq_finds_its_data_without_inspecting_the_stack() -> None:
    """A fresh interpreter, so wordfreq is imported here and nowhere before."""
    script = textwrap.dedent(
        """
        import inspect
        from pathlib import Path

        def refuse(*args, **kwargs):
            raise AssertionError("inspect.stack() was called")

        inspect.stack = refuse
        from tubewiki.extract.words import everyday, zipf_frequency
        import locate
        import wordfreq

        assert wordfreq.DATA_PATH == Path(wordfreq.__file__).parent / "data", wordfreq.DATA_PATH
        assert locate.this_dir.__module__ == "locate._locate", "locate left patched"
        assert everyday("the") and not everyday("eigenvector")
        assert zipf_frequency("the", "en") > 7
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
