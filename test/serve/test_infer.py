"""POST /v2/models/{name}/infer as KServe and Triton clients send it: JSON
tensors and the binary tensor data extension; answers equal sstep-run's bit
for bit; malformed requests get 400 with a message, overload 429, requests
beyond the memory budget 413."""

import json
import struct
import threading

import numpy as np

from conftest import sstep_run, wait_for


def image(h=70, w=90, seed=5):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, 3, h, w)).astype(np.float32)


def cli(assets, tmp_path, x, *extra):
    np.save(tmp_path / "in.npy", x)
    sstep_run(str(assets / "models" / "conv.sstep"), str(tmp_path / "in.npy"),
              "-o", str(tmp_path / "out.npy"), "--backend=cpu", "--threads=2",
              *extra)
    return np.load(tmp_path / "out.npy")


def binary_request(x, outputs_binary=True, extra_bytes=b""):
    header = {"id": "r1",
              "inputs": [{"name": "x", "datatype": "FP32",
                          "shape": list(x.shape),
                          "parameters": {"binary_data_size": x.nbytes}}],
              "outputs": [{"name": "y",
                           "parameters": {"binary_data": outputs_binary}}]}
    head = json.dumps(header).encode()
    return head + x.tobytes() + extra_bytes, {
        "Inference-Header-Content-Length": str(len(head)),
        "Content-Type": "application/octet-stream"}


def split_binary(headers, body):
    n = int(headers["Inference-Header-Content-Length"])
    return json.loads(body[:n]), body[n:]


def test_json_tensors_equal_sstep_run(start, assets, tmp_path):
    server = start()
    x = image()
    status, reply = server.json("POST", "/v2/models/conv/infer", {
        "id": "a7", "inputs": [{"name": "x", "datatype": "FP32",
                                "shape": list(x.shape),
                                "data": x.ravel().tolist()}]})
    assert status == 200, reply
    assert reply["model_name"] == "conv" and reply["id"] == "a7"
    (out,) = reply["outputs"]
    assert out["name"] == "y" and out["datatype"] == "FP32"
    got = np.array(out["data"], dtype=np.float32).reshape(out["shape"])
    want = cli(assets, tmp_path, x)
    assert got.shape == want.shape == (1, 4, 35, 45)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_nested_json_data_is_row_major(start):
    server = start()
    x = image(4, 6)
    flat = server.json("POST", "/v2/models/conv/infer", {
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 4, 6],
                    "data": x.ravel().tolist()}]})
    nested = server.json("POST", "/v2/models/conv/infer", {
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 4, 6],
                    "data": x.tolist()}]})
    assert flat == nested and flat[0] == 200


def test_binary_extension_equals_sstep_run(start, assets, tmp_path):
    server = start()
    x = image(130, 110, seed=9)
    body, headers = binary_request(x)
    status, rh, data = server.request("POST", "/v2/models/conv/infer", body,
                                      headers)
    assert status == 200, data
    assert rh["Content-Type"] == "application/octet-stream"
    header, raw = split_binary(rh, data)
    (out,) = header["outputs"]
    assert out["parameters"]["binary_data_size"] == len(raw)
    got = np.frombuffer(raw, dtype=np.float32).reshape(out["shape"])
    want = cli(assets, tmp_path, x)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    # Binary in, JSON out.
    body, headers = binary_request(x, outputs_binary=False)
    status, rh, data = server.request("POST", "/v2/models/conv/infer", body,
                                      headers)
    assert status == 200 and "Inference-Header-Content-Length" not in rh
    got = np.array(json.loads(data)["outputs"][0]["data"], dtype=np.float32)
    assert np.array_equal(got, want.ravel())


def test_tiles_within_the_budget_equal_sstep_run(start, assets, tmp_path):
    server = start("--memory-budget", "24MiB")
    x = image(600, 520, seed=2)
    body, headers = binary_request(x)
    status, rh, data = server.request("POST", "/v2/models/conv/infer", body,
                                      headers)
    assert status == 200, data
    header, raw = split_binary(rh, data)
    got = np.frombuffer(raw, dtype=np.float32).reshape(
        header["outputs"][0]["shape"])
    whole = cli(assets, tmp_path, x)
    assert np.array_equal(got.view(np.uint32), whole.view(np.uint32))
    status, text = server.request("GET", "/metrics")[0::2]
    tiles = [line for line in text.decode().splitlines()
             if line.startswith('sstep_tiles_total{kind="infer"}')]
    assert tiles and float(tiles[0].split()[1]) > 1


def test_over_the_budget_is_413_with_the_need(start):
    server = start("--memory-budget", "2MiB")
    x = image(400, 400)
    body, headers = binary_request(x)
    status, _, data = server.request("POST", "/v2/models/conv/infer", body,
                                     headers)
    assert status == 413
    assert "need about" in json.loads(data)["error"]
    assert server.request("GET", "/v2/health/live")[0] == 200


def test_malformed_requests_are_400_with_a_message(start):
    server = start()
    x = image(8, 8)
    good = {"name": "x", "datatype": "FP32", "shape": [1, 3, 8, 8],
            "data": x.ravel().tolist()}
    cases = [
        ("{not json", "malformed JSON"),
        ("[]", "JSON object"),
        ({"inputs": 3}, "inputs array"),
        ({"inputs": [dict(good, name="z")]}, "no input 'z'"),
        ({"inputs": [dict(good, datatype="FP64")]}, "datatype 'FP64'"),
        ({"inputs": [dict(good, shape=[1, 2, 8, 8])]}, "does not fit"),
        ({"inputs": [dict(good, shape=[3, 8, 8])]}, "does not fit"),
        ({"inputs": [dict(good, shape=[1, 3, -8, 8])]}, "shape must be"),
        ({"inputs": [dict(good, data=[1.0, "a"])]}, "data holds string"),
        ({"inputs": [dict(good, data=[1.0, 2.0])]}, "2 values"),
        ({"inputs": [good, good]}, "given twice"),
        ({"inputs": []}, "input 'x' is missing"),
        ({"inputs": [good], "outputs": [{"name": "q"}]}, "no output 'q'"),
        ({"inputs": [good], "outputs": [{"name": "y", "parameters":
                                         {"binary_data": "yes"}}]},
         "true or false"),
    ]
    for body, message in cases:
        status, _, data = server.request("POST", "/v2/models/conv/infer",
                                         body)
        assert status == 400, (body, data)
        assert message in json.loads(data)["error"], (message, data)
    # Binary framing: a size beyond the bytes sent, bytes left over, a
    # header length beyond the body or not a number.
    body, headers = binary_request(x)
    for h, b, message in [
            ({"Inference-Header-Content-Length": "abc"}, body, "byte count"),
            ({"Inference-Header-Content-Length": str(len(body) + 1)}, body,
             "exceeds the body"),
            (headers, body[:-4], "exceeds the"),
            (headers, body + b"1234", "belong to no input")]:
        status, _, data = server.request("POST", "/v2/models/conv/infer", b,
                                         h)
        assert status == 400, data
        assert message in json.loads(data)["error"], (message, data)
    status, _, data = server.request("POST", "/v2/models/nope/infer", body,
                                     headers)
    assert status == 404 and "no model 'nope'" in json.loads(data)["error"]
    status, _, data = server.request("POST", "/v2/models/broken/infer", body,
                                     headers)
    assert status == 503 and "not an SSTEP plan" in json.loads(data)["error"]
    # A too-small image is the plan's error, named, not a crash.
    status, _, data = server.request("POST", "/v2/models/conv/infer", {
        "inputs": [dict(good, shape=[1, 3, 0, 8], data=[])]})
    assert status in (400, 413), data
    assert server.request("GET", "/v2/health/ready")[0] == 200


def test_overload_is_429_at_once(start):
    server = start("--max-inflight", "1")
    big = image(1400, 1400, seed=1)
    body, headers = binary_request(big)
    result = {}

    def slow():
        result["first"] = server.request("POST", "/v2/models/slow/infer",
                                         body,
                                         headers, timeout=300)[0]

    t = threading.Thread(target=slow)
    t.start()

    def inflight():
        text = server.request("GET", "/metrics")[2].decode()
        return "sstep_inference_inflight 1" in text

    wait_for(inflight, timeout=60, step=0.01)
    small, small_headers = binary_request(image(8, 8))
    status, rh, data = server.request("POST", "/v2/models/conv/infer", small,
                                      small_headers)
    t.join()
    assert status == 429, data
    assert rh.get("Retry-After") == "1"
    assert "in flight" in json.loads(data)["error"]
    assert result["first"] == 200
    assert server.request("POST", "/v2/models/conv/infer", small,
                          small_headers)[0] == 200
