#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A policy exported for Portkey, loaded by the real Portkey gateway (@portkey-ai/gateway from
# npm): requests of each task reach the model the policy chose for it, a failing first choice
# falls back to the next as the policy orders them, a task the policy does not know takes the
# default list, and each provider's key reaches that provider only, while none is in the
# exported file: the caller fills the config's ${VARIABLE}s in as it sends it. The upstreams are
# two small OpenAI-compatible stubs on loopback, each refusing any key but its own, that record
# which model each request named and with which key. TAP output.
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
KEYS = {"A": "sk-provider-a-0123456789abcdef", "B": "sk-provider-b-fedcba9876543210"}


def upstream_for(name):
    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            model = body.get("model")
            auth = self.headers.get("authorization")
            seen.append((name, model, auth))
            if auth != f"Bearer {KEYS[name]}":
                out = b'{"error": {"message": "invalid api key", "type": "invalid_request_error"}}'
                self.send_response(401)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                return
            reply(self, model)

        def log_message(self, *args):
            pass
    return Upstream


def reply(self, model):
    """A chat completion from @model, or a 503 from a model named down-*."""
    if model.startswith("down-"):
        out, status = b'{"error": {"message": "overloaded", "type": "server_error"}}', 503
    else:
        out = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                          "model": model,
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant",
                                                   "content": f"from {model}"}}],
                          "usage": {"prompt_tokens": 3, "completion_tokens": 2,
                                    "total_tokens": 5}}).encode()
        status = 200
    self.send_response(status)
    self.send_header("content-type", "application/json")
    self.send_header("content-length", str(len(out)))
    self.end_headers()
    self.wfile.write(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


upstreams = {}
for name in KEYS:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), upstream_for(name))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstreams[name] = server

with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=os.path.join(work, "config"),
               ROUTEWISE_DATA_DIR=os.path.join(work, "data"), A_KEY=KEYS["A"], B_KEY=KEYS["B"])
    os.makedirs(env["ROUTEWISE_CONFIG_DIR"])
    with open(os.path.join(env["ROUTEWISE_CONFIG_DIR"], "providers.json"), "w") as f:
        json.dump({"providers": [{"id": name.lower(), "kind": "openai",
                                  "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1",
                                  "api_key_env": f"{name}_KEY"}
                                 for name, server in upstreams.items()],
                   "models": [{"id": "a/math-best", "provider": "a", "name": "math-best"},
                              {"id": "a/down-code", "provider": "a", "name": "down-code"},
                              {"id": "b/code-next", "provider": "b", "name": "code-next"},
                              {"id": "b/general", "provider": "b", "name": "general"}]}, f)
    policy = os.path.join(work, "policy.json")
    with open(policy, "w") as f:
        json.dump({"version": 1, "default": ["b/general"],
                   "tasks": {"math": ["a/math-best", "b/general"],
                             "code": ["a/down-code", "b/code-next", "b/general"]}}, f)
    exported = subprocess.run([os.environ["ROUTEWISE_CLI"], "policy", "export", policy,
                               "--format", "portkey"], capture_output=True, text=True, env=env)
    if exported.returncode != 0:
        print(f"not ok 1 routewise-cli policy export: {exported.stderr.strip()}")
        sys.exit(1)
    # The caller fills each target's key in from its environment as it sends the config, as
    # envsubst would: the file itself holds only the variables' names.
    template = json.dumps(json.loads(exported.stdout))
    config = template.replace("${A_KEY}", KEYS["A"]).replace("${B_KEY}", KEYS["B"])
    leaked = [k for k in KEYS.values() if k in exported.stdout]
    ok = not leaked and "${A_KEY}" in template and "${B_KEY}" in template
    print(f"{'ok' if ok else 'not ok'} 1 the policy exported for Portkey names each provider's "
          f"key variable and holds no key{' # leaked' if leaked else ''}")

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
            # No Authorization of the caller's: each target carries its own key.
            headers = {"content-type": "application/json", "x-portkey-config": config}
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
            return answer, [m for _, m, _ in seen[before:]]

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
        got = {name: {auth for n, _, auth in seen if n == name} for name in KEYS}
        ok = all(got[name] == {f"Bearer {KEYS[name]}"} for name in KEYS)
        print(f"{'ok' if ok else 'not ok'} 5 each provider received its own key only, the fallback "
              f"from A to B included (A saw {sorted(got['A'])}, B saw {sorted(got['B'])})")
    finally:
        gateway.kill()
        gateway.wait()
        for server in upstreams.values():
            server.shutdown()
