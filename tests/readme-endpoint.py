#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The README's endpoint examples work as written: `routewise-cli serve` starts on a fresh
# configuration (no keys, the bundled recordings), and each curl command of the README's
# "local endpoint" section is run as the README gives it, only with the port and the token's
# folder of this test. Each must answer 200 with an answer, whole or streamed to [DONE].
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

src = os.environ["G_TEST_SRCDIR"]
cli = os.environ["ROUTEWISE_CLI"]
readme = open(os.path.join(os.path.dirname(src), "README.md"), encoding="utf-8").read()
section = readme.split("### The local endpoint", 1)[1].split("\n### ", 1)[0]
blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
commands = []
for block in blocks:
    # One command per curl, with its continuation lines.
    for cmd in re.split(r"\n(?=curl )", block.strip()):
        if cmd.startswith("curl "):
            commands.append(cmd)

print("1..%d" % (len(commands) + 1))
if shutil.which("curl") is None:
    print("Bail out! curl is not installed (build-aux/run installs it)")
    sys.exit(1)

work = tempfile.mkdtemp(prefix="routewise-readme-")
home = os.path.join(work, "home")
config = os.path.join(home, ".config", "routewise")
os.makedirs(config)
os.makedirs(os.path.join(work, "data"))
# The recordings answer at once here; otherwise the configuration is a fresh machine's.
with open(os.path.join(config, "providers.json"), "w") as f:
    f.write('{"providers": [{"id": "recorded", "kind": "recorded", "speed": 0}]}\n')
env = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": home,
    "LANG": "C.UTF-8",
    "XDG_CONFIG_HOME": os.path.join(home, ".config"),
    "ROUTEWISE_DATA_DIR": os.path.join(work, "data"),
    "GSETTINGS_BACKEND": "memory",
}
serve = subprocess.Popen([cli, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
failed = 0
try:
    first = serve.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/v1", first)
    if m is None:
        print("not ok 1 serve starts # %r %r" % (first, serve.stderr.read()))
        sys.exit(1)
    port = m.group(1)
    print("ok 1 serve starts on a fresh configuration, port %s" % port)
    for i, cmd in enumerate(commands, start=2):
        run = cmd.replace("127.0.0.1:8642", "127.0.0.1:" + port)
        run = run.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)
        out = subprocess.run(["bash", "-c", run], env=env, capture_output=True, text=True,
                             timeout=60)
        body, _, status = out.stdout.rpartition("\n")
        ok = out.returncode == 0 and status == "200"
        text = ""
        if ok and '"stream": true' in cmd:
            events = [l[6:] for l in body.splitlines() if l.startswith("data: ")]
            ok = events and events[-1] == "[DONE]"
            for e in events[:-1]:
                for c in json.loads(e).get("choices", []):
                    text += c.get("delta", {}).get("content") or ""
        elif ok:
            text = json.loads(body)["choices"][0]["message"]["content"]
        ok = ok and len(text) > 0
        first_line = cmd.splitlines()[-1].strip()
        if ok:
            print("ok %d %s" % (i, first_line))
        else:
            failed += 1
            print("not ok %d %s # status %s: %s %s" % (i, first_line, status, body[:500],
                                                      out.stderr[:500]))
finally:
    serve.terminate()
    serve.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
