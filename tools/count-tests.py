#!/usr/bin/env python3
"""Sums the results of meson test logs (testlog.json) into one line.

Every test that speaks TAP counts its subtests ("ok N" / "not ok N"); a test
that does not counts once by its own result. Prints per-log figures, then
the plain line "N passed, N failed[, N skipped]"; exits 1 if anything failed
or nothing ran.
"""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def count(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            test = json.loads(line)
            tap = [TAP_LINE.match(l) for l in (test.get("stdout") or "").splitlines()]
            tap = [m for m in tap if m]
            result = test.get("result")
            if tap:
                for m in tap:
                    directive = m.group(2)
                    if re.search(r"#\s*skip", directive, re.I):
                        skipped += 1
                    elif m.group(1) == "ok" or re.search(r"#\s*todo", directive, re.I):
                        passed += 1
                    else:
                        failed += 1
                # A crash after some subtests passed is a failure too.
                if result not in ("OK", "EXPECTEDFAIL", "SKIP"):
                    failed += 1
            elif result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped


def main(paths):
    total = [0, 0, 0]
    for path in paths:
        p, f, s = count(path)
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 0 if total[1] == 0 and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
