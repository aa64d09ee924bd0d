#!/usr/bin/env bash
# sstep-slide's contract on bad input: exit code 2 and a message on stderr that
# names the file (and level or tile); never a crash. Usage: TOOL WORKDIR PYTHON
set -uo pipefail
tool=$1 work=$2 py=$3
mkdir -p "$work" && cd "$work" || exit 1
fails=0

# expect CODE PATTERN -- COMMAND...: the exit code and a stderr line matching.
expect() {
  local code=$1 pattern=$2
  shift 3
  "$@" >out.txt 2>err.txt
  local got=$?
  if [ "$got" != "$code" ] || { [ -n "$pattern" ] && ! grep -qE -- "$pattern" err.txt; }; then
    echo "FAIL: $* -> exit $got (want $code), stderr: $(cat err.txt)"
    fails=$((fails + 1))
  else
    echo "ok: $* -> $code: $(head -c 200 err.txt)"
  fi
}

"$tool" mkslide -o good.tif --size 600,400 --tile 128 --compression jpeg || exit 1
echo "plain text" >text.tif
head -c 3000 good.tif >truncated.tif
# Overwrite the data of level 0's tile 7 (column 2, row 1 of 5 columns),
# found with tiffinfo.
"$py" - <<'PY' || exit 1
import subprocess, re
out = subprocess.run(["tiffinfo", "-s", "good.tif"], capture_output=True, text=True).stdout
first = out.split("TIFF Directory")[1]
offsets = [int(v) for v in re.findall(r"^\s*\d+: \[\s*(\d+),", first, re.M)]
sizes = [int(v) for v in re.findall(r"^\s*\d+: \[\s*\d+,\s*(\d+)\]", first, re.M)]
data = bytearray(open("good.tif", "rb").read())
off, size = offsets[7], sizes[7]
for i in range(off + size // 4, off + size):
    data[i] = (i * 131) & 0xFF
open("corrupt.tif", "wb").write(data)
PY

expect 2 "missing.tif: no such file" -- "$tool" info missing.tif
expect 2 "text.tif: not a slide" -- "$tool" info text.tif
expect 2 "truncated.tif" -- "$tool" info truncated.tif
expect 2 "good.tif: level 7 out of range" -- "$tool" read good.tif --level 7 --region 0,0,10,10 -o r.png
expect 2 "good.tif: level 1: region 400,0,10,10 is out of bounds" -- "$tool" read good.tif --level 1 --region 400,0,10,10 -o r.png
expect 2 "corrupt.tif: level 0: tile \(2, 1\)" -- "$tool" read corrupt.tif --level 0 --region 0,0,600,400 -o r.png
expect 2 "good.tif: level -1 out of range" -- "$tool" read good.tif --level -1 --region 0,0,10,10 -o r.png
expect 2 "good.tif: no associated image \"slide\"" -- "$tool" read good.tif --associated slide -o r.png
expect 2 "needs 4 comma-separated" -- "$tool" read good.tif --level 0 --region 1,2 -o r.png
expect 2 "unknown option" -- "$tool" info good.tif --bogus
expect 2 "unknown command" -- "$tool" frobnicate
expect 2 "unknown compression" -- "$tool" mkslide -o x.tif --size 10,10 --compression gif
expect 2 "--mpp: \"abc\" is not a number" -- "$tool" mkslide -o x.tif --size 10,10 --mpp abc
expect 2 "JPEG quality 0 is not in 1..100" -- "$tool" mkslide -o x.tif --size 10,10 --quality 0
expect 2 "x.tif: bad image size 0x10" -- "$tool" mkslide -o x.tif --size 0,10
expect 2 "multiple of 16" -- "$tool" mkslide -o x.tif --size 100,100 --tile 100
expect 2 "cannot write PNG" -- "$tool" read good.tif --level 0 --region 0,0,10,10 -o no/such/dir/r.png
expect 0 "" -- "$tool" read corrupt.tif --level 0 --region 0,0,256,128 -o r.png

[ "$fails" = 0 ] && echo "all exit codes as specified"
exit $((fails > 0))
