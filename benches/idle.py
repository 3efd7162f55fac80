#!/usr/bin/env python3
"""Idle benchmark (BENCHMARKS.md, "Idle daemon: CPU time and wake-ups"; issue 4).

  idle.py --bin RK [--sessions 3] [--settle 5] [--seconds 60] [--windows 3]
          [--keychain none|session] [--scenario fresh|renewed|both] [--mfa] [--logind]
          [--json OUT]

`rolekeeper daemon` with a few active sessions whose next refresh is far away, left alone:
what does it cost while it waits? Target (issue 4): no wake-up between refreshes.

Scenarios (each a fresh HOME and daemon, against this benchmark's own moto):
  fresh    the sessions were activated for 1 h just before (`rolekeeper activate --duration 1h`);
           with the default lead of 15 min the first refresh is 45 min away: the daemon starts,
           plans, and makes no STS call at all.
  renewed  the same, but before the daemon starts the sessions' recorded expiry in state.json is
           moved to 5 min from now (as if they had been activated 55 min ago; with
           --keychain session their cached copies in the keychain are deleted too), so with the
           default lead they are due at once: the daemon refreshes them as it starts (AssumeRole,
           one write, the session cache in the keychain), then has 45 min to wait. This is the
           idle that follows every refresh: whatever the STS client, the HTTP connection pool
           and the keychain connection leave behind.
Then `--settle` seconds, then `--windows` consecutive windows of `--seconds` each: CPU time
(utime+stime of the process, /proc/PID/stat, in ticks of 1/CLK_TCK s) and wake-ups (voluntary +
involuntary context switches summed over /proc/PID/task/*/status, plus one for each thread that
ended in the window: it woke to end, and its counters went with it), with the threads that ran,
started or ended listed by name.

--keychain none: no D-Bus session bus (a server). --keychain session: the Secret Service of the
session this runs in (inside scripts/with-desktop-session.sh): the daemon's keychain connection
stays open while it idles, as on a desktop. Plain roles over static keys do not use the keychain
(since cc4065e); --mfa gives the roles an mfa_serial and mfa_process, whose sessions and MFA
session are kept there. --logind: a private system bus with tests' stand-in logind, so that the
daemon's sleep listener (PrepareForSleep) holds its connection while it idles.
"""
import argparse
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_LOGIND = os.path.join(os.path.dirname(HERE), "tests", "support", "fake_logind.py")
sys.path.insert(0, HERE)
from procstat import CLK_TCK, loadavg, process_ticks, thread_delta, threads  # noqa: E402
from rkdaemon import (ACCOUNT, Moto, daemon_env, log, need_session_bus,  # noqa: E402
                      leave_workdir, write_json, write_static_source)


def make_home(workdir, scenario, n, mfa):
    home = os.path.join(workdir, scenario)
    write_static_source(home)
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write("[profile static]\nregion = us-east-1\n\n")
        for i in range(n):
            f.write(f"[profile idle{i}]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Idle{i}\n"
                    "source_profile = static\nregion = us-east-1\n")
            if mfa:
                f.write(f"mfa_serial = arn:aws:iam::{ACCOUNT}:mfa/idle\n"
                        "mfa_process = /bin/echo 123456\n")
            f.write("\n")
    return home


def make_due(home, names, keychain):
    """Move the sessions' recorded expiry to 5 min from now, so that with the default lead of
    15 min the daemon refreshes them as it starts; with a keychain, also forget their cached
    copies there (entry session:NAME, as mfa/cache.rs names it), so that the refresh asks STS."""
    path = os.path.join(home, ".local", "state", "rolekeeper", "state.json")
    with open(path) as f:
        state = json.load(f)
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    for record in state["files"].values():
        for name in names:
            if name in record.get("sections", {}):
                record["sections"][name]["expires"] = soon.isoformat()
    with open(path, "w") as f:
        json.dump(state, f, indent=2)
    if keychain == "session":
        for name in names:
            # Exit status 1 when there is none (plain roles are not kept there since cc4065e).
            subprocess.run(["secret-tool", "clear", "service", "rolekeeper", "username",
                            f"session:{name}"], check=False)


class Logind:
    """A private dbus-daemon as the system bus, with tests' stand-in logind on it
    (tests/support/fake_logind.py), so that the daemon's sleep listener (PrepareForSleep) is
    connected while it idles, as on a desktop with logind."""

    def __init__(self, workdir):
        path = os.path.join(workdir, "system_bus")
        self.address = f"unix:path={path}"
        self.bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--address",
                                     self.address], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dbus-daemon did not listen")
            time.sleep(0.02)
        self.logind = subprocess.Popen(["/usr/bin/python3", FAKE_LOGIND, self.address],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.logind.stdout.readline().strip() != "ready":
            self.stop()
            raise RuntimeError("the stand-in logind did not start")

    def pids(self):
        """PIDs of the processes connected to this bus."""
        def call(*args):
            return subprocess.run(["dbus-send", f"--bus={self.address}", "--print-reply",
                                   "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   *args], capture_output=True, text=True).stdout
        names = re.findall(r'string "(:[^"]+)"', call("org.freedesktop.DBus.ListNames"))
        pids = set()
        for name in names:
            m = re.search(r"uint32 (\d+)", call("org.freedesktop.DBus.GetConnectionUnixProcessID",
                                                 f"string:{name}"))
            if m:
                pids.add(int(m.group(1)))
        return pids

    def stop(self):
        for proc in (getattr(self, "logind", None), self.bus):
            if proc and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def wait_for_lines(path, needle, count, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            if f.read().count(needle) >= count:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"the daemon exited ({proc.returncode}):\n{open(path).read()}")
        time.sleep(0.05)
    raise RuntimeError(f"{count} x {needle!r} not logged within {timeout} s:\n{open(path).read()}")


def scenario_run(args, rk, moto, workdir, scenario, logind):
    n = args.sessions
    home = make_home(workdir, scenario, n, args.mfa)
    env = daemon_env(home, moto.url, args.keychain)
    if logind:
        env["DBUS_SYSTEM_BUS_ADDRESS"] = logind.address
    names = [f"idle{i}" for i in range(n)]
    out = subprocess.run([rk, "activate", *names, "--duration", "1h"], env=env,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError(f"activate failed: {out.stderr}")
    if scenario == "renewed":
        make_due(home, names, args.keychain)
    log_path = os.path.join(home, "daemon.log")
    calls = moto.calls()
    with open(log_path, "w") as logf:
        proc = subprocess.Popen([rk, "daemon"], env=env, stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=logf)
    res = {"scenario": scenario, "keychain": args.keychain, "mfa": args.mfa,
           "logind": bool(logind), "sessions": n, "windows": []}
    try:
        wait_for_lines(log_path, "profiles loaded", 1, proc)
        if scenario == "renewed":
            wait_for_lines(log_path, " refreshed ", n, proc)
        time.sleep(args.settle)
        res["sts_calls_before_windows"] = moto.calls_since(calls)
        calls = moto.calls()
        for w in range(args.windows):
            load = loadavg()
            t0, th0 = process_ticks(proc.pid), threads(proc.pid)
            m0 = time.monotonic()
            time.sleep(args.seconds)
            t1, th1 = process_ticks(proc.pid), threads(proc.pid)
            secs = time.monotonic() - m0
            d = thread_delta(th0, th1)
            win = {"seconds": secs, "cpu_ms": (t1 - t0) * 1000 / CLK_TCK,
                   "voluntary": d["voluntary"], "involuntary": d["involuntary"],
                   # A thread that ended woke at least once to end (its counters went with it).
                   "wakeups": d["voluntary"] + d["involuntary"] + d["ended"],
                   "wakeups_per_min": (d["voluntary"] + d["involuntary"] + d["ended"]) * 60 / secs,
                   "threads": d["threads"], "started": d["started"], "ended": d["ended"],
                   "by_thread": d["rows"], "load": load}
            res["windows"].append(win)
            who = ", ".join(f"{r['comm']}[{r['tid']}] {r['state']} vol {r['voluntary']} "
                            f"invol {r['involuntary']} ticks {r['ticks']}" for r in d["rows"])
            log(f"{scenario}, keychain {args.keychain}, window {w + 1}: {secs:.0f} s, CPU "
                f"{win['cpu_ms']:.0f} ms, wake-ups {win['wakeups']} ({d['voluntary']} vol + "
                f"{d['involuntary']} invol + {d['ended']} thread(s) ended), threads "
                f"{d['threads'][0]} -> {d['threads'][1]}, "
                f"load {load}" + (f"; by thread: {who}" if who else ""))
        res["sts_calls_in_windows"] = moto.calls_since(calls)
        res["threads_at_end"] = sorted(r["comm"] for r in threads(proc.pid).values())
        if logind:
            res["on_system_bus"] = proc.pid in logind.pids()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            res["exit_code"] = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            res["exit_code"] = proc.wait()
    with open(log_path) as f:
        res["log"] = f.read()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the rolekeeper binary (release)")
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--keychain", choices=("none", "session"), default="none")
    ap.add_argument("--scenario", choices=("fresh", "renewed", "both"), default="both")
    ap.add_argument("--mfa", action="store_true",
                    help="roles with mfa_serial and mfa_process: their sessions and the MFA "
                    "session are kept in the keychain, so the keychain is in play")
    ap.add_argument("--logind", action="store_true",
                    help="a private system bus with a stand-in logind, so that the daemon's "
                    "sleep listener is connected (else there is no system bus here)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, HOMEs)")
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()
    need_session_bus(args.keychain)
    rk = os.path.abspath(args.bin)
    workdir = tempfile.mkdtemp(prefix="rk-bench-idle.")
    moto = Moto(workdir)
    logind = None
    scenarios = ["fresh", "renewed"] if args.scenario == "both" else [args.scenario]
    try:
        logind = Logind(workdir) if args.logind else None
        results = [scenario_run(args, rk, moto, workdir, s, logind) for s in scenarios]
    finally:
        moto.stop()
        if logind:
            logind.stop()
        leave_workdir(workdir, args.keep)
    write_json(args.json, {"binary": rk, "results": results})

    print(f"\nrolekeeper daemon idle, {args.sessions} active sessions, keychain {args.keychain}"
          f"{', MFA plan' if args.mfa else ''}{', logind on a system bus' if args.logind else ''}"
          f" ({rk}); target: no wake-up between refreshes")
    for r in results:
        ws = r["windows"]
        cpu = [w["cpu_ms"] for w in ws]
        wk = [w["wakeups"] for w in ws]
        # Threads ending once after a refresh (tokio's blocking pool lets idle threads go after
        # 10 s) are not the periodic wake-ups the target is about; they are shown, not judged.
        periodic = [w["voluntary"] + w["involuntary"] for w in ws]
        verdict = "met" if all(w == 0 for w in periodic) else "MISSED"
        print(f"  {r['scenario']:<8} {len(ws)} x {ws[0]['seconds']:.0f} s: CPU "
              f"{', '.join(f'{c:.0f}' for c in cpu)} ms; wake-ups {', '.join(map(str, wk))} "
              f"(median {statistics.median(wk):g}/window); threads at the end "
              f"{', '.join(r['threads_at_end'])}; "
              + (f"connected to the system bus: {r['on_system_bus']}; " if "on_system_bus" in r
                 else "")
              + f"STS calls before the windows {r['sts_calls_before_windows'] or 'none'}, during "
              f"{r['sts_calls_in_windows'] or 'none'}; exit {r['exit_code']}; "
              f"periodic wake-ups: {'none, target met' if verdict == 'met' else 'some, target MISSED'}")
        for i, w in enumerate(ws):
            for row in w["by_thread"]:
                print(f"    window {i + 1}: {row['comm']} (tid {row['tid']}, {row['state']}): "
                      f"{row['voluntary']} voluntary + {row['involuntary']} involuntary, "
                      f"{row['ticks']} ticks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
