#!/usr/bin/env python3
"""Runs ONNX's backend node tests (Debian's libonnx-testdata) through
sstep-import and sstep-run, and writes or checks docs/onnx-node-tests.md.

Every test directory is classified as exactly one of
  PASS  every graph output matches output_*.pb (rtol 1e-3, atol 1e-7, as
        ONNX's own backend-test runner; NaN must meet NaN);
  SKIP  an op type sstep-import does not list, a graph input or output that
        is not float32, or sstep-import rejecting the model (exit 2) even
        with --static-shapes: an unsupported combination, said honestly;
  FAIL  anything else: an importer crash or internal error, sstep-run
        failing, a wrong shape or wrong values.
Exit status: 0 when nothing failed (and --check matched), 1 otherwise, 77
(ctest's skip) when the test data, numpy or onnx are missing.

Regenerate the report after adding an op (from the source root):
  /usr/bin/python3 test/onnx-node/run_node_tests.py --tools build/bin \
      --work build/test/onnx-node --report docs/onnx-node-tests.md
"""
import argparse
import concurrent.futures
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys

SKIP_EXIT = 77  # ctest's SKIP_RETURN_CODE

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print(f"SKIP: cannot import numpy/onnx ({e})")
    sys.exit(SKIP_EXIT)

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"
RTOL, ATOL = 1e-3, 1e-7  # onnx/backend/test/runner: assert_allclose defaults
REGENERATE = ("/usr/bin/python3 test/onnx-node/run_node_tests.py --tools build/bin "
              "--work build/test/onnx-node --report docs/onnx-node-tests.md")
# Present in many function bodies (_expanded tests) without being what the
# test is about; a test is listed one by one in the report only when it uses
# another supported op, or when all its ops are supported.
TRIVIAL_OPS = {"Constant", "Identity"}
TIMEOUT_S = 120
# Input slots that are op parameters (pads, scales, sizes, bounds, ratios).
# SSTEP compiles these as constants, as exporters write them; a node test
# that feeds them as graph inputs has them frozen into initializers from its
# data set before import, and the report says so.
PARAM_SLOTS = {"Pad": {1, 2}, "Resize": {1, 2, 3}, "Upsample": {1}, "Clip": {1, 2},
               "Dropout": {1, 2}, "Reshape": {1}, "Unsqueeze": {1}, "Squeeze": {1},
               "Slice": {1, 2, 3, 4}, "Expand": {1}, "Tile": {1}, "ConstantOfShape": {0},
               "BatchNormalization": {1, 2, 3, 4}, "Pow": {1}}


class Test:
    def __init__(self, name, path):
        self.name, self.path = name, path
        self.model = onnx.load(os.path.join(path, "model.onnx"))
        self.ops = sorted(op_types(self.model.graph))
        self.status, self.reason = None, ""
        self.skip_kind = None  # "op", "dtype" or "import" for the report's summary
        self.frozen = param_inputs(self.model.graph)


def op_types(graph):
    """Op types of the graph and of its subgraphs (Loop/If/Scan bodies);
    ops outside the default domain keep it as a prefix, so never match."""
    found = set()
    for node in graph.node:
        default = node.domain in ("", "ai.onnx")
        found.add(node.op_type if default else f"{node.domain}.{node.op_type}")
        for attr in node.attribute:
            for g in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                found |= op_types(g)
    return found


def io_values(graph):
    """The graph's real inputs (not initializers) and its outputs."""
    init = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in init]
    return inputs, list(graph.output)


def param_inputs(graph):
    """Indices of the graph inputs that only ever fill parameter slots."""
    inputs, _ = io_values(graph)
    slots = {v.name: [] for v in inputs}
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in slots:
                slots[name].append(i in PARAM_SLOTS.get(node.op_type, ()))
    return [k for k, v in enumerate(inputs) if slots[v.name] and all(slots[v.name])]


def freeze(test, set_dir, path):
    """Writes the model with its parameter inputs made initializers."""
    model = onnx.ModelProto()
    model.CopyFrom(test.model)
    inputs, _ = io_values(model.graph)
    for k in test.frozen:
        tensor = onnx.load_tensor(os.path.join(set_dir, f"input_{k}.pb"))
        tensor.name = inputs[k].name
        model.graph.initializer.append(tensor)
    names = {inputs[k].name for k in test.frozen}
    kept = [v for v in model.graph.input if v.name not in names]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.save(model, path)
    return path


def dtype_problem(graph, frozen=()):
    """Why the graph's interface is not plain float32 tensors, or None."""
    bad = set()
    inputs, outputs = io_values(graph)
    for v in [v for k, v in enumerate(inputs) if k not in frozen] + outputs:
        kind = v.type.WhichOneof("value")
        if kind != "tensor_type":
            bad.add((kind or "untyped").replace("_type", ""))
        elif v.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            bad.add(onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower())
    return "dtype " + ", ".join(sorted(bad)) if bad else None


def first_line(text, *roots):
    """The first non-empty line of a tool's stderr, without our paths."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    line = lines[0] if lines else "(no message)"
    for root in roots:  # the test's data and scratch directories
        line = line.replace(root + os.sep, "").replace(root, "")
    line = re.sub(r"^sstep-[\w-]+: (error: )?", "", line)
    # Any other absolute path keeps its file name only (report must be stable).
    return re.sub(r"(?:/[^/\s:'\"]+)+/([^/\s:'\"]+)", r"\1", line)


def shorten_import_error(line):
    """'node (unnamed, output 'y') (op Conv, domain ai.onnx, opset 11): msg'
    becomes 'Conv: msg'; 'model.onnx: msg' becomes 'msg'."""
    # The advice to use --static-shapes is what classify() already follows.
    line = re.sub(r" \(import with --static-shapes[^)]*\)$", "", line)
    m = re.match(r"node .*?\(op (\S+), domain [^,]+, opset \d+\): (.*)", line)
    if m:
        return f"{m.group(1)}: {m.group(2)}"
    return re.sub(r"^model\.onnx: ", "", line)


def run_tool(args):
    """(returncode, stderr); a negative returncode is the killing signal."""
    try:
        p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=TIMEOUT_S)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, f"timed out after {TIMEOUT_S} s"
    except OSError as e:  # e.g. the tool is missing
        return None, f"cannot be started ({e.strerror})"


def tool_failure(tool, rc, stderr, roots):
    if rc is None:
        return f"{tool} {stderr}"
    if rc < 0:
        return f"{tool} crashed ({signal.Signals(-rc).name})"
    return f"{tool} exit {rc}: {first_line(stderr, *roots)}"


def compare(name, got, expected):
    """None when equal within ONNX's tolerance, else what differs."""
    if got.shape != expected.shape:
        return f"output '{name}' shape {list(got.shape)}, expected {list(expected.shape)}"
    try:
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)  # NaN == NaN
        return None
    except AssertionError:
        pass
    g, e = got.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    err = np.where(bad, np.nan_to_num(np.abs(g - e), nan=np.inf), 0)
    worst = np.unravel_index(np.argmax(err), err.shape)
    return (f"output '{name}': {int(bad.sum())} of {bad.size} values differ; at "
            f"{list(map(int, worst))} got {g[worst]:.6g}, expected {e[worst]:.6g}")


def run_data_set(test, set_dir, model, work, tools):
    inputs, outputs = io_values(test.model.graph)
    args = [os.path.join(tools, "sstep-run"), model, "--threads=1"]
    # Files are matched to graph inputs/outputs by position, as ONNX's runner does.
    for i, v in enumerate(inputs):
        if i in test.frozen:
            continue
        tensor = onnx.load_tensor(os.path.join(set_dir, f"input_{i}.pb"))
        path = os.path.join(work, f"in{i}.npy")
        # astype keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d).
        np.save(path, numpy_helper.to_array(tensor).astype("<f4", order="C"))
        args += ["--input", f"{v.name}={path}"]
    for i, v in enumerate(outputs):
        args += ["--output", f"{v.name}={os.path.join(work, f'out{i}.npy')}"]
    rc, stderr = run_tool(args)
    if rc != 0:
        return tool_failure("sstep-run", rc, stderr, [test.path, work])
    for i, v in enumerate(outputs):
        path = os.path.join(work, f"out{i}.npy")
        if not os.path.exists(path):
            return f"sstep-run wrote no output '{v.name}'"
        expected = numpy_helper.to_array(
            onnx.load_tensor(os.path.join(set_dir, f"output_{i}.pb")))
        problem = compare(v.name, np.load(path), expected)
        if problem:
            return problem
    return None


def classify(test, supported, tools, work_root):
    """Sets test.status to PASS/SKIP/FAIL and test.reason."""
    missing = [op for op in test.ops if op not in supported]
    if missing:
        test.status, test.skip_kind = "SKIP", "op"
        test.reason = f"op{'s' if len(missing) > 1 else ''} {', '.join(missing)} not supported"
        return test
    problem = dtype_problem(test.model.graph, test.frozen)
    if problem:
        test.status, test.skip_kind, test.reason = "SKIP", "dtype", problem
        return test
    work = os.path.join(work_root, test.name)
    shutil.rmtree(work, ignore_errors=True)  # never compare stale outputs
    os.makedirs(work)
    model = os.path.join(test.path, "model.onnx")
    if test.frozen:
        model = freeze(test, os.path.join(test.path, "test_data_set_0"),
                       os.path.join(work, "frozen.onnx"))
    importer = [os.path.join(tools, "sstep-import"), model, "-o", os.path.join(work, "model.mlir")]
    rc, stderr = run_tool(importer)
    if rc == 2:
        # Some attributes only work at a fixed size (auto_pad SAME with a
        # stride, output_shape); sstep-run then runs the model at its declared
        # size, which is all a node test needs, so test that when it imports.
        note = shorten_import_error(first_line(stderr, test.path, work))
        rc, stderr = run_tool(importer + ["--static-shapes"])
        test.reason = f"at the declared size only ({note})"
    if rc == 2:  # the importer's "unsupported" answer, naming what it rejects
        test.status, test.skip_kind = "SKIP", "import"
        test.reason = shorten_import_error(first_line(stderr, test.path, work))
        return test
    if rc != 0:
        test.status = "FAIL"
        test.reason = tool_failure("sstep-import", rc, stderr, [test.path, work])
        return test
    for set_dir in sorted(d for d in os.listdir(test.path) if d.startswith("test_data_set_")):
        os.makedirs(os.path.join(work, set_dir))
        if test.frozen:
            model = freeze(test, os.path.join(test.path, set_dir),
                           os.path.join(work, set_dir, "frozen.onnx"))
        problem = run_data_set(test, os.path.join(test.path, set_dir), model,
                               os.path.join(work, set_dir), tools)
        if problem:
            declared = " (at the declared size)" if test.reason else ""
            test.status, test.reason = "FAIL", problem + declared
            return test
    test.status = "PASS"  # the reason, if any, says it ran at the declared size
    if test.frozen:
        inputs, _ = io_values(test.model.graph)
        names = ", ".join(inputs[k].name for k in test.frozen)
        frozen = f"parameter inputs {names} frozen as initializers"
        test.reason = f"{test.reason}; {frozen}" if test.reason else frozen
    return test


def md(text):
    return text.replace("|", "\\|")


def render(tests, supported):
    counts = {s: sum(t.status == s for t in tests) for s in ("PASS", "SKIP", "FAIL")}
    skipped = {k: sum(t.skip_kind == k for t in tests) for k in ("op", "dtype", "import")}
    out = [
        "# ONNX backend node tests",
        "",
        "ONNX's backend node tests (one small model per op and attribute combination, with reference inputs and",
        "outputs, from Debian's `libonnx-testdata` in `/usr/share/libonnx-testdata/data/node`) run through",
        "`sstep-import` and `sstep-run` (reference backend). A test **passes** when every graph output equals the",
        f"reference within ONNX's backend-test tolerance (rtol {RTOL:g}, atol {ATOL:g}, NaN where NaN is expected); it is",
        "**skipped** when it uses an op type `sstep-import --list-ops` does not list, has a graph input or output",
        "that is not float32, or `sstep-import` rejects it (exit 2, its message is the reason) even with",
        "`--static-shapes`; anything else **fails**. A model that imports only with `--static-shapes` runs at its",
        "declared size, as `sstep-run` does by itself, and its reason says so. The ctest `onnx-node-tests`",
        "(`test/onnx-node/run_node_tests.py`) fails on any FAIL and when this file differs from what it",
        "generates. Regenerate it after adding an op (from the source root):",
        "",
        "```sh",
        REGENERATE,
        "```",
        "",
        "## Summary",
        "",
        "| status | tests |",
        "|---|---|",
        f"| passed | {counts['PASS']} |",
        f"| of which at the declared size only | {sum(t.status == 'PASS' and bool(t.reason) for t in tests)} |",
        f"| skipped: an op type is not supported | {skipped['op']} |",
        f"| skipped: a graph input or output is not float32 | {skipped['dtype']} |",
        f"| skipped: `sstep-import` rejects the attributes or structure | {skipped['import']} |",
        f"| **failed** | {counts['FAIL']} |",
        f"| total | {len(tests)} |",
        "",
        "## Tests that use a supported op",
        "",
        "Grouped by op type; tests whose model has several op types (mostly `_expanded` function bodies) come last.",
    ]
    listed = [t for t in tests if all(op in supported for op in t.ops)
              or any(op in supported and op not in TRIVIAL_OPS for op in t.ops)]
    groups = {}
    for t in listed:
        groups.setdefault(t.ops[0] if len(t.ops) == 1 else "", []).append(t)
    for op in sorted(groups, key=lambda k: (k == "", k)):
        out += ["", f"### {op or 'Several op types'}", "", "| test | status | reason |", "|---|---|---|"]
        out += [f"| {t.name} | {t.status} | {md(t.reason)} |" for t in groups[op]]
    rest = [t for t in tests if t.name not in {l.name for l in listed}]
    per_op = {}
    for t in rest:
        for op in t.ops:
            if op not in supported:
                per_op[op] = per_op.get(op, 0) + 1
    out += [
        "",
        "## Tests with no supported op",
        "",
        f"{len(rest)} tests use only unsupported op types (besides Constant and Identity), all skipped. Tests per",
        "unsupported op type (a test counts once under each op type it uses):",
        "",
        "| op type | tests |",
        "|---|---|",
    ]
    out += [f"| {op} | {per_op[op]} |" for op in sorted(per_op)]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", required=True, help="directory with sstep-import and sstep-run")
    ap.add_argument("--data", default=DEFAULT_DATA, help="ONNX node test directory")
    ap.add_argument("--work", required=True, help="scratch directory")
    ap.add_argument("--report", help="write the markdown report here")
    ap.add_argument("--check", help="fail (with a diff) when the report differs from this file")
    ap.add_argument("-j", type=int, default=2, help="tests run in parallel (default 2)")
    ap.add_argument("names", nargs="*", help="only tests whose name matches one of these regexes")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"SKIP: no ONNX node test data in {args.data} (Debian package libonnx-testdata)")
        return SKIP_EXIT
    if args.names and (args.report or args.check):
        ap.error("the report covers every test: --report/--check cannot take name filters")

    listing = subprocess.run([os.path.join(args.tools, "sstep-import"), "--list-ops"],
                             check=True, capture_output=True, text=True).stdout
    supported = set(listing.split())
    names = sorted(n for n in os.listdir(args.data)
                   if os.path.isfile(os.path.join(args.data, n, "model.onnx")))
    if args.names:
        names = [n for n in names if any(re.search(p, n) for p in args.names)]
    tests = [Test(n, os.path.join(args.data, n)) for n in names]
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        for t in pool.map(lambda t: classify(t, supported, args.tools, work), tests):
            reason = f": {t.reason}" if t.status != "PASS" else ""
            print(f"{t.status} {t.name}{reason}", flush=True)
    counts = {s: sum(t.status == s for t in tests) for s in ("PASS", "SKIP", "FAIL")}
    print(f"{len(tests)} tests: {counts['PASS']} passed, {counts['SKIP']} skipped, "
          f"{counts['FAIL']} failed")

    report = render(tests, supported)
    status = 1 if counts["FAIL"] else 0
    if args.report:
        with open(args.report, "w") as f:
            f.write(report)
    if args.check:
        with open(args.check) as f:
            committed = f.read()
        if committed != report:
            sys.stdout.writelines(difflib.unified_diff(
                committed.splitlines(True), report.splitlines(True),
                args.check, "generated"))
            print(f"{args.check} is out of date; regenerate it with:\n  {REGENERATE}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
