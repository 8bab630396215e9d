# SPDX-License-Identifier: GPL-3.0-or-later
#
# The shell scripts people run (build-aux/run, .ci/run): valid bash, and no pipeline under
# `set -o pipefail` whose reader may stop before its writer is done (head, grep -q, grep -m):
# the writer then dies of SIGPIPE, and pipefail turns that race into a failure of the whole
# command, now and then, on a loaded machine.
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import ok  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EARLY = re.compile(r"\|\s*(head\b|grep\s+(-\w*[qm]\w*|--quiet|--max-count))")
n = 0
for rel in ("build-aux/run", ".ci/run"):
    path = os.path.join(TOP, rel)
    r = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
    ok(r.returncode == 0, "%s is valid bash %s" % (rel, r.stderr.strip()))
    text = open(path).read()
    pipefail = "pipefail" in text
    bad = [("%s:%d: %s" % (rel, i + 1, line.strip()))
           for i, line in enumerate(text.splitlines())
           if not line.lstrip().startswith("#") and EARLY.search(line)]
    ok(not pipefail or not bad,
       "%s: no pipeline under pipefail into a reader that stops early %s" % (rel, bad))
    n += 2
print("1..%d" % n)
