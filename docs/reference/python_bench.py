"""Issue 20's benchmark of the Python package (docs/benchmarks.md, "Python package (issue
20)"): every timed command is one process of its own, the commands alternate round by
round, and medians are reported.

pipeline: rebuy.run from Python, the peer pipeline (pandas, scikit-learn, XGBoost,
          lifetimes; as is and with OMP_NUM_THREADS=1) and the rebuy CLI on one input,
          plus `import rebuy` alone; one warm-up round, then ROUNDS rounds; wall seconds
          and max RSS from /usr/bin/time. Prints which binary and extension were timed.

    python python_bench.py pipeline DATA.csv.gz REBUY_BINARY [ROUNDS]

btyd:     BG/NBD fit on 1M customers, rebuy.btyd against lifetimes, ROUNDS rounds
          alternating; the 1M summary is CDNOW's 2,357 customers tiled with seeded
          jitter (written once to NPZ when it does not exist).

    python python_bench.py btyd CDNOW_SUMMARY.csv /tmp/btyd_1m.npz [ROUNDS]

(`fit rebuy|lifetimes NPZ` is the one-process fit that `btyd` runs.)
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
HERE = Path(__file__).resolve().parent
TIME = ["/usr/bin/time", "-f", "%e %M"]


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def sha256(path):
    """The first 12 hex digits of the file's SHA-256: which build was timed."""
    import hashlib

    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:12]


def extension():
    """The compiled module of the installed rebuy package, found without importing it."""
    import importlib.util

    return importlib.util.find_spec("rebuy._rebuy").origin


def timed(command):
    """Runs command in a process of its own: (wall seconds, max RSS MB, its stdout)."""
    done = subprocess.run(TIME + command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    wall, rss_kb = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024, done.stdout


def pipeline(data, binary, rounds):
    commands = {
        "rebuy.run (Python)": [PYTHON, "-c", "import rebuy, sys; rebuy.run(sys.argv[1], sys.argv[2], currency='GBP')",
                               data, "/tmp/x/run"],
        "peer pipeline (pandas, scikit-learn, XGBoost, lifetimes)": [PYTHON, str(HERE / "peer_pipeline.py"), data,
                                                                     "/tmp/peer_customers.csv"],
        "peer pipeline, OMP_NUM_THREADS=1": ["env", "OMP_NUM_THREADS=1", PYTHON, str(HERE / "peer_pipeline.py"),
                                             data, "/tmp/peer_customers.csv"],
        "rebuy run (CLI)": [binary, "run", "--input", data, "--out", "/tmp/y/run", "--currency", "GBP"],
        "import rebuy (only)": [PYTHON, "-c", "import rebuy"],
    }
    print("binary", binary, sha256(binary))
    print("extension", extension(), sha256(extension()))
    for folder in ("/tmp/x", "/tmp/y"):
        os.makedirs(folder, exist_ok=True)
    print("load average before", *loadavg())
    results = {name: [] for name in commands}
    for round_ in range(rounds + 1):
        for name, command in commands.items():
            wall, rss, stdout = timed(command)
            if round_ > 0:  # round 0 is the warm-up
                results[name].append((wall, rss))
                print(f"round {round_}: {name}: {wall:.2f} s, {rss:.0f} MB", flush=True)
            if name.startswith("peer pipeline ("):
                peer_stages = stdout.strip().splitlines()[-1]
    print("load average after", *loadavg())
    print("peer stages (last round):", peer_stages)
    for name in ("/tmp/x/run", "/tmp/y/run"):
        stages = json.loads(Path(name, "manifest.json").read_text())["stages"]
        print(f"{name} stages (last round):", ", ".join(f"{s['name']} {s['seconds']:.2f} s" for s in stages))
    print("| command | wall s, median (min-max) | max RSS MB, median |")
    print("|---|---|---|")
    medians = {}
    for name, runs in results.items():
        walls = [w for w, _ in runs]
        medians[name] = statistics.median(walls)
        print(f"| {name} | {medians[name]:.2f} ({min(walls):.2f}-{max(walls):.2f}) "
              f"| {statistics.median(r for _, r in runs):.0f} |")
    run, peer, peer_one, cli, imported = list(medians.values())
    print(f"peer / rebuy.run {peer / run:.1f}x (OMP_NUM_THREADS=1: {peer_one / run:.1f}x); "
          f"peer / CLI {peer / cli:.1f}x; rebuy.run - import rebuy {run - imported:.2f} s")


def make_summary(cdnow, out, customers=1_000_000, seed=20):
    """CDNOW's (x, t_x, T) tiled to `customers` rows; each copy's t_x and T scaled by a
    seeded factor in [0.98, 1.02], so rows are not duplicates and t_x <= T still holds."""
    import numpy as np
    import pandas as pd

    base = pd.read_csv(cdnow)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(base), customers)
    scale = rng.uniform(0.98, 1.02, customers)
    frequency = base["x"].to_numpy(dtype=float)[rows]
    recency = base["t_x"].to_numpy(dtype=float)[rows] * scale
    T = base["T"].to_numpy(dtype=float)[rows] * scale
    np.savez(out, frequency=frequency, recency=recency, T=T)
    distinct = len(set(zip(frequency, recency, T)))
    print(f"wrote {out}: {customers} customers, {distinct} distinct rows")


def fit(library, npz):
    """One BG/NBD fit in this process; prints the seconds and the parameters as JSON."""
    import numpy as np

    if library == "rebuy":
        from rebuy.btyd import BetaGeoFitter
    else:
        from lifetimes import BetaGeoFitter
    data = np.load(npz)
    start = time.perf_counter()
    model = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "params": {k: float(v) for k, v in model.params_.items()}}))


def btyd(cdnow, npz, rounds):
    if not os.path.exists(npz):
        make_summary(cdnow, npz)
    print("load average before", *loadavg())
    fits = {"rebuy": [], "lifetimes": []}
    for round_ in range(rounds):
        for library in fits:
            wall, rss, stdout = timed([PYTHON, __file__, "fit", library, npz])
            result = json.loads(stdout.strip().splitlines()[-1])
            fits[library].append(result)
            print(f"round {round_ + 1}: {library}: fit {result['seconds']:.2f} s "
                  f"(process {wall:.2f} s, {rss:.0f} MB)", flush=True)
    print("load average after", *loadavg())
    medians = {lib: statistics.median(r["seconds"] for r in runs) for lib, runs in fits.items()}
    for library, runs in fits.items():
        params = {k: round(v, 6) for k, v in runs[-1]["params"].items()}
        print(f"{library}: fit median {medians[library]:.2f} s "
              f"({min(r['seconds'] for r in runs):.2f}-{max(r['seconds'] for r in runs):.2f}), {params}")
    ours, theirs = fits["rebuy"][-1]["params"], fits["lifetimes"][-1]["params"]
    diff = max(abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in theirs)
    print(f"lifetimes / rebuy {medians['lifetimes'] / medians['rebuy']:.1f}x; "
          f"max relative parameter difference {diff:.2e}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "pipeline":
        pipeline(args[0], args[1], int(args[2]) if len(args) > 2 else 5)
    elif command == "btyd":
        btyd(args[0], args[1], int(args[2]) if len(args) > 2 else 3)
    elif command == "fit":
        fit(args[0], args[1])
    else:
        raise SystemExit(__doc__)
