"""sstep-serve started as a user starts it, on a loopback port, with models
and slides made here (ONNX built by test/tools/slide_run_helpers.py, slides
by sstep-slide mkslide)."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time

import pytest

BUILD = os.environ.get("SSTEP_BUILD", os.path.join(os.path.dirname(__file__),
                                                   "..", "..", "build"))
HELPERS = os.path.join(os.path.dirname(__file__), "..", "tools",
                       "slide_run_helpers.py")


def tool(name):
    return os.path.join(BUILD, "bin", name)


class Server:
    """A running sstep-serve and a client for it."""

    def __init__(self, args, env=None):
        self.args = args
        self.proc = subprocess.Popen([tool("sstep-serve"), *args],
                                     stderr=subprocess.PIPE, text=True,
                                     env=env)
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            rest = self.proc.stderr.read() if self.proc.poll() is not None \
                else ""
            raise RuntimeError(f"sstep-serve did not start: {line}{rest}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, dict(resp.getheaders()), data

    def json(self, method, path, body=None, headers=None):
        status, _, data = self.request(method, path, body, headers)
        return status, json.loads(data)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def assets(tmp_path_factory):
    """models/: conv (4 channels at half size), slow (a wide halo) and a
    broken file; slides/: two synthetic slides; a plan outside models/."""
    root = tmp_path_factory.mktemp("serve")
    models = root / "models"
    slides = root / "slides"
    models.mkdir()
    slides.mkdir()
    for kind in ("conv", "slow"):
        onnx = root / f"{kind}.onnx"
        subprocess.run([sys.executable, HELPERS, "model", kind, str(onnx)],
                       check=True)
        subprocess.run([tool("sstep-compile"), str(onnx), "-o",
                        str(models / f"{kind}.sstep")], check=True)
    (models / "broken.sstep").write_bytes(b"not a plan at all")
    subprocess.run([tool("sstep-slide"), "mkslide", "-o",
                    str(slides / "a.tif"), "--size", "700,500", "--tile",
                    "128"], check=True, capture_output=True)
    subprocess.run([tool("sstep-slide"), "mkslide", "-o",
                    str(slides / "big.tif"), "--size", "4000,3000", "--tile",
                    "256", "--seed", "3"], check=True, capture_output=True)
    (root / "outside.tif").write_bytes((slides / "a.tif").read_bytes())
    os.symlink(root / "outside.tif", slides / "link.tif")
    return root


@pytest.fixture()
def start(assets, tmp_path):
    """start(*extra_args) -> Server on its own jobs folder; stopped after."""
    servers = []

    def run(*extra, jobs=None, env=None):
        args = ["--models", str(assets / "models"), "--port", "0",
                "--slide-root", str(assets / "slides"), "--threads", "2",
                "--jobs", str(jobs or tmp_path / "jobs"), *extra]
        s = Server(args, env)
        servers.append(s)
        return s

    yield run
    for s in servers:
        s.stop()


def sstep_run(*args):
    return subprocess.run([tool("sstep-run"), *args], check=True,
                          capture_output=True, text=True)


def wait_for(predicate, timeout=60, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")
