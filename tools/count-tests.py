#!/usr/bin/env python3
"""Sums the results of meson test logs and pytest JUnit XML files into one line.

Arguments ending in ``.xml`` are pytest JUnit XML files (``--junitxml``);
every other argument is a meson ``testlog.json``.

In a testlog.json every test that speaks TAP counts its subtests ("ok N" /
"not ok N"); a test that does not counts once by its own result.

In a JUnit XML file every <testcase> counts once: failed if it has a
<failure> or <error> (a failing teardown included), else skipped if it has
a <skipped>, else passed. A file that is missing or cannot be parsed counts
as one failure (pytest did not get to write it).

No double counting: when at least one XML file is given, the testlog.json
entries of meson tests in the "python" suite (the meson test that ran
pytest and wrote the XML; the suites are read from the entry's "suite"
field if any, else from its name, "qi:python / pytest-hub") are left out
and their XML cases counted instead; but such an entry whose result is not
OK while the XML files show no failure (pytest crashed, timed out, or left
an old file) still counts as one failure.

Prints per-file figures, then the plain line "N passed, N failed[, N
skipped]"; exits 1 if anything failed or nothing ran.
"""
import json
import re
import sys
import xml.etree.ElementTree as ElementTree

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
PYTHON_SUITE = "python"


def suites_of(test):
    """The suites of a testlog.json entry, without the project prefix."""
    suites = test.get("suite")
    if not suites:
        # "qi:c+cli / cli": project "qi", suites "c" and "cli"
        head = (test.get("name") or "").split(" / ")[0]
        suites = head.split(":", 1)[-1].split("+") if ":" in head else []
    if isinstance(suites, str):
        suites = [suites]
    return [s.split(":", 1)[-1] for s in suites]


def count_testlog(path, skip_python):
    """(passed, failed, skipped, python entries that did not pass)."""
    passed = failed = skipped = python_failed = 0
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result")
            if skip_python and PYTHON_SUITE in suites_of(test):
                if result not in ("OK", "EXPECTEDFAIL", "SKIP"):
                    python_failed += 1
                continue
            tap = [TAP_LINE.match(l) for l in (test.get("stdout") or "").splitlines()]
            tap = [m for m in tap if m]
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
    return passed, failed, skipped, python_failed


def count_junit(path):
    """(passed, failed, skipped) of a pytest JUnit XML file."""
    passed = failed = skipped = 0
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as e:
        print(f"{path}: cannot read it ({e}); counted as one failure")
        return 0, 1, 0
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    # An error outside any test case (collection) is a <testsuite errors=…>
    # without a <testcase>; pytest writes a testcase for it, but be sure.
    if passed + failed + skipped == 0:
        for suite in root.iter("testsuite"):
            failed += int(suite.get("errors", "0") or 0) + int(suite.get("failures", "0") or 0)
    return passed, failed, skipped


def main(paths):
    xmls = [p for p in paths if p.endswith(".xml")]
    logs = [p for p in paths if not p.endswith(".xml")]
    total = [0, 0, 0]
    python_failed = 0
    for path in logs:
        p, f, s, pf = count_testlog(path, skip_python=bool(xmls))
        python_failed += pf
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    xml_failed = 0
    for path in xmls:
        p, f, s = count_junit(path)
        xml_failed += f
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    if python_failed and not xml_failed:
        print(f"{python_failed} meson test(s) of the {PYTHON_SUITE} suite failed "
              "without a failure in the XML; counted as failures")
        total[1] += python_failed
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 0 if total[1] == 0 and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
