#!/usr/bin/env bash
# Cohorts on a real Slurm (Debian's slurm-wlm, one node on this machine,
# started and stopped here by local_slurm.sh): a job array of three tasks
# divides twelve slides (two corrupt) through leases; a task killed mid-slide
# and the same array again lose nothing; an MPI job (srun --mpi=pmix, and
# mpirun inside the allocation) gives the same outputs. Every output must
# equal the slide's own sstep-run byte for byte. Exits 77 (skipped) with a
# message when Slurm cannot start here (not root, no slurm-wlm).
#
#   slurm_cohort.sh BIN_DIR WORK_DIR PYTHON
set -euo pipefail
bin=$(realpath "$1")
work=$(realpath -m "$2")
python=$3
here=$(cd "$(dirname "$0")" && pwd)
helpers="$here/../tools/cohort_helpers.py"
export PATH="$bin:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

rm -rf "$work"
mkdir -p "$work/ref"
if ! out=$(bash "$here/local_slurm.sh" start "$work/slurm"); then
  echo "skipped: $out"
  exit 77
fi
trap 'bash "$here/local_slurm.sh" stop "$work/slurm"' EXIT
export SLURM_CONF="$work/slurm/slurm.conf"
echo "$out"

"$python" "$helpers" make "$work/c"
"$python" "$here/../tools/slide_run_helpers.py" model conv "$work/conv.onnx"
sstep-compile "$work/conv.onnx" -o "$work/m.sstep"
good="s00 s01 s02 s03 s04 s05 s06 s07 s08 s09"
for s in $good; do
  sstep-run "$work/m.sstep" "$work/c/$s.tif" -o "$work/ref/$s.tif" --tile=200 --quiet
done
cohort=("$work/m.sstep" --cohort "$work/c/manifest.csv" --tile=200)
templates="$here/../../scripts/slurm"

# Each array task runs through a wrapper, so one can be killed on purpose.
cat > "$work/run.sh" <<WRAP
#!/bin/bash
if [ "\${KILL_TASK:-x}" = any ] ||
   [ "\${KILL_TASK:-x}" = "\${SLURM_ARRAY_TASK_ID:-y}" ]; then
  export SSTEP_TEST_ABORT_IN_SLIDE=2 SSTEP_TEST_ABORT_AFTER_TILES=2
fi
exec sstep-run "\$@"
WRAP
chmod +x "$work/run.sh"

echo "== job array, 3 tasks"
SSTEP_RUN="$work/run.sh" sbatch --wait --array=0-2 --cpus-per-task=1 \
  --output="$work/array-%a.log" "$templates/cohort-array.sbatch" \
  "${cohort[@]}" -o "$work/array" || true
"$python" "$helpers" once "$work/array"
"$python" "$helpers" same "$work/ref" "$work/array" $good
"$python" "$helpers" state "$work/array" done=10 failed=2 pending=0
tasks=$(grep -h '"pid"' "$work"/array/.sstep/slides/*.json | sort -u | wc -l)
echo "slides run by $tasks tasks"
[ "$tasks" -ge 2 ] || { echo "the array did not share the cohort"; exit 1; }

# Every task is killed during its second slide; with 12 slides and 3 tasks
# at least one gets that far, whichever Slurm starts first (a run where
# task 0 was meant to be the one found its siblings had taken the slides).
# A killed slide is resumed from its journal, by a sibling task (its lease
# is stale: the pid is gone) or by the array submitted again.
echo "== job array whose tasks are killed during their second slide, then again"
SSTEP_RUN="$work/run.sh" sbatch --wait --array=0-2 \
  --cpus-per-task=1 --export=ALL,KILL_TASK=any \
  --output="$work/killed-%a.log" "$templates/cohort-array.sbatch" \
  "${cohort[@]}" -o "$work/killed" || true
killed=0
for a in 0 1 2; do
  grep -q "cohort summary" "$work/killed-$a.log" || killed=$((killed + 1))
done
echo "$killed task(s) killed"
[ "$killed" -ge 1 ] || { echo "no task was killed"; exit 1; }
"$python" "$helpers" snapshot "$work/killed" "$work/killed.done"
SSTEP_RUN="$work/run.sh" sbatch --wait --array=0-1 --cpus-per-task=1 \
  --output="$work/again-%a.log" "$templates/cohort-array.sbatch" \
  "${cohort[@]}" -o "$work/killed" || true
"$python" "$helpers" unchanged "$work/killed" "$work/killed.done"
"$python" "$helpers" resumed "$work/killed"
"$python" "$helpers" same "$work/ref" "$work/killed" $good
"$python" "$helpers" state "$work/killed" done=10 failed=2 pending=0

for launcher in srun mpirun; do
  echo "== MPI job, 2 ranks, $launcher"
  SSTEP_LAUNCHER=$launcher sbatch --wait --ntasks=2 --cpus-per-task=1 \
    --output="$work/mpi-$launcher.log" "$templates/cohort-mpi.sbatch" \
    "${cohort[@]}" -o "$work/mpi-$launcher" || true
  grep -q "12 slides: 10 done, 2 failed, 0 running, 0 pending" \
    "$work/mpi-$launcher.log" || { cat "$work/mpi-$launcher.log"; exit 1; }
  "$python" "$helpers" once "$work/mpi-$launcher"
  "$python" "$helpers" same "$work/ref" "$work/mpi-$launcher" $good
  ranks=$(grep -h '"pid"' "$work"/mpi-$launcher/.sstep/slides/*.json | sort -u | wc -l)
  [ "$ranks" = 2 ] || { echo "expected 2 ranks to run slides, saw $ranks"; exit 1; }
done
echo "== one slide split across 2 ranks by srun --mpi=pmix"
sstep-slide mkslide -o "$work/big.tif" --size 1500,1100 > /dev/null
sstep-run "$work/m.sstep" "$work/big.tif" -o "$work/big-one.tif" --tile=200 --quiet
sbatch --wait --ntasks=2 --cpus-per-task=1 --output="$work/split.log" \
  --wrap "srun --mpi=pmix --kill-on-bad-exit=1 sstep-run $work/m.sstep $work/big.tif -o $work/big-split.tif --tile=200 --quiet"
cmp "$work/big-one.tif" "$work/big-split.tif"
echo "slurm cohort tests ok"
