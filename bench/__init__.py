"""Benchmarks: speed, memory and cost as ratios against a baseline measured in the same run.

    uv run python -m bench            # every benchmark
    uv run python -m bench digest     # one of them (see `python -m bench --list`)

Each benchmark module has `run() -> Table`; its table is printed and written to
`bench/results/<name>.md`, and the README quotes it.
"""
