"""Slide jobs: the output equals sstep-run's byte for byte; a server killed
mid-job resumes it from its journal at the next start; cancel and delete;
slide paths confined to the roots."""

import json
import signal

from conftest import sstep_run, wait_for


def submit(server, **job):
    status, reply = server.json("POST", "/v1/jobs", job)
    assert status == 201, reply
    return reply["id"]


def job_state(server, job_id):
    status, reply = server.json("GET", f"/v1/jobs/{job_id}")
    assert status == 200, reply
    return reply


def finished(server, job_id):
    return wait_for(lambda: (lambda r: r if r["state"] in (
        "done", "failed", "cancelled") else None)(job_state(server, job_id)),
        timeout=300, step=0.1)


def journaled(jobs, job_id):
    """Tiles the job's journal holds (synced every 2 s by the pipeline): its
    complete lines after the header (a line cut by a kill does not count)."""
    path = jobs / job_id / "s.tif.journal"
    return max(path.read_text().count("\n") - 1, 0) if path.exists() else 0


def cli_output(assets, tmp_path, model, slide, out, *extra):
    path = tmp_path / out
    sstep_run(str(assets / "models" / f"{model}.sstep"),
              str(assets / "slides" / slide), "-o", str(path),
              "--backend=cpu", "--threads=2", "--quiet", *extra)
    return path.read_bytes()


def test_job_output_equals_sstep_run(start, assets, tmp_path):
    server = start()
    job_id = submit(server, model="conv", slide="a.tif", output="heat.tif",
                    tile=256)
    reply = finished(server, job_id)
    assert reply["state"] == "done", reply
    assert reply["progress"] == 1.0 and reply["tiles_done"] == \
        reply["tiles_total"] > 1
    assert reply["megapixels"] == 0.35
    status, headers, data = server.request("GET",
                                           f"/v1/jobs/{job_id}/result")
    assert status == 200 and headers["Content-Type"] == "image/tiff"
    assert data == cli_output(assets, tmp_path, "conv", "a.tif", "cli.tif",
                              "--tile=256")
    # HDF5 and the planner's tiles.
    h5 = submit(server, model="conv", slide="a.tif", output="heat.h5")
    assert finished(server, h5)["state"] == "done"
    listed = server.json("GET", "/v1/jobs")[1]
    assert {j["id"] for j in listed} == {job_id, h5}


def test_killed_server_resumes_its_job(start, assets, tmp_path):
    jobs = tmp_path / "kept"
    server = start(jobs=jobs)
    job_id = submit(server, model="slow", slide="big.tif", output="s.tif",
                    tile=256)
    wait_for(lambda: journaled(jobs, job_id) >= 1, timeout=300, step=0.02)
    server.stop(signal.SIGKILL)
    kept = journaled(jobs, job_id)
    record = json.loads((jobs / job_id / "job.json").read_text())
    assert record["state"] == "running"
    again = start(jobs=jobs)
    reply = finished(again, job_id)
    assert reply["state"] == "done", reply
    assert reply["tiles_resumed"] >= kept
    status, _, data = again.request("GET", f"/v1/jobs/{job_id}/result")
    assert status == 200
    assert data == cli_output(assets, tmp_path, "slow", "big.tif", "s.tif",
                              "--tile=256")


def test_sigterm_leaves_the_job_to_resume(start, tmp_path):
    jobs = tmp_path / "kept"
    server = start(jobs=jobs)
    job_id = submit(server, model="slow", slide="big.tif", output="s.tif",
                    tile=256)
    wait_for(lambda: job_state(server, job_id)["tiles_done"] >= 2,
             timeout=300, step=0.02)
    assert server.stop(signal.SIGTERM) == 0
    # The tiles run before the stop are kept, not only those synced.
    kept = journaled(jobs, job_id)
    assert kept >= 2
    again = start(jobs=jobs)
    reply = finished(again, job_id)
    assert reply["state"] == "done" and reply["tiles_resumed"] == kept


def test_cancel_then_delete(start, tmp_path):
    server = start()
    running = submit(server, model="slow", slide="big.tif", output="s.tif",
                     tile=256)
    queued = submit(server, model="conv", slide="a.tif")
    wait_for(lambda: job_state(server, running)["tiles_done"] >= 1,
             timeout=300, step=0.02)
    status, reply = server.json("DELETE", f"/v1/jobs/{running}")
    assert status == 200 and reply["state"] == "cancelling"
    assert finished(server, running)["state"] == "cancelled"
    assert finished(server, queued)["state"] in ("done", "cancelled")
    status, reply = server.json("GET", f"/v1/jobs/{running}/result")
    assert status == 409 and "cancelled, not done" in reply["error"]
    status, reply = server.json("DELETE", f"/v1/jobs/{running}")
    assert status == 200 and reply["state"] == "deleted"
    assert not (tmp_path / "jobs" / running).exists()
    assert server.json("GET", f"/v1/jobs/{running}")[0] == 404
    assert server.json("GET", "/v1/jobs/..%2F..%2Fetc")[0] == 404


def test_bad_jobs_are_refused(start, assets):
    server = start("--max-jobs", "1")
    cases = [
        ({"model": "conv"}, 400, "needs a model and a slide"),
        ({"model": "conv", "slide": "../outside.tif"}, 403, "outside"),
        ({"model": "conv", "slide": str(assets / "outside.tif")}, 403,
         "outside"),
        ({"model": "conv", "slide": "link.tif"}, 403, "outside"),
        ({"model": "conv", "slide": "none.tif"}, 403, "does not exist"),
        ({"model": "conv", "slide": "a.tif", "output": "../x.tif"}, 400,
         "plain file name"),
        ({"model": "conv", "slide": "a.tif", "output": "x.png"}, 400,
         "no known type"),
        ({"model": "conv", "slide": "a.tif", "normalize": "odd"}, 400,
         "normalize"),
        ({"model": "conv", "slide": "a.tif", "level": "one"}, 400,
         "wrong type"),
        ({"model": "conv", "slide": "a.tif", "output_name": "q"}, 400,
         "no output 'q'"),
        ({"model": "nope", "slide": "a.tif"}, 404, "no model"),
        ({"model": "broken", "slide": "a.tif"}, 503, "unavailable"),
    ]
    for body, code, message in cases:
        status, reply = server.json("POST", "/v1/jobs", body)
        assert status == code and message in reply["error"], (body, reply)
    status, _, data = server.request("POST", "/v1/jobs", b"{oops")
    assert status == 400 and b"malformed JSON" in data
    # A bad level fails the job, named, and the server goes on.
    bad = submit(server, model="conv", slide="a.tif", level=7)
    reply = finished(server, bad)
    assert reply["state"] == "failed" and "level" in reply["error"]


def test_a_full_queue_is_429(start):
    server = start("--max-jobs", "1")
    first = submit(server, model="slow", slide="big.tif", output="s.tif",
                   tile=256)
    wait_for(lambda: job_state(server, first)["state"] == "running",
             timeout=60, step=0.02)
    submit(server, model="conv", slide="a.tif")
    status, reply = server.json("POST", "/v1/jobs",
                                {"model": "conv", "slide": "a.tif"})
    assert status == 429 and "queued" in reply["error"]
    server.json("DELETE", f"/v1/jobs/{first}")


def test_no_slide_root_no_jobs(assets, tmp_path):
    from conftest import Server
    server = Server(["--models", str(assets / "models"), "--port", "0",
                     "--jobs", str(tmp_path / "j")])
    try:
        status, reply = server.json("POST", "/v1/jobs",
                                    {"model": "conv", "slide": "a.tif"})
        assert status == 403 and "--slide-root" in reply["error"]
    finally:
        server.stop()
