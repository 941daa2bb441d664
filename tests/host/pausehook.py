#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A vMotion-like stun on the guest's request (BOOT_QMP=yes, tests/host/boot.sh).

    pausehook.py QMP_SOCKET RESULTS_LOG OUT QEMU_PID

Follows the guest's results (its second serial port, RESULTS_LOG). For
every line "PAUSE MS" it stops the guest through QEMU's QMP socket (vCPUs
and the guest's clocks: its TSC does not advance while stopped), waits MS
milliseconds of the host's time and lets it go on ("stop", then "cont", as
vMotion's stun does), and appends to OUT one line

    pause ms=MS stop_ns=S cont_ns=C frozen_ns=C-S

with S the host's CLOCK_REALTIME when QEMU confirmed the stop and C when
it confirmed the "cont". The device model's host clock is that same
CLOCK_REALTIME (its default timebase), so S and C sit on the time line of
the guest's host_ns samples. Ends when QEMU (QEMU_PID) has gone. Standard
library only.
"""
import json
import os
import socket
import sys
import time


def qmp_open(path, qemu_pid):
    """A QMP connection in command mode, once QEMU has made the socket."""
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            break
        except OSError:
            s.close()
            if not alive(qemu_pid):
                return None
            time.sleep(0.05)
    conn = s.makefile("rw")
    conn.readline()  # the greeting
    qmp(conn, "qmp_capabilities")
    return conn


def qmp(conn, command):
    """Run COMMAND; events that come first are skipped."""
    conn.write(json.dumps({"execute": command}) + "\n")
    conn.flush()
    while True:
        line = conn.readline()
        if not line:
            raise EOFError("QEMU closed its QMP socket")
        answer = json.loads(line)
        if "return" in answer:
            return
        if "error" in answer:
            raise RuntimeError("%s: %s" % (command, answer["error"]))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main():
    sock, results, out, qemu_pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = qmp_open(sock, qemu_pid)
    if conn is None:
        return 0
    pos = 0
    pending = ""
    while alive(qemu_pid):
        try:
            with open(results, errors="replace") as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
        except OSError:
            chunk = ""
        pending += chunk
        lines = pending.split("\n")
        pending = lines.pop()
        for line in lines:
            words = line.strip().split()
            if len(words) != 2 or words[0] != "PAUSE" or not words[1].isdigit():
                continue
            try:
                qmp(conn, "stop")
                stop_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
                time.sleep(int(words[1]) / 1000)
                qmp(conn, "cont")
                cont_ns = time.clock_gettime_ns(time.CLOCK_REALTIME)
            except (OSError, EOFError, RuntimeError) as e:
                print("pausehook: %s" % e, file=sys.stderr)
                return 1
            with open(out, "a") as f:
                f.write("pause ms=%s stop_ns=%d cont_ns=%d frozen_ns=%d\n"
                        % (words[1], stop_ns, cont_ns, cont_ns - stop_ns))
        if not chunk:
            time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main())
