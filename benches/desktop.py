#!/usr/bin/python3
"""Desktop benchmarks for rolekeeper-desktop (BENCHMARKS.md, "Desktop"; issue 6).

Runs INSIDE scripts/with-desktop-session.sh (Xvfb, private D-Bus session, StatusNotifierWatcher
logging to $WDS_SNI_LOG). `scripts/bench.sh desktop` builds the release binary and calls this.

  desktop.py --bin PATH [--starts 10] [--cycles 3] [--cpu-seconds 60] [--json OUT]

Each app instance gets a throw-away HOME holding a small ~/.aws/config and credentials (two role
profiles over one static-key profile, nothing active, so the engine never calls STS).

  (a) start-up: time from spawn until the StatusNotifierWatcher lists the app's tray item
      (a "REGISTERED <bus name><path>" line in $WDS_SNI_LOG whose bus name belongs to the PID);
      `--starts` fresh instances, each quit through its tray menu before the next.
  Then, `--cycles` times, one fresh instance through:
  (b) PSS idle, no window ever opened, 10 s after the tray item registered;
  (e) CPU time (utime+stime) and context switches over `--cpu-seconds` of that idle;
  (f) opening the manager: time from the "Open RoleKeeper…" click over D-Bus until the window
      is mapped (the window process starts, connects to the tray and builds its web view);
  (c) PSS with the manager window open: WebKit processes up and the window mapped, then 5 s;
  (d) PSS 10 s after the window was closed with WM_DELETE_WINDOW (what a close button sends),
      and which processes are left.
PSS is summed over the whole process tree (the tray, its window process and that one's WebKit
children), from /proc/PID/smaps_rollup; the biggest mappings of the idle process are listed to
show what dominates, and every GL, GTK or WebKit library mapped in the idle tray is named (the
target is none).

Needs Debian's /usr/bin/python3 with python3-dbus, xdotool, libX11.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import dbus

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TRAY_CLIENT = os.path.join(ROOT, "tests", "support", "tray_client.py")
sys.path.insert(0, HERE)
from procstat import (CLK_TCK, comm, cpu_sample, descendants, loadavg, memory,  # noqa: E402
                      top_mappings)
from x_close import close_window  # noqa: E402

OPEN_LABEL = "Open RoleKeeper…"
WINDOW_TITLE = "RoleKeeper"

DEMO_AWS = os.path.join(HERE, "demo-aws")  # config + credentials, copied into each HOME


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the app
class App:
    def __init__(self, binary, bus):
        self.bus = bus
        self.home = tempfile.mkdtemp(prefix="rk-bench-home.")
        os.makedirs(os.path.join(self.home, ".aws"), mode=0o700)
        for name in ("config", "credentials"):
            shutil.copy(os.path.join(DEMO_AWS, name), os.path.join(self.home, ".aws", name))
        cred = os.path.join(self.home, ".aws", "credentials")
        os.chmod(cred, 0o600)
        # RoleKeeper's state, config and caches in this HOME too (as tests/src/lib.rs does), so
        # every instance starts from the same nothing; XDG_RUNTIME_DIR stays (the session's).
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=self.home, AWS_EC2_METADATA_DISABLED="true",
                   XDG_STATE_HOME=os.path.join(self.home, ".local", "state"),
                   XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                   XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
                   XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        self.log_path = os.path.join(self.home, "desktop.log")
        sni_log = os.environ["WDS_SNI_LOG"]
        self.sni = open(sni_log)
        self.sni.seek(0, os.SEEK_END)
        logf = open(self.log_path, "w")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                                     stdout=logf, stderr=logf)
        logf.close()
        self.pid = self.proc.pid

    def _owner_pid(self, bus_name):
        daemon = self.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
        try:
            return int(daemon.GetConnectionUnixProcessID(bus_name,
                                                         dbus_interface="org.freedesktop.DBus"))
        except dbus.DBusException:
            return None

    def wait_registered(self, timeout=60):
        """Seconds from spawn until the watcher logged this process's tray item."""
        deadline = time.monotonic() + timeout
        buf = ""
        while time.monotonic() < deadline:
            chunk = self.sni.read()
            if chunk:
                buf += chunk
                while "\n" in buf:
                    line, buf = buf.split("\n", 1)
                    if line.startswith("REGISTERED "):
                        now = time.monotonic()
                        item = line.split(" ", 1)[1]
                        if self._owner_pid(item.partition("/")[0]) == self.pid:
                            return now - self.t0
            if self.proc.poll() is not None:
                raise RuntimeError(f"rolekeeper-desktop exited ({self.proc.returncode}) before "
                                   f"registering its tray item:\n{self.log_tail()}")
            time.sleep(0.005)
        raise RuntimeError(f"no tray item after {timeout} s:\n{self.log_tail()}")

    def click(self, label):
        out = subprocess.run(["/usr/bin/python3", TRAY_CLIENT, "--pid", str(self.pid), "click",
                              label], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"clicking {label!r}: {out.stderr.strip()}")

    def quit(self):
        """Quit from the tray menu; SIGTERM, then SIGKILL, if it does not go."""
        tree = descendants(self.pid)
        try:
            self.click("Quit")
            self.proc.wait(timeout=15)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log(f"Quit did not end pid {self.pid} ({e}); sending SIGTERM")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for p in tree[1:]:  # WebKit children normally end with the app; never leave one behind
            for _ in range(50):
                if not os.path.exists(f"/proc/{p}"):
                    break
                time.sleep(0.1)
            else:
                os.kill(p, signal.SIGKILL)
        self.sni.close()
        shutil.rmtree(self.home, ignore_errors=True)
        return self.proc.returncode

    def log_tail(self, n=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def webkit(self):
        return [comm(p) for p in descendants(self.pid) if "WebKit" in comm(p)]


def windows_titled(title, visible=False):
    cmd = ["xdotool", "search"] + (["--onlyvisible"] if visible else []) + ["--name", f"^{title}$"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    return [int(w) for w in out.stdout.split()]


def wait_until(what, check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def mib(kb):
    return kb / 1024.0


# Libraries an idle tray must not map: the web view, its toolkit and GL.
HEAVY = ("libwebkit", "libjavascriptcore", "libgtk", "libgdk-", "libLLVM", "libGL", "libEGL",
         "libgbm", "mesa", "libflite")


def heavy_libraries(pid):
    """The GL, GTK and WebKit libraries mapped in process `pid` (by file name)."""
    found = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            path = line.split(maxsplit=5)[5].strip() if len(line.split(maxsplit=5)) == 6 else ""
            name = os.path.basename(path)
            if any(h in name for h in HEAVY):
                found.add(name)
    return sorted(found)


# ------------------------------------------------------------------ the benchmarks
def bench_startup(binary, bus, n):
    times = []
    for i in range(n):
        app = App(binary, bus)
        try:
            t = app.wait_registered()
        finally:
            rc = app.quit()
        times.append(t)
        log(f"start {i + 1}/{n}: tray registered after {t * 1000:.0f} ms (quit rc {rc})")
        time.sleep(1)
    return times


def bench_cycle(binary, bus, args):
    res = {"load_before": loadavg()}
    app = App(binary, bus)
    try:
        app.wait_registered()
        time.sleep(args.settle)
        idle = memory(app.pid)
        idle["top_mappings_kb"] = top_mappings(app.pid)
        idle["heavy_libraries"] = heavy_libraries(app.pid)
        res["idle"] = idle
        log(f"(b) idle, no window: PSS {mib(idle['total_kb']['Pss']):.1f} MiB "
            f"({len(idle['processes'])} process(es))")

        c0, v0, i0, th0 = cpu_sample(app.pid)
        t0 = time.monotonic()
        time.sleep(args.cpu_seconds)
        c1, v1, i1, th1 = cpu_sample(app.pid)
        secs = time.monotonic() - t0
        res["idle_cpu"] = {"seconds": secs, "cpu_ms": (c1 - c0) * 1000 / CLK_TCK,
                           "voluntary_switches": v1 - v0, "involuntary_switches": i1 - i0,
                           "threads": [th0, th1], "load": loadavg()}
        log(f"(e) idle {secs:.0f} s: CPU {res['idle_cpu']['cpu_ms']:.0f} ms, "
            f"{v1 - v0} voluntary + {i1 - i0} involuntary context switches, {th1} threads")

        clicked = time.monotonic()
        app.click(OPEN_LABEL)
        wait_until("a mapped RoleKeeper window", lambda: windows_titled(WINDOW_TITLE, visible=True),
                   timeout=30)
        res["open_s"] = time.monotonic() - clicked
        log(f"(f) manager window mapped {res['open_s'] * 1000:.0f} ms after the click")
        wait_until("WebKit processes", lambda: len(app.webkit()) >= 2)
        time.sleep(args.open_settle)
        res["open"] = memory(app.pid)
        log(f"(c) window open: PSS {mib(res['open']['total_kb']['Pss']):.1f} MiB "
            f"({', '.join(p['comm'] for p in res['open']['processes'])})")

        wins = windows_titled(WINDOW_TITLE)
        for w in wins:
            close_window(w)
        wait_until("the RoleKeeper window to go", lambda: not windows_titled(WINDOW_TITLE))
        time.sleep(args.settle)
        res["closed"] = memory(app.pid)
        log(f"(d) after close: PSS {mib(res['closed']['total_kb']['Pss']):.1f} MiB "
            f"({', '.join(p['comm'] for p in res['closed']['processes'])})")
    finally:
        res["quit_rc"] = app.quit()
    res["load_after"] = loadavg()
    return res


def summary(values):
    s = sorted(values)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "all": values}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True,
                    help="the rolekeeper-desktop binary (rolekeeper-window beside it)")
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--settle", type=float, default=10, help="seconds before (b) and (d)")
    ap.add_argument("--open-settle", type=float, default=5, help="seconds before (c)")
    ap.add_argument("--cpu-seconds", type=float, default=60)
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()
    for var in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "WDS_SNI_LOG"):
        if not os.environ.get(var):
            sys.exit(f"{var} is not set: run this inside scripts/with-desktop-session.sh "
                     "(scripts/bench.sh desktop does)")
    binary = os.path.abspath(args.bin)
    bus = dbus.SessionBus()

    log(f"binary {binary} ({os.path.getsize(binary) / 1e6:.1f} MB), load {loadavg()}")
    startup = bench_startup(binary, bus, args.starts)
    cycles = [bench_cycle(binary, bus, args) for _ in range(args.cycles)]

    result = {
        "binary": binary,
        "startup_s": summary(startup),
        "idle_pss_mib": summary([mib(c["idle"]["total_kb"]["Pss"]) for c in cycles]),
        "open_pss_mib": summary([mib(c["open"]["total_kb"]["Pss"]) for c in cycles]),
        "closed_pss_mib": summary([mib(c["closed"]["total_kb"]["Pss"]) for c in cycles]),
        "open_window_s": summary([c["open_s"] for c in cycles]),
        "idle_cpu_ms": summary([c["idle_cpu"]["cpu_ms"] for c in cycles]),
        "idle_voluntary_switches": summary([c["idle_cpu"]["voluntary_switches"] for c in cycles]),
        "cycles": cycles,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)

    def line(name, s, unit, fmt="{:.1f}", target=None):
        verdict = ""
        if target is not None:
            verdict = "  target <= {}: {}".format(fmt.format(target),
                                                  "met" if s["median"] <= target else "MISSED")
        print(f"{name:<44} median {fmt.format(s['median'])} {unit}  (min {fmt.format(s['min'])}, "
              f"max {fmt.format(s['max'])}, n={len(s['all'])}){verdict}")

    print(f"\nrolekeeper-desktop desktop benchmarks ({binary})")
    line("(a) start-up to tray registered", {k: (v * 1000 if k != "all" else v)
                                             for k, v in result["startup_s"].items()}, "ms", "{:.0f}")
    line("(b) PSS idle, no window ever opened", result["idle_pss_mib"], "MiB", target=60)
    line("(f) opening the manager window", {k: (v * 1000 if k != "all" else v)
                                            for k, v in result["open_window_s"].items()}, "ms",
         "{:.0f}", target=1000)
    line("(c) PSS manager window open", result["open_pss_mib"], "MiB")
    line("(d) PSS 10 s after closing the window", result["closed_pss_mib"], "MiB",
         target=result["idle_pss_mib"]["median"] + 10)
    secs = cycles[0]["idle_cpu"]["seconds"]
    line(f"(e) CPU time over {secs:.0f} s idle", result["idle_cpu_ms"], "ms", "{:.0f}")
    line(f"(e) voluntary context switches / {secs:.0f} s", result["idle_voluntary_switches"], "",
         "{:.0f}")
    last = cycles[-1]
    for state in ("idle", "open", "closed"):
        procs = ", ".join(f"{p['comm']} {mib(p['Pss']):.1f}" for p in last[state]["processes"])
        print(f"  PSS by process, {state} (MiB): {procs}")
    print("  biggest PSS mappings of the idle process (MiB): " + ", ".join(
        f"{name} {mib(kb):.1f}" for name, kb in last["idle"]["top_mappings_kb"]))
    heavy = sorted({lib for c in cycles for lib in c["idle"]["heavy_libraries"]})
    print("  GL, GTK or WebKit libraries mapped in the idle tray: " + (", ".join(heavy) or "none"))
    left = sorted({p["comm"] for c in cycles for p in c["closed"]["processes"]})
    print("  processes left after the window closed: " + ", ".join(left))
    return 0


if __name__ == "__main__":
    sys.exit(main())
