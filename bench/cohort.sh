#!/usr/bin/env bash
# Cohorts, one run: SSTEP's cohort engines beside the static split today's
# tools use (Trident, WSInfer: slides dealt round-robin to the workers up
# front), on one cohort of uneven synthetic slides with one model.
#
#   one x T     sstep-run --cohort, one process with all T threads
#   one x 1     one process, one thread (the per-core cost)
#   mpi 2 x 1   mpirun -np 2: rank 0 hands out slides largest first
#   array 2 x 1 two independent processes over one OUTDIR (leases), as a
#               Slurm job array's tasks are
#   static 2 x 1  the peer: two processes, each given every other slide of
#               the manifest in advance
#
# For each: wall time, the slides' summed time, parallel efficiency against
# one x 1, and the idle tail: how long the last worker runs alone after the
# others have run out of work, as a share of the wall time. Then a
# projection from the per-core cost to a 399-slide CAMELYON16-sized cohort.
#
# usage: bench/cohort.sh [BUILD] [SLIDES] [MODEL]
#   defaults: build 16 resnet18-trunk
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(realpath "${1:-build}")
SLIDES=${2:-16}
MODEL=${3:-resnet18-trunk}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PATH="$BUILD/bin:$PATH" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(nproc)

# Uneven sizes, 0.4 to 5 megapixels, in no particular order.
$PY - "$WORK" "$SLIDES" <<'PY'
import random, subprocess, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(3)
rows, rows_a, rows_b = ["slide,id"], ["slide,id"], ["slide,id"]
for i in range(n):
    side = int((0.4e6 + (5e6 - 0.4e6) * rng.random()) ** 0.5)
    w, h = side * 5 // 4, side * 4 // 5
    subprocess.check_call(["sstep-slide", "mkslide", "-o", f"{work}/s{i:02d}.tif",
                           "--size", f"{w},{h}", "--seed", str(i + 1)],
                          stdout=subprocess.DEVNULL)
    row = f"s{i:02d}.tif,s{i:02d}"
    rows.append(row)
    (rows_a if i % 2 == 0 else rows_b).append(row)
for name, r in (("all", rows), ("half0", rows_a), ("half1", rows_b)):
    open(f"{work}/{name}.csv", "w").write("\n".join(r) + "\n")
PY
PYTHONPATH=test/e2e $PY -c "import models, sys; models.export(sys.argv[1], sys.argv[2])" \
  "$MODEL" "$WORK/$MODEL.onnx"
sstep-compile "$WORK/$MODEL.onnx" -o "$WORK/m.sstep" --target=cpu
run=(sstep-run "$WORK/m.sstep" --backend=cpu --quiet)

# Warm the page cache and oneDNN's first-use costs out of the timings.
"${run[@]}" "$WORK/s00.tif" -o "$WORK/warm.tif" --threads=1

timed() { # NAME COMMAND...: wall seconds into $WORK/NAME.wall
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "$end - $start" | bc > "$WORK/$name.wall"
}

timed one-all "${run[@]}" --cohort "$WORK/all.csv" -o "$WORK/one-all" --threads="$T"
timed one-1 "${run[@]}" --cohort "$WORK/all.csv" -o "$WORK/one-1" --threads=1
timed mpi mpirun -np 2 "${run[@]}" --cohort "$WORK/all.csv" -o "$WORK/mpi" --threads=1
timed array bash -c "${run[*]} --cohort $WORK/all.csv -o $WORK/array --threads=1 &
                      ${run[*]} --cohort $WORK/all.csv -o $WORK/array --threads=1; wait"
timed static bash -c "${run[*]} --cohort $WORK/half0.csv -o $WORK/static --threads=1 &
                       ${run[*]} --cohort $WORK/half1.csv -o $WORK/static --threads=1; wait"

$PY - "$WORK" "$T" "$MODEL" <<'PY'
import glob, json, os, sys
work, threads, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def records(name):
    out = []
    for f in glob.glob(f"{work}/{name}/.sstep/slides/*.json"):
        r = json.load(open(f))
        assert r["status"] == "done", r
        out.append(r)
    return out


def measure(name, workers):
    rs = records(name)
    wall = float(open(f"{work}/{name}.wall").read())
    busy = sum(r["seconds"] for r in rs)
    mp = sum(r["megapixels"] for r in rs)
    ends = {}
    for r in rs:
        ends[r["pid"]] = max(ends.get(r["pid"], 0), r["finished_unix"])
    last = sorted(ends.values())
    tail = last[-1] - last[-2] if len(last) > 1 else 0.0
    return dict(wall=wall, busy=busy, mp=mp, tail=tail, workers=len(ends))


one = measure("one-1", 1)
rows = [("one x %d" % threads, "one-all", 1), ("one x 1", "one-1", 1),
        ("mpi 2 x 1 (SSTEP)", "mpi", 2), ("array 2 x 1 (SSTEP)", "array", 2),
        ("static 2 x 1 (peer)", "static", 2)]
print(f"cohort: {len(records('one-1'))} slides, {one['mp']:.1f} megapixels, "
      f"model {model}, {os.cpu_count()} cores")
print(f"{'engine':22s} {'wall s':>7s} {'slides s':>9s} {'MP/s':>6s} "
      f"{'efficiency':>10s} {'idle tail':>14s}")
for label, name, workers in rows:
    m = measure(name, workers)
    eff = one["wall"] / (workers * m["wall"]) if workers > 1 else \
        one["wall"] / m["wall"]
    tail = f"{m['tail']:.2f} s {100 * m['tail'] / m['wall']:4.1f}%" \
        if workers > 1 else "-"
    print(f"{label:22s} {m['wall']:7.2f} {m['busy']:9.2f} "
          f"{m['mp'] / m['wall']:6.2f} {eff:10.2f} {tail:>14s}")
# The per-core cost, projected to CAMELYON16's size: 399 slides, taken here
# as 100,000 x 60,000 level-0 pixels each with 25% tissue that
# --tissue-mask runs (an assumption, stated in docs/benchmarks.md).
core_s_per_mp = one["wall"] / one["mp"]
cohort_mp = 399 * 100_000 * 60_000 * 0.25 / 1e6
core_hours = cohort_mp * core_s_per_mp / 3600
print(f"projection: 399 slides x 1.5 GP of tissue at {1 / core_s_per_mp:.2f} "
      f"MP/s per core ({model}): {core_hours:.0f} core-hours, "
      f"{60 * core_hours / 4000:.1f} min on 4,000 cores at the efficiency of "
      f"one x 1 (seed pipeline: under 45 h on 4,000 cores, another model)")
PY
