#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What `policy evaluate` prints is what ships, on RouteLLM's own data (MMLU's 57 subjects and
# GSM8K, GPT-4-1106 against Mixtral-8x7B): the held-out decisions it writes with --decisions
# recompute its figures, APGR per benchmark to 0.005; its folds never share a prompt; the tasks
# it routes by are the classifier's predictions, not the data's labels; and on a fixed test
# split, each decision is the one `routewise-cli classify` makes with the same policy file.
# TAP output.
import csv
import glob
import hashlib
import json
import os
import random
import subprocess
import tempfile

from taplib import cli, ok

SRC = os.environ["G_TEST_SRCDIR"]
ROOT = os.path.dirname(SRC)
MMLU = os.path.join(ROOT, "data", "routellm", "mmlu")
GSM8K = os.path.join(ROOT, "data", "recorded", "gsm8k_responses.csv")
STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"

print("1..10")


def apgr(rows):
    """RouteLLM's APGR: strong calls in the order given, quality at each tenth, its area."""
    k = len(rows)
    qs = sum(r[0] for r in rows) / k
    qw = sum(r[1] for r in rows) / k
    acc = []
    for s in range(11):
        m = round(k * s / 10)
        acc.append((sum(r[0] for r in rows[:m]) + sum(r[1] for r in rows[m:])) / k)
    auc = sum((acc[i] + acc[i + 1]) / 2 * 0.1 for i in range(10))
    return (auc - qw) / (qs - qw)


# The data, by the SHA-256 of each prompt: whether each model was right (averaged where a
# prompt is in two files, as the store averages an item's grades).
contaminated = set()
with open(os.path.join(ROOT, "data", "routellm", "contaminated_prompts.jsonl")) as f:
    contaminated = {json.loads(line).get("eval_prompt") for line in f if line.strip()}
truth = {}
files = sorted(glob.glob(os.path.join(MMLU, "*.csv"))) + [GSM8K]
for path in files:
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["prompt"] in contaminated:
                continue
            key = hashlib.sha256(row["prompt"].encode()).hexdigest()
            t = truth.setdefault(key, [0.0, 0.0, 0])
            t[0] += row[STRONG] == "True"
            t[1] += row[WEAK] == "True"
            t[2] += 1

with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, ROUTEWISE_DATA_DIR=os.path.join(tmp, "data"))
    env.pop("ROUTEWISE_PROVIDERS", None)
    cli(env, "import", "routellm", MMLU)
    cli(env, "import", "routellm", GSM8K)
    policy = os.path.join(tmp, "policy.json")
    decisions_path = os.path.join(tmp, "decisions.jsonl")
    cli(env, "policy", "learn", "--budget", "0.5", "-o", policy)
    ev = json.loads(cli(env, "policy", "evaluate", policy, "--json", "--decisions",
                        decisions_path))
    decisions = [json.loads(line) for line in open(decisions_path)]
    ok(len(decisions) == ev["items"] and "decisions" not in ev and
       all({"item", "fold", "task", "model", "score", "cost", "strong_score"} <= d.keys()
           for d in decisions),
       "one decision a held-out item, with its fold, task, model, score, cost and strong score")

    folds = {}
    for d in decisions:
        folds.setdefault(d["prompt_sha256"], set()).add(d["fold"])
    predicted = sum(d["task"] != d["true_task"] for d in decisions)
    print("# %d of %d items routed by a task other than their label" % (predicted, len(decisions)))
    ok(all(len(f) == 1 for f in folds.values()) and 0 < predicted < len(decisions) / 2 and
       ev["tasks"] == "predicted",
       "folds never share a prompt; tasks are the classifier's predictions")

    quality = sum(d["score"] for d in decisions) / len(decisions)
    cost = sum(d["cost"] for d in decisions) / len(decisions)
    ok(abs(quality - ev["policy"]["quality"]) < 1e-9 and abs(cost - ev["policy"]["cost_usd"]) < 1e-12,
       "the policy's quality and cost are the mean of its decisions")

    printed = {b["benchmark"]: b for b in ev["strong_weak"]["benchmarks"]}
    worst = 0
    for bench in ("mmlu", "gsm8k"):
        mine = [d for d in decisions if d["benchmark"] == bench]
        mine.sort(key=lambda d: -d["strong_score"])
        rows = [(truth[d["prompt_sha256"]][0] / truth[d["prompt_sha256"]][2],
                 truth[d["prompt_sha256"]][1] / truth[d["prompt_sha256"]][2]) for d in mine]
        figure = printed[bench]["routers"][0]
        again = apgr(rows)
        worst = max(worst, abs(again - figure["apgr"]))
        print("# %s: %d items, APGR %.4f printed, %.4f recomputed; CPT(50%%) %.1f%%, "
              "CPT(80%%) %.1f%%" % (bench, len(rows), figure["apgr"], again, figure["cpt50"],
                                    figure["cpt80"]))
    ok(worst < 0.005, "APGR per benchmark recomputed from the decisions and the data (within %.4f)"
       % worst)
    # The shipped router's figures (0.682 on MMLU, 0.597 on GSM8K, tasks predicted): less is a
    # regression.
    mmlu_apgr = printed["mmlu"]["routers"][0]["apgr"]
    gsm8k_apgr = printed["gsm8k"]["routers"][0]["apgr"]
    ok(mmlu_apgr >= 0.680 and gsm8k_apgr >= 0.590,
       "held out, the shipped router recovers %.4f of the gap on MMLU and %.4f on GSM8K"
       % (mmlu_apgr, gsm8k_apgr))

    # Requests that name their task (the data's label), said so: every decision is routed by
    # its label, and knowing the subject is worth more than predicting it.
    named_path = os.path.join(tmp, "named.jsonl")
    named = json.loads(cli(env, "policy", "evaluate", policy, "--json", "--named-tasks",
                           "--decisions", named_path))
    named_decisions = [json.loads(line) for line in open(named_path)]
    named_mmlu = {b["benchmark"]: b for b in named["strong_weak"]["benchmarks"]}["mmlu"]
    named_apgr = named_mmlu["routers"][0]["apgr"]
    print("# MMLU with the tasks named: APGR %.4f, CPT(50%%) %.1f%%, CPT(80%%) %.1f%%"
          % (named_apgr, named_mmlu["routers"][0]["cpt50"], named_mmlu["routers"][0]["cpt80"]))
    ok(named["tasks"] == "named" and len(named_decisions) == len(decisions) and
       all(d["task"] == d["true_task"] for d in named_decisions) and named_apgr > mmlu_apgr,
       "with --named-tasks each request is routed by its label, and said so (MMLU APGR %.4f)"
       % named_apgr)

    # A fixed split: a policy learned from MMLU alone routes GSM8K's questions; each decision
    # is the model `classify` picks with the same file.
    env2 = dict(env, ROUTEWISE_DATA_DIR=os.path.join(tmp, "mmlu-only"))
    cli(env2, "import", "routellm", MMLU)
    mmlu_policy = os.path.join(tmp, "mmlu-policy.json")
    cli(env2, "policy", "learn", "--budget", "0.5", "-o", mmlu_policy)
    split = os.path.join(tmp, "gsm8k-test.jsonl")
    prompts = {}
    with open(GSM8K, encoding="utf-8") as f, open(split, "w") as out:
        for i, row in enumerate(csv.DictReader(f)):
            if i >= 300:
                break
            key = hashlib.sha256(row["prompt"].encode()).hexdigest()
            prompts[key] = row["prompt"]
            for model, column in (("recorded/gpt-4-1106-preview", STRONG),
                                  ("recorded/mixtral-8x7b-instruct-v0.1", WEAK)):
                out.write(json.dumps({"item": "g%d" % i, "task": "math", "prompt": row["prompt"],
                                      "model": model, "score": 1 if row[column] == "True" else 0})
                          + "\n")
    test_decisions = os.path.join(tmp, "test-decisions.jsonl")
    tev = json.loads(cli(env2, "policy", "evaluate", mmlu_policy, "--test", split, "--json",
                         "--decisions", test_decisions))
    chosen = [json.loads(line) for line in open(test_decisions)]
    ok(tev["test"] and tev["items"] == 300 and len(chosen) == 300,
       "a fixed split is evaluated as it is: 300 items")
    sample = random.Random(7).sample(chosen, 12)
    same = 0
    for d in sample:
        c = json.loads(cli(env2, "classify", "--policy", mmlu_policy, "--json",
                           prompts[d["prompt_sha256"]]))
        same += c["task"] == d["task"] and c["models"][0] == d["model"]
    ok(same == len(sample), "each decision on the split is the model classify picks with the "
       "same file (%d of %d)" % (same, len(sample)))

    # Imports are deterministic: the same folder imported into another database leaves the
    # same outcomes, and learning and evaluating again routes the same and gives the same
    # figures. Imported again into the same database, it would count twice: refused.
    again = subprocess.run([os.environ["ROUTEWISE_CLI"], "import", "routellm", MMLU], env=env2,
                           capture_output=True, text=True)
    ok(again.returncode != 0 and "was imported already, as run" in again.stderr,
       "the same folder imported again into the same database is refused: %s" %
       again.stderr.strip())
    env3 = dict(env, ROUTEWISE_DATA_DIR=os.path.join(tmp, "mmlu-again"))
    again_policy = os.path.join(tmp, "mmlu-policy-again.json")
    cli(env3, "import", "routellm", MMLU)
    cli(env3, "policy", "learn", "--budget", "0.5", "-o", again_policy)
    tev2 = json.loads(cli(env3, "policy", "evaluate", again_policy, "--test", split, "--json"))
    # What routes (the lists, the classifier, the prompt router), not when or how fast it was
    # learned.
    first, second = ({k: v for k, v in json.load(open(p)).items() if k != "learned"}
                     for p in (mmlu_policy, again_policy))
    ok(first == second and tev2 == tev, "imported into two databases, the same policy and the "
       "same figures")
