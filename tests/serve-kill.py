# SPDX-License-Identifier: GPL-3.0-or-later
#
# `routewise-cli serve` killed with SIGKILL right after answering 500 requests: every answer it
# gave is in the database (a reply ends only once its answer is stored), and the session is
# left held by a process that is gone, which Routewise reads as interrupted.
import http.client
import json
import os
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import home, ok, serve as start_serve  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 500
work, env = home("kill", recorded_speed=0)
serve, port, token = start_serve(work, env, "--threads", "1")
prompts = [json.loads(line)["prompt"] for line in open(os.path.join(TOP, "data", "suites",
                                                                   "gsm8k-sample.jsonl"))]
conn = http.client.HTTPConnection("127.0.0.1", port)
answered = 0
for i in range(N):
    body = json.dumps({"model": "recorded/gpt-4-1106-preview",
                       "messages": [{"role": "user", "content": prompts[i % len(prompts)]}]})
    conn.request("POST", "/v1/chat/completions", body,
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    answered += r.status == 200
serve.send_signal(signal.SIGKILL)
serve.wait()
ok(answered == N, "serve answered %d of %d requests, then was killed" % (answered, N))

with sqlite3.connect(os.path.join(work, "data", "routewise.db")) as c:
    stored = c.execute("SELECT count(*) FROM responses r JOIN runs u ON u.id = r.run_id "
                       "WHERE u.kind = 'serve' AND r.status = 'ok'").fetchone()[0]
    runs = c.execute("SELECT status, holder FROM runs WHERE kind = 'serve'").fetchall()
print("# %d of %d answered requests stored" % (stored, N))
ok(stored == N, "every answered request is stored: %d of %d" % (stored, N))
ok(len(runs) == 1 and runs[0][0] == "running" and runs[0][1] is not None and
   runs[0][1].split(" ")[0] == str(serve.pid),
   "the session is left held by the killed process %d, so it reads as interrupted: %s" %
   (serve.pid, runs))
print("1..3")
