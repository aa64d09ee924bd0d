"""kill -9 from outside at seeded random moments, then the same command.

Usage: kill_async.py SEED COUNT OUTPUT -- COMMAND...

Runs COMMAND twice to completion (the reference output, and its time T: the
faster run's, so that a slow cold start does not stretch it), then until
COUNT kills have landed mid-run (at most 3 x COUNT tries): from a clean
slate, starts COMMAND, sends SIGKILL after a seeded delay in (0, T), checks
that OUTPUT is absent or already complete, runs COMMAND again to the end and
compares OUTPUT byte for byte with the reference. A run that ended before
its kill (the machine got faster: CI runs tests side by side) shortens T to
that delay. Unlike SSTEP_TEST_ABORT_AFTER_TILES, the kill lands at any
instruction: inside a tile, an encoder, a journal write. Fails unless half
the COUNT kills land before the run ends and a quarter after it has begun
its output (a journal, a partial file or a checkpoint folder is there), so
that most kills test a resume, not a start.
"""
import glob
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def clean(output):
    for path in glob.glob(glob.escape(output) + "*"):
        if os.path.isdir(path):  # OUTPUT.resume: a run's checkpoints
            shutil.rmtree(path)
        else:
            os.remove(path)


def main():
    seed, count, output = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1:]
    total = None
    for _ in range(2):
        clean(output)
        start = time.monotonic()
        subprocess.run(command, check=True)
        seconds = time.monotonic() - start
        total = seconds if total is None else min(total, seconds)
    reference = open(output, "rb").read()
    rng = random.Random(seed)
    killed = begun = tries = 0
    while killed < count and tries < 3 * count:
        i, tries = tries, tries + 1
        clean(output)
        delay = rng.uniform(0.05, 0.95) * total
        run = subprocess.Popen(command)
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        code = run.wait()
        if code == -signal.SIGKILL:
            killed += 1
            begun += 1 if glob.glob(glob.escape(output) + ".*") else 0
            if os.path.exists(output) and open(output, "rb").read() != reference:
                sys.exit(f"kill {i} at {delay:.3f} s left an incomplete {output}")
        elif code == 0:
            total = min(total, delay)  # it ran faster than T
        else:
            sys.exit(f"run {i} failed with exit code {code}")
        subprocess.run(command, check=True)
        if open(output, "rb").read() != reference:
            sys.exit(f"kill {i} at {delay:.3f} s: the resumed output differs")
    if killed < count // 2 or begun < count // 4:
        sys.exit(f"only {killed} of {count} kills landed before the run "
                 f"ended, {begun} after its output had begun")
    print(f"{killed} of {tries} killed mid-run ({begun} after the output had "
          f"begun), every resumed output equal: ok")


if __name__ == "__main__":
    main()
