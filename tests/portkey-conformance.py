#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A policy exported for Portkey, loaded by the real Portkey gateway (@portkey-ai/gateway from
# npm): requests of each task reach the model the policy chose for it, a failing first choice
# falls back to the next as the policy orders them, a task the policy does not know takes the
# default list, and the caller's own key reaches the upstream while none is in the exported file.
# The upstream is a small OpenAI-compatible stub on loopback that records which model each
# request named. TAP output.
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

print("1..5")
root = os.path.join(os.environ["G_TEST_SRCDIR"], "conformance", "node_modules", "@portkey-ai",
                    "gateway", "build", "start-server.js")
if not os.path.exists(root):
    if os.environ.get("ROUTEWISE_REQUIRE_CONFORMANCE"):
        print("not ok 1 the Portkey gateway is not installed (build-aux/run test installs it)")
        sys.exit(1)
    print("ok 1 # SKIP the Portkey gateway is not installed (build-aux/run test installs it)")
    sys.exit(0)

seen = []


class Upstream(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        model = body.get("model")
        seen.append((model, self.headers.get("authorization")))
        if model.startswith("down-"):
            out, status = b'{"error": {"message": "overloaded", "type": "server_error"}}', 503
        else:
            out = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                              "model": model,
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": f"from {model}"}}],
                              "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}).encode()
            status = 200
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{upstream.server_address[1]}/v1"
key = "sk-conformance-0123456789abcdef"

with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=os.path.join(work, "config"),
               ROUTEWISE_DATA_DIR=os.path.join(work, "data"), UPSTREAM_KEY=key)
    os.makedirs(env["ROUTEWISE_CONFIG_DIR"])
    with open(os.path.join(env["ROUTEWISE_CONFIG_DIR"], "providers.json"), "w") as f:
        json.dump({"providers": [{"id": "up", "kind": "openai", "base_url": base,
                                  "api_key_env": "UPSTREAM_KEY"}],
                   "models": [{"id": f"up/{m}", "provider": "up", "name": m}
                              for m in ["math-best", "down-code", "code-next", "general"]]}, f)
    policy = os.path.join(work, "policy.json")
    with open(policy, "w") as f:
        json.dump({"version": 1, "default": ["up/general"],
                   "tasks": {"math": ["up/math-best", "up/general"],
                             "code": ["up/down-code", "up/code-next", "up/general"]}}, f)
    exported = subprocess.run([os.environ["ROUTEWISE_CLI"], "policy", "export", policy,
                               "--format", "portkey"], capture_output=True, text=True, env=env)
    if exported.returncode != 0:
        print(f"not ok 1 routewise-cli policy export: {exported.stderr.strip()}")
        sys.exit(1)
    config = json.dumps(json.loads(exported.stdout))
    print("ok 1 the policy exported for Portkey"
          + ("" if key not in exported.stdout else " # but the key is in it"))

    port = free_port()
    gateway = subprocess.Popen(["node", "--max-http-header-size=131072", root, f"--port={port}",
                                "--headless"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=dict(os.environ, NODE_ENV="production"))
    try:
        # The gateway says when it listens.
        for line in gateway.stdout:
            if "Ready for connections" in line:
                break
        else:
            print("not ok 2 the gateway did not start")
            sys.exit(1)

        def ask(task):
            headers = {"content-type": "application/json", "authorization": f"Bearer {key}",
                       "x-portkey-config": config}
            if task is not None:
                headers["x-portkey-metadata"] = json.dumps({"task": task})
            req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions",
                                         data=json.dumps({"model": "routewise/auto", "messages": [
                                             {"role": "user", "content": "hi"}]}).encode(),
                                         headers=headers)
            before = len(seen)
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    answer = json.load(r)["choices"][0]["message"]["content"]
            except urllib.error.HTTPError as e:
                answer = f"HTTP {e.code}: {e.read()[:200]!r}"
            return answer, [m for m, _ in seen[before:]]

        answer, models = ask("math")
        ok = answer == "from math-best" and models == ["math-best"]
        print(f"{'ok' if ok else 'not ok'} 2 a math request reaches the policy's math model: "
              f"{answer}, upstream saw {models}")
        answer, models = ask("code")
        ok = answer == "from code-next" and models == ["down-code", "code-next"]
        print(f"{'ok' if ok else 'not ok'} 3 a code request whose first model fails falls back to the "
              f"next: {answer}, upstream saw {models}")
        answer, models = ask("poetry")
        ok = answer == "from general" and models == ["general"]
        print(f"{'ok' if ok else 'not ok'} 4 a task the policy does not name takes the default: "
              f"{answer}, upstream saw {models}")
        keys = {auth for _, auth in seen}
        ok = keys == {f"Bearer {key}"} and key not in exported.stdout
        print(f"{'ok' if ok else 'not ok'} 5 the caller's key reaches the upstream and is not in "
              f"the exported file (upstream saw {len(seen)} requests)")
    finally:
        gateway.kill()
        gateway.wait()
        upstream.shutdown()
