#!/usr/bin/env python3
"""Summarise a test run: JUnit XML reports plus pass/fail checks, one line per suite.

    summarize-junit.py [--junit [LABEL=]PATH]... [--check NAME=pass|fail]... [--details N]

--junit   a JUnit XML file (nextest, vitest, ...). Each <testsuite> becomes one line; LABEL,
          if given, is put in front of its suite names ("ui: src/mfa.test.ts"). A file that
          is missing or cannot be parsed counts as one failed test, so a crashed runner
          cannot look like success.
--check   a step that is a test of its own (rustfmt, clippy, a build that failed): one suite
          with one test that passed or failed.
--details how many lines of each failure's message and output to print (default 12).

A test case failed when it has a <failure> or <error> child, was skipped when it has
<skipped>, and passed otherwise (counted from the cases, not from the suite attributes).
When no JUnit test case ran at all, that counts as one more failed test ("(tests)").
The very last line printed is exactly "N passed, N failed". The exit status is 1 when
anything failed, 0 otherwise. Standard library only.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET


def local(tag):
    """Tag name without an XML namespace."""
    return tag.rsplit("}", 1)[-1]


class Suite:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []  # (test name, text)


def without_backtraces(text):
    """Drop Rust's "stack backtrace:" blocks: noise in a summary (the full report keeps them)."""
    out, skipping = [], False
    for line in text.splitlines():
        if line.strip() == "stack backtrace:":
            skipping = True
            continue
        if skipping:
            if line.startswith(" ") or line.startswith("note: Some details are omitted"):
                continue
            skipping = False
        out.append(line)
    return "\n".join(out)


def failure_text(case, node):
    parts = []
    msg = (node.get("message") or "").strip()
    body = (node.text or "").strip()
    if msg and not body.startswith(msg):
        parts.append(msg)
    if body:
        parts.append(body)
    for child in case:
        if local(child.tag) not in ("system-out", "system-err") or not (child.text or "").strip():
            continue
        text = child.text.strip()
        if text not in body:
            parts.append(text)
    return without_backtraces("\n".join(parts))


def read_junit(path, label):
    """Suites from one JUnit file; raises on a missing or malformed file."""
    root = ET.parse(path).getroot()
    if local(root.tag) == "testsuite":
        suites_xml = [root]
    else:
        suites_xml = [s for s in root.iter() if local(s.tag) == "testsuite"]
    suites = []
    for sx in suites_xml:
        name = sx.get("name") or os.path.basename(path)
        suite = Suite(f"{label}: {name}" if label else name)
        for case in sx:
            if local(case.tag) != "testcase":
                continue
            test = case.get("name", "?")
            if case.get("classname") and case.get("classname") != name:
                test = f"{case.get('classname')}::{test}"
            kinds = {local(c.tag): c for c in case}
            bad = kinds.get("failure")
            if bad is None:
                bad = kinds.get("error")
            if bad is not None:
                suite.failed += 1
                suite.failures.append((test, failure_text(case, bad)))
            elif "skipped" in kinds:
                suite.skipped += 1
            else:
                suite.passed += 1
        suites.append(suite)
    return suites


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--junit", action="append", default=[], metavar="[LABEL=]PATH")
    ap.add_argument("--check", action="append", default=[], metavar="NAME=pass|fail")
    ap.add_argument("--details", type=int, default=12)
    args = ap.parse_args(argv)

    suites = []
    junit_cases = 0
    for check in args.check:
        name, _, status = check.rpartition("=")
        if not name or status not in ("pass", "fail"):
            ap.error(f"--check wants NAME=pass|fail, got {check!r}")
        s = Suite(name)
        if status == "pass":
            s.passed = 1
        else:
            s.failed = 1
            s.failures.append((name, "(its log is under out/)"))
        suites.append(s)
    for spec in args.junit:
        label, sep, path = spec.partition("=")
        if not sep:
            label, path = "", spec
        try:
            found = read_junit(path, label)
        except (OSError, ET.ParseError) as e:
            s = Suite(f"{label}: {path}" if label else path)
            s.failed = 1
            s.failures.append(("(report)", f"no usable JUnit report: {e}"))
            found = [s]
        else:
            junit_cases += sum(s.passed + s.failed for s in found)
        suites.extend(found)

    if junit_cases == 0:
        # Nothing ran: that is a failure of its own, so the count says so too.
        s = Suite("(tests)")
        s.failed = 1
        s.failures.append(("no test ran", "no JUnit report holds an executed test case"))
        suites.append(s)

    width = max([len(s.name) for s in suites] + [5])
    print(f"{'suite':<{width}}  passed  failed  skipped")
    for s in suites:
        print(f"{s.name:<{width}}  {s.passed:>6}  {s.failed:>6}  {s.skipped:>7}")

    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites)
    skipped = sum(s.skipped for s in suites)

    for s in suites:
        for test, text in s.failures:
            print(f"\nFAILED {s.name} :: {test}")
            lines = text.splitlines()
            for line in lines[: args.details]:
                print(f"    {line}")
            if len(lines) > args.details:
                print(f"    ... ({len(lines) - args.details} more lines in the report)")

    if skipped:
        print(f"\n{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
