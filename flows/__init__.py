"""Prefect flows for tubewiki: thin wrappers that add retries, limits and artifacts.

Importing the package sets tubewiki's Prefect defaults (analytics off, a longer
startup timeout for the temporary server) before any flow module imports
Prefect.
"""

from flows.settings import apply_defaults

apply_defaults()
