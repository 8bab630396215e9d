#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Outcome data from anywhere, with the cost of every call: RouteLLM's GPT-4-1106 and Mixtral
# grades on MMLU and GSM8K written as `import outcomes` reads them, each call priced from its
# own tokens at the providers' published list prices (gpt-4-1106-preview $10 in / $30 out per
# million tokens, OpenAI; Mixtral-8x7B-Instruct $0.60 / $0.60, Together AI; 4 characters a
# token; an MMLU answer is one token, a GSM8K answer its recorded text). Imported, learned and
# evaluated on held-out folds, the router per prompt must beat the zero router (the best mix of
# single models at the same cost or less): a higher AIQ, and within at least one task a higher
# quality at the same cost or less.
# TAP output.
import csv
import glob
import json
import os
import tempfile

from taplib import cli, ok

SRC = os.environ["G_TEST_SRCDIR"]
ROOT = os.path.dirname(SRC)
MODELS = {  # column -> (id, $ per input token, $ per output token)
    "gpt-4-1106-preview": ("openai/gpt-4-1106-preview", 10e-6, 30e-6),
    "mistralai/Mixtral-8x7B-Instruct-v0.1": ("together/mixtral-8x7b-instruct", 0.6e-6, 0.6e-6),
}

print("1..3")


def tokens(text):
    return max(1, (len(text) + 3) // 4)


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, ROUTEWISE_DATA_DIR=os.path.join(tmp, "data"))
    env.pop("ROUTEWISE_PROVIDERS", None)
    path = os.path.join(tmp, "outcomes.jsonl")
    costs = {}
    with open(path, "w") as out:
        files = sorted(glob.glob(os.path.join(ROOT, "data", "routellm", "mmlu", "*.csv")))
        for f in files + [os.path.join(ROOT, "data", "recorded", "gsm8k_responses.csv")]:
            base = os.path.basename(f)
            task = base[5:-4] if base.startswith("mmlu_") else "gsm8k"
            with open(f, encoding="utf-8") as rows:
                for i, row in enumerate(csv.DictReader(rows)):
                    item = "%s-%d" % (task, i)
                    for column, (model, p_in, p_out) in MODELS.items():
                        answer = row.get(column + "_response") or "A"
                        cost = tokens(row["prompt"]) * p_in + tokens(answer) * p_out
                        costs[(item, model)] = cost
                        out.write(json.dumps({"item": item, "task": task, "prompt": row["prompt"],
                                              "model": model,
                                              "score": 1 if row[column] == "True" else 0,
                                              "cost": cost}) + "\n")
    cli(env, "import", "outcomes", path)
    policy = os.path.join(tmp, "policy.json")
    decisions = os.path.join(tmp, "decisions.jsonl")
    cli(env, "policy", "learn", "--budget", "0.5", "-o", policy)
    ev = json.loads(cli(env, "policy", "evaluate", policy, "--json", "--decisions", decisions))

    sample = [json.loads(line) for line in open(decisions)][:200]
    ok(all(d["item"] and d["cost"] > 0 for d in sample) and len(ev["baselines"]) == 5,
       "%d items held out, each call's cost as the file gives it" % ev["items"])

    zero = next(b for b in ev["baselines"] if b["name"] == "zero router")
    print("# learned: quality %.4f, $%.4f per 1k, AIQ %.4f; zero router: quality %.4f, AIQ %.4f"
          % (ev["policy"]["quality"], 1000 * ev["policy"]["cost_usd"], ev["policy"]["aiq"],
             zero["quality"], zero["aiq"]))
    ok(ev["policy"]["aiq"] > zero["aiq"] and ev["policy"]["quality"] > zero["quality"],
       "the learned router's AIQ and quality are above the zero router's")

    better = [t for t in ev["tasks_held_out"]
              if t["quality"] - t["zero_router_quality"] > 1 / t["items"] and
              t["zero_router_cost_usd"] <= t["cost_usd"] + 1e-12]
    better.sort(key=lambda t: t["zero_router_quality"] - t["quality"])
    for t in better[:3]:
        print("# %s: %d items, %.1f%% at $%.4f per 1k against %.1f%% for the zero router"
              % (t["task"], t["items"], 100 * t["quality"], 1000 * t["cost_usd"],
                 100 * t["zero_router_quality"]))
    ok(len(better) >= 1, "within %d tasks, a higher held-out quality than the zero router at the "
       "same cost or less" % len(better))
