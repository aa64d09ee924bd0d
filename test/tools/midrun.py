"""Changes a file under a running command, at a known point of its run.

Usage: midrun.py ACTION FILE TILES -- COMMAND...
  ACTION: truncate (FILE cut to a third of its size) or remove (unlinked)

Starts COMMAND with SSTEP_TEST_STOP_AFTER_TILES=TILES, so that it stops
itself (SIGSTOP) once that many tiles have run; waits for it to stop, applies
ACTION to FILE, continues it (SIGCONT) and waits. Passes COMMAND's stderr
through and prints its exit code as "exit N".
"""
import os
import signal
import subprocess
import sys
import time


def stopped(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def main():
    action, path, tiles = sys.argv[1], sys.argv[2], sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1:]
    env = dict(os.environ, SSTEP_TEST_STOP_AFTER_TILES=tiles)
    run = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 120
    while not stopped(run.pid):
        if run.poll() is not None:
            sys.exit(f"the command ended (exit {run.returncode}) before "
                     f"{tiles} tiles had run")
        if time.monotonic() > deadline:
            run.kill()
            sys.exit("the command did not stop within 120 s")
        time.sleep(0.01)
    if action == "truncate":
        os.truncate(path, os.path.getsize(path) // 3)
    elif action == "remove":
        os.remove(path)
    else:
        sys.exit(f"unknown action {action}")
    run.send_signal(signal.SIGCONT)
    print(f"exit {run.wait()}", flush=True)


if __name__ == "__main__":
    main()
