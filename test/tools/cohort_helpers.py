"""Helpers for the cohort tests: a small cohort of slides and checks.

Usage:
  cohort_helpers.py make DIR             10 synthetic slides of uneven sizes,
                                         two corrupt ones, manifest.csv
  cohort_helpers.py same REF OUT ID...   OUT/ID.tif equals REF/ID.tif, byte
                                         for byte, for each ID
  cohort_helpers.py snapshot OUT FILE    the done records of OUT/.sstep
  cohort_helpers.py unchanged OUT FILE   those records are untouched (the
                                         slides were not run again)
  cohort_helpers.py state OUT KEY=N ...  summary.json's counts
  cohort_helpers.py once OUT             every record has one attempt
  cohort_helpers.py resumed OUT          some slide resumed tiles from a
                                         journal

Each check prints one line ending in "ok" or exits 1.
"""
import filecmp
import json
import os
import subprocess
import sys

GOOD = [f"s{i:02d}" for i in range(10)]


def make(folder):
    os.makedirs(folder, exist_ok=True)
    rows = ["slide,id,label"]
    for i, name in enumerate(GOOD):
        # Uneven: the largest is about six times the smallest.
        w, h = 300 + 70 * ((i * 7) % 10), 260 + 40 * ((i * 3) % 10)
        subprocess.check_call(["sstep-slide", "mkslide", "-o",
                               f"{folder}/{name}.tif", "--size", f"{w},{h}",
                               "--seed", str(i + 1)],
                              stdout=subprocess.DEVNULL)
        rows.append(f"{name}.tif,{name},{i % 2}")
    # A TIFF cut short, and a file that is not a slide at all.
    with open(f"{folder}/{GOOD[0]}.tif", "rb") as f:
        head = f.read(3000)
    with open(f"{folder}/cut.tif", "wb") as f:
        f.write(head)
    with open(f"{folder}/notes.svs", "w") as f:
        f.write("not a slide\n")
    rows[4:4] = ["cut.tif,cut,1", "notes.svs,notes,0"]
    with open(f"{folder}/manifest.csv", "w") as f:
        f.write("\n".join(rows) + "\n")
    print("made", len(rows) - 1, "slides ok")


def records(out):
    folder = os.path.join(out, ".sstep", "slides")
    result = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name)) as f:
                r = json.load(f)
            result[r["id"]] = r
    return result


def fail(message):
    print(message)
    sys.exit(1)


def main(argv):
    cmd = argv[1]
    if cmd == "make":
        make(argv[2])
    elif cmd == "same":
        ref, out = argv[2], argv[3]
        for i in argv[4:]:
            if not filecmp.cmp(f"{ref}/{i}.tif", f"{out}/{i}.tif",
                               shallow=False):
                fail(f"{out}/{i}.tif differs from {ref}/{i}.tif")
        print(f"{len(argv) - 4} outputs equal ok")
    elif cmd == "snapshot":
        done = {k: r for k, r in records(argv[2]).items()
                if r["status"] == "done"}
        with open(argv[3], "w") as f:
            json.dump(done, f)
        print(f"{len(done)} done ok")
    elif cmd == "unchanged":
        with open(argv[3]) as f:
            before = json.load(f)
        now = records(argv[2])
        for k, r in before.items():
            if now[k] != r:
                fail(f"{k} was run again: {r} -> {now[k]}")
        print(f"{len(before)} finished slides untouched ok")
    elif cmd == "state":
        with open(os.path.join(argv[2], ".sstep", "summary.json")) as f:
            s = json.load(f)
        for want in argv[3:]:
            key, value = want.split("=")
            if s[key] != int(value):
                fail(f"summary {key} = {s[key]}, expected {value}")
        print("summary ok")
    elif cmd == "once":
        many = {k: r["attempts"] for k, r in records(argv[2]).items()
                if r["attempts"] != 1}
        if many:
            fail(f"run more than once: {many}")
        print("each slide run once ok")
    elif cmd == "resumed":
        resumed = [k for k, r in records(argv[2]).items()
                   if r.get("tiles_resumed", 0) > 0]
        if not resumed:
            fail("no slide resumed from its journal")
        print("resumed", ",".join(resumed), "ok")
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
