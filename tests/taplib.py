# SPDX-License-Identifier: GPL-3.0-or-later
#
# What the Python tests that drive routewise-cli share: numbered TAP lines that stop the test at
# the first failure, and running the CLI with its output or the test's end.
import os
import subprocess
import sys

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
