#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A policy exported for LiteLLM, checked against LiteLLM's documented proxy configuration
# (docs.litellm.ai: "Proxy config.yaml", "Fallbacks", and the provider pages for OpenAI-compatible
# endpoints, Anthropic, Gemini and Ollama): a model_list of deployments, each with a model_name
# and litellm_params whose model is "<provider>/<name>" in LiteLLM's own provider prefixes; an
# api_base LiteLLM can append its own paths to (it adds /v1/messages for Anthropic and
# /v1beta/models/... for Gemini, and keeps an OpenAI-compatible base as given); keys only as
# "os.environ/NAME"; router_settings.fallbacks as a list of one-key maps from a model_name to
# the model_names to try next, every one of them defined. The models of each kind a policy can
# hold are exported: OpenAI-compatible, Anthropic, Gemini, Ollama and recorded answers (through
# routewise-cli serve, with its token from ROUTEWISE_TOKEN). LiteLLM itself is a Python package
# outside Debian and the npm registry, so its documented rules stand in for it. TAP output.
import json
import os
import subprocess
import sys
import tempfile

import yaml

from taplib import ok

print("1..5")

PREFIXES = {"openai", "anthropic", "gemini", "ollama_chat"}   # LiteLLM's names for these kinds

with tempfile.TemporaryDirectory() as work:
    env = dict(os.environ, ROUTEWISE_CONFIG_DIR=os.path.join(work, "config"),
               ROUTEWISE_DATA_DIR=os.path.join(work, "data"),
               OPENAI_KEY_FOR_TEST="sk-litellm-test-secret-0123456789")
    env.pop("ROUTEWISE_PROVIDERS", None)
    os.makedirs(env["ROUTEWISE_CONFIG_DIR"])
    with open(os.path.join(env["ROUTEWISE_CONFIG_DIR"], "providers.json"), "w") as f:
        json.dump({"providers": [
            {"id": "oai", "kind": "openai", "base_url": "https://api.openai.com/v1",
             "api_key_env": "OPENAI_KEY_FOR_TEST"},
            {"id": "claude", "kind": "anthropic", "base_url": "https://api.anthropic.com/v1",
             "api_key_env": "ANTHROPIC_API_KEY"},
            {"id": "google", "kind": "gemini",
             "base_url": "https://generativelanguage.googleapis.com/v1beta",
             "api_key_env": "GEMINI_API_KEY"},
            {"id": "local", "kind": "ollama", "base_url": "http://127.0.0.1:11434"}],
            "models": [{"id": "oai/gpt-4o-mini", "provider": "oai", "name": "gpt-4o-mini"},
                       {"id": "claude/sonnet", "provider": "claude", "name": "claude-sonnet-4-0"},
                       {"id": "google/flash", "provider": "google", "name": "gemini-2.5-flash"},
                       {"id": "local/llama", "provider": "local", "name": "llama3.2"}]}, f)
    policy = os.path.join(work, "policy.json")
    with open(policy, "w") as f:
        json.dump({"version": 1, "default": ["oai/gpt-4o-mini", "recorded/gpt-4"],
                   "tasks": {"code": ["claude/sonnet", "oai/gpt-4o-mini"],
                             "math": ["google/flash", "local/llama", "claude/sonnet"]},
                   "fallbacks": {"claude/sonnet": ["google/flash", "oai/gpt-4o-mini"]}}, f)
    r = subprocess.run([os.environ["ROUTEWISE_CLI"], "policy", "export", policy, "--format",
                        "litellm"], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print("not ok 1 policy export: " + r.stderr.strip())
        sys.exit(1)
    text = r.stdout
    config = yaml.safe_load(text)
    deployments = config.get("model_list", [])
    names = {d["model_name"] for d in deployments}
    ok(isinstance(deployments, list) and deployments and
       all(set(d) == {"model_name", "litellm_params"} and isinstance(d["model_name"], str) and
           d["litellm_params"]["model"].split("/", 1)[0] in PREFIXES for d in deployments),
       "model_list: %d deployments, each a model_name and litellm_params with a model in "
       "LiteLLM's provider prefixes" % len(deployments))

    by_model = {d["litellm_params"]["model"]: d["litellm_params"] for d in deployments}
    ok(by_model["anthropic/claude-sonnet-4-0"]["api_base"] == "https://api.anthropic.com" and
       by_model["gemini/gemini-2.5-flash"]["api_base"] == "https://generativelanguage.googleapis.com"
       and by_model["openai/gpt-4o-mini"]["api_base"] == "https://api.openai.com/v1" and
       by_model["ollama_chat/llama3.2"]["api_base"] == "http://127.0.0.1:11434",
       "api_base as LiteLLM appends to it: Anthropic's and Gemini's without their version, "
       "an OpenAI-compatible base as given")

    keys = [p.get("api_key") for p in by_model.values() if "api_key" in p]
    recorded = by_model.get("openai/recorded/gpt-4", {})
    ok(all(k.startswith("os.environ/") for k in keys) and "sk-litellm-test-secret" not in text and
       by_model["openai/gpt-4o-mini"]["api_key"] == "os.environ/OPENAI_KEY_FOR_TEST" and
       recorded.get("api_key") == "os.environ/ROUTEWISE_TOKEN" and
       recorded.get("api_base", "").startswith("http://127.0.0.1:"),
       "keys only as os.environ/NAME; recorded answers through serve with ROUTEWISE_TOKEN")

    fallbacks = config["router_settings"]["fallbacks"]
    chains = {}
    for entry in fallbacks:
        if not (isinstance(entry, dict) and len(entry) == 1):
            chains = None
            break
        (name, to), = entry.items()
        chains[name] = to
    ok(chains is not None and all(name in names and to and all(t in names for t in to)
                                  for name, to in chains.items()) and
       len(chains["routewise-math"]) == 2 and
       [by_model_name["litellm_params"]["model"] for by_model_name in deployments
        if by_model_name["model_name"] in chains["claude/sonnet"]] ==
       ["gemini/gemini-2.5-flash", "openai/gpt-4o-mini"],
       "router_settings.fallbacks: one-key maps between defined model_names; each task's chain "
       "and the policy's own fallbacks for claude/sonnet")

    ok(text.startswith("# LiteLLM proxy configuration") and
       "routewise-cli classify" not in r.stdout.split("model_list:")[1] and
       "Not carried: the task classifier" not in r.stderr and
       "routewise-TASK" not in text,
       "a policy without classifier or router gives no notes about them")
