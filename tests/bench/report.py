#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""make bench: turn what the bench boots said into a Markdown table and PNG plots.

    report.py --series S --kernel K --date D --mode full|smoke --qemu Q --machine M
              --runs RUNS_DIR --out OUT_BASE
        reads RUNS_DIR/bench-main/results.txt and RUNS_DIR/bench-calls-*/
        (results.txt, model-stats.txt), writes OUT_BASE.md, OUT_BASE-offset.png
        and OUT_BASE-latency.png, and prints one PASS/FAIL line per check that
        every metric is present and well-formed (never a timing threshold).
    report.py --latest RESULTS_DIR --date D --series-list "6.1 6.12"
        writes RESULTS_DIR/latest.md pointing at that run's files.

The counts the guest was asked for come from the BENCH_* environment
variables that tests/bench/run.sh exports. Standard library only; the plots
are drawn by gnuplot (Debian's gnuplot-nox).
"""
import argparse
import datetime
import math
import os
import re
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
        try:
            with open(os.path.join(path, "results.txt"), errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        text = re.sub(r"(?ms)^DMESG-BEGIN$.*?^DMESG-END$", "", text)
        for line in text.splitlines():
            # The guest's data lines (tests/guest/lib.sh: DATA kind payload).
            if line.startswith("DATA bench "):
                self.lines.append(kv(line.split()[2:]))
            elif line.startswith("DATA chrony "):
                parts = line.split()[1:]
                meta = kv(parts[1:4])
                meta["raw"] = parts[4:]
                self.chrony.append(meta)
        self.model = {}
        try:
            with open(os.path.join(path, "model-stats.txt")) as f:
                for line in f:
                    if "=" in line:
                        k, v = line.strip().split("=", 1)
                        self.model[k] = v
        except OSError:
            pass

    def find(self, **want):
        return [d for d in self.lines if all(d.get(k) == str(v) for k, v in want.items())]

    def one(self, **want):
        found = self.find(**want)
        return found[-1] if found else None


def num(v):
    if v is None or not NUM.match(str(v)):
        return None
    return float(v)


def fmt(v, digits=0):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rms(vals):
    return math.sqrt(sum(v * v for v in vals) / len(vals)) if vals else None


class Bench:
    def __init__(self, runs_dir):
        self.main = Run(os.path.join(runs_dir, "bench-main"))
        self.calls = {n: Run(os.path.join(runs_dir, "bench-calls-" + n))
                      for n in ("ours", "intree-gettime", "intree-sysoff")}
        self.rounds = env_int("BENCH_ROUNDS")
        self.chrony_rounds = env_int("BENCH_CHRONY_ROUNDS")

    # A distribution's statistic for one driver and round.
    def stat(self, driver, rnd, op, dist, key):
        d = self.summary(driver, rnd, op, dist)
        return num(d.get(key)) if d else None

    def summary(self, driver, rnd, op, dist):
        for d in self.main.find(driver=driver, round=rnd, op=op, dist=dist):
            if "quantiles" not in d:
                return d
        return None

    def quantiles(self, driver, rnd, op, dist):
        for d in self.main.find(driver=driver, round=rnd, op=op, dist=dist):
            if "quantiles" in d:
                pts = []
                for p in d["quantiles"].split(","):
                    if ":" in p:
                        a, b = p.split(":", 1)
                        if num(a) is not None and num(b) is not None:
                            pts.append((float(a), float(b)))
                return pts
        return []

    def per_round(self, fn):
        """{driver: [value per round]} and the per-round ratios ours/in-tree."""
        vals = {d: [fn(d, r) for r in range(1, self.rounds + 1)] for d in DRIVERS}
        ratios = [ratio(o, i) for o, i in zip(vals["ours"], vals["intree"])]
        return vals, [r for r in ratios if r is not None]

    def chrony_series(self, driver, rnd, log):
        return [c["raw"] for c in self.main.chrony
                if c.get("driver") == driver and c.get("round") == str(rnd) and c.get("log") == log]


def tracking_offsets(rows):
    """(seconds since the first line, offset ns) from tracking.log lines."""
    out = []
    t0 = None
    for raw in rows:
        if len(raw) < 7:
            continue
        try:
            t = datetime.datetime.strptime(raw[0] + " " + raw[1], "%Y-%m-%d %H:%M:%S").timestamp()
            off = float(raw[6]) * 1e9
        except ValueError:
            continue
        t0 = t if t0 is None else t0
        out.append((t - t0, off))
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


def table(b, args):
    rows = []
    targets = []

    def row(metric, intree, ours, r="", note=""):
        rows.append((metric, intree, ours, r, note))

    def ratio_cell(ratios):
        if not ratios:
            return "—"
        m = statistics.median(ratios)
        if len(ratios) > 1:
            return "%.2f (%s)" % (m, ", ".join("%.2f" % x for x in ratios))
        return "%.2f" % m

    # 1. Hypercalls per reading.
    co = b.calls["ours"].one(op="calls", driver="ours") or {}
    cg = b.calls["intree-gettime"].one(op="calls", driver="intree") or {}
    cs = b.calls["intree-sysoff"].one(op="calls", driver="intree") or {}
    ans_o = num(b.calls["ours"].model.get("answered"))
    ans_g = num(b.calls["intree-gettime"].model.get("answered"))
    ans_s = num(b.calls["intree-sysoff"].model.get("answered"))
    hc = {}

    def per(calls, readings):
        c, r = num(calls), num(readings)
        if c is None or r is None or r == 0:
            return None, "—"
        return c / r, "%.4f (%d / %d)" % (c / r, c, r)

    hc["gettime", "intree"] = per(ans_g, cg.get("gettime_reads"))
    hc["gettime", "ours"] = per(co.get("gettime_calls"), co.get("gettime_reads"))
    hc["sysoff", "intree"] = per(ans_s, cs.get("sysoff_samples"))
    hc["sysoff", "ours"] = per(co.get("sysoff_calls"), co.get("sysoff_samples"))
    hc["sysoffx", "ours"] = per(co.get("sysoffx_calls"), co.get("sysoffx_samples"))
    ix = b.main.one(driver="intree", round=1, op="sysoffx")
    no_x = "n/a (%s)" % ix.get("err") if ix and ix.get("ok") == "0" else "—"
    rows.append(("**Hypercalls per reading** (device model's count ÷ readings)", "", "", "", ""))
    row("clock_gettime(PHC)", hc["gettime", "intree"][1], hc["gettime", "ours"][1])
    row("PTP_SYS_OFFSET, 25 samples: per sample", hc["sysoff", "intree"][1], hc["sysoff", "ours"][1])
    row("PTP_SYS_OFFSET_EXTENDED, 25 samples: per sample", no_x, hc["sysoffx", "ours"][1])
    ours_hc = [hc[k, "ours"][0] for k in ("gettime", "sysoff", "sysoffx")]
    targets.append(("hypercalls per reading exactly 1.00 (ours; every operation)",
                    ", ".join(fmt(v, 4) for v in ours_hc),
                    all(v == 1.0 for v in ours_hc)))

    # 2. Read cost.
    rows.append(("**Read cost**, ns (median over rounds; ratio per round, ours ÷ in-tree)", "", "", "", ""))
    cost = {}
    for label, op, key in (("clock_gettime(PHC), median", "gettime", "p50"),
                           ("clock_gettime(PHC), p99", "gettime", "p99"),
                           ("PTP_SYS_OFFSET, per sample, median", "sysoff", "p50"),
                           ("PTP_SYS_OFFSET, per sample, p99", "sysoff", "p99"),
                           ("PTP_SYS_OFFSET_EXTENDED, per sample, median", "sysoffx", "p50"),
                           ("PTP_SYS_OFFSET_EXTENDED, per sample, p99", "sysoffx", "p99")):
        vals, ratios = b.per_round(lambda d, r: b.stat(d, r, op, "cost", key))
        cost[op, key] = (vals, ratios)
        intree = median(vals["intree"]) if op != "sysoffx" else no_x
        row(label, fmt(intree) if not isinstance(intree, str) else intree,
            fmt(median(vals["ours"])), ratio_cell(ratios) if op != "sysoffx" else "")
    vals, _ = b.per_round(lambda d, r: b.stat(d, r, "timer", "cost", "p50"))
    row("(context) clock_gettime(CLOCK_MONOTONIC) alone, median: included once in each clock_gettime(PHC) timing",
        fmt(median(vals["intree"])), fmt(median(vals["ours"])))
    r_get = cost["gettime", "p50"][1]
    r_so = cost["sysoff", "p50"][1]
    targets.append(("read cost ratio ≤ 1.00 (clock_gettime median; PTP_SYS_OFFSET per-sample median)",
                    "%s; %s" % (fmt(median(r_get), 2), fmt(median(r_so), 2)),
                    bool(r_get) and bool(r_so) and median(r_get) <= 1.0 and median(r_so) <= 1.0))

    # 3. Offset uncertainty.
    rows.append(("**Offset uncertainty**: system-time bracket around one PHC sample, ns", "", "", "", ""))
    best = {}
    for key in ("p50", "p99"):
        vals, ratios = b.per_round(lambda d, r: b.stat(d, r, "sysoff" if d == "intree" else "sysoffx",
                                                       "width", key))
        best[key] = (vals, ratios)
        row("each driver's best: in-tree PTP_SYS_OFFSET, ours PTP_SYS_OFFSET_EXTENDED, %s"
            % ("median" if key == "p50" else key),
            fmt(median(vals["intree"])), fmt(median(vals["ours"])), ratio_cell(ratios))
    vals, ratios = b.per_round(lambda d, r: b.stat(d, r, "sysoff", "width", "p50"))
    row("both with PTP_SYS_OFFSET, median", fmt(median(vals["intree"])), fmt(median(vals["ours"])),
        ratio_cell(ratios))
    floor, _ = b.per_round(lambda d, r: num((b.main.one(driver=d, round=r, op="guestctl") or {})
                                            .get("ns_per_call")))
    row("floor: one bare backdoor call from user space (guestctl backdoor, ns per call), measured next to each driver",
        fmt(median(floor["intree"])), fmt(median(floor["ours"])))
    ub, _ = b.per_round(lambda d, r: b.stat(d, r, "backdoor", "width", "p50"))
    row("(context) user-space CLOCK_REALTIME bracket around one bare call, median",
        fmt(median(ub["intree"])), fmt(median(ub["ours"])))
    ours_vs_floor = [ratio(o, f) for o, f in zip(best["p50"][0]["ours"], floor["ours"])]
    ours_vs_floor = [x for x in ours_vs_floor if x is not None]
    intree_vs_floor = [ratio(o, f) for o, f in zip(best["p50"][0]["intree"], floor["intree"])]
    intree_vs_floor = [x for x in intree_vs_floor if x is not None]
    row("bracket median ÷ bare call (same slot)", fmt(median(intree_vs_floor), 2),
        fmt(median(ours_vs_floor), 2))
    targets.append(("our bracket ≤ 1.2 × the bare backdoor call",
                    "%s ×" % fmt(median(ours_vs_floor), 2),
                    bool(ours_vs_floor) and median(ours_vs_floor) <= 1.2))
    br = best["p50"][1]
    targets.append(("our bracket narrower than the in-tree one (median)",
                    "ratio %s" % fmt(median(br), 2), bool(br) and median(br) < 1.0))

    # 4. Sync accuracy.
    rows.append(("**Sync accuracy**: chrony, `refclock PHC` (dist/chrony/ptp_vmw.conf), %d s window after lock; median over %d round(s)"
                 % (env_int("BENCH_WINDOW"), b.chrony_rounds), "", "", "", ""))
    sync = {}
    for d in DRIVERS:
        per = []
        for r in range(1, b.chrony_rounds + 1):
            lock = b.main.one(driver=d, round=r, op="chrony")
            trt = tracking_offsets(b.chrony_series(d, r, "tracking"))
            tr = [o for _, o in trt]
            steady = [o for t, o in trt if t >= STEADY_S]
            rc = refclock_offsets(b.chrony_series(d, r, "refclocks"))
            truth = b.main.one(driver=d, round=r, op="truth")
            truth_steady = [num(x.get("offset_ns")) for x in b.main.find(driver=d, round=r, op="truthsample")
                            if num(x.get("t_ms")) is not None and num(x.get("t_ms")) >= STEADY_S * 1000
                            and num(x.get("offset_ns")) is not None]
            per.append({
                "steady_rms": rms(steady), "steady_max": max((abs(o) for o in steady), default=None),
                "truth_steady_rms": rms(truth_steady),
                "lock": num(lock.get("lock_ms")) / 1000 if lock and num(lock.get("lock_ms")) is not None else None,
                "rms": rms(tr), "max": max((abs(o) for o in tr), default=None),
                "rc_rms": rms(rc),
                "truth_rms": num(truth.get("rms_ns")) if truth else None,
                "truth_max": num(truth.get("max_abs_ns")) if truth else None,
            })
        sync[d] = per

    def sync_row(label, key, digits=0):
        med = {d: median([p[key] for p in sync[d]]) for d in DRIVERS}
        ratios = [ratio(o[key], i[key]) for o, i in zip(sync["ours"], sync["intree"])]
        ratios = [x for x in ratios if x is not None]
        row(label, fmt(med["intree"], digits), fmt(med["ours"], digits), ratio_cell(ratios))
        return med, ratios

    sync_row("time from chronyd start to lock (VMW selected, |System time| < %d µs), s"
             % (env_int("BENCH_LOCK_NS") // 1000), "lock", 1)
    med_rms, rms_ratios = sync_row("tracking.log offset, RMS, ns", "rms")
    sync_row("tracking.log offset, max |offset|, ns", "max")
    sync_row("refclocks.log cooked offset (each PHC sample), RMS, ns", "rc_rms")
    sync_row("independent check: host − system time via bare backdoor, RMS, ns", "truth_rms")
    sync_row("independent check: host − system time, max |offset|, ns", "truth_max")
    if env_int("BENCH_WINDOW") > STEADY_S:
        med_steady, _ = sync_row("(steady state, from %d s after lock) tracking.log offset, RMS, ns"
                                 % STEADY_S, "steady_rms")
        sync_row("(steady state) tracking.log offset, max |offset|, ns", "steady_max")
        sync_row("(steady state) independent check: host − system time, RMS, ns", "truth_steady_rms")
    targets.append(("chrony RMS offset ours ≤ in-tree (tracking.log)",
                    "%s vs %s ns" % (fmt(med_rms["ours"]), fmt(med_rms["intree"])),
                    med_rms["ours"] is not None and med_rms["intree"] is not None
                    and med_rms["ours"] <= med_rms["intree"]))
    if env_int("BENCH_WINDOW") > STEADY_S:
        targets.append(("(the same, steady state from %d s after lock)" % STEADY_S,
                        "%s vs %s ns" % (fmt(med_steady["ours"]), fmt(med_steady["intree"])),
                        med_steady["ours"] is not None and med_steady["intree"] is not None
                        and med_steady["ours"] <= med_steady["intree"]))

    # 5. Concurrency.
    rows.append(("**Concurrency**: aggregate readings per second, -smp 2 (threads pinned round-robin)", "", "", "", ""))
    rates = {}
    for target in ("phc", "backdoor", "syscall", "spin"):
        for t in (1, 2, 4):
            vals, ratios = b.per_round(
                lambda d, r: num((b.main.one(driver=d, round=r, op="threads", target=target,
                                             threads=t) or {}).get("rate")))
            rates[target, t] = vals
            label = {"phc": "clock_gettime(PHC), %d reader%s",
                     "backdoor": "(context) bare backdoor calls, no driver, %d thread%s",
                     "syscall": "(context) no VM exit: getppid() system calls, %d thread%s",
                     "spin": "(context) no VM exit, no kernel: arithmetic loop iterations, %d thread%s"
                     }[target] % (t, "s" if t > 1 else "")
            row(label, fmt(median(vals["intree"])), fmt(median(vals["ours"])),
                ratio_cell(ratios) if target == "phc" else "")
    scale = {}
    for target in ("phc", "backdoor", "syscall", "spin"):
        for t in (2, 4):
            s = {d: median([ratio(a, b1) for a, b1 in zip(rates[target, t][d], rates[target, 1][d])])
                 for d in DRIVERS}
            scale[target, t] = s
            row("%s: %d ÷ 1 %s" % ({"phc": "scaling", "backdoor": "(context) bare-call scaling",
                                    "syscall": "(context) getppid() scaling",
                                    "spin": "(context) arithmetic-loop scaling"}[target], t,
                                   "readers" if target == "phc" else "threads"),
                fmt(s["intree"], 2), fmt(s["ours"], 2))
    s2 = scale["phc", 2]["ours"]
    targets.append(("2 readers on 2 vCPUs ≥ 1.8 × one reader (ours)",
                    "%s × (in-tree %s ×; bare backdoor %s ×; getppid %s ×; arithmetic %s ×)"
                    % (fmt(s2, 2), fmt(scale["phc", 2]["intree"], 2), fmt(scale["backdoor", 2]["ours"], 2),
                       fmt(scale["syscall", 2]["ours"], 2), fmt(scale["spin", 2]["ours"], 2)),
                    s2 is not None and s2 >= 1.8))
    return rows, targets


def write_markdown(b, args, rows, targets, plots):
    info = b.main.one(op="info") or {}
    lines = []
    lines.append("# ptp_vmw bench: kernel series %s, %s" % (args.series, args.date))
    lines.append("")
    lines.append("| | |")
    lines.append("|---|---|")
    lines.append("| date (UTC) | %s |" % args.date)
    lines.append("| machine | %s |" % args.machine)
    lines.append("| guest kernel | %s (Debian), guest clocksource %s, %s vCPUs under TCG |"
                 % (args.kernel, info.get("clocksource", "?"), info.get("cpus", "?")))
    lines.append("| QEMU build | %s, with tests/emulator/vmport-pclk.patch |" % args.qemu)
    lines.append("| mode | %s: %d rounds of %d readings (clock_gettime, bare calls) and %d × 25 samples "
                 "(PTP_SYS_OFFSET[_EXTENDED]) per driver; %d chrony round(s) of %d s; "
                 "hypercall counts from %d readings / %d × 25 samples |"
                 % (args.mode, b.rounds, env_int("BENCH_N"), env_int("BENCH_SYSOFF_CALLS"),
                    b.chrony_rounds, env_int("BENCH_WINDOW"), env_int("BENCH_CALLS_N"),
                    env_int("BENCH_CALLS_SYSOFF")))
    lines.append("")
    lines.append("Every number is from this one run on this machine, under emulation (TCG): compare "
                 "the columns, not the absolute values, and see the README's Performance section for "
                 "what they do and do not say about ESXi. Ratios are ours ÷ in-tree, computed per "
                 "round (each round measures both drivers back to back) and given as the median "
                 "with the per-round values in brackets.")
    lines.append("")
    lines.append("| metric | in-tree | ours | ratio |")
    lines.append("|---|---:|---:|---:|")
    for cells in rows:
        lines.append("| %s |" % " | ".join(str(c).replace("|", "\\|") for c in cells[:4]))
    lines.append("")
    lines.append("## Targets (issue 4)")
    lines.append("")
    lines.append("| target | measured | |")
    lines.append("|---|---|---|")
    for name, value, met in targets:
        lines.append("| %s | %s | %s |" % (name.replace("|", "\\|"), value.replace("|", "\\|"),
                                           "met" if met else "**missed**"))
    lines.append("")
    for title, path in plots:
        lines.append("![%s](%s)" % (title, os.path.basename(path)))
        lines.append("")
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(lines))


def gnuplot(script, out):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as e:
        out_text = getattr(e, "stdout", "") or str(e)
        print("gnuplot failed for %s: %s" % (out, out_text.strip()[-400:]), file=sys.stderr)
        return False
    return True


COLOR = {"intree": "#c0392b", "ours": "#1f5fbf", "bare": "#555555", "ours-sysoff": "#7fa7e0"}


def plots(b, args, workdir):
    os.makedirs(workdir, exist_ok=True)
    done = []

    def dat(name, pts):
        path = os.path.join(workdir, name)
        with open(path, "w") as f:
            for p in pts:
                f.write(" ".join(str(x) for x in p) + "\n")
        return path

    # Offsets over time.
    top, bottom = [], []
    for d in DRIVERS:
        for r in range(1, b.chrony_rounds + 1):
            pts = tracking_offsets(b.chrony_series(d, r, "tracking"))
            if pts:
                top.append((dat("track-%s-%d.dat" % (d, r), pts), d, r))
            tp = [(int(x["t_ms"]) / 1000.0, int(x["offset_ns"]))
                  for x in b.main.find(driver=d, round=r, op="truthsample")
                  if num(x.get("t_ms")) is not None and num(x.get("offset_ns")) is not None]
            if tp:
                bottom.append((dat("truth-%s-%d.dat" % (d, r), tp), d, r))
    out = args.out + "-offset.png"

    # The first seconds after lock can be tens of microseconds off, the rest
    # tens of nanoseconds: clip the y axis to what most samples need.
    def yrange(items):
        vals = []
        for path, _, _ in items:
            with open(path) as f:
                vals += [abs(float(line.split()[1])) for line in f if line.strip()]
        if not vals:
            return "[*:*]"
        vals.sort()
        lim = max(100.0, 1.5 * vals[int(0.95 * (len(vals) - 1))])
        return "[%.0f:%.0f]" % (-lim, lim)

    def plotlist(items, style):
        parts = []
        for path, d, r in items:
            title = ("title '%s'" % NAMES[d]) if r == 1 else "notitle"
            parts.append("'%s' using 1:2 with %s lc rgb '%s' dt %d %s"
                         % (path, style, COLOR[d], min(r, 5), title))
        return ", ".join(parts) if parts else "NaN notitle"

    script = """set terminal pngcairo size 1000,800 font 'sans,10' noenhanced
set output '%s'
set multiplot layout 2,1 title 'ptp_vmw %s (%s): chrony refclock PHC, after lock (one line per round)'
set grid
set xlabel 'seconds since lock'
set ylabel 'ns'
set title 'chrony tracking.log: offset at each clock update (y clipped to 1.5 x the 95th percentile of |offset|)'
set yrange %s
plot %s
set title 'independent: host time (bare backdoor call) minus guest system time (y clipped likewise)'
set yrange %s
plot %s
unset multiplot
""" % (out, args.series, args.kernel, yrange(top), plotlist(top, "linespoints pt 7 ps 0.4"),
       yrange(bottom), plotlist(bottom, "lines"))
    if gnuplot(script, out):
        done.append(("chrony offset over time, both drivers", out))

    # Latency and bracket distributions.
    lat, wid = [], []
    for d in DRIVERS:
        for r in range(1, b.rounds + 1):
            q = b.quantiles(d, r, "gettime", "cost")
            if q:
                lat.append((dat("gettime-%s-%d.dat" % (d, r), [(v, p) for p, v in q if p < 100]), d, r))
            op = "sysoff" if d == "intree" else "sysoffx"
            q = b.quantiles(d, r, op, "width")
            if q:
                wid.append((dat("width-%s-%d.dat" % (d, r), [(max(v, 1), p) for p, v in q if p < 100]), d, r))
            q = b.quantiles(d, r, "backdoor", "width")
            if q and d == "ours":
                wid.append((dat("width-bare-%d.dat" % r, [(max(v, 1), p) for p, v in q if p < 100]), "bare", r))
    out2 = args.out + "-latency.png"

    def cdf(items, names):
        parts = []
        for path, d, r in items:
            title = ("title '%s'" % names[d]) if r == 1 else "notitle"
            parts.append("'%s' using 1:2 with lines lw 1.5 lc rgb '%s' dt %d %s"
                         % (path, COLOR[d], min(r, 5), title))
        return ", ".join(parts) if parts else "NaN notitle"

    script = """set terminal pngcairo size 1000,800 font 'sans,10' noenhanced
set output '%s'
set multiplot layout 2,1 title 'ptp_vmw %s (%s): distributions up to the 99.9th percentile (one line per round)'
set grid
set logscale x
set key bottom right
set ylabel 'percentile'
set yrange [0:100]
set xlabel 'ns per clock_gettime(PHC), including one CLOCK_MONOTONIC read'
set title 'read cost'
plot %s
set xlabel 'ns: system-time bracket around one PHC sample'
set title 'offset uncertainty: bracket widths'
plot %s
unset multiplot
""" % (out2, args.series, args.kernel, cdf(lat, NAMES),
       cdf(wid, {"intree": "in-tree PTP_SYS_OFFSET", "ours": "ours PTP_SYS_OFFSET_EXTENDED",
                 "bare": "bare backdoor call from user space"}))
    if gnuplot(script, out2):
        done.append(("read-latency and bracket-width distributions", out2))
    return done


def validate(b):
    """Every metric present and well-formed: no thresholds on timing."""
    for d in DRIVERS:
        for r in range(1, b.rounds + 1):
            where = "%s round %d" % (NAMES[d], r)
            need = [("timer", "cost", env_int("BENCH_N")), ("gettime", "cost", env_int("BENCH_N")),
                    ("backdoor", "width", env_int("BENCH_N")),
                    ("sysoff", "cost", env_int("BENCH_SYSOFF_CALLS") * 24),
                    ("sysoff", "width", env_int("BENCH_SYSOFF_CALLS") * 25)]
            if d == "ours":
                need += [("sysoffx", "cost", env_int("BENCH_SYSOFF_CALLS") * 24),
                         ("sysoffx", "width", env_int("BENCH_SYSOFF_CALLS") * 25)]
            for op, dist, n in need:
                s = b.summary(d, str(r), op, dist)
                bad = [k for k in SUMMARY_KEYS if s is None or num(s.get(k)) is None]
                check(not bad and num(s.get("n")) == n and len(b.quantiles(d, str(r), op, dist)) >= 40,
                      "%s: %s %s: n=%d, min/p50/p90/p99/p999/max/mean and quantiles numeric" % (where, op, dist, n),
                      "saw %s" % (s if s else "no summary line"))
            g = b.main.one(driver=d, round=r, op="guestctl")
            check(g is not None and num(g.get("ns_per_call")) is not None and g.get("failed") == "0",
                  "%s: guestctl backdoor floor reported" % where, "saw %s" % g)
            for target in ("phc", "backdoor", "syscall", "spin"):
                for t in (1, 2, 4):
                    x = b.main.one(driver=d, round=r, op="threads", target=target, threads=t)
                    check(x is not None and num(x.get("rate")) is not None and x.get("ok") == "1"
                          and len(x.get("per_thread", "").split(",")) == t,
                          "%s: %d %s thread(s): a rate and %d per-thread counts" % (where, t, target, t),
                          "saw %s" % x)
        for r in range(1, b.chrony_rounds + 1):
            where = "%s chrony round %d" % (NAMES[d], r)
            lock = b.main.one(driver=d, round=r, op="chrony")
            check(lock is not None and num(lock.get("lock_ms")) is not None,
                  "%s: time to lock reported" % where, "saw %s" % lock)
            tr = tracking_offsets(b.chrony_series(d, r, "tracking"))
            check(len(tr) >= 1, "%s: tracking.log lines of the window parsed" % where,
                  "saw %d lines" % len(tr))
            rc = refclock_offsets(b.chrony_series(d, r, "refclocks"))
            check(len(rc) >= 1, "%s: refclocks.log lines of the window parsed" % where,
                  "saw %d lines" % len(rc))
            t = b.main.one(driver=d, round=r, op="truth")
            n = env_int("BENCH_WINDOW") * 4
            check(t is not None and num(t.get("rms_ns")) is not None and t.get("samples") == str(n)
                  and len(b.main.find(driver=d, round=r, op="truthsample")) == n,
                  "%s: %d independent host-minus-system samples" % (where, n), "saw %s" % t)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series")
    ap.add_argument("--kernel", default="?")
    ap.add_argument("--date")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--qemu", default="?")
    ap.add_argument("--machine", default="?")
    ap.add_argument("--runs")
    ap.add_argument("--out")
    ap.add_argument("--latest")
    ap.add_argument("--series-list", default="")
    args = ap.parse_args()

    if args.latest:
        lines = ["# Latest `make bench` run: %s" % args.date, ""]
        for s in args.series_list.split():
            base = "%s-%s" % (args.date, s)
            if os.path.exists(os.path.join(args.latest, base + ".md")):
                lines.append("- kernel series %s: [%s.md](%s.md) ([offsets](%s-offset.png), "
                             "[distributions](%s-latency.png))" % (s, base, base, base, base))
        with open(os.path.join(args.latest, "latest.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        return 0

    b = Bench(args.runs)
    missing = [n for n in ("BENCH_N", "BENCH_SYSOFF_CALLS", "BENCH_ROUNDS", "BENCH_THREADS_MS",
                           "BENCH_CHRONY_ROUNDS", "BENCH_WINDOW", "BENCH_CALLS_N", "BENCH_CALLS_SYSOFF",
                           "BENCH_LOCK_NS") if env_int(n) <= 0]
    check(not missing, "the counts the guest was asked for are known (BENCH_* set)",
          "unset or zero: %s" % " ".join(missing))
    validate(b)
    rows, targets = table(b, args)
    made = plots(b, args, os.path.join(os.path.dirname(args.runs.rstrip("/")), "plotdata-" + args.series))
    write_markdown(b, args, rows, targets, made)
    md = args.out + ".md"
    check(os.path.getsize(md) > 500 and "| metric | in-tree | ours | ratio |" in open(md).read(),
          "table written (%s)" % md, "missing or empty")
    for suffix in ("-offset.png", "-latency.png"):
        p = args.out + suffix
        ok = os.path.exists(p) and os.path.getsize(p) > 2000 and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        check(ok, "plot written (%s)" % p, "missing, small or not a PNG")
    for name, value, met in targets:
        print("TARGET %s: %s: %s" % ("met" if met else "missed", name, value))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
