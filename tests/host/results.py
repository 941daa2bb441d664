#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The run's results file (tests/host/results.sh) as KTAP, tables and counts.

    results.py ktap RESULTS.tsv            KTAP version 1, nested:
                                           run -> group -> scenario -> check
    results.py counts RESULTS.tsv          "N passed, N failed, N skipped"
    results.py failures RESULTS.tsv        the failed checks, for people
    results.py summary RESULTS.tsv         per-scenario figures (make stress)
    results.py matrix RESULTS.tsv SERIES.. the kernel support table (Markdown)
    results.py kunit-counts PARSE-OUTPUT   "N passed, N failed, N skipped" from
                                           the kernel's kunit.py parse output

One line of RESULTS.tsv is STATUS GROUP SCENARIO NAME DETAIL, tab-separated;
STATUS is pass, fail, skip or diag. Diagnostics ("value KEY=VALUE" and notes)
belong to the scenario they were recorded in and are not counted.
"""

import re
import sys
from collections import OrderedDict


class Result:
    def __init__(self, status, group, scenario, name, detail):
        self.status = status
        self.group = group
        self.scenario = scenario
        self.name = name
        self.detail = detail


def load(path):
    results = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 4:
                continue
            fields += [""] * (5 - len(fields))
            results.append(Result(*fields[:5]))
    return results


def tree(results):
    """group -> scenario -> [results], in the order first seen."""
    groups = OrderedDict()
    for r in results:
        groups.setdefault(r.group, OrderedDict()).setdefault(r.scenario, []).append(r)
    return groups


def ktap_name(text):
    # KTAP ends a test's name at '#' (a directive follows it).
    return re.sub(r"\s+", " ", text.replace("#", "no.")).strip() or "unnamed"


def status_of(checks):
    statuses = {c.status for c in checks if c.status != "diag"}
    if "fail" in statuses:
        return "fail"
    if statuses == {"skip"}:
        return "skip"
    if not statuses:
        return "skip"
    return "pass"


def result_line(indent, num, status, name, reason=""):
    pad = "    " * indent
    if status == "skip":
        return "%sok %d %s # SKIP %s" % (pad, num, ktap_name(name), ktap_name(reason) or "does not apply")
    word = "not ok" if status == "fail" else "ok"
    return "%s%s %d %s" % (pad, word, num, ktap_name(name))


def cmd_ktap(path):
    groups = tree(load(path))
    out = ["KTAP version 1", "1..%d" % len(groups)]
    for gi, (group, scenarios) in enumerate(groups.items(), 1):
        out += ["    KTAP version 1", "    # Subtest: %s" % ktap_name(group),
                "    1..%d" % len(scenarios)]
        group_checks = []
        for si, (scenario, items) in enumerate(scenarios.items(), 1):
            checks = [r for r in items if r.status != "diag"]
            group_checks += checks
            out += ["        KTAP version 1", "        # Subtest: %s" % ktap_name(scenario),
                    "        1..%d" % len(checks)]
            num = 0
            for r in items:
                if r.status == "diag":
                    out.append("        # %s" % r.name)
                    continue
                num += 1
                if r.status == "fail" and r.detail:
                    out.append("        # %s" % r.detail)
                out.append(result_line(2, num, r.status, r.name, r.detail))
            reason = ""
            if status_of(items) == "skip":
                reason = checks[0].detail if checks else "no checks ran"
            out.append(result_line(1, si, status_of(items), scenario, reason))
        out.append(result_line(0, gi, status_of(group_checks), group,
                               "nothing in this group could run"))
    print("\n".join(out))


def counts(results):
    c = {"pass": 0, "fail": 0, "skip": 0}
    for r in results:
        if r.status in c:
            c[r.status] += 1
    # A scenario with no checks at all is a skipped test in KTAP.
    for scenarios in tree(results).values():
        for items in scenarios.values():
            if not any(r.status != "diag" for r in items):
                c["skip"] += 1
    return c


def cmd_counts(path):
    c = counts(load(path))
    print("%d passed, %d failed, %d skipped" % (c["pass"], c["fail"], c["skip"]))


def cmd_failures(path):
    results = load(path)
    failed = [r for r in results if r.status == "fail"]
    skipped = [r for r in results if r.status == "skip"]
    if failed:
        print("Failed checks:")
        for r in failed:
            print("  [%s] %s: %s: %s" % (r.group, r.scenario, r.name, r.detail))
    if skipped:
        print("Skipped (could not apply; not counted as passed):")
        for r in skipped:
            print("  [%s] %s: %s (%s)" % (r.group, r.scenario, r.name, r.detail))


def values(items):
    v = {}
    for r in items:
        if r.status == "diag" and r.name.startswith("value ") and "=" in r.name:
            key, val = r.name[6:].split("=", 1)
            v[key] = val
    return v


def cmd_summary(path):
    cols = ["cycles", "faults inj/seen", "ioctls", "reads ok/EIO/ENODEV/other",
            "complaints", "wall s"]
    fmt = "  %-9s %-28s %7s %17s %9s %28s %10s %6s"
    print("Summary (figures per scenario; complaints must be 0):")
    print(fmt % tuple(["series", "scenario"] + cols))
    for group, scenarios in tree(load(path)).items():
        if group == "host":
            continue
        for scenario, items in scenarios.items():
            v = values(items)
            if "wall_s" not in v:
                continue
            inj, seen = v.get("model_failed"), v.get("failures_seen")
            faults = "%s/%s" % (inj or "-", seen or "-") if seen or (inj or "0") != "0" else "-"
            reads = "-"
            if "reads_ok" in v:
                reads = "/".join(v.get(k, "-") for k in
                                 ("reads_ok", "reads_eio", "reads_enodev", "reads_other"))
            print(fmt % (group, scenario, v.get("cycles", "-"), faults, v.get("ioctls", "-"),
                         reads, v.get("complaints", "?"), v["wall_s"]))


def verdict(checks):
    passed = sum(1 for r in checks if r.status == "pass")
    failed = sum(1 for r in checks if r.status == "fail")
    if failed:
        return "**no** (%d of %d checks failed)" % (failed, passed + failed)
    return "yes" if passed else "—"


def cmd_matrix(path, series_list):
    groups = tree(load(path))
    print("| series | suite | kernel | compat probes that hold | builds warning-free (W=1, sparse) "
          "| DKMS build (suite's dkms) | loads | scenarios pass | notes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for series in series_list:
        scenarios = groups.get(series, OrderedDict())
        build = scenarios.get("build", [])
        v = values(build)
        suite = v.get("suite", "?")
        if "kernel" not in v:
            why = [r.detail for r in build if r.status == "skip"]
            print("| %s | %s | — | | not run: %s | | | | |"
                  % (series, suite, why[0] if why else "not selected in this run"))
            continue
        probes = ", ".join("`%s`" % p for p in v.get("probes", "").split(",") if p) or "—"
        builds = [r for r in build if r.name.startswith("module build")]
        warn = verdict(builds)
        if any(r.status == "skip" and "sparse" in r.name for r in build):
            warn += " (W=1; sparse not run: see notes)"
        dkms = [r for r in build if r.name.startswith("dkms build")]
        dkms_col = verdict(dkms) + (" (dkms %s)" % v["dkms"] if "dkms" in v else "")
        loads = verdict([r for r in scenarios.get("load", []) if r.status != "diag"])
        ran, passed, failed_names, nchecks = 0, 0, [], 0
        for name, items in scenarios.items():
            # The Debian 12 system's scenarios run on two series only.
            if name == "build" or name.startswith("system-"):
                continue
            checks = [r for r in items if r.status in ("pass", "fail")]
            if not checks:
                continue
            ran += 1
            nchecks += sum(1 for r in checks if r.status == "pass")
            if any(r.status == "fail" for r in checks):
                failed_names.append(name)
            else:
                passed += 1
        if not ran:
            scen = "—"
        elif not failed_names:
            scen = "yes: %d/%d scenarios, %d checks" % (passed, ran, nchecks)
        else:
            scen = "**no**: %d/%d scenarios; failed: %s" % (passed, ran, " ".join(failed_names))
        notes = []
        for items in scenarios.values():
            for r in items:
                note = None
                if r.status == "diag" and not r.name.startswith("value ") \
                        and "(replay with " not in r.name:
                    note = r.name
                elif r.status == "skip":
                    note = "%s: %s" % (r.name, r.detail)
                if note and note not in notes:
                    notes.append(note)
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |"
              % (series, suite, v["kernel"], probes, warn, dkms_col, loads, scen,
                 "; ".join(notes) or "—"))


def cmd_kunit_counts(path):
    """The totals line of `kunit.py parse` ("Ran N tests: passed: P, ...")."""
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    m = re.search(r"Ran (\d+) tests?: (.*)", text)
    if not m:
        print("no totals line")
        return
    got = dict((k, int(n)) for k, n in re.findall(r"(passed|failed|skipped|crashed|errors): (\d+)",
                                                  m.group(2)))
    print("%d passed, %d failed, %d skipped" % (got.get("passed", 0),
                                                got.get("failed", 0) + got.get("crashed", 0),
                                                got.get("skipped", 0)))
    if got.get("errors"):
        print("parser errors: %d" % got["errors"])


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd == "ktap":
        cmd_ktap(path)
    elif cmd == "counts":
        cmd_counts(path)
    elif cmd == "failures":
        cmd_failures(path)
    elif cmd == "summary":
        cmd_summary(path)
    elif cmd == "matrix":
        cmd_matrix(path, argv[3:])
    elif cmd == "kunit-counts":
        cmd_kunit_counts(path)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
