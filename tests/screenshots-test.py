#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The metainfo's screenshots: each image is a file of data/screenshots/, and each of those is
# one the window test takes (save_screenshot in tests/test-window.c), so that the pictures a
# software centre shows are the window as the tests see it. TAP output.
import os
import re
import sys
import xml.etree.ElementTree as ET

src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
meta = ET.parse(os.path.join(src, "data", "io.github.routewise.Routewise.metainfo.xml.in"))
images = [i.text.strip() for i in meta.getroot().iter("image")]
taken = set(re.findall(r'save_screenshot \([^;]*?"([\w-]+\.png)"\)',
                       open(os.path.join(src, "tests", "test-window.c")).read(), re.S))
urls = [u.get("type") for u in meta.getroot().iter("url")]

print(f"1..{2 + 2 * len(images)}")
n = 0
failures = 0


def check(ok, name):
    global n, failures
    n += 1
    failures += not ok
    print(("ok" if ok else "not ok") + f" {n} {name}")


check(len(images) >= 3, f"the metainfo shows {len(images)} screenshots")
check("homepage" in urls and "bugtracker" in urls, "the metainfo names a homepage and an issue tracker")
for url in images:
    name = url.rsplit("/", 1)[-1]
    check(os.path.exists(os.path.join(src, "data", "screenshots", name)),
          f"{name} is in data/screenshots/")
    check(name in taken, f"{name} is a screenshot the window test takes")
sys.exit(1 if failures else 0)
