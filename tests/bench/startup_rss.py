#!/usr/bin/python3
"""Startup latency and idle memory of the server on the default config.

For each run: start build/bambuddy with config/bambuddy.yaml in a fresh data directory, poll
GET /health until it answers 200 and record the time since the process was spawned; then let it
idle and read its resident set size from /proc. Prints figures only (never pass/fail).

usage: tests/bench/startup_rss.py [--binary build/bambuddy] [--config config/bambuddy.yaml]
                                  [--runs 20] [--idle-seconds 2]
"""
import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_ok(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        conn.request("GET", "/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(binary, config, idle_seconds):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bambuddy-bench-") as data:
        env = dict(os.environ, BAMBUDDY_DATA_DIR=data, BAMBUDDY_LISTEN=f"127.0.0.1:{port}")
        start = time.monotonic()
        proc = subprocess.Popen([binary, "--config", config], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = start + 10
            while not health_ok(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError("no /health answer within 10 s")
                time.sleep(0.001)
            ready_ms = (time.monotonic() - start) * 1000
            time.sleep(idle_seconds)
            rss = rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return ready_ms, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "bambuddy"))
    parser.add_argument("--config", default=os.path.join(ROOT, "config", "bambuddy.yaml"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"{args.binary} not found: run scripts/build first")

    ready, rss = [], []
    for _ in range(args.runs):
        r, m = one_run(args.binary, args.config, args.idle_seconds)
        ready.append(r)
        rss.append(m)
    ready.sort()
    p90 = ready[min(len(ready) - 1, int(len(ready) * 0.9))]
    print(f"runs: {args.runs} ({args.binary}, {os.path.relpath(args.config, ROOT)})")
    print(f"start -> first /health 200: median {statistics.median(ready):.1f} ms, "
          f"min {ready[0]:.1f} ms, p90 {p90:.1f} ms, max {ready[-1]:.1f} ms")
    print(f"idle RSS after {args.idle_seconds:g} s: median {statistics.median(rss) / 1024:.1f} MiB, "
          f"min {min(rss) / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
