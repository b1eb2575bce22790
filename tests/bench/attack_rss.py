#!/usr/bin/python3
"""Issue 13's attacks against a real server, with the server's peak memory and timings.

Starts <build>/bambuddy with storage.local and auth.apikey in a fresh data directory, then:
  1. N parallel keyless uploads announcing 190 MB each (the body is pushed without Expect, as a
     script would): peak RSS before/after, how many body bytes the server took per connection,
     time until each was answered; meanwhile the admin key's GET latency.
  2. one authorized 3MF upload of --upload-mb (default 200) and its download: peak RSS growth and
     timings.
  3. 25 requests without a key, then the admin key: its status (a lockout would be 429).
  4. PATCH /settings with {"currency": 200,000 '[' ... ']'}: the answer, its time, and whether the
     server still answers /health.
  5. a webhook provider with a stored header token, PATCHed to another URL without the token: the
     answer (400 secret_required means the token cannot be redirected).
Prints figures only, never pass/fail. Peak RSS is VmHWM from /proc/<pid>/status.

usage: tests/bench/attack_rss.py [--build build] [--parallel 8] [--announce-mb 190] [--upload-mb 200]
"""
import argparse
import http.client
import io
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_KEY = "bb_W9xhjwCwnIfbF8HKx4mDUty9pBzfz0ZrNJeZX1MknAM"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def request(port, method, path, body=None, key=ADMIN_KEY, timeout=300):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"X-API-Key": key} if key else {}
    start = time.monotonic()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data, (time.monotonic() - start) * 1000


def keyless_upload(port, announced, out):
    """Pushes a body the server should refuse; records bytes taken and time to the answer."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    head = (f"POST /api/v1/archives?filename=a.3mf HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {announced}\r\n\r\n").encode()
    start = time.monotonic()
    sock.setblocking(True)
    sock.sendall(head)
    sock.setblocking(False)
    chunk = b"P" * (256 * 1024)
    sent, answer, answered_ms = 0, b"", None
    deadline = start + 120
    while sent < announced and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 1.0)
        if readable:
            try:
                data = sock.recv(4096)
            except OSError:
                break
            if not data:
                break
            answer += data
            if answered_ms is None and b"\r\n\r\n" in answer:
                answered_ms = (time.monotonic() - start) * 1000
        if writable:
            try:
                sent += sock.send(chunk[: min(len(chunk), announced - sent)])
            except BlockingIOError:
                pass
            except OSError:
                break
    sock.close()
    out.append((answer.split(b"\r\n", 1)[0].decode(errors="replace"), sent, answered_ms))


def make_3mf(size_mb):
    """A valid sliced 3MF whose plate G-code (stored, not compressed) makes it size_mb big."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="model" ContentType="application/'
                   'vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>', zipfile.ZIP_DEFLATED)
        z.writestr("3D/3dmodel.model",
                   '<?xml version="1.0" encoding="UTF-8"?>\n<model unit="millimeter" xmlns="http://schemas.'
                   'microsoft.com/3dmanufacturing/core/2015/02"><metadata name="Title">bench</metadata>'
                   "<resources/><build/></model>", zipfile.ZIP_DEFLATED)
        z.writestr("Metadata/slice_info.config",
                   '<?xml version="1.0" encoding="UTF-8"?>\n<config><plate><metadata key="index" value="1"/>'
                   '<metadata key="prediction" value="3600"/><metadata key="weight" value="12.5"/>'
                   "</plate></config>", zipfile.ZIP_DEFLATED)
        line = b"G1 X10.5 Y20.25 E0.125 F1800\n"
        gcode = line * (size_mb * 1024 * 1024 // len(line))
        z.writestr("Metadata/plate_1.gcode", gcode, zipfile.ZIP_STORED)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--announce-mb", type=int, default=190)
    parser.add_argument("--upload-mb", type=int, default=200)
    args = parser.parse_args()

    build = os.path.abspath(args.build)
    binary = os.path.join(build, "bambuddy")
    plugins = os.path.join(build, "plugins")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bambuddy-attack-") as tmp:
        config = os.path.join(tmp, "bambuddy.yaml")
        with open(config, "w") as f:
            f.write(f"server:\n  listen: 127.0.0.1:{port}\ndata_dir: {tmp}/data\n"
                    f"archives:\n  max_upload_bytes: {(args.upload_mb + 16) << 20}\n"
                    f"plugins:\n  search_path: [{plugins}]\n  load:\n"
                    "    - name: storage.local\n      config:\n"
                    f"        max_blob_bytes: {(args.upload_mb + 16) << 20}\n"
                    "    - name: auth.apikey\n"
                    "    - name: notifier.webhook\n")
        env = dict(os.environ, BAMBUDDY_ADMIN_KEY=ADMIN_KEY)
        log = open(os.path.join(tmp, "server.log"), "w")
        proc = subprocess.Popen([binary, "--config", config], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    if request(port, "GET", "/health", key=None, timeout=1)[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    sys.exit("server did not start:\n" + open(os.path.join(tmp, "server.log")).read()[-2000:])
                time.sleep(0.05)
            request(port, "GET", "/api/v1/archives")
            base = peak_rss_kib(proc.pid)
            print(f"server pid {proc.pid}, peak RSS at start {base / 1024:.1f} MiB")

            # 1. keyless flood
            results, threads = [], []
            announced = args.announce_mb << 20
            for _ in range(args.parallel):
                t = threading.Thread(target=keyless_upload, args=(port, announced, results))
                t.start()
                threads.append(t)
            admin_ms, admin_status = [], []
            while any(t.is_alive() for t in threads):
                status, _, ms = request(port, "GET", "/api/v1/archives")
                admin_status.append(status)
                admin_ms.append(ms)
            for t in threads:
                t.join()
            after = peak_rss_kib(proc.pid)
            print(f"\n{args.parallel} parallel keyless {args.announce_mb} MB uploads:")
            for line, sent, answered in results:
                print(f"  answer {line!r} after {answered or -1:.1f} ms; body bytes taken {sent / 1024:.0f} KiB")
            print(f"  peak RSS {base / 1024:.1f} -> {after / 1024:.1f} MiB (+{(after - base) / 1024:.1f} MiB)")
            if admin_ms:
                admin_ms.sort()
                print(f"  admin GET during the flood: {len(admin_ms)} requests, statuses "
                      f"{sorted(set(admin_status))}, p50 {statistics.median(admin_ms):.1f} ms, "
                      f"max {admin_ms[-1]:.1f} ms")

            # 2. authorized upload and download
            body = make_3mf(args.upload_mb)
            before = peak_rss_kib(proc.pid)
            status, data, upload_ms = request(port, "POST", "/api/v1/archives?filename=big.3mf", body=body)
            after_upload = peak_rss_kib(proc.pid)
            print(f"\nauthorized {len(body) / 1048576:.1f} MiB 3MF upload: {status} in {upload_ms:.0f} ms; "
                  f"peak RSS {before / 1024:.1f} -> {after_upload / 1024:.1f} MiB "
                  f"(+{(after_upload - before) / 1024:.1f} MiB)")
            if status == 201:
                archive_id = data.split(b'"id":', 1)[1].split(b",", 1)[0].decode()
                status, data, download_ms = request(port, "GET", f"/api/v1/archives/{archive_id}/file")
                after_download = peak_rss_kib(proc.pid)
                print(f"download: {status}, {len(data) / 1048576:.1f} MiB in {download_ms:.0f} ms, "
                      f"identical: {data == body}; peak RSS now {after_download / 1024:.1f} MiB "
                      f"(+{(after_download - before) / 1024:.1f} MiB since before the upload)")
            # 3. keyless requests, then the admin key
            keyless = [request(port, "GET", "/api/v1/printers", key=None)[0] for _ in range(25)]
            status, _, _ = request(port, "GET", "/api/v1/printers")
            print(f"\n25 keyless GETs answered {sorted(set(keyless))}; the admin key then gets {status}")

            # 4. deep JSON
            depth = 200000
            deep = '{"currency":' + "[" * depth + "]" * depth + "}"
            try:
                status, data, ms = request(port, "PATCH", "/api/v1/settings", body=deep.encode())
                answer = f"{status} {data[:120].decode(errors='replace')}"
            except OSError as e:
                answer, ms = f"no answer ({e})", 0
            alive = proc.poll() is None
            try:
                health = request(port, "GET", "/health", key=None, timeout=5)[0] if alive else "-"
            except OSError:
                health = "no answer"
            print(f"\nPATCH /settings nested {depth} deep: {answer} in {ms:.1f} ms; "
                  f"server alive: {alive}, /health: {health}")

            # 5. a stored secret redirected
            receiver = socket.socket()
            receiver.bind(("127.0.0.1", 0))
            receiver.listen(8)
            hook = f"http://127.0.0.1:{receiver.getsockname()[1]}/hook"
            body = ('{"type":"webhook","name":"HA","settings":{"url":"%s",'
                    '"headers":{"Authorization":"Bearer long-lived-token"}}}' % hook)
            status, data, _ = request(port, "POST", "/api/v1/notifications", body=body.encode())
            if status == 201:
                provider = data.split(b'"id":', 1)[1].split(b",", 1)[0].decode().strip('"')
                moved = '{"settings":{"url":"http://127.0.0.1:9/steal"}}'
                status, data, _ = request(port, "PATCH", f"/api/v1/notifications/{provider}", body=moved.encode())
                print(f"\nwebhook URL changed without its stored header: {status} "
                      f"{data[:160].decode(errors='replace')}")
            else:
                print(f"\ncould not create a webhook provider: {status} {data[:200]!r}")
            receiver.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


if __name__ == "__main__":
    main()
