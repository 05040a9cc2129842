"""The CLI commands on an archive larger than the memory the process may use.

Writes a synthetic SeisBench-format archive (``--n`` traces x ``(3, --samples)``
float32 at 100 Hz, written a bucket at a time by ``scale_stream.write_archive``;
a train/dev/test split of 80/10/10 % drawn per trace, each trace its own
event) into a temporary folder under ``--tmp``, then runs the commands a user
would, each in a memory cgroup capped at ``--cap-gib``, with the defaults of
the streaming choice (``auto``: the size decides):

- ``seislearn azimuth train --data ARCHIVE --out az --set training.head_epochs=1``
- ``seislearn azimuth predict --model az --data ARCHIVE --out az_pred``
- ``seislearn cluster train --data ARCHIVE --n-clusters 3 --out cl --set ...`` (few epochs)
- ``seislearn cluster predict --model cl --data ARCHIVE --out cl_pred``

The cap is a cgroup v1 ``memory.limit_in_bytes`` (or v2 ``memory.max``) on a
child of the benchmark's own memory cgroup (needs root); it is checked first
by a python that allocates 1 GiB more than the cap, which must be killed.
Before each command the archive's pages are dropped from the page cache
(``posix_fadvise(DONTNEED)``), so the command reads it from disk into pages
charged to its own cgroup. Recorded per command: exit code, OOM kills in the
cgroup, wall time, the kernel's peak usage of the cgroup
(``memory.max_usage_in_bytes``/``memory.peak``: anonymous memory *and* page
cache, which the kernel reclaims at the cap rather than kill), the peak of
the cgroup's anonymous memory (``total_rss + total_shmem``, sampled every
0.5 s: what cannot be reclaimed), the peak PSS sum of the process tree, the
streaming choice recorded by the command, and the 1-minute load average at
start and end. The feature-cache stores go to ``SEISLEARN_CACHE_DIR`` inside
the temporary folder; the whole folder is deleted at the end. Usage::

    sudo python benchmarks/larger_than_memory.py --n 100000 --samples 6000 --cap-gib 3
    python benchmarks/larger_than_memory.py --n 4000 --samples 3000 --cap-gib 1.5  # quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scale_stream import tree_memory_bytes, write_archive  # noqa: E402

SRC = HERE.parent / "src"


class MemoryCgroup:
    """A child of this process's memory cgroup with a memory limit (v1 or v2; needs root)."""

    def __init__(self, limit_bytes: int, name: str) -> None:
        own = self._own_folder()
        self.version = "v2" if (own / "memory.max").exists() or own.name == "" else "v1"
        self.path = own / name
        self.path.mkdir(exist_ok=True)
        self.limit_bytes = limit_bytes
        if self.version == "v1":
            (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            swap = self.path / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no swapping out of the cap either
                with contextlib.suppress(OSError):
                    swap.write_text(str(limit_bytes))
        else:
            (self.path / "memory.max").write_text(str(limit_bytes))
            (self.path / "memory.swap.max").write_text("0")

    @staticmethod
    def _own_folder() -> Path:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0":
                return Path("/sys/fs/cgroup") / path.lstrip("/")
        raise RuntimeError("no memory cgroup found in /proc/self/cgroup")

    def enter(self) -> None:
        """Move the calling process into the cgroup (a ``preexec_fn``)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def reset_peak(self) -> None:
        if self.version == "v1":
            (self.path / "memory.max_usage_in_bytes").write_text("0")

    def peak_bytes(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == "v1" else "memory.peak"
        try:
            return int((self.path / name).read_text())
        except (OSError, ValueError):
            return None

    def stat(self) -> dict[str, int]:
        out = {}
        for line in (self.path / "memory.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            out[key] = int(value)
        return out

    def anonymous_bytes(self) -> int:
        s = self.stat()
        if self.version == "v1":
            return s.get("total_rss", s.get("rss", 0)) + s.get("total_shmem", s.get("shmem", 0))
        return s.get("anon", 0) + s.get("shmem", 0)

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        for line in (self.path / name).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def remove(self) -> None:
        for _ in range(20):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.5)


def drop_page_cache(folder: Path) -> None:
    """Evict the files of ``folder`` from the page cache (only those files, clean pages)."""
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def run_capped(cgroup: MemoryCgroup, argv: list[str], env: dict, log_path: Path) -> dict:
    """Run ``argv`` inside ``cgroup`` at ``nice 10``; exit code, time and memory peaks."""
    cgroup.reset_peak()
    kills_before = cgroup.oom_kills()
    peaks = {"anon": 0, "pss": 0}
    stop = threading.Event()

    def preexec() -> None:
        cgroup.enter()
        os.nice(10)

    start_load = load1()
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec
        )

        def sample() -> None:
            while not stop.wait(0.5):
                try:
                    peaks["anon"] = max(peaks["anon"], cgroup.anonymous_bytes())
                    peaks["pss"] = max(peaks["pss"], tree_memory_bytes(process.pid)[1])
                except (OSError, ValueError):
                    pass

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        rc = process.wait()
        stop.set()
        thread.join()
    seconds = time.perf_counter() - t0
    kills = cgroup.oom_kills() - kills_before
    peak = cgroup.peak_bytes()
    tail = log_path.read_text(errors="replace").splitlines()[-15:]
    return {
        "command": " ".join(argv[2:]) if argv[1] == "-m" else " ".join(argv),
        "finished": rc == 0 and kills == 0,
        "exit_code": rc,
        "oom_kills": kills,
        "wall_s": round(seconds, 1),
        "cgroup_peak_gib": None if peak is None else round(peak / 2**30, 3),
        "cgroup_peak_anonymous_gib": round(peaks["anon"] / 2**30, 3),
        "tree_peak_pss_gib": round(peaks["pss"] / 2**30, 3),
        "load_1min_start": start_load,
        "load_1min_end": load1(),
        "log_tail": tail if rc != 0 else tail[-3:],
    }


def check_cap(cgroup: MemoryCgroup, env: dict, tmp: Path) -> dict:
    """A python allocating (and touching) 1 GiB more than the cap must be killed in the cgroup."""
    n = (cgroup.limit_bytes + 2**30) // 8
    code = f"import numpy as np; a = np.ones({n}); print('survived', a.sum())"
    result = run_capped(cgroup, [sys.executable, "-c", code], env, tmp / "cap_check.log")
    result["command"] = f"python -c 'np.ones({n})' ({(n * 8) / 2**30:.2f} GiB)"
    result["killed"] = result["exit_code"] != 0 and result["oom_kills"] > 0
    return result


def write_split_metadata(path: Path, seed: int = 0) -> None:
    """Give the archive a train/dev/test split (80/10/10 %, drawn per trace, one event each)."""
    meta = pd.read_csv(path / "metadata.csv")
    u = np.random.default_rng(seed).uniform(size=len(meta))
    meta["split"] = np.where(u < 0.8, "train", np.where(u < 0.9, "dev", "test"))
    meta.to_csv(path / "metadata.csv", index=False)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


COMMANDS = ("azimuth_train", "azimuth_predict", "cluster_train", "cluster_predict")


def command_lines(archive: Path, runs: Path, args: argparse.Namespace) -> dict[str, list[str]]:
    streaming = [] if args.streaming is None else ["--streaming", args.streaming]
    az_set = [a for s in args.azimuth_set for a in ("--set", s)]
    cl_set = [a for s in args.cluster_set for a in ("--set", s)]
    az, cl = runs / "az", runs / "cl"
    return {
        "azimuth_train": [
            "azimuth",
            "train",
            "--data",
            str(archive),
            "--out",
            str(az),
            *az_set,
            *streaming,
        ],
        "azimuth_predict": [
            "azimuth",
            "predict",
            "--model",
            str(az),
            "--data",
            str(archive),
            "--out",
            str(runs / "az_pred"),
            *streaming,
        ],
        "cluster_train": [
            "cluster",
            "train",
            "--data",
            str(archive),
            "--n-clusters",
            "3",
            "--out",
            str(cl),
            *cl_set,
            *streaming,
        ],
        "cluster_predict": [
            "cluster",
            "predict",
            "--model",
            str(cl),
            "--data",
            str(archive),
            "--out",
            str(runs / "cl_pred"),
            *streaming,
        ],
    }


def streaming_recorded(runs: Path, name: str, log_path: Path) -> dict | str | None:
    """The streaming choice the command wrote into its run (metrics.json or the manifest),
    else the line the command logged about it."""
    folder = {
        "azimuth_train": "az",
        "azimuth_predict": "az_pred",
        "cluster_train": "cl",
        "cluster_predict": "cl_pred",
    }[name]
    for file in ("metrics.json", "manifest.json"):
        path = runs / folder / file
        if path.is_file():
            data = json.loads(path.read_text())
            found = data.get("data_streaming") or (data.get("extra") or {}).get("data_streaming")
            if found:
                return found
    for line in log_path.read_text(errors="replace").splitlines():
        if ": streamed: " in line or ": in memory: " in line:
            return line.strip()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="traces in the archive")
    parser.add_argument("--samples", type=int, default=6000, help="samples per trace (100 Hz)")
    parser.add_argument("--cap-gib", type=float, default=3.0, help="memory cap of the cgroup")
    parser.add_argument("--tmp", default="/tmp", help="folder of the temporary archive")
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=COMMANDS)
    parser.add_argument(
        "--streaming",
        choices=("auto", "memory", "stream"),
        default=None,
        help="pass --streaming to every command (default: none, the commands' own auto)",
    )
    parser.add_argument("--azimuth-set", nargs="*", default=["training.head_epochs=1"])
    parser.add_argument(
        "--cluster-set",
        nargs="*",
        default=["training.pretrain_epochs=2", "training.dec_max_epochs=2"],
    )
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of the commands")
    parser.add_argument("--src", default=str(SRC), help="seislearn sources the commands run")
    parser.add_argument("--out", default=str(HERE / "results" / "larger_than_memory.json"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="seislearn-ltm-", dir=args.tmp))
    cgroup = MemoryCgroup(int(args.cap_gib * 2**30), f"seislearn-ltm-{os.getpid()}")
    env = {
        **os.environ,
        "PYTHONPATH": args.src,
        "OMP_NUM_THREADS": str(args.threads),
        "SEISLEARN_CACHE_DIR": str(tmp / "cache"),
        "MPLBACKEND": "Agg",
    }
    out: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(
                os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1
            ),
            "python": platform.python_version(),
        },
        "cap_gib": args.cap_gib,
        "src": args.src,
        "cgroup": {"version": cgroup.version, "path": str(cgroup.path)},
        "traces": args.n,
        "shape": [3, args.samples],
        "runs": {},
    }
    try:
        out["cap_check"] = check_cap(cgroup, env, tmp)
        print(f"cap check: {out['cap_check']}", flush=True)
        if not out["cap_check"]["killed"]:
            raise SystemExit("the cap does not apply: a process over it was not killed")
        archive = tmp / "archive"
        t0 = time.perf_counter()
        write_archive(archive, args.n, args.samples)
        write_split_metadata(archive)
        out["archive_bytes"] = folder_bytes(archive)
        out["archive_gib"] = round(out["archive_bytes"] / 2**30, 2)
        out["archive_over_cap"] = round(out["archive_bytes"] / cgroup.limit_bytes, 2)
        out["write_s"] = round(time.perf_counter() - t0, 1)
        print(
            f"archive: {args.n} x (3, {args.samples}), {out['archive_gib']} GiB "
            f"({out['archive_over_cap']}x the {args.cap_gib} GiB cap), {out['write_s']} s",
            flush=True,
        )
        runs = tmp / "runs"
        runs.mkdir()
        lines = command_lines(archive, runs, args)
        for name in args.commands:
            trained = name.replace("predict", "train")
            if name.endswith("predict") and not out["runs"].get(trained, {}).get("finished", True):
                print(f"{name} skipped: {trained} did not finish", flush=True)
                continue
            drop_page_cache(archive)
            argv = [sys.executable, "-m", "seislearn", "-v", *lines[name]]
            result = run_capped(cgroup, argv, env, tmp / f"{name}.log")
            result["command"] = "seislearn -v " + " ".join(lines[name]).replace(str(tmp), "$TMP")
            result["streaming"] = streaming_recorded(runs, name, tmp / f"{name}.log")
            out["runs"][name] = result
            print(f"{name}: {json.dumps(result)}", flush=True)
        cache = tmp / "cache"
        out["feature_cache_gib"] = round(folder_bytes(cache) / 2**30, 3) if cache.exists() else 0
    finally:
        cgroup.remove()
        shutil.rmtree(tmp, ignore_errors=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
        print(f"-> {args.out}", flush=True)


if __name__ == "__main__":
    main()
