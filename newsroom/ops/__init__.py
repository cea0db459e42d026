"""Prefect glue: stage limits and the shared rate limit, task runners, artifacts, review pauses,
failure notifications, run options and the local server. With the entry layers (flows/, tasks/,
deployments/) and newsroom.app, the only code that imports Prefect (see tests/test_layers.py)."""
