#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Routewise's Bradley-Terry ratings against an independent maximum-likelihood fit: scikit-learn's
# logistic regression without penalty, as LMSYS computes arena ratings (a row per game, +1 for
# the first model, -1 for the second; a tie is half a game each way). One million synthetic
# comparisons among eight models in three tasks, written as the CSV `routewise-cli ratings
# --comparisons` reads. The strengths must agree to within 1e-6 in every task. Prints the fit's
# time from the ratings' own report (a figure, not a test). TAP output.
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

print("1..2")
try:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
except ImportError:
    if os.environ.get("ROUTEWISE_REQUIRE_CONFORMANCE"):
        print("not ok 1 scikit-learn is not installed (build-aux/run test installs python3-sklearn)")
        sys.exit(1)
    print("ok 1 # SKIP scikit-learn is not installed")
    sys.exit(0)

cli = os.environ["ROUTEWISE_CLI"]
N = 1_000_000
models = [f"model-{c}" for c in "abcdefgh"]
truth = {m: s for m, s in zip(models, [1.2, 0.8, 0.5, 0.2, 0.0, -0.3, -0.7, -1.1])}
tasks = ["code", "math", "chat"]
rng = random.Random(2026)

with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, "comparisons.csv")
    counts = {}
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model_a", "model_b", "winner", "task"])
        for _ in range(N):
            a, b = rng.sample(models, 2)
            task = rng.choice(tasks)
            shift = {"code": 0.3, "math": -0.2, "chat": 0.0}[task] * (models.index(a) % 3 - 1)
            p = 1 / (1 + math.exp(truth[b] - truth[a] - shift))
            r = rng.random()
            winner = "tie" if r < 0.08 else ("model_a" if rng.random() < p else "model_b")
            w.writerow([a, b, winner, task])
            counts[(task, a, b, winner)] = counts.get((task, a, b, winner), 0) + 1

    start = time.monotonic()
    out = subprocess.run([cli, "ratings", "--comparisons", path, "--json", "--bootstrap", "0"],
                         capture_output=True, text=True)
    wall = time.monotonic() - start
    if out.returncode != 0:
        print(f"not ok 1 routewise-cli ratings failed: {out.stderr.strip()}")
        sys.exit(1)
    ours = json.loads(out.stdout)
    print(f"ok 1 routewise-cli rated {ours['comparisons']} comparisons in {wall:.2f} s "
          "(reading the CSV included)")

    worst = 0.0
    fit_ms = {}
    for task in ["all"] + tasks:
        index = {m: i for i, m in enumerate(models)}
        rows, ys, weights = [], [], []
        for (t, a, b, winner), n in counts.items():
            if task != "all" and t != task:
                continue
            x = np.zeros(len(models))
            x[index[a]], x[index[b]] = 1.0, -1.0
            for y, share in ((1, {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[winner]),
                             (0, {"model_a": 0.0, "model_b": 1.0, "tie": 0.5}[winner])):
                if share > 0:
                    rows.append(x)
                    ys.append(y)
                    weights.append(n * share)
        lr = LogisticRegression(fit_intercept=False, penalty=None, solver="newton-cg", tol=1e-12,
                                max_iter=100000)
        lr.fit(np.array(rows), np.array(ys), sample_weight=np.array(weights))
        coef = lr.coef_[0] - lr.coef_[0].mean()
        entry = next(e for e in ours["tasks"] if e["task"] == task)
        fit_ms[task] = entry["fit_ms"]
        for m in entry["models"]:
            worst = max(worst, abs(m["theta"] - coef[index[m["model"]]]))
    status = "ok" if worst < 1e-6 else "not ok"
    print(f"{status} 2 Bradley-Terry strengths agree with scikit-learn's logistic regression: "
          f"largest difference {worst:.2e} over {len(tasks) + 1} fits")
    print("# the fit itself, over one million comparisons: "
          + ", ".join(f"{t} {ms:.3f} ms" for t, ms in fit_ms.items()))
