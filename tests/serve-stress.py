# SPDX-License-Identifier: GPL-3.0-or-later
#
# `routewise-cli serve` on loopback under clients that try to hold it: 500 connections without
# the token (each announcing an 8 MB body), clients that send their head or their body a byte
# at a time, clients that open connections and say nothing, and one that pipelines 20 MB of
# requests without reading a reply. Meanwhile an authorised client keeps asking, and every one
# of its requests must be answered; its latency is reported, and the server's peak memory must
# stay under 50 MB. Bounded in time (about 10 s) and in count.
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import home, ok, serve as start_serve  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SANITIZED = os.environ.get("ROUTEWISE_SANITIZED") == "1"
TIMEOUT_S = 2

# Recorded answers at once, instead of at the pace they were recorded at.
work, env = home("stress", recorded_speed=0)
serve, port, token = start_serve(work, env, "--threads", "1", "--client-timeout", str(TIMEOUT_S))
host = "Host: 127.0.0.1:%d\r\n" % port


def rss_kb(field):
    for line in open("/proc/%d/status" % serve.pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def connect():
    s = socket.create_connection(("127.0.0.1", port))
    # A bound on a test of bounds, generous for the sanitizers' slower build.
    s.settimeout(TIMEOUT_S * (30 if SANITIZED else 5))
    return s


def read_all(s):
    """What the server sent, and whether it closed the connection (a reset closes it too)."""
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return got, True
            got += b
    except ConnectionResetError:
        return got, True
    except socket.timeout:
        return got, False


prompts = [json.loads(line)["prompt"] for line in open(os.path.join(TOP, "data", "suites",
                                                                   "gsm8k-sample.jsonl"))][:20]
start_rss = rss_kb("VmRSS")
stop = threading.Event()
latencies = []
failures = []


def authorised():
    i = 0
    while not stop.is_set():
        body = json.dumps({"model": "recorded/gpt-4-1106-preview",
                           "messages": [{"role": "user", "content": prompts[i % len(prompts)]}]})
        req = ("POST /v1/chat/completions HTTP/1.1\r\n" + host +
               "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (token, len(body.encode()),
                                                                        body)).encode()
        t = time.monotonic()
        try:
            s = connect()
            s.sendall(req)
            got, _ = read_all(s)
            s.close()
        except OSError as e:
            got = str(e).encode()
        latencies.append(time.monotonic() - t)
        if not got.startswith(b"HTTP/1.1 200"):
            failures.append(got[:200])
        i += 1


# Without the token: refused from the head, the announced body never read.
refused = [0]


def no_token(n):
    for _ in range(n):
        s = connect()
        s.sendall(("POST /v1/chat/completions HTTP/1.1\r\n" + host +
                   "Content-Length: 8000000\r\n\r\n").encode())
        got, closed = read_all(s)
        if got.startswith(b"HTTP/1.1 401") and closed:
            refused[0] += 1
        s.close()


# A byte at a time, or nothing at all: each is closed at its deadline.
slow_closed = {"head": 0, "body": 0, "idle": 0}


def slow(kind, n):
    socks = [connect() for _ in range(n)]
    if kind == "head":
        text = ("POST /v1/chat/completions HTTP/1.1\r\n" + host +
                "Authorization: Bearer " + token + "\r\n").encode() + b"X-Slow: " + b"a" * 1000
    elif kind == "body":
        text = b"{" * 1000
        for s in socks:
            s.sendall(("POST /v1/chat/completions HTTP/1.1\r\n" + host +
                       "Authorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n" %
                       token).encode())
    else:
        text = b""
    # Closed at the deadline, and seen closed within a few more; the sanitizers' build, on a
    # loaded machine, takes longer to get round to it.
    end = time.monotonic() + TIMEOUT_S * (15 if SANITIZED else 4)
    alive = list(socks)
    pos = 0
    while alive and time.monotonic() < end:
        for s in list(alive):
            try:
                if text:
                    s.send(text[pos:pos + 1])
                s.setblocking(False)
                try:
                    if s.recv(65536) == b"":
                        alive.remove(s)
                        slow_closed[kind] += 1
                except BlockingIOError:
                    pass
                s.setblocking(True)
            except (BrokenPipeError, ConnectionResetError):
                alive.remove(s)
                slow_closed[kind] += 1
        pos += 1
        time.sleep(0.1)
    for s in socks:
        s.close()


# 20 MB of requests pipelined on one connection, no reply read.
pipelined = {"sent": 0}


def pipeline():
    s = connect()
    s.setblocking(False)
    req = ("GET /v1/models HTTP/1.1\r\n" + host + "Authorization: Bearer %s\r\n\r\n" %
           token).encode()
    block = req * (1 << 20 // len(req))
    end = time.monotonic() + TIMEOUT_S * 3
    while pipelined["sent"] < 20 << 20 and time.monotonic() < end:
        try:
            pipelined["sent"] += s.send(block)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    s.close()


threads = [threading.Thread(target=authorised)]
threads += [threading.Thread(target=no_token, args=(100,)) for _ in range(5)]
threads += [threading.Thread(target=slow, args=(k, 50)) for k in ("head", "body", "idle")]
threads += [threading.Thread(target=pipeline)]
for t in threads:
    t.start()
for t in threads[1:]:
    t.join()
stop.set()
threads[0].join()
peak_rss = rss_kb("VmHWM")
serve.terminate()
serve.wait()

ok(refused[0] == 500, "500 connections without the token: %d refused with 401 from their head "
   "and closed" % refused[0])
ok(slow_closed == {"head": 50, "body": 50, "idle": 50},
   "slow heads, slow bodies and silent connections closed at their %d s deadline: %s" %
   (TIMEOUT_S, slow_closed))
ok(pipelined["sent"] < 20 << 20,
   "a client that does not read its replies is not read either: %.1f MB of 20 MB taken in" %
   (pipelined["sent"] / 1e6))
latencies.sort()
p50 = latencies[len(latencies) // 2] * 1000
p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
print("# authorised client: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms" %
      (len(latencies), p50, p99, latencies[-1] * 1000))
ok(len(latencies) > 0 and not failures,
   "the authorised client got every answer meanwhile (%d, %d failed) %s" %
   (len(latencies), len(failures), failures[:1]))
print("# serve's memory: %.1f MB at start, %.1f MB at its peak" % (start_rss / 1024,
                                                                    peak_rss / 1024))
if SANITIZED:
    print("ok 5 # SKIP memory is not measured under the sanitizers")
else:
    ok(peak_rss < 50 * 1024, "serve's peak memory stays under 50 MB: %.1f MB" % (peak_rss / 1024))
print("1..5")
