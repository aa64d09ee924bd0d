"""Probes, metadata, the model repository (reloaded on change), bearer
tokens, metrics, request limits, slow clients and bad command lines."""

import os
import re
import shutil
import socket
import subprocess
import time

from conftest import Server, tool, wait_for


def test_probes_and_metadata(start):
    server = start()
    assert server.json("GET", "/v2/health/live") == (200, {"live": True})
    assert server.json("GET", "/v2/health/ready") == (200, {"ready": True})
    status, meta = server.json("GET", "/v2")
    assert status == 200 and meta["name"] == "sstep"
    assert "binary_tensor_data" in meta["extensions"]
    status, meta = server.json("GET", "/v2/models/conv")
    assert status == 200
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32",
                               "shape": [1, 3, -1, -1]}]
    assert meta["outputs"] == [{"name": "y", "datatype": "FP32",
                                "shape": [1, 4, -1, -1]}]
    assert server.json("GET", "/v2/models/conv/versions/1")[1] == meta
    assert server.json("GET", "/v2/models/conv/ready")[0] == 200
    status, reply = server.json("GET", "/v2/models/broken/ready")
    assert status == 503 and not reply["ready"]
    assert server.json("GET", "/v2/models/nope")[0] == 404
    status, index = server.json("POST", "/v2/repository/index", {})
    states = {m["name"]: m["state"] for m in index}
    assert states == {"conv": "READY", "slow": "READY",
                      "broken": "UNAVAILABLE"}
    status, reply = server.json("GET", "/v3/anything")
    assert status == 404 and "no route GET /v3/anything" in reply["error"]


def test_models_reload_on_change(assets, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(assets / "models" / "conv.sstep", models / "a.sstep")
    server = Server(["--models", str(models), "--port", "0", "--poll", "0.1",
                     "--jobs", str(tmp_path / "jobs")])
    try:
        assert server.json("GET", "/v2/models/b")[0] == 404
        shutil.copy(assets / "models" / "slow.sstep", models / ".b.tmp")
        os.rename(models / ".b.tmp", models / "b.sstep")
        wait_for(lambda: server.json("GET", "/v2/models/b")[0] == 200, 10)
        # Replaced in place: the new plan's metadata.
        shutil.copy(assets / "models" / "slow.sstep", models / ".a.tmp")
        os.rename(models / ".a.tmp", models / "a.sstep")
        wait_for(lambda: server.json("GET", "/v2/models/a")[1]["outputs"][0]
                 ["shape"] == [1, 1, -1, -1], 10)
        os.unlink(models / "b.sstep")
        wait_for(lambda: server.json("GET", "/v2/models/b")[0] == 404, 10)
    finally:
        server.stop()


def test_bearer_token(start, tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    server = start("--token-file", str(token))
    assert server.request("GET", "/v2/health/ready")[0] == 200
    status, headers, _ = server.request("GET", "/v2/models/conv")
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert server.request("GET", "/v2/models/conv",
                          headers={"Authorization": "Bearer wrong"})[0] == 401
    assert server.request("GET", "/v2/models/conv",
                          headers={"Authorization": "Bearer s3cret"})[0] == 200
    assert server.request("GET", "/metrics")[0] == 401


def test_metrics_are_prometheus_text(start):
    server = start()
    server.request("GET", "/v2/models/conv")
    server.request("GET", "/v2/models/nope")
    text = server.request("GET", "/metrics")[2].decode()
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? '
                        r'[-+0-9.e]+$')
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or \
            sample.match(line), line
    assert 'sstep_requests_total{route="model_metadata",code="200"} 1' in text
    assert 'sstep_requests_total{route="model_metadata",code="404"} 1' in text
    assert 'sstep_request_seconds_count{route="model_metadata"} 2' in text
    assert 'sstep_request_seconds_bucket{route="model_metadata",le="+Inf"} 2' \
        in text
    assert 'sstep_models{state="unavailable"} 1' in text
    assert re.search(r"^process_resident_memory_bytes [1-9]", text, re.M)


def test_request_size_limit(start):
    server = start("--max-request", "1MiB")
    status, _, data = server.request("POST", "/v2/models/conv/infer",
                                     b"x" * (2 << 20))
    assert status == 413 and b"--max-request" in data


def test_a_silent_client_stalls_no_one(start):
    server = start("--http-threads", "4")
    stuck = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"POST /v2/models/conv/infer HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 1000\r\n\r\n{")
        stuck.append(s)
    begin = time.time()
    assert server.request("GET", "/v2/health/ready", timeout=10)[0] == 200
    assert time.time() - begin < 5
    for s in stuck:
        s.close()


def test_bad_command_lines_exit_2(assets, tmp_path):
    def run(*args):
        return subprocess.run([tool("sstep-serve"), *args],
                              capture_output=True, text=True, timeout=60)

    r = run()
    assert r.returncode == 2 and "--models" in r.stderr
    r = run("--models", str(tmp_path / "none"))
    assert r.returncode == 2 and "cannot open the folder" in r.stderr
    r = run("--models", str(assets / "models"), "--slide-root",
            str(tmp_path / "none"))
    assert r.returncode == 2 and "is not a folder" in r.stderr
    r = run("--models", str(assets / "models"), "--backend", "tpu")
    assert r.returncode == 2 and "this build has" in r.stderr
    r = run("--models", str(assets / "models"), "--memory-budget", "lots")
    assert r.returncode == 2 and "--memory-budget" in r.stderr
    server = Server(["--models", str(assets / "models"), "--port", "0",
                     "--jobs", str(tmp_path / "j")])
    try:
        r = run("--models", str(assets / "models"), "--port",
                str(server.port), "--jobs", str(tmp_path / "k"))
        assert r.returncode == 2 and "cannot listen" in r.stderr
    finally:
        server.stop()
