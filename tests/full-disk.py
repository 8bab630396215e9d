# SPDX-License-Identifier: GPL-3.0-or-later
#
# `eval run` on a disk that fills up: the database's files may not grow past 300 kB (a file
# size limit stands in for the full disk). The run must stop sending at the first write that
# fails, say what it received, stored and lost, and, once there is room again, send only what is
# missing; no answer is stored twice.
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import cli, home, ok  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The recordings at 200 times their pace: answers take milliseconds, not seconds.
work, env = home("full-disk", recorded_speed=200)
suite = os.path.join(TOP, "data", "suites", "gsm8k-sample.jsonl")
args = ["eval", "run", suite, "-m", "recorded/gpt-4-1106-preview",
        "-m", "recorded/mixtral-8x7b-instruct-v0.1", "-j", "4"]
cli(env, "history", "list")    # the database, made


def full_disk():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


r = subprocess.run([os.environ["ROUTEWISE_CLI"], *args], env=env, capture_output=True, text=True,
                   preexec_fn=full_disk)
m = re.search(r"could not be written \((.*)\); (\d+) answers received, (\d+) stored, (\d+) lost",
              r.stderr)
ok(r.returncode != 0 and m is not None,
   "the run stops with what it received, stored and lost: %s" %
   (m.group(0) if m else r.stderr.strip().splitlines()[-1:]))
received, stored, lost = int(m.group(2)), int(m.group(3)), int(m.group(4))
ok(received < 100 and lost == received - stored,
   "nothing is sent once a write fails: %d of 400 answers received (the unbounded run paid for "
   "all 400)" % received)
db = os.path.join(work, "data", "routewise.db")
with sqlite3.connect(db) as c:
    in_db = c.execute("SELECT count(*) FROM responses WHERE status = 'ok'").fetchone()[0]
ok(in_db == stored, "the database holds the %d answers said stored (%d)" % (stored, in_db))

r = subprocess.run([os.environ["ROUTEWISE_CLI"], *args[:-1], "32"], env=env, capture_output=True,
                   text=True)
m2 = re.search(r"Resuming run \S+: 400 answers .*, (\d+) already stored", r.stderr)
ok(r.returncode == 0 and m2 is not None and int(m2.group(1)) == stored,
   "with room again, the run resumes with the %d stored answers and sends only the %d missing" %
   (stored, 400 - stored))
with sqlite3.connect(db) as c:
    good = c.execute("SELECT count(*) FROM responses WHERE status = 'ok'").fetchone()[0]
    twice = c.execute("SELECT count(*) FROM (SELECT 1 FROM responses WHERE status = 'ok' "
                      "GROUP BY run_id, item_id, model, sample HAVING count(*) > 1)").fetchone()[0]
    votes = c.execute("SELECT count(*) FROM votes").fetchone()[0]
    status = c.execute("SELECT status FROM runs").fetchall()
ok(good == 400 and twice == 0 and votes == 200 and status == [("done",)],
   "in the end 400 answers, none twice, 200 comparisons, the run done (%d, %d, %d, %s)" %
   (good, twice, votes, status))
print("1..5")
