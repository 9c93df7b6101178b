#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The lastmile developers
"""Counts test cases from meson's testlog.json.

A TAP test counts each of its "ok" / "not ok" lines; a test that crashed
or timed out before finishing its plan adds one failure; any other test
counts once by its result. Skipped cases count as failures: on a machine
set up by .ci/setup nothing may be skipped. Prints "N passed, N failed" as the last line.
"""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
TAP_PLAN = re.compile(r"^1\.\.\d+", re.MULTILINE)


def count(entry):
    passed = failed = 0
    stdout = entry.get("stdout") or ""
    # meson's log names no protocol: a TAP test is known by its plan line.
    if TAP_PLAN.search(stdout):
        for line in stdout.splitlines():
            m = TAP_LINE.match(line)
            if not m:
                continue
            # A skipped case proves nothing: it counts as a failure.
            if m.group(1) == "ok" and "# SKIP" not in m.group(2):
                passed += 1
            elif "# TODO" not in m.group(2):
                failed += 1
        if entry["result"] not in ("OK", "EXPECTEDFAIL") and failed == 0:
            failed += 1
    elif entry["result"] in ("OK", "EXPECTEDFAIL"):
        passed = 1
    else:
        failed = 1
    return passed, failed


def main(path):
    passed = failed = 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            if line.strip():
                p, f = count(json.loads(line))
                passed += p
                failed += f
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"))
