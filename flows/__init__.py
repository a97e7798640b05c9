"""Prefect flows for tubewiki: thin wrappers that add retries, limits and artifacts."""
