#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a command on the session bus that dbus-run-session made for it, with the Secret Service
# started first and its output discarded: started by D-Bus at the first call instead,
# gnome-keyring-daemon prints its environment into the command's output, a TAP stream. Where
# gnome-keyring is not installed nothing is started, as D-Bus would start nothing.
if command -v gnome-keyring-daemon >/dev/null; then
  gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1 || true
fi
exec "$@"
