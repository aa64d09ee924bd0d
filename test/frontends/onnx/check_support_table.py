"""Fails when docs/onnx-support.md's op table and `sstep-import --list-ops` differ."""
import re
import sys

ops = set(open(sys.argv[1]).read().split())
doc = set(re.findall(r"^\| (\w+) \|", open(sys.argv[2]).read(), re.M)) - {"ONNX"}
if ops != doc:
    print("only in sstep-import:", sorted(ops - doc))
    print("only in the doc:", sorted(doc - ops))
    sys.exit(1)
print(f"{len(ops)} ops documented")
