"""Time of ``seislearn demo`` per stage, wall and CPU, and its headline results.

Runs the demo in a temporary folder with one torch thread, so the CPU seconds of
each stage are what it takes on one idle core (on a shared machine the wall time
only gives an upper bound; both are recorded with the load average).

    python benchmarks/demo_timing.py                 # the full demo
    python benchmarks/demo_timing.py --quick --name demo_timing_quick
"""

from __future__ import annotations

import os

# One thread for BLAS/OpenMP too (set before numpy loads): on a shared machine, idle
# threads spin-wait and inflate the CPU seconds this script reports.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", default=None, help="comma-separated stages (default all)")
    parser.add_argument("--name", default="demo_timing")
    parser.add_argument("--out", default=None, help="demo folder (default: a temporary one)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from seislearn.demo import parse_steps, run_demo

    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="demo_timing_"))
    t0, c0 = time.perf_counter(), time.process_time()
    report = run_demo(
        folder / "demo",
        seed=args.seed,
        quick=args.quick,
        steps=parse_steps(args.steps),
        overwrite=True,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    manifest = json.loads((folder / "demo" / "manifest.json").read_text(encoding="utf-8"))
    headlines = []
    for saved in sorted((folder / "demo" / "demo_stages").glob("*.json")):
        headlines += json.loads(saved.read_text(encoding="utf-8")).get("headlines", [])
    result = {
        "benchmark": "demo_timing",
        "command": "python benchmarks/demo_timing.py " + " ".join(sys.argv[1:]),
        "quick": args.quick,
        "seed": args.seed,
        "torch_threads": 1,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "stage_wall_s": {k: v for k, v in manifest["timings_s"].items() if k != "total"},
        "stage_cpu_s": manifest["cpu_s"],
        "load_average_at_end": list(os.getloadavg()),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "note": "CPU seconds with one torch thread = time on one idle core; wall time on a "
        "machine shared with other jobs is an upper bound",
        "headlines": headlines,
        "report": str(report),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "headlines"}, indent=2))
    for h in headlines:
        print(
            f"{h['workflow']:>22}  {h['metric']}: {h['method']} {h['value']:.4g} vs "
            f"{h['baseline']} {h['baseline_value']:.4g}"
        )
    target = Path(__file__).parent / "results" / f"{args.name}.json"
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
