"""Run the benchmarks: `python -m bench [name ...]`, `python -m bench --list`."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"common", "__main__", "__init__"}


def available() -> list[str]:
    return sorted(
        m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in SKIP and not m.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    names = available()
    if "--list" in argv:
        print("\n".join(names))
        return 0
    chosen = [a for a in argv if not a.startswith("-")] or names
    unknown = set(chosen) - set(names)
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    failed = False
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        result = module.run()
        for table in result if isinstance(result, list) else [result]:  # a bench may write several
            print(table.markdown())
            print(f"written to {table.write()}\n")
            failed |= any("FAIL" in cell for row in table.rows for cell in row)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
