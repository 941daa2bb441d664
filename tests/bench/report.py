#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench: turn what the bench boots said into a Markdown table and PNG plots.

    report.py --series S --kernel K --date D --mode full|smoke --qemu Q --machine M
              --runs RUNS_DIR --out OUT_BASE
        reads RUNS_DIR/bench-det, bench-det-repeat, bench-wall (results.txt)
        and RUNS_DIR/bench-calls-* (results.txt, model-stats.txt); writes
        OUT_BASE.md, OUT_BASE-det.png (deterministic: chrony's offset over
        time, where each answer lands in its bracket) and OUT_BASE-wall.png
        (wall clock: read-cost and bracket distributions, concurrency), and
        prints one PASS/FAIL line per check that every metric is present and
        well-formed and that the deterministic boot repeated exactly (never a
        timing threshold).
    report.py --latest RESULTS_DIR --date D
        the history step: every dated report of RESULTS_DIR older than the
        newest of its kind (make bench's, or the comparison with NTP's) and
        not of date D becomes a row of RESULTS_DIR/history.md (its headline
        figures, read from its tables; never twice for one date, series and
        kind) and is deleted with its plots; then writes
        RESULTS_DIR/latest.md, pointing at the newest of each kind and at
        history.md.
    report.py --selftest-history RESULTS_DIR --out WORK
        the history step on copies of RESULTS_DIR in WORK, with made-up
        earlier runs; one PASS/FAIL line per check.

The counts the guest was asked for come from the BENCH_* environment
variables that tests/bench/run.sh exports. Standard library only; the plots
are drawn by gnuplot (Debian's gnuplot-nox).
"""
import argparse
import datetime
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

DRIVERS = ("intree", "ours")
NAMES = {"intree": "in-tree", "ours": "ours"}
SUMMARY_KEYS = ("n", "min", "p50", "p90", "p99", "p999", "max", "mean")
NUM = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
# Chrony's window starts at lock, while the last of the initial offset is
# still being slewed away; rows marked "steady state" leave out its first
# STEADY_S seconds.
STEADY_S = 30
# The device model's host clock in the deterministic boot runs this fast
# (tests/scenarios/bench-det.sh, DET_RATE_PPT).
DET_RATE_PPM = 12.5
# Thread counts of the wall-clock boot's concurrency runs.
THREADS = (1, 2)

checks = []


def check(ok, name, detail=""):
    checks.append(ok)
    if ok:
        print("PASS " + name)
    else:
        # A tab separates the name (which has ": " in it) from the detail.
        print("FAIL %s\t%s" % (name, detail))


def env_int(name):
    return int(os.environ.get(name, "0") or 0)


def kv(tokens):
    out = {}
    for t in tokens:
        if "=" in t:
            k, v = t.split("=", 1)
            out.setdefault(k, v)
    return out


class Run:
    """Everything the guest of one boot reported."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        self.chrony = []
        self.data = []
        self.present = os.path.exists(os.path.join(path, "results.txt"))
        try:
            with open(os.path.join(path, "results.txt"), errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        text = re.sub(r"(?ms)^DMESG-BEGIN$.*?^DMESG-END$", "", text)
        for line in text.splitlines():
            # The guest's data lines (tests/guest/lib.sh: DATA kind payload).
            if line.startswith("DATA "):
                self.data.append(line)
            if line.startswith("DATA bench "):
                self.lines.append(kv(line.split()[2:]))
            elif line.startswith("DATA chrony "):
                parts = line.split()[1:]
                meta = kv(parts[1:4])
                meta["raw"] = parts[4:]
                self.chrony.append(meta)
        self.model = {}
        for name in ("model-stats.txt", "model-stats"):
            try:
                with open(os.path.join(path, name)) as f:
                    for line in f:
                        if "=" in line:
                            k, v = line.strip().split("=", 1)
                            self.model[k] = v
                break
            except OSError:
                pass

    def find(self, **want):
        return [d for d in self.lines if all(d.get(k) == str(v) for k, v in want.items())]

    def one(self, **want):
        """The last line matching WANT; an operation's own line, not one of its distributions."""
        found = [d for d in self.find(**want) if "dist" in want or "dist" not in d]
        return found[-1] if found else None

    def summary(self, driver, op, dist, rnd=1):
        for d in self.find(driver=driver, round=rnd, op=op, dist=dist):
            if "quantiles" not in d:
                return d
        return None

    def stat(self, driver, op, dist, key, rnd=1):
        d = self.summary(driver, op, dist, rnd)
        return num(d.get(key)) if d else None

    def quantiles(self, driver, op, dist, rnd=1):
        for d in self.find(driver=driver, round=rnd, op=op, dist=dist):
            if "quantiles" in d:
                pts = []
                for p in d["quantiles"].split(","):
                    if ":" in p:
                        a, b = p.split(":", 1)
                        if num(a) is not None and num(b) is not None:
                            pts.append((float(a), float(b)))
                return pts
        return []

    def chrony_series(self, driver, log, rnd=1):
        return [c["raw"] for c in self.chrony
                if c.get("driver") == driver and c.get("round") == str(rnd) and c.get("log") == log]


def num(v):
    if v is None or not NUM.match(str(v)):
        return None
    return float(v)


def fmt(v, digits=0, sign=False):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if digits == 0:
        return ("{:+,.0f}" if sign else "{:,.0f}").format(v)
    return ("{:+,.{}f}" if sign else "{:,.{}f}").format(v, digits)


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def diff(a, b):
    return None if a is None or b is None else a - b


def rms(vals):
    return math.sqrt(sum(v * v for v in vals) / len(vals)) if vals else None


def mean(vals):
    return sum(vals) / len(vals) if vals else None


def maxabs(vals):
    return max((abs(v) for v in vals), default=None)


def tracking_rows(rows):
    """(seconds since the first line, offset ns, frequency ppm) from tracking.log."""
    out = []
    t0 = None
    for raw in rows:
        if len(raw) < 7:
            continue
        try:
            t = datetime.datetime.strptime(raw[0] + " " + raw[1], "%Y-%m-%d %H:%M:%S").timestamp()
            freq = float(raw[4])
            off = float(raw[6]) * 1e9
        except ValueError:
            continue
        t0 = t if t0 is None else t0
        out.append((t - t0, off, freq))
    return out


def refclock_offsets(rows):
    out = []
    for raw in rows:
        if len(raw) < 8:
            continue
        try:
            out.append(float(raw[7]) * 1e9)
        except ValueError:
            continue
    return out


def truth_samples(run, driver, rnd=1):
    """(seconds since lock, host - system ns) of the window."""
    return [(num(x.get("t_ms")) / 1000.0, num(x.get("offset_ns")))
            for x in run.find(driver=driver, round=rnd, op="truthsample")
            if num(x.get("t_ms")) is not None and num(x.get("offset_ns")) is not None]


class Bench:
    def __init__(self, runs_dir):
        self.det = Run(os.path.join(runs_dir, "bench-det"))
        self.repeat = Run(os.path.join(runs_dir, "bench-det-repeat"))
        self.wall = Run(os.path.join(runs_dir, "bench-wall"))
        self.calls = {n: Run(os.path.join(runs_dir, "bench-calls-" + n))
                      for n in ("ours", "intree-gettime", "intree-sysoff")}
        self.rounds = env_int("BENCH_ROUNDS")
        self.chrony_rounds = env_int("BENCH_CHRONY_ROUNDS")
        self.has_wall = os.environ.get("BENCH_WALL", "yes") != "no"

    def wall_per_round(self, fn):
        """{driver: [value per round]} and the per-round ratios ours/in-tree."""
        vals = {d: [fn(d, r) for r in range(1, self.rounds + 1)] for d in DRIVERS}
        ratios = [ratio(o, i) for o, i in zip(vals["ours"], vals["intree"])]
        return vals, [r for r in ratios if r is not None]

    def sync_round(self, run, driver, rnd):
        """One chrony round's figures."""
        lock = run.one(driver=driver, round=rnd, op="chrony")
        tr = tracking_rows(run.chrony_series(driver, "tracking", rnd))
        truth = truth_samples(run, driver, rnd)
        return {
            "lock": num(lock.get("lock_ms")) / 1000 if lock and num(lock.get("lock_ms")) is not None else None,
            "tr": [o for _, o, _ in tr], "tr_freq": tr[-1][2] if tr else None,
            "rc": refclock_offsets(run.chrony_series(driver, "refclocks", rnd)),
            "truth": [o for _, o in truth], "steady": [o for t, o in truth if t >= STEADY_S],
        }

    def sync(self, driver, run=None):
        """The deterministic boot's chrony figures for one driver: pooled over
        the rounds (every sample of every round), and per round."""
        run = run or self.det
        rounds = [self.sync_round(run, driver, r) for r in range(1, self.chrony_rounds + 1)]

        def pool(key):
            return [v for x in rounds for v in x[key]]

        out = {
            "lock": median([x["lock"] for x in rounds]),
            "tr_rms": rms(pool("tr")), "tr_max": maxabs(pool("tr")),
            "tr_freq": median([x["tr_freq"] for x in rounds]),
            "rc_rms": rms(pool("rc")),
            "rms": rms(pool("truth")), "max": maxabs(pool("truth")), "mean": mean(pool("truth")),
            "steady_rms": rms(pool("steady")), "steady_max": maxabs(pool("steady")),
            "steady_mean": mean(pool("steady")),
        }
        out["rounds"] = [{"lock": x["lock"], "tr_rms": rms(x["tr"]), "tr_max": maxabs(x["tr"]),
                          "tr_freq": x["tr_freq"], "rc_rms": rms(x["rc"]),
                          "rms": rms(x["truth"]), "max": maxabs(x["truth"]), "mean": mean(x["truth"]),
                          "steady_rms": rms(x["steady"]), "steady_max": maxabs(x["steady"]),
                          "steady_mean": mean(x["steady"])} for x in rounds]
        return out


def det_table(b):
    """The deterministic table's rows and the figures the targets need."""
    rows = []
    fig = {}
    det = b.det

    def row(metric, intree, ours, delta=""):
        rows.append((metric, intree, ours, delta))

    def section(title, note=""):
        rows.append(("**%s**%s" % (title, " " + note if note else ""), "", "", ""))

    # Hypercalls per reading, from the three short boots.
    co = b.calls["ours"].one(op="calls", driver="ours") or {}
    cg = b.calls["intree-gettime"].one(op="calls", driver="intree") or {}
    cs = b.calls["intree-sysoff"].one(op="calls", driver="intree") or {}
    ans_g = num(b.calls["intree-gettime"].model.get("answered"))
    ans_s = num(b.calls["intree-sysoff"].model.get("answered"))

    def per(calls, readings):
        c, r = num(calls), num(readings)
        if c is None or r is None or r == 0:
            return None, "—"
        return c / r, "%.4f (%d / %d)" % (c / r, c, r)

    hc = {("gettime", "intree"): per(ans_g, cg.get("gettime_reads")),
          ("gettime", "ours"): per(co.get("gettime_calls"), co.get("gettime_reads")),
          ("sysoff", "intree"): per(ans_s, cs.get("sysoff_samples")),
          ("sysoff", "ours"): per(co.get("sysoff_calls"), co.get("sysoff_samples")),
          ("sysoffx", "ours"): per(co.get("sysoffx_calls"), co.get("sysoffx_samples"))}
    ix = det.one(driver="intree", op="bracket-sysoffx")
    no_x = "n/a (%s)" % ix.get("err") if ix and ix.get("ok") == "0" else "—"
    section("Hypercalls per reading", "(device model's count ÷ readings; separate boots)")
    row("clock_gettime(PHC)", hc["gettime", "intree"][1], hc["gettime", "ours"][1])
    row("PTP_SYS_OFFSET, 25 samples: per sample", hc["sysoff", "intree"][1], hc["sysoff", "ours"][1])
    row("PTP_SYS_OFFSET_EXTENDED, 25 samples: per sample", no_x, hc["sysoffx", "ours"][1])
    fig["hypercalls"] = [hc[k, "ours"][0] for k in ("gettime", "sysoff", "sysoffx")]

    # Instructions per reading.
    section("Instructions per reading", "(median; in brackets the mean, with the timer interrupts that hit)")

    def insns(d, op, dist):
        return det.stat(d, op, dist, "p50"), det.stat(d, op, dist, "mean")

    def cell(pair):
        p50, avg = pair
        return "—" if p50 is None else "%s (%s)" % (fmt(p50), fmt(avg, 1))

    cost = {}
    for key, label, op, dist in (
            ("gettime", "clock_gettime(PHC) from user space: system call, PTP core, driver, hypercall",
             "insns", "phc"),
            ("sysoff", "PTP_SYS_OFFSET, per sample (kernel: system clock read, driver, hypercall)",
             "bracket-sysoff", "cost"),
            ("sysoffx", "PTP_SYS_OFFSET_EXTENDED, per sample (kernel: two system clock reads, driver, hypercall)",
             "bracket-sysoffx", "cost")):
        v = {d: insns(d, op, dist) for d in DRIVERS}
        cost[key] = v
        intree = no_x if key == "sysoffx" else cell(v["intree"])
        row(label, intree, cell(v["ours"]),
            "" if key == "sysoffx" else fmt(diff(v["ours"][0], v["intree"][0]), sign=True))
    bare = {d: insns(d, "insns", "backdoor") for d in DRIVERS}
    row("(floor) one bare backdoor call from user space, no driver", cell(bare["intree"]), cell(bare["ours"]))
    timer = {d: insns(d, "insns", "timer") for d in DRIVERS}
    row("(context) clock_gettime(CLOCK_MONOTONIC), vDSO", cell(timer["intree"]), cell(timer["ours"]))
    fig["cost"] = cost

    # Brackets.
    section("Bracket: instructions between the system-clock reads around one answer, and where the "
            "answer lands", "(median; lead: from the read before to the hypercall, lag: from the hypercall "
            "to the read after; an offset taken from the bracket's middle is off by (lead − lag) ÷ 2 ns)")
    br = {}
    for kind, label in (("sysoff", "PTP_SYS_OFFSET"), ("sysoffx", "PTP_SYS_OFFSET_EXTENDED"),
                        ("bare", "bare call from user space between two vDSO CLOCK_REALTIME reads")):
        for d in DRIVERS:
            op = "bracket-" + kind
            br[kind, d] = {k: det.stat(d, op, k, "p50") for k in ("width", "lead", "lag", "skew")}
        v = {d: br[kind, d] for d in DRIVERS}

        def wcell(x):
            if x["width"] is None:
                return "—"
            return "%s = %s + %s; %s ns" % (fmt(x["width"]), fmt(x["lead"]), fmt(x["lag"]),
                                           fmt(x["skew"] / 2, 1, sign=True))
        if kind == "bare":
            row("(floor) " + label + " (measured next to each driver)", wcell(v["intree"]), wcell(v["ours"]))
        elif kind == "sysoffx":
            row(label + ": width = lead + lag; offset error", no_x, wcell(v["ours"]))
        else:
            row(label + ": width = lead + lag; offset error", wcell(v["intree"]), wcell(v["ours"]),
                fmt(diff(v["ours"]["width"], v["intree"]["width"]), sign=True))
    fig["bracket"] = br
    x_vs_bare = ratio(br["sysoffx", "ours"]["width"], br["bare", "ours"]["width"])
    row("PTP_SYS_OFFSET_EXTENDED bracket ÷ the bare call's bracket from user space", "—", fmt(x_vs_bare, 2))
    fig["x_vs_bare"] = x_vs_bare

    # Chrony.
    sync = {d: b.sync(d) for d in DRIVERS}
    fig["sync"] = sync
    section("Sync: chronyd with the shipped configuration",
            "(dist/chrony/ptp_vmw.conf and the refclock ptp-vmware-chrony writes under /run; host clock %+.1f ppm; "
            "%d round(s) per driver from the system clock 300, 320, ... ms behind; %d s window from lock; "
            "pooled over the rounds, each round in brackets)"
            % (DET_RATE_PPM, b.chrony_rounds, env_int("BENCH_WINDOW")))

    def srow(label, key, digits=0, sign=False):
        def cell(d):
            per = ", ".join(fmt(x[key], digits, sign) for x in sync[d]["rounds"])
            return "%s (%s)" % (fmt(sync[d][key], digits, sign), per) if len(sync[d]["rounds"]) > 1 \
                else fmt(sync[d][key], digits, sign)
        row(label, cell("intree"), cell("ours"),
            fmt(diff(sync["ours"][key], sync["intree"][key]), digits, sign=True))

    srow("time from chronyd start to lock (VMW selected, |System time| < %d µs), s; median"
         % (env_int("BENCH_LOCK_NS") // 1000), "lock", 1)
    srow("host − system time, exact, 4 per second: RMS, ns", "rms")
    srow("host − system time, exact: max |offset|, ns", "max")
    srow("host − system time, exact: mean, ns", "mean", 1, sign=True)
    if env_int("BENCH_WINDOW") > STEADY_S:
        srow("(steady state, from %d s after lock) host − system time: RMS, ns" % STEADY_S, "steady_rms")
        srow("(steady state) host − system time: mean, ns", "steady_mean", 1, sign=True)
    srow("chrony's own view: tracking.log offset, RMS, ns", "tr_rms")
    srow("chrony's own view: tracking.log offset, max |offset|, ns", "tr_max")
    srow("chrony's own view: refclocks.log cooked offset per PHC sample, RMS, ns", "rc_rms")
    srow("chrony's frequency at the window's end, ppm; median (the host clock runs %+.1f ppm)" % DET_RATE_PPM,
         "tr_freq", 3, sign=True)
    return rows, fig


COST_OPS = ("model", "insns", "bracket-bare", "bracket-sysoff", "bracket-sysoffx")


def cost_figures(run):
    """Every instruction-count figure of a deterministic boot: the operation,
    the distribution, n and the median (the extremes and the mean depend on
    where timer interrupts land, which a few instructions' shift moves)."""
    out = {}
    for d in run.lines:
        if d.get("op") in COST_OPS and "dist" in d and "quantiles" not in d:
            out[d.get("driver"), d["op"], d["dist"]] = (d.get("n"), d.get("p50"))
    return out


def repeat_check(b):
    """The deterministic boot twice: its cost figures, every data line, and
    the largest relative difference of the chrony figures."""
    a, r = b.det.data, b.repeat.data
    same = sum(1 for x, y in zip(a, r) if x == y)
    first = next(((x, y) for x, y in zip(a, r) if x != y), None)
    if first is None and len(a) != len(r):
        first = ("%d lines" % len(a), "%d lines" % len(r))
    ca, cr = cost_figures(b.det), cost_figures(b.repeat)
    cost_diff = sorted(k for k in set(ca) | set(cr) if ca.get(k) != cr.get(k))
    spread = 0.0
    for d in DRIVERS:
        x, y = b.sync(d, b.det), b.sync(d, b.repeat)
        for k in ("lock", "rms", "max", "mean", "steady_rms", "steady_mean", "tr_rms", "rc_rms"):
            if x.get(k) is not None and y.get(k) is not None and x[k] != y[k]:
                spread = max(spread, abs(x[k] - y[k]) / max(abs(x[k]), abs(y[k])))
    return {"lines": len(a), "lines_repeat": len(r), "same": same, "first": first,
            "cost": len(ca), "cost_diff": cost_diff, "chrony_spread": spread}


def wall_table(b):
    rows = []
    fig = {}
    w = b.wall

    def row(metric, intree, ours, r=""):
        rows.append((metric, intree, ours, r))

    def ratio_cell(ratios):
        if not ratios:
            return "—"
        m = statistics.median(ratios)
        if len(ratios) > 1:
            return "%.2f (%s)" % (m, ", ".join("%.2f" % x for x in ratios))
        return "%.2f" % m

    def stat(d, r, op, dist, key):
        return w.stat(d, op, dist, key, r)

    rows.append(("**Read cost**, ns (median over rounds; ratio per round, ours ÷ in-tree)", "", "", ""))
    ix = w.one(driver="intree", round=1, op="sysoffx")
    no_x = "n/a (%s)" % ix.get("err") if ix and ix.get("ok") == "0" else "—"
    for label, op, key in (("clock_gettime(PHC), median, including one CLOCK_MONOTONIC read", "gettime", "p50"),
                           ("PTP_SYS_OFFSET, per sample, median", "sysoff", "p50"),
                           ("PTP_SYS_OFFSET_EXTENDED, per sample, median", "sysoffx", "p50")):
        vals, ratios = b.wall_per_round(lambda d, r: stat(d, r, op, "cost", key))
        intree = no_x if op == "sysoffx" else fmt(median(vals["intree"]))
        row(label, intree, fmt(median(vals["ours"])), ratio_cell(ratios) if op != "sysoffx" else "")
    rows.append(("**Bracket** around one PHC sample, ns", "", "", ""))
    best, ratios = b.wall_per_round(lambda d, r: stat(d, r, "sysoff" if d == "intree" else "sysoffx",
                                                       "width", "p50"))
    row("each driver's best (in-tree PTP_SYS_OFFSET, ours PTP_SYS_OFFSET_EXTENDED), median",
        fmt(median(best["intree"])), fmt(median(best["ours"])), ratio_cell(ratios))
    floor, _ = b.wall_per_round(lambda d, r: num((w.one(driver=d, round=r, op="guestctl") or {})
                                                 .get("ns_per_call")))
    row("floor: one bare backdoor call from user space (guestctl backdoor, ns per call)",
        fmt(median(floor["intree"])), fmt(median(floor["ours"])))
    vs_floor = [ratio(o, f) for o, f in zip(best["ours"], floor["ours"])]
    vs_floor = [x for x in vs_floor if x is not None]
    row("PTP_SYS_OFFSET_EXTENDED bracket ÷ bare call (same slot), median", "", fmt(median(vs_floor), 2))
    fig["x_vs_floor"] = median(vs_floor)
    fig["x_vs_floor_rounds"] = vs_floor

    rows.append(("**Concurrency**: aggregate readings per second, 2 vCPUs (MTTCG), device model without "
                 "the big lock (pclk-bql=off), threads pinned round-robin", "", "", ""))
    rates = {}
    labels = {"phc": "clock_gettime(PHC)", "backdoor": "bare backdoor calls, no driver",
              "syscall": "(control, no VM exit) getppid() system calls",
              "spin": "(control, no VM exit, no kernel) arithmetic loop"}
    for target in ("phc", "backdoor", "syscall", "spin"):
        for t in THREADS:
            vals, _ = b.wall_per_round(
                lambda d, r: num((w.one(driver=d, round=r, op="threads", target=target,
                                        threads=t) or {}).get("rate")))
            rates[target, t] = vals
    scale = {}
    for target in ("phc", "backdoor", "syscall", "spin"):
        s = {}
        per_round = {}
        for d in DRIVERS:
            rr = [ratio(a, b1) for a, b1 in zip(rates[target, 2][d], rates[target, 1][d])]
            per_round[d] = [x for x in rr if x is not None]
            s[d] = median(per_round[d])
        scale[target] = s
        row("%s: 1 thread, per second" % labels[target], fmt(median(rates[target, 1]["intree"])),
            fmt(median(rates[target, 1]["ours"])))
        row("%s: 2 threads ÷ 1 (per round: in-tree; ours)" % labels[target],
            "%s (%s)" % (fmt(s["intree"], 2), ", ".join("%.2f" % x for x in per_round["intree"])),
            "%s (%s)" % (fmt(s["ours"], 2), ", ".join("%.2f" % x for x in per_round["ours"])))
    fig["scale"] = scale
    m = w.model
    row("device model (whole boot): calls that found another vCPU's call inside it, of all calls",
        "", "%s of %s (at most %s at once)" % (fmt(num(m.get("concurrent_entries"))), fmt(num(m.get("calls"))),
                                                m.get("inflight_max", "—")))
    return rows, fig


def targets_of(b, det_fig, wall_fig, rep):
    t = []
    hcalls = det_fig["hypercalls"]
    t.append(("hypercalls per reading exactly 1.00 (ours; every operation)",
              ", ".join(fmt(v, 4) for v in hcalls), all(v == 1.0 for v in hcalls)))
    cost = det_fig["cost"]
    for key, label in (("gettime", "clock_gettime(PHC)"), ("sysoff", "PTP_SYS_OFFSET per sample")):
        o, i = cost[key]["ours"][0], cost[key]["intree"][0]
        t.append(("instructions per reading ours ≤ in-tree: %s" % label,
                  "%s vs %s" % (fmt(o), fmt(i)), o is not None and i is not None and o <= i))
    s = det_fig["sync"]
    o, i = s["ours"]["rms"], s["intree"]["rms"]
    t.append(("chrony: exact host − system RMS over the window, ours < in-tree",
              "%s vs %s ns" % (fmt(o), fmt(i)), o is not None and i is not None and o < i))
    x = det_fig["x_vs_bare"]
    t.append(("PTP_SYS_OFFSET_EXTENDED bracket ≤ 1.2 × the bare call's (deterministic, instructions)",
              "%s ×" % fmt(x, 2), x is not None and x <= 1.2))
    if b.has_wall:
        x = wall_fig.get("x_vs_floor")
        t.append(("(noisy context) the same in wall-clock ns against guestctl's ns per bare call",
                  "%s × (per round %s)" % (fmt(x, 2), ", ".join("%.2f" % v for v in wall_fig["x_vs_floor_rounds"])),
                  x is not None and x <= 1.2))
    t.append(("repeatability: a second deterministic boot gives identical instruction counts",
              "%d of %d figures identical" % (rep["cost"] - len(rep["cost_diff"]), rep["cost"]),
              rep["cost"] > 0 and not rep["cost_diff"]))
    t.append(("repeatability: chrony's figures within 0.1 % in a second boot",
              "%d of %d data lines identical; chrony figures differ by up to %.2f %%"
              % (rep["same"], max(rep["lines"], rep["lines_repeat"]), 100 * rep["chrony_spread"]),
              rep["chrony_spread"] <= 0.001))
    return t


def write_markdown(b, args, det_rows, wall_rows, targets, rep, plots):
    info = b.det.one(op="info") or {}
    winfo = b.wall.one(op="info") or {}
    L = []
    L.append("# ptp_vmw bench: kernel series %s, %s" % (args.series, args.date))
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| date (UTC) | %s |" % args.date)
    L.append("| source | %s |" % os.environ.get("BENCH_SOURCE", "?"))
    L.append("| machine | %s |" % args.machine)
    L.append("| guest kernel | %s (Debian), clocksource %s |" % (args.kernel, info.get("clocksource", "?")))
    L.append("| QEMU build | %s, with tests/emulator/vmport-pclk.patch |" % args.qemu)
    L.append("| mode | %s: %d readings and %d × 25 samples per driver and measurement; chrony window %d s; "
             "hypercall counts from %d readings / %d × 25 samples; wall clock: %s |"
             % (args.mode, env_int("BENCH_N"), env_int("BENCH_SYSOFF_CALLS"), env_int("BENCH_WINDOW"),
                env_int("BENCH_CALLS_N"), env_int("BENCH_CALLS_SYSOFF"),
                "%d rounds, %s vCPUs" % (b.rounds, winfo.get("cpus", "?")) if b.has_wall else "not run"))
    L.append("")
    L.append("## Deterministic: instructions and exact offsets")
    L.append("")
    L.append("One guest (1 vCPU) under `-icount shift=0,sleep=off`: guest time advances one nanosecond per "
             "instruction, so every cost here is an instruction count; the device model's host clock runs on "
             "that same time base (%+.1f ppm fast), so each answer is placed on the guest's TSC to the "
             "instruction and the host − system offset is exact, not estimated. A second boot of the same "
             "guest gave %d of %d instruction figures identical and %d of %d data lines identical (chrony "
             "figures within %.2f %%; see Repeatability in docs/performance.md)."
             % (DET_RATE_PPM, rep["cost"] - len(rep["cost_diff"]), rep["cost"], rep["same"],
                max(rep["lines"], rep["lines_repeat"]), 100 * rep["chrony_spread"]))
    L.append("")
    L.append("| metric | in-tree | ours | ours − in-tree |")
    L.append("|---|---:|---:|---:|")
    for cells in det_rows:
        L.append("| %s |" % " | ".join(str(c).replace("|", "\\|") for c in cells))
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for name, value, met in targets:
        L.append("| %s | %s | %s |" % (name.replace("|", "\\|"), value.replace("|", "\\|"),
                                       "met" if met else "**missed**"))
    L.append("")
    if b.has_wall:
        L.append("## Wall clock: noisy context")
        L.append("")
        L.append("A second guest, 2 vCPUs on two emulator threads (MTTCG), real time, on a machine shared with "
                 "other work: these figures move from run to run and say nothing the deterministic table does "
                 "not, except how readers on two vCPUs get on. The device model answers the precision clock "
                 "without QEMU's big lock here (`pclk-bql=off`). Ratios are ours ÷ in-tree per round (each "
                 "round measures both drivers back to back).")
        L.append("")
        L.append("| metric | in-tree | ours | ratio |")
        L.append("|---|---:|---:|---:|")
        for cells in wall_rows:
            L.append("| %s |" % " | ".join(str(c).replace("|", "\\|") for c in cells))
        L.append("")
    for title, path in plots:
        L.append("![%s](%s)" % (title, os.path.basename(path)))
        L.append("")
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(L))


def gnuplot(script, out):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as e:
        out_text = getattr(e, "stdout", "") or str(e)
        print("gnuplot failed for %s: %s" % (out, out_text.strip()[-400:]), file=sys.stderr)
        return False
    return True


COLOR = {"intree": "#c0392b", "ours": "#1f5fbf", "bare": "#555555"}


def plots(b, args, workdir, det_fig):
    os.makedirs(workdir, exist_ok=True)
    done = []

    def dat(name, pts):
        path = os.path.join(workdir, name)
        with open(path, "w") as f:
            for p in pts:
                f.write(" ".join(str(x) for x in p) + "\n")
        return path

    # Deterministic: offsets over time, and the brackets.
    top, bottom = [], []
    for d in DRIVERS:
        for r in range(1, b.chrony_rounds + 1):
            pts = truth_samples(b.det, d, r)
            if pts:
                top.append((dat("truth-%s-%d.dat" % (d, r), pts), d, r))
            tr = tracking_rows(b.det.chrony_series(d, "tracking", r))
            if tr:
                bottom.append((dat("track-%s-%d.dat" % (d, r), [(t, o) for t, o, _ in tr]), d, r))

    def yrange(items):
        vals = []
        for path, _, _ in items:
            with open(path) as f:
                vals += [abs(float(line.split()[1])) for line in f if line.strip()]
        if not vals:
            return "[*:*]"
        vals.sort()
        lim = max(20.0, 1.5 * vals[int(0.9 * (len(vals) - 1))])
        return "[%.0f:%.0f]" % (-lim, lim)

    def plotlist(items, style):
        parts = ["'%s' using 1:2 with %s lc rgb '%s' dt %d %s"
                 % (p, style, COLOR[d], min(r, 5), ("title '%s'" % NAMES[d]) if r == 1 else "notitle")
                 for p, d, r in items]
        return ", ".join(parts) if parts else "NaN notitle"

    # Bracket bars: one line per path, from -lead to +lag around the call at 0.
    bars = []
    y = 0
    labels = []
    for kind, d, label in (("bare", "ours", "bare call, user space (vDSO reads)"),
                           ("sysoff", "intree", "in-tree: PTP_SYS_OFFSET"),
                           ("sysoff", "ours", "ours: PTP_SYS_OFFSET"),
                           ("sysoffx", "ours", "ours: PTP_SYS_OFFSET_EXTENDED")):
        x = det_fig["bracket"].get((kind, d))
        if not x or x["lead"] is None:
            continue
        y += 1
        bars.append((-x["lead"], x["lag"], y, (x["lag"] - x["lead"]) / 2.0, d if kind != "bare" else "bare"))
        labels.append("'%s' %d" % (label, y))
    bar_items = []
    for i, (lo, hi, yy, mid, d) in enumerate(bars):
        path = dat("bar-%d.dat" % i, [(lo, yy), (hi, yy)])
        mpath = dat("mid-%d.dat" % i, [(mid, yy)])
        bar_items.append("'%s' using 1:2 with linespoints lw 8 pt 7 ps 1 lc rgb '%s' notitle" % (path, COLOR[d]))
        bar_items.append("'%s' using 1:2 with points pt 2 ps 2 lc rgb '#000000' notitle" % mpath)
    out = args.out + "-det.png"
    script = """set terminal pngcairo size 1000,1000 font 'sans,10' noenhanced
set output '%s'
set multiplot layout 3,1 title 'ptp_vmw %s (%s), deterministic (-icount): one instruction = 1 ns'
set grid
set xlabel 'seconds since lock'
set ylabel 'ns'
set title 'exact host minus system time, one line per round (y clipped to 1.5 x the 90th percentile of |offset|)'
set yrange %s
plot %s
set title 'chrony tracking.log: offset at each clock update (chrony own view)'
set yrange %s
plot %s
set title 'where the answer lands: from the system clock read before (left) to the read after (right); hypercall at 0, x the middle'
set xlabel 'instructions relative to the hypercall'
unset ylabel
set yrange [0:%d]
set ytics (%s)
set xzeroaxis
set arrow from 0, graph 0 to 0, graph 1 nohead dt 2
plot %s
unset multiplot
""" % (out, args.series, args.kernel, yrange(top), plotlist(top, "linespoints pt 7 ps 0.3"),
       yrange(bottom), plotlist(bottom, "linespoints pt 7 ps 0.4"), y + 1, ", ".join(labels),
       ", ".join(bar_items) if bar_items else "NaN notitle")
    if gnuplot(script, out):
        done.append(("deterministic: chrony offsets over time, and where each answer lands in its bracket", out))

    if not b.has_wall:
        return done
    lat, wid = [], []
    for d in DRIVERS:
        for r in range(1, b.rounds + 1):
            q = b.wall.quantiles(d, "gettime", "cost", r)
            if q:
                lat.append((dat("gettime-%s-%d.dat" % (d, r), [(v, p) for p, v in q if p < 100]), d, r))
            op = "sysoff" if d == "intree" else "sysoffx"
            q = b.wall.quantiles(d, op, "width", r)
            if q:
                wid.append((dat("width-%s-%d.dat" % (d, r), [(max(v, 1), p) for p, v in q if p < 100]), d, r))
            q = b.wall.quantiles(d, "backdoor", "width", r)
            if q and d == "ours":
                wid.append((dat("width-bare-%d.dat" % r, [(max(v, 1), p) for p, v in q if p < 100]), "bare", r))

    def cdf(items, names):
        parts = []
        for path, d, r in items:
            title = ("title '%s'" % names[d]) if r == 1 else "notitle"
            parts.append("'%s' using 1:2 with lines lw 1.5 lc rgb '%s' dt %d %s"
                         % (path, COLOR[d], min(r, 5), title))
        return ", ".join(parts) if parts else "NaN notitle"

    out2 = args.out + "-wall.png"
    script = """set terminal pngcairo size 1000,800 font 'sans,10' noenhanced
set output '%s'
set multiplot layout 2,1 title 'ptp_vmw %s (%s), wall clock (noisy context): up to the 99.9th percentile, one line per round'
set grid
set logscale x
set key bottom right
set ylabel 'percentile'
set yrange [0:100]
set xlabel 'ns per clock_gettime(PHC), including one CLOCK_MONOTONIC read'
set title 'read cost'
plot %s
set xlabel 'ns: system-time bracket around one PHC sample'
set title 'bracket widths'
plot %s
unset multiplot
""" % (out2, args.series, args.kernel, cdf(lat, NAMES),
       cdf(wid, {"intree": "in-tree PTP_SYS_OFFSET", "ours": "ours PTP_SYS_OFFSET_EXTENDED",
                 "bare": "bare backdoor call from user space"}))
    if gnuplot(script, out2):
        done.append(("wall clock: read-cost and bracket-width distributions", out2))
    return done


def validate_det(b):
    """Every deterministic figure present, well-formed and consistent."""
    det = b.det
    n_read, n_smp = env_int("BENCH_N"), env_int("BENCH_SYSOFF_CALLS") * 25
    check(det.present, "deterministic boot: results present", "no results.txt in %s" % det.path)
    check(det.model.get("timebase") == "virtual" and det.model.get("start_base_ns") == "0",
          "deterministic boot: the device model's clock ran on the virtual time base from 0",
          "saw timebase=%s start_base_ns=%s" % (det.model.get("timebase"), det.model.get("start_base_ns")))
    for d in DRIVERS:
        where = "deterministic, %s" % NAMES[d]
        m = det.one(driver=d, op="model")
        check(m is not None and m.get("ok") == "1" and m.get("outside") == "0" and num(m.get("calls")) == n_read,
              "%s: all %d bare answers map back between their own two rdtsc (shared time base)" % (where, n_read),
              "saw %s" % m)
        need = [("insns", "timer", n_read), ("insns", "backdoor", n_read), ("insns", "phc", n_read)]
        kinds = ("bare", "sysoff", "sysoffx") if d == "ours" else ("bare", "sysoff")
        for kind in kinds:
            op = "bracket-" + kind
            h = det.one(driver=d, op=op)
            check(h is not None and h.get("ok") == "1" and h.get("steady") == "1" and h.get("outside") == "0",
                  "%s: %s: every answer inside its bracket, system clock not slewed meanwhile" % (where, op),
                  "saw %s" % h)
            need += [(op, "cost", n_smp - env_int("BENCH_SYSOFF_CALLS"))]
            need += [(op, k, n_smp) for k in ("width", "lead", "lag", "skew")]
        for op, dist, n in need:
            s = det.summary(d, op, dist)
            bad = [k for k in SUMMARY_KEYS if s is None or num(s.get(k)) is None]
            check(not bad and num(s.get("n")) == n and len(det.quantiles(d, op, dist)) >= 40,
                  "%s: %s %s: n=%d, every statistic and the quantiles numeric" % (where, op, dist, n),
                  "saw %s" % (s if s else "no summary line"))
        if d == "intree":
            x = det.one(driver=d, op="bracket-sysoffx")
            check(x is not None and x.get("ok") == "0" and x.get("err") == "EOPNOTSUPP",
                  "%s: PTP_SYS_OFFSET_EXTENDED not offered (EOPNOTSUPP)" % where, "saw %s" % x)
        for r in range(1, b.chrony_rounds + 1):
            cr = "%s: chrony round %d" % (where, r)
            lock = det.one(driver=d, round=r, op="chrony")
            check(lock is not None and num(lock.get("lock_ms")) is not None,
                  "%s: time to lock reported" % cr, "saw %s" % lock)
            check(len(tracking_rows(det.chrony_series(d, "tracking", r))) >= 1,
                  "%s: tracking.log lines of the window parsed" % cr, "none")
            check(len(refclock_offsets(det.chrony_series(d, "refclocks", r))) >= 1,
                  "%s: refclocks.log lines of the window parsed" % cr, "none")
            t = det.one(driver=d, round=r, op="truth")
            n = env_int("BENCH_WINDOW") * 4
            check(t is not None and t.get("exact") == "1" and t.get("ok") == "1" and t.get("samples") == str(n)
                  and len(truth_samples(det, d, r)) == n,
                  "%s: %d exact host-minus-system samples" % (cr, n), "saw %s" % t)


def validate_wall(b):
    """Every wall-clock metric present and well-formed: no thresholds on timing."""
    w = b.wall
    for d in DRIVERS:
        for r in range(1, b.rounds + 1):
            where = "wall clock, %s round %d" % (NAMES[d], r)
            need = [("timer", "cost", env_int("BENCH_N")), ("gettime", "cost", env_int("BENCH_N")),
                    ("backdoor", "width", env_int("BENCH_N")),
                    ("sysoff", "cost", env_int("BENCH_SYSOFF_CALLS") * 24),
                    ("sysoff", "width", env_int("BENCH_SYSOFF_CALLS") * 25)]
            if d == "ours":
                need += [("sysoffx", "cost", env_int("BENCH_SYSOFF_CALLS") * 24),
                         ("sysoffx", "width", env_int("BENCH_SYSOFF_CALLS") * 25)]
            for op, dist, n in need:
                s = w.summary(d, op, dist, r)
                bad = [k for k in SUMMARY_KEYS if s is None or num(s.get(k)) is None]
                check(not bad and num(s.get("n")) == n and len(w.quantiles(d, op, dist, r)) >= 40,
                      "%s: %s %s: n=%d, every statistic and the quantiles numeric" % (where, op, dist, n),
                      "saw %s" % (s if s else "no summary line"))
            g = w.one(driver=d, round=r, op="guestctl")
            check(g is not None and num(g.get("ns_per_call")) is not None and g.get("failed") == "0",
                  "%s: guestctl backdoor floor reported" % where, "saw %s" % g)
            for target in ("phc", "backdoor", "syscall", "spin"):
                for t in THREADS:
                    x = w.one(driver=d, round=r, op="threads", target=target, threads=t)
                    check(x is not None and num(x.get("rate")) is not None and x.get("ok") == "1"
                          and len(x.get("per_thread", "").split(",")) == t,
                          "%s: %d %s thread(s): a rate and %d per-thread counts" % (where, t, target, t),
                          "saw %s" % x)
    check(w.model.get("bql") == "off" and num(w.model.get("calls_without_bql")) not in (None, 0),
          "wall clock: the device model answered without the big lock",
          "saw bql=%s calls_without_bql=%s" % (w.model.get("bql"), w.model.get("calls_without_bql")))


def validate_calls(b):
    co = b.calls["ours"].one(op="calls", driver="ours")
    ans = num(b.calls["ours"].model.get("answered"))
    check(co is not None and ans is not None and num(co.get("counter_total")) == ans
          and b.calls["ours"].model.get("failed") == "0",
          "calls boot (ours): device model answered = driver's successful_reads (%s = %s), none failed"
          % (b.calls["ours"].model.get("answered"), (co or {}).get("counter_total")),
          "model %s, guest %s" % (b.calls["ours"].model, co))
    for name, key in (("intree-gettime", "gettime_reads"), ("intree-sysoff", "sysoff_samples")):
        c = b.calls[name].one(op="calls", driver="intree")
        check(c is not None and num(c.get(key)) and num(b.calls[name].model.get("answered")) is not None
              and b.calls[name].model.get("failed") == "0",
              "calls boot (%s): readings and the device model's count reported, none failed" % name,
              "model %s, guest %s" % (b.calls[name].model, c))


# ---- bench/results: the newest run, and earlier runs as figures ----------

# A dated report: DATE-SERIES.md (make bench) or DATE-SERIES-sync.md (its
# comparison with NTP).
REPORT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+?)(-sync)?\.md$")
TITLE_BENCH = re.compile(r"^# ptp_vmw bench: kernel series (\S+), (\d{4}-\d{2}-\d{2})$")
TITLE_SYNC = re.compile(r"^# ptp_vmw bench: chrony over NTP against the precision clock, "
                        r"kernel series (\S+), (\d{4}-\d{2}-\d{2})$")
# The two sides of each kind's figures: the history table's name for them,
# and the columns of the report's tables they come from.
SIDES = {"full": (("in-tree", "in-tree"), ("ours", "ours")),
         "old-format": (("in-tree", "in-tree"), ("ours", "ours")),
         "sync": (("NTP", "NTP only"), ("clock", "precision clock (package)"))}
# The history table's figures, two columns each: per kind of report, the
# row they are copied from, as the start of its section's bold title and
# the start of its label. "full" is make bench's report since 2026-11-28
# (deterministic instruction counts), "old-format" the one before it (wall
# clock only), "sync" the comparison with NTP.
HISTORY_FIGURES = (
    ("clock_gettime insns", {"full": ("Instructions per reading", "clock_gettime(PHC)")}, ""),
    ("PTP_SYS_OFFSET insns per sample", {"full": ("Instructions per reading", "PTP_SYS_OFFSET, per sample")}, ""),
    ("host − system RMS ns", {"full": ("Sync", "host − system time, exact, 4 per second: RMS"),
                              "old-format": ("Sync", "independent check: host − system time via bare backdoor, RMS")},
     "exact in full reports, estimated in old-format ones"),
    ("tracking.log RMS ns", {"full": ("Sync", "chrony's own view: tracking.log offset, RMS"),
                             "old-format": ("Sync", "tracking.log offset, RMS")}, ""),
    ("lock s", {"full": ("Sync", "time from chronyd start to lock"),
                "old-format": ("Sync", "time from chronyd start to lock")},
     "the lock's criterion is in the row's label: |System time| < 100 µs in old-format reports, "
     "< 1 µs in full ones"),
    ("steady RMS µs", {"sync": ("", "steady window: RMS offset")}, ""),
    ("to 100 µs s", {"sync": ("", "from chronyd's start to |offset| < 100 µs")}, "from chronyd's start"),
    ("1 s pause, back within 100 µs s", {"sync": ("1.0 s pause", "back within 100 µs")}, "from the resume"),
)
PLOT_NAMES = {"det": "deterministic", "wall": "wall clock", "offset": "chrony offset",
              "latency": "read latency", "": "plot"}


def md_rows(text):
    """Every row of TEXT's Markdown tables: (section, label, {column: cell}),
    the columns named by the table's header row, the section the bold title
    of the last row above that starts with one."""
    rows = []
    header = None
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if len(line) < 2 or not (line.startswith("|") and line.endswith("|")):
            header = None
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line[1:-1])]
        if header is None:
            header, section = cells, ""
            continue
        if all(re.match(r"^:?-+:?$", c) for c in cells):
            continue
        m = re.match(r"^\*\*(.+?)\*\*", cells[0])
        if m:
            section = m.group(1)
        rows.append((section, cells[0], dict(zip(header[1:], cells[1:]))))
    return rows


def figure(cell):
    """A table cell as a figure: its leading number ("596 (596.8)": 596), "> N"
    for "not within N s", else "—"."""
    cell = (cell or "").strip()
    m = re.match(r"^[+−-]?[0-9][0-9,]*(\.[0-9]+)?", cell)
    if m:
        return m.group(0)
    m = re.match(r"^not within ([0-9][0-9,.]*) s$", cell)
    if m:
        return "> " + m.group(1)
    return "n/a" if cell.startswith("n/a") else "—"


def version_key(series):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in series.split(".")]


class Report:
    """One dated report in the results directory. kind is None when it is
    not one this step knows (it is then left alone)."""

    def __init__(self, directory, name):
        m = REPORT_NAME.match(name)
        self.name, self.path = name, os.path.join(directory, name)
        self.date, self.series = m.group(1), m.group(2)
        self.base = name[:-len(".md")]
        with open(self.path, errors="replace") as f:
            self.text = f.read()
        first = (self.text.splitlines() or [""])[0]
        t = (TITLE_SYNC if m.group(3) else TITLE_BENCH).match(first)
        self.kind = None
        if t and t.groups() == (self.series, self.date):
            if m.group(3):
                self.kind = "sync"
            else:
                self.kind = "full" if "\n## Deterministic" in self.text else "old-format"
        # Which run it belongs to: the newest of each stays.
        self.run = "sync" if self.kind == "sync" else "bench"
        self.key = (self.date, self.series, self.kind)
        # Its own plots: the images it shows, named after it, in its directory.
        self.plots = [p for p in re.findall(r"!\[[^\]]*\]\(([^)/]+\.png)\)", self.text)
                      if p.startswith(self.base)]
        self.rows = md_rows(self.text)

    def commit(self):
        """The source it names (run.sh's BENCH_SOURCE), or "—"."""
        for _, label, cells in self.rows:
            if label in ("source", "commit") and cells:
                return next(iter(cells.values())).strip("?") or "—"
        return "—"

    def figures(self):
        """The history row's figures, two per HISTORY_FIGURES entry."""
        out = []
        for _, where, _ in HISTORY_FIGURES:
            if self.kind not in where:
                out += ["—", "—"]
                continue
            section, label = where[self.kind]
            found = [c for s, lab, c in self.rows if s.startswith(section) and lab.startswith(label)]
            out += [figure(found[0].get(col)) if found else "—" for _, col in SIDES[self.kind]]
        return out

    def history_line(self):
        return "| %s |" % " | ".join([self.date, self.series, self.kind, self.commit()] + self.figures())


def history_header():
    cols = ["date", "series", "kind", "commit"]
    for name, where, _ in HISTORY_FIGURES:
        kind = next(iter(where))
        cols += ["%s: %s" % (name, side) for side, _ in SIDES[kind]]
    return ["| %s |" % " | ".join(cols), "|---|---|---|---|" + "---:|" * (len(cols) - 4)]


def history_rows(path):
    """The rows of an existing history.md, as they are: {(date, series, kind): line}."""
    rows = {}
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return rows
    for line in text.splitlines():
        if re.match(r"^\| \d{4}-\d{2}-\d{2} \|", line):
            cells = [c.strip() for c in line.strip()[1:-1].split("|")]
            rows[tuple(cells[:3])] = line
    return rows


def write_history(path, rows):
    L = ["# Earlier `make bench` runs", ""]
    L.append("The headline figures of each earlier report in bench/results, one row per report: when a "
             "newer run of the same kind came, `tests/bench/report.py --latest` copied them here from "
             "the report's own tables and deleted the report and its plots ([latest.md](latest.md) points "
             "at the newest). Kinds: full (`make bench`: deterministic instruction counts, wall clock, "
             "chrony), old-format (its first format: wall clock and chrony only), sync (the comparison "
             "of chrony over NTP with the precision clock). A figure is the leading number of its cell: "
             "a median, or the value pooled over the rounds; \"> N\": not reached in the N s watched; "
             "\"—\": that kind of report has no such row. Commit: the source the report names, if any.")
    L.append("")
    L += history_header()
    # The newest first; in a date, by series and kind.
    keys = sorted(rows, key=lambda k: (version_key(k[1]), k[2]))
    L += [rows[k] for k in sorted(keys, key=lambda k: k[0], reverse=True)]
    L.append("")
    L.append("Where each figure comes from (the row of the report's table whose section and label "
             "start so):")
    L.append("")
    for name, where, note in HISTORY_FIGURES:
        L.append("- %s: %s%s" % (name, "; ".join(
            "%s: \"%s\" › \"%s\"" % (k, s, lab) if s else "%s: \"%s\"" % (k, lab)
            for k, (s, lab) in where.items()), " (%s)" % note if note else ""))
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def history_step(directory, date):
    """Every dated report of DIRECTORY older than the newest of its kind
    (make bench's, or the comparison with NTP's) and not of DATE becomes a
    row of history.md, unless a row of its date, series and kind is there
    already; then it and its plots are deleted. Returns the reports that
    stay."""
    reports = [Report(directory, n) for n in sorted(os.listdir(directory)) if REPORT_NAME.match(n)]
    for r in reports:
        if r.kind is None:
            print("NOTE %s: not a report the history step knows; left alone" % r.name)
    reports = [r for r in reports if r.kind]
    newest = {}
    for r in reports:
        newest[r.run] = max(newest.get(r.run, ""), r.date)
    old = [r for r in reports if r.date < newest[r.run] and r.date != date]
    path = os.path.join(directory, "history.md")
    rows = history_rows(path)
    for r in old:
        if r.key in rows:
            print("NOTE %s: history.md has its row already" % r.name)
        rows.setdefault(r.key, r.history_line())
    if old:
        write_history(path, rows)
    for r in old:
        for name in [r.name] + r.plots:
            if os.path.exists(os.path.join(directory, name)):
                os.remove(os.path.join(directory, name))
        print("NOTE %s: now a row of history.md; deleted with %d plot(s)" % (r.name, len(r.plots)))
    return [r for r in reports if r not in old]


def write_latest(directory, reports):
    """latest.md: the newest make bench run's reports and the newest
    comparison with NTP, their plots, and history.md."""
    def newest(run):
        mine = [r for r in reports if r.run == run]
        last = max((r.date for r in mine), default=None)
        return sorted((r for r in mine if r.date == last), key=lambda r: version_key(r.series))

    def plots(r):
        names = [p for p in r.plots if os.path.exists(os.path.join(directory, p))]
        what = [p[len(r.base):-len(".png")].lstrip("-") for p in names]
        return " (%s)" % ", ".join("[%s](%s)" % (PLOT_NAMES.get(w, w), p)
                                   for w, p in zip(what, names)) if names else ""

    bench, sync = newest("bench"), newest("sync")
    L = ["# Latest `make bench` run: %s" % ((bench or sync)[0].date if bench or sync else "none"), ""]
    for r in bench:
        L.append("- kernel series %s: [%s](%s)%s" % (r.series, r.name, r.name, plots(r)))
    for r in sync:
        L.append("- the comparison with NTP, kernel series %s, %s: [%s](%s)%s"
                 % (r.series, r.date, r.name, r.name, plots(r)))
    if os.path.exists(os.path.join(directory, "history.md")):
        L += ["", "Earlier runs, as figures: [history.md](history.md)."]
    with open(os.path.join(directory, "latest.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# --selftest-history: what the expected figures are read with, apart from
# md_rows and figure(): per kind, for each history figure, a regular
# expression for the start of its row in the report's Markdown (and, for a
# row under a section, the section's start before it).
SELFTEST_ROWS = {
    "full": {"clock_gettime insns": r"clock_gettime\(PHC\) from user space",
             "PTP_SYS_OFFSET insns per sample": r"PTP_SYS_OFFSET, per sample \(kernel",
             "host − system RMS ns": r"host − system time, exact, 4 per second: RMS",
             "tracking.log RMS ns": r"chrony's own view: tracking\.log offset, RMS",
             "lock s": r"time from chronyd start to lock"},
    "old-format": {"host − system RMS ns": r"independent check: host − system time via bare backdoor, RMS",
                   "tracking.log RMS ns": r"tracking\.log offset, RMS",
                   "lock s": r"time from chronyd start to lock"},
    "sync": {"steady RMS µs": r"steady window: RMS offset",
             "to 100 µs s": r"from chronyd's start to \\\|offset\\\| < 100 µs",
             "1 s pause, back within 100 µs s": (r"\*\*1\.0 s pause\*\*", r"back within 100 µs")},
}


def selftest_expect(text, kind):
    """{history column: figure} of one report, read with SELFTEST_ROWS;
    the figures whose row is missing are left out."""
    out = {}
    sides = [s for s, _ in SIDES[kind]]
    for name, row in SELFTEST_ROWS[kind].items():
        start = 0
        if isinstance(row, tuple):
            m = re.search(r"(?m)^\| " + row[0], text)
            if not m:
                continue
            start, row = m.end(), row[1]
        m = re.compile(r"(?m)^\| " + row + r"(?:[^|\\]|\\.)*\|([^|]*)\|([^|]*)\|").search(text, start)
        if not m:
            continue
        for side, cell in zip(sides, m.groups()):
            n = re.match(r"\s*([+-]?\d[\d,]*(?:\.\d+)?)", cell) or re.match(r"\s*not within ([\d,]+) s", cell)
            out["%s: %s" % (name, side)] = ("> " if cell.strip().startswith("not") else "") + n.group(1) \
                if n else "?"
    return out


def shift_digits(text):
    """TEXT with every digit in the value cells of its wider tables moved
    on by one (9 to 0), and a made-up source: an earlier run's report, with
    figures of its own."""
    text = re.sub(r"(?m)^\| source \|.*\n", "", text)
    text = text.replace("|---|---|\n", "|---|---|\n| source | 0123abc-selftest |\n", 1)
    out = []
    for line in text.splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        if line.startswith("|") and len(cells) >= 6:
            line = "|".join(cells[:2] + [re.sub(r"\d", lambda d: str((int(d.group()) + 1) % 10), c)
                                         for c in cells[2:]])
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def selftest_history(src, work):
    """The history step, on copies of SRC's reports in WORK: with a made-up
    earlier copy of its newest make bench run, dated before everything, and
    of its newest comparison with NTP, dated the day before that one (after
    the make bench run when it can: the newest of each kind stays, not
    whatever is newer than the run). Runs report.py --latest as run.sh does,
    dated as the newest make bench run; then again, with one archived report
    back."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for n in os.listdir(src):
        if n.endswith((".md", ".png")):
            shutil.copy(os.path.join(src, n), work)
    names = sorted(n for n in os.listdir(work) if REPORT_NAME.match(n))
    sync_of = {n: n.endswith("-sync.md") for n in names}
    bench_dates = sorted({n[:10] for n in names if not sync_of[n]})
    sync_dates = sorted({n[:10] for n in names if sync_of[n]})
    check(bool(bench_dates and sync_dates), "history self-test: the results have a make bench report and a "
          "comparison with NTP", "reports in %s: %s" % (src, " ".join(names)))
    if not (bench_dates and sync_dates):
        return
    # The rows of an earlier history.md, as its lines: {(date, series, kind): line}.
    prior = {}
    if os.path.exists(os.path.join(work, "history.md")):
        with open(os.path.join(work, "history.md")) as fh:
            prior = {tuple(c.strip() for c in x.split("|")[1:4]): x
                     for x in fh.read().splitlines() if re.match(r"\| 20\d\d-", x)}
    day = datetime.timedelta(days=1)
    first = min([n[:10] for n in names] + [k[0] for k in prior])
    early = (datetime.date.fromisoformat(first) - day).isoformat()
    sync_early = (datetime.date.fromisoformat(sync_dates[-1]) - day).isoformat()
    if sync_early <= bench_dates[-1] or sync_early in sync_dates + [k[0] for k in prior]:
        sync_early = early

    def plots_of(n):
        """A report's plots, by name alone: DATE-SERIES-*.png or DATE-SERIES-sync.png."""
        base = n[:-3]
        if sync_of[n]:
            return [base + ".png"] if os.path.exists(os.path.join(work, base + ".png")) else []
        return [p for p in os.listdir(work) if p.startswith(base + "-") and p.endswith(".png")
                and not p.endswith("-sync.png")]

    made = []
    for n in names:
        if n[:10] not in (bench_dates[-1], sync_dates[-1]) or sync_of[n] != (n[:10] == sync_dates[-1]):
            continue
        to = sync_early if sync_of[n] else early
        for f in [n] + plots_of(n):
            with open(os.path.join(work, f), "rb") as fh:
                data = fh.read()
            if f.endswith(".md"):
                data = shift_digits(data.decode().replace(n[:10], to)).encode()
            with open(os.path.join(work, to + f[10:]), "wb") as fh:
                fh.write(data)
        made.append(to + n[10:])
        sync_of[to + n[10:]] = sync_of[n]
    names += made
    kept = [n for n in names if n[:10] == (sync_dates[-1] if sync_of[n] else bench_dates[-1])]
    gone = [n for n in names if n not in kept]
    files_of = {n: [n] + plots_of(n) for n in names}
    gone_files = [f for n in gone for f in files_of[n]]
    kept_files = {f: os.path.getsize(os.path.join(work, f)) for n in kept for f in files_of[n]}
    expect = {}
    for n in gone:
        with open(os.path.join(work, n)) as fh:
            text = fh.read()
        kind = "sync" if sync_of[n] else "full" if "\n## Deterministic" in text else "old-format"
        key = (n[:10], n[11:-3].removesuffix("-sync"), kind)
        expect[key] = selftest_expect(text, kind)
        m = re.search(r"(?m)^\| source \| ([^|?]+?) \|", text)
        expect[key]["commit"] = m.group(1) if m else "—"

    def run(which):
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--latest", work, "--date", bench_dates[-1]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check(p.returncode == 0, "history self-test: report.py --latest exits 0 (%s run)" % which,
              p.stdout.strip()[-400:])
        try:
            with open(os.path.join(work, "history.md")) as fh:
                return fh.read()
        except OSError:
            return ""

    saved = {}
    for f in gone_files:
        with open(os.path.join(work, f), "rb") as fh:
            saved[f] = fh.read()
    text = run("first")
    lines = [x for x in text.splitlines() if x.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")] if lines else []
    rows = [[c.strip() for c in x.strip("|").split("|")] for x in lines[1:]]
    keys = [tuple(r[:3]) for r in rows]
    want = sorted(set(expect) | set(prior))
    check(sorted(keys) == want,
          "history self-test: history.md has one row per earlier report (%d archived now, %d from before)"
          % (len(gone), len(prior)), "rows %s, expected %s" % (sorted(keys), want))
    for key, figs in sorted(expect.items()):
        row = dict(zip(header, next((r for r in rows if tuple(r[:3]) == key), [])))
        need = len(SELFTEST_ROWS[key[2]]) * 2
        bad = ["%s: %s in the report, %s in history.md" % (c, v, row.get(c)) for c, v in figs.items()
               if row.get(c) != v]
        bad += ["%s: its row not found in the report" % c for c in header[4:]
                if c.split(": ")[0] in SELFTEST_ROWS[key[2]] and c not in figs]
        bad += ["%s: %s where the report has no such row" % (c, row.get(c)) for c in header[4:]
                if c.split(": ")[0] not in SELFTEST_ROWS[key[2]] and row.get(c) != "—"]
        check(row and not bad and len(figs) == need + 1 and all(v != "?" for v in figs.values()),
              "history self-test: %s %s %s: its source and the %d figures of its tables, \"—\" for the rest"
              % (key + (need,)), "; ".join(bad[:4]) or "row %s, figures %s" % (row, figs))
    left = [f for f in gone_files if os.path.exists(os.path.join(work, f))]
    check(not left and len(gone_files) > len(gone),
          "history self-test: the %d archived reports and their plots are gone (%d files)"
          % (len(gone), len(gone_files)), "still there: %s" % " ".join(left))
    lost = [f for f, size in kept_files.items()
            if not os.path.exists(os.path.join(work, f)) or os.path.getsize(os.path.join(work, f)) != size]
    check(not lost and any(sync_of[n] for n in kept) and any(not sync_of[n] for n in kept),
          "history self-test: the newest make bench run (%s) and comparison with NTP (%s) stay, %d files"
          % (bench_dates[-1], sync_dates[-1], len(kept_files)), "lost or changed: %s" % " ".join(lost))
    with open(os.path.join(work, "latest.md")) as fh:
        links = re.findall(r"\]\(([^)]+)\)", fh.read())
    want = sorted(kept + ["history.md"] + [f for f in kept_files if f.endswith(".png")])
    check(sorted(links) == want and all(os.path.exists(os.path.join(work, x)) for x in links),
          "history self-test: latest.md links the newest reports, their plots and history.md, all there",
          "links %s, expected %s" % (sorted(links), want))
    old_rows = [line for line in prior.values() if line not in text.splitlines()]
    check(not old_rows, "history self-test: history.md's %d earlier rows kept as they were" % len(prior),
          "changed or lost: %s" % old_rows[:2])
    # Again, with one archived report back as if a run had written it anew:
    # its row is there already, and it goes again.
    before = sorted(os.listdir(work))
    for f in files_of[gone[0]]:
        with open(os.path.join(work, f), "wb") as fh:
            fh.write(saved[f])
    again = run("second")
    check(again == text and sorted(os.listdir(work)) == before,
          "history self-test: run again with %s back: no row added, it goes again, nothing else" % gone[0],
          "history.md %s, files %s" % ("unchanged" if again == text else "changed",
                                      sorted(set(before) ^ set(os.listdir(work)))))


def run_args(ap):
    """The options that name one series' run and its output (sync.py's too)."""
    ap.add_argument("--series")
    ap.add_argument("--kernel", default="?")
    ap.add_argument("--date")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--machine", default="?")
    ap.add_argument("--runs")
    ap.add_argument("--out")
    return ap


def main():
    ap = run_args(argparse.ArgumentParser())
    ap.add_argument("--qemu", default="?")
    ap.add_argument("--latest")
    ap.add_argument("--selftest-history")
    args = ap.parse_args()

    if args.latest:
        write_latest(args.latest, history_step(args.latest, args.date))
        return 0
    if args.selftest_history:
        selftest_history(args.selftest_history, args.out)
        return 0 if all(checks) else 1

    b = Bench(args.runs)
    missing = [n for n in ("BENCH_N", "BENCH_SYSOFF_CALLS", "BENCH_ROUNDS", "BENCH_THREADS_MS",
                           "BENCH_CHRONY_ROUNDS", "BENCH_WINDOW", "BENCH_CALLS_N", "BENCH_CALLS_SYSOFF", "BENCH_LOCK_NS")
               if env_int(n) <= 0]
    check(not missing, "the counts the guest was asked for are known (BENCH_* set)",
          "unset or zero: %s" % " ".join(missing))
    validate_det(b)
    rep = repeat_check(b)
    check(b.repeat.present and rep["cost"] > 0 and not rep["cost_diff"],
          "deterministic boot repeated: all %d instruction figures (n, median) of a second boot identical"
          % rep["cost"], "differ: %s" % ", ".join("/".join(map(str, k)) for k in rep["cost_diff"][:5]))
    print("NOTE repeat: %d of %d data lines identical, chrony figures within %.3f %%%s"
          % (rep["same"], max(rep["lines"], rep["lines_repeat"]), 100 * rep["chrony_spread"],
             "; first difference: %s" % (rep["first"],) if rep["first"] else ""))
    if b.has_wall:
        validate_wall(b)
    validate_calls(b)
    det_rows, det_fig = det_table(b)
    wall_rows, wall_fig = wall_table(b) if b.has_wall else ([], {})
    targets = targets_of(b, det_fig, wall_fig, rep)
    made = plots(b, args, os.path.join(os.path.dirname(args.runs.rstrip("/")), "plotdata-" + args.series),
                 det_fig)
    write_markdown(b, args, det_rows, wall_rows, targets, rep, made)
    md = args.out + ".md"
    check(os.path.getsize(md) > 500 and "| metric | in-tree | ours | ours − in-tree |" in open(md).read(),
          "table written (%s)" % md, "missing or empty")
    for suffix in ("-det.png",) + (("-wall.png",) if b.has_wall else ()):
        p = args.out + suffix
        ok = os.path.exists(p) and os.path.getsize(p) > 2000 and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        check(ok, "plot written (%s)" % p, "missing, small or not a PNG")
    for name, value, met in targets:
        print("TARGET %s: %s: %s" % ("met" if met else "missed", name, value))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
