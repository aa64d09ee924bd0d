#!/usr/bin/env bash
# What a kill costs a run of several stages with its stored images on disk:
# the model over a synthetic slide uninterrupted, then killed (SIGKILL, by
# the test hook) after a share of its tiles and run again, which resumes from
# its last checkpoint; and the same uninterrupted run with a checkpoint after
# every tile, the most checkpoints can cost. Prints the times, the tiles the
# rerun skipped, and whether the resumed output equals the uninterrupted one
# byte for byte. Before checkpoints, the rerun started from the first tile.
#
# usage: bench/resume.sh [BUILD] [THREADS] [MODEL] [SIZE] [KILL_SHARE]
#   defaults: build $(nproc) efficientnet-b0-features 4096 0.6
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${2:-$(nproc)}
MODEL=${3:-efficientnet-b0-features}
SIZE=${4:-4096}
SHARE=${5:-0.6}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

PYTHONPATH=test/e2e $PY -c "import models; models.export('$MODEL', '$WORK/m.onnx')"
"$BUILD/bin/sstep-compile" "$WORK/m.onnx" -o "$WORK/m.sstep"
"$BUILD/bin/sstep-slide" mkslide -o "$WORK/s.tif" --size "$SIZE,$SIZE" --tile 512
run=("$BUILD/bin/sstep-run" "$WORK/m.sstep" "$WORK/s.tif" --backend=cpu
  --threads="$THREADS" --store=disk --quiet)
echo "$MODEL over a ${SIZE}² slide, --store=disk, $THREADS threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

seconds() { $PY -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['seconds']:.1f}\")" "$1"; }
field() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

"${run[@]}" -o "$WORK/full.npy" --stats="$WORK/full.json"
tiles=$(field "$WORK/full.json" tiles_run)
stages=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))['grids']))" "$WORK/full.json")
kill_after=$($PY -c "print(max(1, int($tiles * $SHARE)))")

start=$(date +%s.%N)
env SSTEP_TEST_ABORT_AFTER_TILES="$kill_after" "${run[@]}" -o "$WORK/r.npy" || true
killed=$($PY -c "print(f'{$(date +%s.%N) - $start:.1f}')")
"${run[@]}" -o "$WORK/r.npy" --stats="$WORK/r.json" 2> "$WORK/note.txt" || { cat "$WORK/note.txt"; exit 1; }
same=$(cmp -s "$WORK/full.npy" "$WORK/r.npy" && echo yes || echo NO)

env SSTEP_TEST_CHECKPOINT_SECONDS=0 "${run[@]}" -o "$WORK/every.npy" --stats="$WORK/every.json"

printf '%-44s %10s %8s\n' run seconds tiles
printf '%-44s %10s %8s\n' "uninterrupted ($stages stages)" "$(seconds "$WORK/full.json")" "$tiles"
printf '%-44s %10s %8s\n' "killed after $kill_after tiles" "$killed" "$kill_after"
printf '%-44s %10s %8s\n' "rerun, resumed ($(field "$WORK/r.json" tiles_resumed) tiles skipped)" "$(seconds "$WORK/r.json")" "$(field "$WORK/r.json" tiles_run)"
printf '%-44s %10s %8s\n' "uninterrupted, a checkpoint after every tile" "$(seconds "$WORK/every.json")" "$tiles"
echo "resumed output equals the uninterrupted one: $same"
grep -h "resuming" "$WORK/note.txt" || true
