#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every command of routewise-cli, run on the bundled data with no network and no keys: its
# standard output, standard error and exit status, compared with tests/data/cli-transcript.txt.
# Paths and generated ids are replaced by placeholders; everything else must match to the byte.
# One TAP test per command line. ROUTEWISE_UPDATE_TRANSCRIPT=1 writes the file anew instead.
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

src = os.environ["G_TEST_SRCDIR"]
top = os.path.dirname(src)
cli = os.environ["ROUTEWISE_CLI"]
expected_path = os.path.join(src, "data", "cli-transcript.txt")
work = tempfile.mkdtemp(prefix="routewise-transcript-")
config = os.path.join(work, "config")
data = os.path.join(work, "data")
os.makedirs(config)
os.makedirs(data)
# Recorded models answer at once: the transcript takes seconds, not the minutes they took.
with open(os.path.join(config, "providers.json"), "w") as f:
    f.write('{"providers": [{"id": "recorded", "kind": "recorded", "speed": 0}]}\n')

# Three MMLU subjects and GSM8K's grades: enough for every learning command, in a few seconds.
mmlu = os.path.join(work, "mmlu")
os.makedirs(mmlu)
for subject in ("abstract_algebra", "anatomy", "astronomy"):
    shutil.copy(os.path.join(top, "data", "routellm", "mmlu", f"mmlu_{subject}.csv"), mmlu)
gsm8k_csv = os.path.join(top, "data", "recorded", "gsm8k_responses.csv")
suite = os.path.join(top, "data", "suites", "gsm8k-sample.jsonl")
policy = os.path.join(work, "policy.json")
results = os.path.join(src, "data", "promptfoo-results.json")
models2 = ["-m", "recorded/gpt-4-1106-preview", "-m", "recorded/mixtral-8x7b-instruct-v0.1"]

env = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": work,
    "LANG": "C.UTF-8",
    "ROUTEWISE_CONFIG_DIR": config,
    "ROUTEWISE_DATA_DIR": data,
    "GSETTINGS_BACKEND": "memory",
}

# The catalog as it ships, with no providers.json of the user's.
DEFAULTS = [
    ["models", "--no-discover"],
    ["models", "--no-discover", "--json"],
    ["providers", "--no-discover"],
]
COMMANDS = [
    [],
    ["--help"],
    ["no-such-command"],
    ["models", "--bogus"],
    ["providers", "--no-discover"],
    ["prompts"],
    ["compare", "--help"],
    ["compare", "--no-store", "-m", "recorded/gpt-4", "-m", "recorded/claude-v1", "--sample", "k8s"],
    ["compare", "--no-store", "--json", "-m", "recorded/gpt-4", "-m", "recorded/claude-v1",
     "--sample", "k8s"],
    ["compare", "-m", "recorded/gpt-4", "-m", "recorded/llama-2-70b-chat", "--sample", "k8s"],
    ["compare", "--sample", "k8s"],
    ["compare", "-m", "recorded/gpt-4", "--sample", "no-such-prompt"],
    ["compare", "-m", "no/such-model", "--no-store", "hello"],
    ["compare", "-m", "recorded/gpt-4", "--timeout", "0", "hello"],
    ["compare", "-m", "recorded/gpt-4", "--timeout", "nan", "hello"],
    ["compare", "-m", "recorded/gpt-4", "--temperature", "3", "hello"],
    ["compare", "-m", "recorded/gpt-4", "--max-tokens", "-1", "hello"],
    ["policy", "learn", "--budget", "inf"],
    ["compare", "-m", "recorded/gpt-4"],
    ["eval"],
    ["eval", "--help"],
    ["eval", "run", "--help"],
    ["eval", "run", suite],
    ["eval", "run", "/no/such/suite.jsonl", *models2],
    ["eval", "run", suite, *models2, "--repeat", "0"],
    ["eval", "report", "latest"],
    ["eval", "run", suite, *models2, "-j", "100"],
    ["eval", "run", suite, *models2, "-j", "100", "--json"],
    ["eval", "report", "--help"],
    ["eval", "report", "latest", "--format", "csv"],
    ["eval", "report", "latest", "--format", "json"],
    ["eval", "report", "latest", "--format", "xml"],
    ["eval", "report", "no-such-run"],
    ["eval", "grade", "--help"],
    ["eval", "grade", "no-such-answer", "--pass"],
    ["eval", "grade", "x", "--pass", "--fail"],
    ["import", "--help"],
    ["import"],
    ["import", "promptfoo", "/no/such/file.json"],
    ["ratings", "--help"],
    ["ratings", "--comparisons", "/no/such/file.csv"],
    ["import", "routellm", mmlu],
    ["import", "routellm", gsm8k_csv],
    ["ratings", "--task", "all", "--bootstrap", "50"],
    ["ratings", "--task", "poetry"],
    ["ratings", "--json", "--task", "math", "--bootstrap", "20"],
    ["ratings", "--bootstrap", "-5"],
    ["policy", "--help"],
    ["policy"],
    ["policy", "bogus"],
    ["policy", "learn", "--help"],
    ["policy", "evaluate", "--help"],
    ["policy", "export", "--help"],
    ["policy", "learn", "--budget", "0.5", "-o", policy],
    ["policy", "learn", "--cost-weight", "-1"],
    ["policy", "learn", "--latency", "-3"],
    ["policy", "evaluate", policy],
    ["policy", "evaluate", policy, "--json", "-k", "3"],
    ["policy", "evaluate", "/no/such/policy.json"],
    ["policy", "export", policy, "--format", "routewise"],
    ["policy", "export", policy, "--format", "portkey"],
    ["policy", "export", policy, "--format", "litellm"],
    ["policy", "export", policy, "--format", "openrouter"],
    ["policy", "export", policy, "--format", "nonesuch"],
    ["classify", "--help"],
    ["classify", "Prove that there are infinitely many primes"],
    ["classify", "--policy", policy, "What is 17 times 23?"],
    ["classify", "--policy", policy, "--task", "anatomy", "--json", "Name the bones of the arm"],
    ["classify", "--policy", "/no/such/policy.json", "x"],
    ["classify"],
    (["classify", "--stdin", "--policy", policy],
     '"What is 17 times 23?"\n\n'
     '{"prompt": "Name the bones of the arm", "task": "anatomy"}\n'
     '{"messages": [{"role": "system", "content": "Be brief."},'
     ' {"role": "user", "content": "Name the planets"}], "metadata": {"task": "astronomy"}}\n'
     'not json\n{"prompt": 7}\n"a NUL \0 in a line"\n"a last line with no newline"'),
    ["policy", "list", "--help"],
    ["policy", "learn", "--budget", "0.5", "--save", "cheap", "--activate"],
    ["policy", "learn", "--save", "best"],
    ["policy", "learn", "--activate"],
    ["policy", "list"],
    ["policy", "activate", "best"],
    ["policy", "list", "--json"],
    ["policy", "activate", "no-such-policy"],
    ["policy", "activate"],
    ["policy", "activate", "--none"],
    ["import", "promptfoo", results],
    ["keys", "--help"],
    ["keys", "set", "--help"],
    ["keys", "set", "no-such-provider"],
    ["keys", "set"],
    ["history", "--help"],
    ["history"],
    ["history", "list"],
    ["history", "list", "--json"],
    ["history", "search", "kubernetes"],
    ["history", "search", "KUBERNETES", "haiku", "--json"],
    ["history", "search", "nothing-like-it"],
    ["history", "list", "--voted", "--unvoted"],
    ["history", "list", "--since", "yesterday"],
    ["history", "export", "--format", "md"],
    ["history", "export", "--format", "xml"],
    ["history", "show", "no-such-comparison"],
    ["history", "delete", "no-such-comparison"],
    ["stats", "--help"],
    ["stats", "--since", "2000-01-01", "--until", "2000-01-02"],
    ["stats", "--since", "2000-01-01", "--until", "2000-01-02", "--json"],
    ["stats", "--since", "last tuesday"],
    ["stats", "--since", "2000-01-02", "--until", "2000-01-01"],
    ["serve", "--help"],
    ["serve", "--port", "70000"],
    ["serve", "--threads", "0"],
    ["serve", "--daily-ceiling", "-1"],
    ["serve", "--allow-origin", "*"],
    ["serve", "--allow-origin", "http://localhost:3000/app"],
    ["serve", "--policy", "/no/such/policy.json", "--port", "0"],
]

# What a clock measures differs from run to run: times, and the rates computed from them.
TIMES = [
    (re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?"), "<date>"),
    (re.compile(r"\b\d+(\.\d+)? ms\b"), "<t> ms"),
    (re.compile(r"\btotal \d+(\.\d+)? s\b"), "total <t> s"),
    (re.compile(r"\b\d+ tok/s\b"), "<r> tok/s"),
    (re.compile(r'"(\w*(?:latency|ttft|per_second|_ms)\w*)"(\s*):(\s*)-?[\d.e+-]+'), r'"\1"\2:\3<t>'),
]
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def normalize_csv_times(text):
    lines = text.split("\n")
    timed = []
    for i, line in enumerate(lines):
        fields = line.split(",")
        if len(fields) > 2 and any("latency" in f or "ttft" in f for f in fields):
            timed = [j for j, f in enumerate(fields) if "latency" in f or "ttft" in f]
            width = len(fields)
        elif timed and len(fields) == width:
            lines[i] = ",".join("<t>" if j in timed else f for j, f in enumerate(fields))
        else:
            timed = []
    return "\n".join(lines)


def normalize(text, ids):
    text = text.replace(work, "$WORK").replace(top, "$TOP")
    text = normalize_csv_times(text)
    for pattern, placeholder in TIMES:
        text = pattern.sub(placeholder, text)

    def name(m):
        return ids.setdefault(m.group(0), f"<id{len(ids) + 1}>")
    return UUID.sub(name, text)


def abridge(stream, text):
    # A long output (a policy's classifier weights) is kept as its first lines and a digest of
    # the whole, so that the file stays readable and any change still shows.
    lines = text.split("\n")
    if len(lines) <= 200:
        return f"--- {stream}\n{text}"
    digest = hashlib.sha256(text.encode()).hexdigest()
    head = "\n".join(lines[:40])
    return f"--- {stream} ({len(lines)} lines, sha256 {digest}; the first 40:)\n{head}\n"


def transcript():
    sections = []
    ids = {}
    shipped = dict(env, ROUTEWISE_CONFIG_DIR=os.path.join(work, "no-config"))
    for args, run_env in [(a, shipped) for a in DEFAULTS] + [(a, env) for a in COMMANDS]:
        # A command given as (arguments, text) reads the text on its standard input.
        args, given = args if isinstance(args, tuple) else (args, None)
        p = subprocess.run([cli, *args], env=run_env, cwd=work, capture_output=True, timeout=120,
                           input=given.encode() if given is not None else None,
                           stdin=None if given is not None else subprocess.DEVNULL)
        title = " ".join(["routewise-cli", *args])
        if given is not None:
            title += f"   (standard input: {len(given.splitlines())} lines)"
        if run_env is shipped:
            title += "   (the catalog as it ships)"
        out = normalize(p.stdout.decode("utf-8", "replace"), ids)
        err = normalize(p.stderr.decode("utf-8", "replace"), ids)
        body = abridge("stdout", out) + abridge("stderr", err) + f"--- exit {p.returncode}\n"
        sections.append((normalize(title, ids), body))
    return sections


def parse(text):
    sections = []
    for chunk in text.split("\n=== ")[1:]:
        title, _, body = chunk.partition("\n")
        sections.append((title, body))
    return sections


def render(sections):
    return "".join(f"\n=== {t}\n{b}" for t, b in sections)


try:
    got = transcript()
    if os.environ.get("ROUTEWISE_UPDATE_TRANSCRIPT"):
        with open(expected_path, "w") as f:
            f.write(render(got))
        print(f"1..0 # SKIP wrote {expected_path}")
        sys.exit(0)
    with open(expected_path) as f:
        want = dict(parse(f.read()))
    print(f"1..{len(got)}")
    failed = 0
    import difflib
    for i, (title, body) in enumerate(got, 1):
        if want.get(title) == body:
            print(f"ok {i} {title}")
            continue
        failed += 1
        print(f"not ok {i} {title}")
        diff = difflib.unified_diff((want.get(title) or "").splitlines(), body.splitlines(),
                                    "expected", "got", lineterm="", n=2)
        for line in list(diff)[:60]:
            print(f"# {line}")
    sys.exit(1 if failed else 0)
finally:
    shutil.rmtree(work, ignore_errors=True)
