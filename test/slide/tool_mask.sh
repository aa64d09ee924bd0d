#!/usr/bin/env bash
# sstep-slide mask and info on a synthetic slide, checked with independent
# tools: the mask PNG's size and values with Python/PIL, info's levels with
# tiffinfo. Usage: TOOL WORKDIR PYTHON
set -euo pipefail
tool=$1 work=$2 py=$3
mkdir -p "$work" && cd "$work"
"$tool" mkslide -o synth.tif --size 4000,3000 --tile 512 --compression deflate --seed 5
"$tool" mask synth.tif -o mask.png --max-side 1024 --tiles 512 --margin 16 >mask.txt
cat mask.txt | head -3
"$py" - <<'PY'
import json, re, subprocess
from PIL import Image
import numpy as np
m = np.asarray(Image.open("mask.png"))
assert m.shape == (750, 1000), m.shape  # level 2 of 4000x3000 is 1000x750
assert set(np.unique(m)) <= {0, 255}, np.unique(m)
frac = (m == 255).mean()
assert 0.05 < frac < 0.9, frac
txt = open("mask.txt").read()
kept, total = map(int, re.search(r"tissue tiles (\d+) of (\d+)", txt).groups())
assert total == 8 * 6 and 0 < kept < total, (kept, total)
PY
"$tool" info synth.tif --json >info.json
tiffinfo synth.tif 2>/dev/null | grep "Image Width" >tiffinfo.txt
"$py" - <<'PY'
import json, re
info = json.load(open("info.json"))
dims = [tuple(map(int, m)) for m in re.findall(r"Image Width: (\d+) Image Length: (\d+)", open("tiffinfo.txt").read())]
mine = [(l["width"], l["height"]) for l in info["levels"]]
assert mine == dims, (mine, dims)
assert all(l["compression"] == "deflate" and l["tile_width"] == 512 for l in info["levels"])
assert abs(info["mpp_x"] - 0.25) < 1e-6, info["mpp_x"]
print("ok: mask", "and info levels", mine)
PY
