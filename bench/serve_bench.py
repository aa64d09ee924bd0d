"""bench/serve.sh's measurements (see there); prints one table per part."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np

WORK, SECONDS, THREADS = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
MODEL = os.path.join(WORK, "models", "r18.sstep")
SLIDE = os.path.join(WORK, "slides", "s.tif")


def start_server():
    proc = subprocess.Popen(
        ["sstep-serve", "--models", os.path.join(WORK, "models"), "--port",
         "0", "--slide-root", os.path.join(WORK, "slides"), "--jobs",
         os.path.join(WORK, "jobs"), "--threads", str(THREADS),
         "--max-inflight", "64"], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    return proc, int(line.strip().rsplit(":", 1)[1])


def infer_body(x, name):
    head = json.dumps({"inputs": [{"name": name, "datatype": "FP32",
                                   "shape": list(x.shape),
                                   "parameters": {"binary_data_size":
                                                  x.nbytes}}],
                       "parameters": {"binary_data_output": True}}).encode()
    return head + x.tobytes(), {
        "Inference-Header-Content-Length": str(len(head)),
        "Content-Type": "application/octet-stream"}


def input_name(port):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/v2/models/r18")
    meta = json.loads(conn.getresponse().read())
    return meta["inputs"][0]["name"]


def clients(port, n, body_of, seconds):
    """n threads, one connection each, sending until `seconds` pass."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        i = 0
        mine = []
        while time.time() < stop:
            body, headers = body_of(k, i)
            t0 = time.perf_counter()
            conn.request("POST", "/v2/models/r18/infer", body, headers)
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors.append(resp.status)
            i += 1
        with lock:
            latencies.extend(mine)

    begin = time.time()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.time() - begin, errors


def tensors(port):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
    body, headers = infer_body(x, input_name(port))
    mp = 224 * 224 / 1e6
    print(f"tensors: ResNet-18 trunk, 224 x 224 FP32 binary requests, "
          f"{THREADS} threads, {SECONDS:.0f} s each")
    print(f"{'':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'MP/s':>7}")
    for n in (1, 4, 16):
        lat, wall, errors = clients(port, n, lambda k, i: (body, headers),
                                    SECONDS)
        lat = np.array(lat) * 1e3
        rate = len(lat) / wall
        print(f"{'sstep-serve, ' + str(n) + ' client(s)':24} {rate:8.1f} "
              f"{np.percentile(lat, 50):8.1f} {np.percentile(lat, 99):8.1f} "
              f"{rate * mp:7.2f}" + (f"  errors {set(errors)}" if errors
                                     else ""))
    import sstep
    plan = sstep.load(MODEL)
    plan.run(x, threads=THREADS)
    times = []
    stop = time.time() + SECONDS
    while time.time() < stop:
        t0 = time.perf_counter()
        plan.run(x, threads=THREADS)
        times.append(time.perf_counter() - t0)
    lat = np.array(times) * 1e3
    rate = len(lat) / sum(times)
    print(f"{'in-process Plan.run':24} {rate:8.1f} "
          f"{np.percentile(lat, 50):8.1f} {np.percentile(lat, 99):8.1f} "
          f"{rate * mp:7.2f}")


def slide_job(port):
    subprocess.run(["sstep-run", MODEL, SLIDE, "-o",
                    os.path.join(WORK, "warm.tif"), "--backend=cpu",
                    f"--threads={THREADS}", "--quiet"], check=True)
    t0 = time.perf_counter()
    subprocess.run(["sstep-run", MODEL, SLIDE, "-o",
                    os.path.join(WORK, "cli.tif"), "--backend=cpu",
                    f"--threads={THREADS}", "--quiet"], check=True)
    cli = time.perf_counter() - t0
    conn = http.client.HTTPConnection("127.0.0.1", port)
    t0 = time.perf_counter()
    conn.request("POST", "/v1/jobs",
                 json.dumps({"model": "r18", "slide": "s.tif"}))
    job = json.loads(conn.getresponse().read())["id"]
    while True:
        conn.request("GET", f"/v1/jobs/{job}")
        state = json.loads(conn.getresponse().read())
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    conn.request("GET", f"/v1/jobs/{job}/result")
    result = conn.getresponse().read()
    served = time.perf_counter() - t0
    assert state["state"] == "done", state
    same = result == open(os.path.join(WORK, "cli.tif"), "rb").read()
    mp = state["megapixels"]
    print(f"\nslide: {mp:.1f} MP, one job submitted, polled and its output "
          f"fetched, against sstep-run (same output: {same})")
    print(f"{'':24} {'seconds':>8} {'MP/s':>7}")
    print(f"{'sstep-run':24} {cli:8.2f} {mp / cli:7.2f}")
    print(f"{'sstep-serve job':24} {served:8.2f} {mp / served:7.2f}   "
          f"overhead {100 * (served / cli - 1):+.1f}%")
    return mp, served


def client_tiles(port, mp_job, served):
    import openslide
    slide = openslide.OpenSlide(SLIDE)
    w, h = slide.dimensions
    edge = 512
    coords = [(x, y) for y in range(0, h, edge) for x in range(0, w, edge)]
    name = input_name(port)
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    lock = threading.Lock()
    todo = list(coords)

    def body_of(k, i):
        with lock:
            if not todo:
                return None
            x, y = todo.pop()
        rgb = np.asarray(slide.read_region((x, y), 0, (edge, edge)).convert(
            "RGB"), np.float32).transpose(2, 0, 1) / 255.0
        t = ((rgb - mean) / std)[None].astype(np.float32)
        return infer_body(t, name)

    sent = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            req = body_of(0, 0)
            if req is None:
                return
            conn.request("POST", "/v2/models/r18/infer", req[0], req[1])
            conn.getresponse().read()
            sent.append(1)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    mp = w * h / 1e6
    print(f"\nclient tiles: the slide read on the client (OpenSlide), "
          f"{len(sent)} tiles of {edge} x {edge} sent to /infer by 4 clients "
          "(no halo: not exact at tile borders)")
    print(f"{'':24} {'seconds':>8} {'MP/s':>7}")
    print(f"{'client tiles':24} {wall:8.2f} {mp / wall:7.2f}")
    print(f"{'sstep-serve job':24} {served:8.2f} {mp_job / served:7.2f}")


proc, port = start_server()
try:
    tensors(port)
    mp, served = slide_job(port)
    client_tiles(port, mp, served)
finally:
    proc.terminate()
    proc.wait()
