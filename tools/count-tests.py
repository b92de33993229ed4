#!/usr/bin/env python3
"""Sums the results of meson test logs and JUnit XML files into one line.

Arguments ending in ``.xml`` are JUnit XML files: pytest's
(``--junitxml``) or Node's test runner's (``--test-reporter=junit``), each
written by the meson tests of one suite: ``SUITE=PATH.xml`` names it;
without ``SUITE=``, ``pytest-*.xml`` is the "python" suite's and
``browser-*.xml`` the "browser" suite's. Every other argument is a meson
``testlog.json``.

In a testlog.json every test that speaks TAP counts its subtests ("ok N" /
"not ok N"); a test that does not counts once by its own result.

In a JUnit XML file every <testcase> counts once: failed if it has a
<failure> or <error> (a failing teardown included), else skipped if it has
a <skipped>, else passed. A file that is missing or cannot be parsed counts
as one failure (pytest did not get to write it).

No double counting: for each suite that has an XML file, the testlog.json
entries of meson tests in that suite (the meson tests that ran pytest or
node and wrote the XML; the suites are read from the entry's "suite" field
if any, else from its name, "qi:python / pytest-hub") are left out and
their XML cases counted instead; but such an entry whose result is not OK
while that suite's XML files show no failure (the runner crashed, timed
out, or left an old file) still counts as one failure.

Prints per-file figures, then the plain line "N passed, N failed[, N
skipped]"; exits 1 if anything failed or nothing ran.
"""
import json
import re
import sys
import xml.etree.ElementTree as ElementTree

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")
# The suite of an XML file named without SUITE=, by the start of its name.
XML_SUITES = {"pytest": "python", "browser": "browser"}
DEFAULT_XML_SUITE = "python"


def xml_suite(arg):
    """(suite, path) of an XML argument: SUITE=PATH, or by the file's name."""
    suite, sep, path = arg.partition("=")
    if sep and "/" not in suite and suite:
        return suite, path
    name = arg.rsplit("/", 1)[-1]
    return XML_SUITES.get(name.split("-", 1)[0], DEFAULT_XML_SUITE), arg


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


def count_testlog(path, xml_suites):
    """(passed, failed, skipped, {suite: entries that did not pass}) where
    the entries of the suites in xml_suites are left out."""
    passed = failed = skipped = 0
    xml_failed = {}
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result")
            covered = [s for s in suites_of(test) if s in xml_suites]
            if covered:
                if result not in ("OK", "EXPECTEDFAIL", "SKIP"):
                    xml_failed[covered[0]] = xml_failed.get(covered[0], 0) + 1
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
    return passed, failed, skipped, xml_failed


def count_junit(path):
    """(passed, failed, skipped) of a JUnit XML file (pytest's or node's)."""
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
    xmls = [xml_suite(p) for p in paths if p.endswith(".xml")]
    logs = [p for p in paths if not p.endswith(".xml")]
    suites = {suite for suite, _ in xmls}
    total = [0, 0, 0]
    entries_failed = {}
    for path in logs:
        p, f, s, ef = count_testlog(path, suites)
        for suite, n in ef.items():
            entries_failed[suite] = entries_failed.get(suite, 0) + n
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    xml_failed = {}
    for suite, path in xmls:
        p, f, s = count_junit(path)
        xml_failed[suite] = xml_failed.get(suite, 0) + f
        print(f"{path}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    for suite in sorted(entries_failed):
        if entries_failed[suite] and not xml_failed.get(suite):
            print(f"{entries_failed[suite]} meson test(s) of the {suite} suite failed "
                  "without a failure in its XML; counted as failures")
            total[1] += entries_failed[suite]
    line = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        line += f", {total[2]} skipped"
    print(line)
    return 0 if total[1] == 0 and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
