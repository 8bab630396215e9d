#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Five models' outcomes with the cost of every call: GSM8K answered by gpt-4-1106-preview and
# Mixtral-8x7B-Instruct (RouteLLM, data/recorded/) and by gpt-3.5-turbo-0613, text-davinci-003
# and gpt-4o-mini (Re2, data/re2-gsm8k/), RouteLLM's contaminated questions left out, written as
# `import outcomes` reads them. Each call is priced from its own length (4 characters a token)
# at the provider's list price per million tokens, in and out: gpt-4-1106-preview $10 / $30,
# gpt-3.5-turbo-0613 $1.50 / $2, text-davinci-003 $20 / $20, gpt-4o-mini $0.15 / $0.60 (OpenAI),
# Mixtral-8x7B-Instruct $0.60 / $0.60 (Together AI). gpt-4o-mini is both the best and nearly the
# cheapest here, so a router earns its keep below its cost, where it chooses per prompt which
# questions Mixtral can take; above it, spending more only loses.
# Learned and evaluated on held-out folds:
# - with a budget between Mixtral's cost and gpt-4o-mini's, the router per prompt beats the zero
#   router (the best mix of single models at the same cost or less): a higher AIQ, and a higher
#   held-out quality at the same cost or less;
# - with a budget far above gpt-4o-mini's cost, the policy does not spend it on models that do no
#   better: it costs and scores what gpt-4o-mini alone does, within a quarter and half a point.
# TAP output.
import csv
import json
import os
import tempfile

from taplib import cli, ok

SRC = os.environ["G_TEST_SRCDIR"]
ROOT = os.path.dirname(SRC)
PRICES = {  # model -> ($ per input token, $ per output token)
    "openai/gpt-4-1106-preview": (10e-6, 30e-6),
    "together/mixtral-8x7b-instruct": (0.6e-6, 0.6e-6),
    "openai/gpt-3.5-turbo-0613": (1.5e-6, 2e-6),
    "openai/text-davinci-003": (20e-6, 20e-6),
    "openai/gpt-4o-mini-2024-07-18": (0.15e-6, 0.6e-6),
}
ROUTELLM = {"gpt-4-1106-preview": "openai/gpt-4-1106-preview",
            "mistralai/Mixtral-8x7B-Instruct-v0.1": "together/mixtral-8x7b-instruct"}

print("1..5")


def tokens(chars):
    return max(1, (chars + 3) // 4)


def call(model, prompt_chars, answer_chars):
    p_in, p_out = PRICES[model]
    return tokens(prompt_chars) * p_in + tokens(answer_chars) * p_out


def evaluate(env, budget):
    policy = os.path.join(env["ROUTEWISE_DATA_DIR"], "policy-%s.json" % budget)
    cli(env, "policy", "learn", "--budget", budget, "-o", policy)
    ev = json.loads(cli(env, "policy", "evaluate", policy, "--json"))
    return ev, {b["name"]: b for b in ev["baselines"]}


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, ROUTEWISE_DATA_DIR=os.path.join(tmp, "data"))
    env.pop("ROUTEWISE_PROVIDERS", None)
    recorded = os.path.join(ROOT, "data", "recorded")
    with open(os.path.join(recorded, "gsm8k_contaminated_prompts.jsonl"), encoding="utf-8") as f:
        contaminated = {json.loads(line)["eval_prompt"] for line in f if line.strip()}
    with open(os.path.join(recorded, "gsm8k_responses.csv"), encoding="utf-8") as f:
        questions = list(csv.DictReader(f))
    path = os.path.join(tmp, "outcomes.jsonl")
    rows = 0
    with open(path, "w") as out:
        def write(index, model, score, prompt_chars, answer_chars):
            q = questions[index]["prompt"]
            if q not in contaminated:
                out.write(json.dumps({"item": "gsm8k-%d" % index, "task": "gsm8k", "prompt": q,
                                      "model": model, "score": score,
                                      "cost": call(model, prompt_chars, answer_chars)}) + "\n")
        for i, q in enumerate(questions):
            for column, model in ROUTELLM.items():
                write(i, model, 1 if q[column] == "True" else 0, len(q["prompt"]),
                      len(q[column + "_response"]))
        with open(os.path.join(ROOT, "data", "re2-gsm8k", "results.csv"), encoding="utf-8") as f:
            for r in csv.DictReader(f):
                rows += 1
                write(int(r["index"]), "openai/" + r["model"], int(r["correct"]),
                      int(r["prompt_chars"]), int(r["answer_chars"]))
    cli(env, "import", "outcomes", path)

    ev, base = evaluate(env, "0.12")
    singles = {m: base[m] for m in PRICES}
    ok(len(singles) == 5 and rows == 3953 and ev["items"] > 1300,
       "%d items held out, answered by all five models" % ev["items"])
    for m, b in sorted(singles.items(), key=lambda x: x[1]["cost_usd"]):
        print("# %-32s %5.1f%% at $%.4f per 1k" % (m, 100 * b["quality"], 1000 * b["cost_usd"]))
    zero, pol = base["zero router"], ev["policy"]
    print("# budget $0.12: learned %.1f%% at $%.4f per 1k, AIQ %.4f; zero router %.1f%% at "
          "$%.4f, AIQ %.4f" % (100 * pol["quality"], 1000 * pol["cost_usd"], pol["aiq"],
                               100 * zero["quality"], 1000 * zero["cost_usd"], zero["aiq"]))
    ok(pol["aiq"] > zero["aiq"], "the learned router's AIQ is above the zero router's")
    task = ev["tasks_held_out"][0]
    ok(task["quality"] - task["zero_router_quality"] > 1 / task["items"] and
       task["zero_router_cost_usd"] <= task["cost_usd"] + 1e-12,
       "within gsm8k, a higher held-out quality than the zero router at the same cost or less")

    ev, base = evaluate(env, "0.5")
    best = max(singles, key=lambda m: base[m]["quality"])
    pol = ev["policy"]
    print("# budget $0.50: learned %.2f%% at $%.4f per 1k; %s %.2f%% at $%.4f"
          % (100 * pol["quality"], 1000 * pol["cost_usd"], best, 100 * base[best]["quality"],
             1000 * base[best]["cost_usd"]))
    ok(best == "openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini is the best single model")
    ok(pol["cost_usd"] <= 1.25 * base[best]["cost_usd"] and
       pol["quality"] >= base[best]["quality"] - 0.005,
       "with a budget far above it, the policy costs and scores what the best model alone does")
