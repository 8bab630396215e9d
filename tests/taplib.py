# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the Python tests that drive routewise-cli share: numbered TAP lines that stop the test at
# the first failure, running the CLI with its output or the test's end, a home of its own for
# the CLI, and `serve` on a free loopback port.
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

_n = 0


def ok(cond, what):
    """One TAP line; a failure ends the test."""
    global _n
    _n += 1
    print(("ok" if cond else "not ok") + " %d %s" % (_n, what))
    if not cond:
        sys.exit(1)


def cli(env, *args):
    """routewise-cli's standard output; a failure prints its message and ends the test."""
    r = subprocess.run([os.environ["ROUTEWISE_CLI"], *args], env=env, capture_output=True,
                       text=True)
    if r.returncode != 0:
        print("# " + " ".join(args) + ": " + r.stderr.strip().replace("\n", "\n# "))
        sys.exit(1)
    return r.stdout


def home(name, recorded_speed=None):
    """A user of routewise-cli of its own: a temporary home, removed when the test ends, with
    its data and configuration folders; with recorded_speed, a providers.json that plays the
    recordings at that multiple of their pace (0: at once). Returns (folder, env)."""
    work = tempfile.mkdtemp(prefix="routewise-%s-" % name)
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    env = dict(os.environ, ROUTEWISE_DATA_DIR=os.path.join(work, "data"),
               XDG_CONFIG_HOME=os.path.join(work, "config"), HOME=work)
    os.makedirs(os.path.join(work, "config", "routewise"))
    if recorded_speed is not None:
        with open(os.path.join(work, "config", "routewise", "providers.json"), "w") as f:
            json.dump({"providers": [{"id": "recorded", "kind": "recorded",
                                      "speed": recorded_speed}]}, f)
    return work, env


def serve(work, env, *args):
    """`routewise-cli serve` for the home made by home(), on a free loopback port, its messages
    in serve.log there; stopped when the test ends if the test has not. Returns (process, port,
    token)."""
    log = open(os.path.join(work, "serve.log"), "w")
    process = subprocess.Popen([os.environ["ROUTEWISE_CLI"], "serve", "--port", "0", *args],
                               env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    atexit.register(lambda: process.poll() is not None or process.kill() or process.wait())
    first = process.stdout.readline()
    if "127.0.0.1:" not in first:
        process.wait()
        print("Bail out! serve did not start: " + open(os.path.join(work, "serve.log")).read())
        sys.exit(1)
    port = int(first.split("127.0.0.1:")[1].split("/")[0])
    token = open(os.path.join(work, "config", "routewise", "token")).read().strip()
    return process, port, token
