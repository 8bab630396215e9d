// SPDX-License-Identifier: GPL-3.0-or-later
// What the client scripts share: checks, each reported by name as passed or with what was seen,
// printed as one JSON array for tests/test-conformance.c.
const results = [];

export function check(name, ok, detail) {
  results.push({ name, ok: !!ok, detail: ok ? undefined : detail });
}

export async function attempt(name, fn) {
  try {
    await fn();
  } catch (e) {
    check(name, false, `threw ${e?.constructor?.name}: ${e?.message} ${e?.responseBody ?? ''}`);
  }
}

export function report() {
  console.log(JSON.stringify(results));
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
