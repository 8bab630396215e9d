#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Writes results.csv from the three zero-shot chain-of-thought GSM8K runs in a checkout of
# github.com/Tebmer/Rereading-LLM-Reasoning (see SOURCE.md):
#   derive.py CHECKOUT > results.csv
import ast
import csv
import json
import os
import sys

RUNS = {  # results file -> the model it ran
    "gsm_topp1.0_temp0.0_majority1_20230828_1157.jsonl": "gpt-3.5-turbo-0613",
    "gsm_topp1.0_temp0.0_majority1_20230828_141934.jsonl": "text-davinci-003",
    "gsm_gpt-4o-mini-2024-07-18_topp1.0_temp0.0_majority1_readtimes1_20240926_221724.jsonl":
        "gpt-4o-mini-2024-07-18",
}
# The run's chat system message and its prompt (prompter.py, TEXT_PROMPT_GSM and "cot").
SYSTEM = "You are a helpful assistant."
PROMPT = ("\nQ: {question}\n\nYour final answer should be a single numerical number, in the form "
          "\\boxed{{answer}}, at the end of your response.\n\nA: Let's think step by step.")


def record(value):
    return value if isinstance(value, dict) else ast.literal_eval(value)


out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["index", "model", "correct", "prompt_chars", "answer_chars"])
for name, model in RUNS.items():
    with open(os.path.join(sys.argv[1], "results", name), encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            cot = record(row["cot"])
            answer = (cot.get("generation") or [None])[0]
            if answer is None:  # the call failed: no answer to grade or pay for
                continue
            sent = len(SYSTEM) + len(PROMPT.format(question=row["input"]))
            out.writerow([row["id"], model, int(cot["score"]), sent, len(answer)])
