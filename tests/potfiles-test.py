#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Translations: po/POTFILES.in lists exactly the files with translatable strings (C sources with
# _(), N_(), C_() or g_dngettext(), interface files with translatable="yes", and the desktop,
# metainfo and schema files), and each language of po/LINGUAS translates every string that
# xgettext finds in them now, none fuzzy. TAP output.
import os
import re
import subprocess
import sys
import tempfile

src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
n = 0
failures = 0


def check(ok, name, detail=""):
    global n, failures
    n += 1
    print(("ok" if ok else "not ok") + f" {n} {name}")
    if not ok:
        failures += 1
        for line in str(detail).splitlines():
            print(f"# {line}")


C_MARKS = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|ngettext)\s*\(')
listed = [l.strip() for l in open(os.path.join(src, "po", "POTFILES.in"))
          if l.strip() and not l.startswith("#")]
found = []
for top in ("app", "engine", "eval"):
    for root, _, files in os.walk(os.path.join(src, top)):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            text = open(path, encoding="utf-8", errors="replace").read()
            if name.endswith(".c") and C_MARKS.search(text):
                found.append(rel)
            elif name.endswith(".ui") and 'translatable="yes"' in text:
                found.append(rel)
for name in os.listdir(os.path.join(src, "data")):
    if name.endswith((".desktop.in", ".metainfo.xml.in", ".gschema.xml")):
        found.append(os.path.join("data", name))

languages = [l.strip() for l in open(os.path.join(src, "po", "LINGUAS"))
             if l.strip() and not l.startswith("#")]
print(f"1..{3 + len(languages)}")
missing = sorted(set(found) - set(listed))
check(not missing, "every file with translatable strings is in po/POTFILES.in",
      "missing: " + " ".join(missing))
gone = sorted(f for f in listed if not os.path.exists(os.path.join(src, f)))
check(not gone, "every file in po/POTFILES.in exists", "absent: " + " ".join(gone))

with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "routewise.pot")
    # The keywords and flags of meson's glib preset.
    p = subprocess.run(["xgettext", "--package-name=routewise", "-D", src, "-f",
                        os.path.join(src, "po", "POTFILES.in"), "-o", pot, "--from-code=UTF-8",
                        "--add-comments", "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2",
                        "--keyword=NC_:1c,2", "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
                        "--keyword=g_dpgettext2:2c,3", "--flag=N_:1:pass-c-format",
                        "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
                        "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
                        "--flag=g_string_printf:2:c-format",
                        "--flag=g_string_append_printf:2:c-format",
                        "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format"],
                       capture_output=True, text=True)
    check(p.returncode == 0, "xgettext extracts the strings", p.stderr)
    for lang in languages:
        merged = os.path.join(tmp, f"{lang}.po")
        m = subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged,
                            os.path.join(src, "po", f"{lang}.po"), pot],
                           capture_output=True, text=True)
        f = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, merged],
                           capture_output=True, text=True)
        stats = f.stderr.strip()
        complete = (m.returncode == 0 and f.returncode == 0 and "untranslated" not in stats
                    and "fuzzy" not in stats)
        check(complete, f"the {lang} translation is complete and checks ({stats})",
              m.stderr + f.stderr)
sys.exit(1 if failures else 0)
