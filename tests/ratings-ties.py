#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Rating intervals when there are ties, on real data: LLMFAO's 8,931 crowd votes, 39% of them
# ties. Routewise's bootstrap resamples the counts of outcomes (a tie stays one tie, half a win
# each way); a plain bootstrap resamples the votes themselves and refits. The two must give
# intervals of the same width: within 20% on average over the 59 models (resampling a tie's two
# halves apart, as Routewise once did, made them about 1.3 times too wide). TAP output.
import csv
import json
import os
import subprocess
import sys
import tempfile

print("1..2")
try:
    import numpy as np
except ImportError:
    if os.environ.get("ROUTEWISE_REQUIRE_CONFORMANCE"):
        print("not ok 1 numpy is not installed (build-aux/run test installs python3-sklearn)")
        sys.exit(1)
    print("ok 1 # SKIP numpy is not installed")
    sys.exit(0)

votes = os.path.join(os.environ["G_TEST_SRCDIR"], "data", "llmfao", "crowd-comparisons.csv")
rows = list(csv.DictReader(open(votes, encoding="utf-8")))
models = sorted({r["left"] for r in rows} | {r["right"] for r in rows})
index = {m: i for i, m in enumerate(models)}
k = len(models)
a = np.array([index[r["left"]] for r in rows])
b = np.array([index[r["right"]] for r in rows])
s = np.array([{"left": 1.0, "right": 0.0, "tie": 0.5}[r["winner"]] for r in rows])


def fit(a, b, s):
    """Bradley-Terry log-strengths by Hunter's MM iterations, ties as half a win each way."""
    w = np.zeros((k, k))
    np.add.at(w, (a, b), s)
    np.add.at(w, (b, a), 1 - s)
    n = w + w.T
    wins = w.sum(axis=1)
    p = np.ones(k)
    for _ in range(2000):
        denom = (n / (p[:, None] + p[None, :])).sum(axis=1)
        q = wins / denom
        q /= np.exp(np.log(q).mean())
        if np.max(np.abs(q - p)) < 1e-10:
            p = q
            break
        p = q
    theta = np.log(p)
    return theta - theta.mean()


ELO = 400 / np.log(10)
rng = np.random.default_rng(20240816)
boot = np.array([fit(a[i], b[i], s[i]) for i in (rng.integers(0, len(rows), len(rows))
                                                 for _ in range(200))])
plain = ELO * (np.quantile(boot, 0.975, axis=0) - np.quantile(boot, 0.025, axis=0))

with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "llmfao.csv")
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["model_a", "model_b", "winner"])
        for r in rows:
            out.writerow([r["left"], r["right"], {"left": "model_a", "right": "model_b",
                                                  "tie": "tie"}[r["winner"]]])
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=os.path.join(work, "config"),
               ROUTEWISE_DATA_DIR=os.path.join(work, "data"))
    done = subprocess.run([os.environ["ROUTEWISE_CLI"], "ratings", "--comparisons", path,
                           "--task", "all", "--bootstrap", "200", "--json"],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(f"not ok 1 routewise-cli ratings: {done.stderr.strip()}")
        sys.exit(1)
    report = json.loads(done.stdout)

tasks = report["tasks"] if isinstance(report, dict) and "tasks" in report else report
task = next(t for t in tasks if t["task"] == "all")
ours = {m["model"]: m["ci_high"] - m["ci_low"] for m in task["models"]}
print(f"ok 1 {len(rows)} votes, {int((s == 0.5).sum())} ties, among {len(ours)} models rated")
ratio = np.mean([ours[m] for m in models]) / np.mean(plain)
ok = 0.8 <= ratio <= 1.2
print(f"{'ok' if ok else 'not ok'} 2 interval width against a plain bootstrap over the votes: "
      f"{ratio:.3f} (Routewise {np.mean([ours[m] for m in models]):.1f}, plain "
      f"{np.mean(plain):.1f} Elo on average)")
sys.exit(0 if ok else 1)
