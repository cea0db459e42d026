"""The chunker as the pipeline runs it, in its own process so its peak memory can be measured.

python -m bench._chunk_worker SOURCE OUTDIR WORKERS
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from newsroom.transcripts.media import cut_window, plan_episode_windows


def main(source: Path, outdir: Path, workers: int) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    windows = plan_episode_windows(source, max_seconds=1400, max_mb=24, overlap=2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda w: cut_window(source, w, outdir / f"{w.index:03d}.mp3"), windows))
    print(len(windows))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
