"""Peak memory of a whole process tree (a Python chunker plus the ffmpeg processes it starts)."""

from __future__ import annotations

import contextlib
import subprocess
import time

import psutil


def run_tree(
    cmd: list[str], poll: float = 0.02
) -> tuple[float, float, float, subprocess.CompletedProcess[bytes]]:
    """(seconds, peak RSS of the tree summed, peak RSS of one process, result) of a command.

    GNU time's %M reports one process's peak only; the tree sum is what the machine must hold
    when a chunker runs several ffmpeg processes at once, so both are sampled.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak_sum = peak_one = 0.0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            sizes = []
            for p in procs:
                with contextlib.suppress(psutil.Error):  # it may have just ended
                    sizes.append(p.memory_info().rss)
            peak_sum = max(peak_sum, sum(sizes) / 2**20)
            peak_one = max(peak_one, max(sizes, default=0) / 2**20)
        except psutil.Error:
            pass
        time.sleep(poll)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    return seconds, peak_sum, peak_one, subprocess.CompletedProcess(cmd, proc.returncode, out, err)
