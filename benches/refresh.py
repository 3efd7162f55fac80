#!/usr/bin/env python3
"""Refresh benchmark (BENCHMARKS.md, "Refresh engine: 500 sessions against moto"; issue 4).

  refresh.py --bin RK [--sessions 500 | --sessions 100,500,1000] [--runs 5]
             [--keychain none|session] [--mfa] [--drop-mfa-session] [--boto3-runs 3]
             [--strace] [--json OUT]

Run with a python that has boto3 (the venv of scripts/start-sts.sh); `scripts/bench.sh refresh`
does, once without and once with a Secret Service.

What it does:
  * starts its own moto (benches/moto_counting.py: moto_server as scripts/start-sts.sh runs it,
    in its venv, counting calls by action), so no other test's requests are counted;
  * makes a throw-away HOME: one static-key profile `static` in ~/.aws/credentials (the source)
    and N role profiles s000.. in ~/.aws/config (`source_profile = static`; with --mfa also
    `mfa_serial` and `mfa_process`), then `rolekeeper activate s000 ... sNNN` (one process);
  * each run starts `rolekeeper daemon` with ROLEKEEPER_REFRESH_BEFORE = 1 h - GAP (--gap, 30 s)
    once every session is due, so its first batch refreshes all N at once and a renewed session
    is only due again GAP seconds later; the run ends once every session has been renewed (by
    the first batch, or by the retries of those that failed in it: they come seconds later), then
    SIGTERM. A GAP shorter than that would renew the first ones again: the log's `refreshed`
    lines would then outnumber the sessions.
    Measured per run:
      - wall time: spawn -> the credentials file renamed into place (inotify, in this process),
        and the daemon's own log: "refreshing" -> the last "refreshed" line;
      - STS calls: counted by action at moto during the run (and werkzeug's access log lines
        as a cross-check);
      - writes: renames onto ~/.aws/credentials and onto state.json (inotify IN_MOVED_TO);
      - sessions whose access key changed in the credentials file (must be N);
      - peak RSS (VmHWM) and peak thread count of the daemon, its CPU time and moto's;
  * with --strace, one more run under `strace -f --seccomp-bpf -e trace=openat` (not in the
    numbers above: tracing slows it) counts the opens of state.json, settings.json,
    sources.json, ~/.aws/config and ~/.aws/credentials during the batch;
  * then boto3 assumes the same N roles sequentially with one client, for context (it writes
    nothing: that is only the STS part of the work), with the CPU time (user+sys) this process
    spent on the calls, to set beside the daemon's.

--sessions takes a list (100,500,1000): each size in turn, with its own moto and HOME; the JSON
then holds {"sizes": [one result per size]} and a table across the sizes is printed at the end.

--keychain none: no D-Bus session bus at all, so every keychain call fails at once (a server).
--keychain session: the Secret Service of the session this runs in (run it inside
scripts/with-desktop-session.sh), as on a desktop. Since cc4065e only sessions worth keeping go to
the keychain: with --mfa each refresh reads the MFA session and reads and writes its own cached
session there; plain roles over static keys do not touch it.
"""
import argparse
import configparser
import ctypes
import ctypes.util
import datetime
import json
import os
import re
import resource
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from procstat import CLK_TCK, comm, descendants, loadavg, process_ticks, status_kb  # noqa: E402
from rkdaemon import (ACCOUNT, SOURCE_KEY, SOURCE_SECRET, Moto, daemon_env, log,  # noqa: E402
                      need_session_bus, write_static_source)

DURATION = 3600  # what STS gives without duration_seconds; the sessions' length
GAP = 30  # default seconds between a refresh and the next one being due (lead = DURATION - GAP)
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/bench"


# ------------------------------------------------------------------ inotify (libc, no package)
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")


class Inotify:
    """Renames and creations in a few directories, each event stamped with time.monotonic()."""

    def __init__(self, dirs):
        self.libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = self.libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = {}
        for d in dirs:
            wd = self.libc.inotify_add_watch(self.fd, d.encode(), IN_MOVED_TO | IN_CREATE)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {d}")
            self.dirs[wd] = d
        self.events = []  # (monotonic, path, mask)

    def poll(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return
        now = time.monotonic()
        try:
            buf = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        i = 0
        while i < len(buf):
            wd, mask, _cookie, length = _EVENT.unpack_from(buf, i)
            name = buf[i + _EVENT.size:i + _EVENT.size + length].rstrip(b"\0").decode()
            i += _EVENT.size + length
            self.events.append((now, os.path.join(self.dirs.get(wd, "?"), name), mask))

    def moved_to(self, path):
        return [t for t, p, m in self.events if p == path and m & IN_MOVED_TO]

    def close(self):
        os.close(self.fd)


# ------------------------------------------------------------------ the HOME
def role_arn(i):
    return f"arn:aws:iam::{ACCOUNT}:role/Bench{i:03d}"


def make_home(workdir, n, mfa):
    home = os.path.join(workdir, "home")
    os.makedirs(os.path.join(home, ".aws"), mode=0o700)
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write("[profile static]\nregion = us-east-1\n\n")
        for i in range(n):
            f.write(f"[profile s{i:03d}]\nrole_arn = {role_arn(i)}\nsource_profile = static\n"
                    "region = us-east-1\n")
            if mfa:
                f.write(f"mfa_serial = {MFA_SERIAL}\nmfa_process = /bin/echo 123456\n")
            f.write("\n")
    write_static_source(home)
    return home


def read_keys(home):
    parser = configparser.RawConfigParser()
    parser.read(os.path.join(home, ".aws", "credentials"))
    return {s: parser.get(s, "aws_access_key_id", fallback=None) for s in parser.sections()}


def state_path(home):
    return os.path.join(home, ".local", "state", "rolekeeper", "state.json")


def all_due_at(home, gap):
    """Monotonic time when every active session is due (expiry - lead) for the daemon."""
    with open(state_path(home)) as f:
        state = json.load(f)
    latest = None
    for record in state["files"].values():
        for name, entry in record["sections"].items():
            if name in state["active"] and entry.get("expires"):
                at = datetime.datetime.fromisoformat(entry["expires"]).timestamp()
                latest = at if latest is None else max(latest, at)
    due_wall = latest - (DURATION - gap) + 0.5
    return time.monotonic() + (due_wall - time.time())


def drop_mfa_session():
    """Forget the MFA session of the source `static` (entry mfa:SOURCE:SERIAL, as mfa/cache.rs
    names it) in the session's keychain."""
    subprocess.run(["secret-tool", "clear", "service", "rolekeeper", "username",
                    f"mfa:static:{MFA_SERIAL}"], check=True)


# ------------------------------------------------------------------ one daemon run
LOG_TS = re.compile(r"^(\S+Z)\s+\w+\s+(\S+): (.*)$")


def parse_log(text):
    out = {"refreshing": None, "first_refreshed": None, "last_refreshed": None, "refreshed": 0,
           "missed": 0, "failed": 0, "batches": 0}
    for line in text.splitlines():
        m = LOG_TS.match(line)
        if not m:
            continue
        ts = datetime.datetime.fromisoformat(m.group(1)).timestamp()
        msg = m.group(3)
        if msg.startswith("refreshing "):
            out["batches"] += 1
            out["refreshing"] = out["refreshing"] or ts
        elif msg.startswith("refreshed "):
            out["refreshed"] += 1
            out["first_refreshed"] = out["first_refreshed"] or ts
            out["last_refreshed"] = ts
        elif msg.startswith("event log fell behind"):
            out["missed"] += int(re.search(r"missed=(\d+)", msg).group(1))
        elif "refresh failed" in msg:
            out["failed"] += 1
    return out


def keyring_pid():
    """The Secret Service's process on this session bus (gnome-keyring-daemon), if any."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    out = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                          "/org/freedesktop/DBus", "org.freedesktop.DBus.GetConnectionUnixProcessID",
                          "string:org.freedesktop.secrets"], capture_output=True, text=True)
    m = re.search(r"uint32 (\d+)", out.stdout)
    return int(m.group(1)) if m else None


def traced_pid(proc, deadline):
    """The daemon under `strace` (strace's child): signals and /proc go to it, not to strace."""
    while time.monotonic() < deadline:
        below = [p for p in descendants(proc.pid) if p != proc.pid and comm(p) == "rolekeeper"]
        if below:
            return below[0]
        if proc.poll() is not None:
            raise RuntimeError(f"strace exited ({proc.returncode})")
        time.sleep(0.005)
    raise RuntimeError("strace started no daemon")


STOP_WAIT = 30  # seconds the daemon is given to stop after SIGTERM before it is killed
WATCHED_FILES = ("state.json", "settings.json", "sources.json", "config", "credentials")
OPENAT = re.compile(r'openat\(\w+, "([^"]+)"')


def count_opens(trace, home):
    """openat calls (those that failed too) of the files every renewal may read, by name:
    state.json, settings.json and sources.json under HOME, ~/.aws/config and ~/.aws/credentials."""
    wanted = {os.path.join(home, ".aws", "config"): "config",
              os.path.join(home, ".aws", "credentials"): "credentials"}
    counts = dict.fromkeys(WATCHED_FILES, 0)
    with open(trace) as f:
        for line in f:
            m = OPENAT.search(line)
            if not m:
                continue
            path = m.group(1)
            name = wanted.get(path) or os.path.basename(path)
            if name in counts and (path in wanted or path.startswith(home + os.sep)):
                counts[name] += 1
    return counts


def changed_keys(before, after):
    """Role sessions whose access key is not the one `before` had."""
    return sum(1 for s, k in after.items() if s != "static" and k and before.get(s) != k)


def daemon_run(rk, home, env, moto, n, label, timeout=180, trace=None):
    """One batch, and the ones after it until every session is renewed (a renewal that failed,
    e.g. timed out, is retried seconds later) or `timeout` s have passed since the spawn. With
    `trace` (a file), the daemon runs under strace, which writes its openat calls there."""
    aws_dir = os.path.join(home, ".aws")
    cred = os.path.join(aws_dir, "credentials")
    state_dir = os.path.dirname(state_path(home))
    keys_before = read_keys(home)
    posts_before = moto.posts()
    calls_before = moto.calls()
    moto_ticks_before = moto.ticks()
    keyring = keyring_pid()
    keyring_ticks_before = process_ticks(keyring) if keyring else 0
    watch = Inotify([aws_dir, state_dir])
    log_path = os.path.join(home, "daemon-" + re.sub(r"\W+", "-", label) + ".log")
    load = loadavg()
    with open(log_path, "w") as logf:
        t0 = time.monotonic()
        wrap = ["strace", "-f", "--seccomp-bpf", "-e", "trace=openat", "-o", trace] if trace else []
        proc = subprocess.Popen([*wrap, rk, "daemon"], env=env, stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=logf)
    peak_threads = 0
    pid = proc.pid
    try:
        deadline = t0 + timeout
        if trace:
            pid = traced_pid(proc, deadline)
        written_at = all_at = first = None
        seen = 0
        while True:
            if time.monotonic() > deadline:
                if written_at is None:
                    raise RuntimeError(f"no credentials write within {timeout} s")
                break  # not every session was renewed: shows in the numbers
            watch.poll(0.02)
            threads = status_kb(pid, "Threads")  # a count, not kB; same line format
            peak_threads = max(peak_threads, threads or 0)
            if proc.poll() is not None:
                raise RuntimeError(f"the daemon exited ({proc.returncode}):\n"
                                   + open(log_path).read()[-3000:])
            writes = watch.moved_to(cred)
            if len(writes) > seen:
                seen = len(writes)
                changed = changed_keys(keys_before, read_keys(home))
                if written_at is None:  # the first batch's write
                    written_at = writes[0]
                    first = {"renewed": changed, "cpu_s": process_ticks(pid) / CLK_TCK,
                             "sts_calls": moto.calls_since(calls_before)}
                if changed >= n:
                    all_at = writes[-1]
            if all_at is not None:
                with open(log_path) as f:
                    parsed = parse_log(f.read())
                if parsed["refreshed"] + parsed["missed"] >= n:
                    break
                if time.monotonic() > all_at + 5:
                    break  # what is missing shows in the numbers
        if not os.path.exists(f"/proc/{pid}"):
            raise RuntimeError(f"the daemon ({pid}) is gone:\n" + open(log_path).read()[-3000:])
        hwm = status_kb(pid, "VmHWM")
        ticks = process_ticks(pid)
        threads_end = status_kb(pid, "Threads")
        os.kill(pid, signal.SIGTERM)
        t_term = time.monotonic()
        try:
            rc = proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            rc = None  # killed below; stop_s says how long it was given
        t_exit = time.monotonic()
        watch.poll(0.2)
    finally:
        if proc.poll() is None:
            if pid != proc.pid and os.path.exists(f"/proc/{pid}"):  # strace would leave it running
                os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait()
        watch.close()
    time.sleep(0.3)  # moto logs a request when it has answered it
    with open(log_path) as f:
        parsed = parse_log(f.read())
    changed = changed_keys(keys_before, read_keys(home))
    cred_writes = [t for t in watch.moved_to(cred) if t <= t_exit]
    res = {
        "label": label,
        "load": load,
        "spawn_to_written_s": written_at - t0,
        "first_batch_renewed": first["renewed"],
        "first_batch_cpu_s": first["cpu_s"],
        "first_batch_sts_calls": first["sts_calls"],
        "spawn_to_all_renewed_s": all_at - t0 if all_at else None,
        "batch_s": (parsed["last_refreshed"] - parsed["refreshing"])
        if parsed["last_refreshed"] else None,
        "spawn_to_exit_s": t_exit - t0,
        "stop_s": t_exit - t_term,  # SIGTERM -> exit (STOP_WAIT when it did not stop)
        "sts_calls": moto.calls_since(calls_before),
        "sts_posts": moto.posts() - posts_before,
        "credentials_writes": len(cred_writes),
        "state_writes": len(watch.moved_to(os.path.join(state_dir, "state.json"))),
        "sessions_changed": changed,
        "refreshed_lines": parsed["refreshed"],
        "missed_lines": parsed["missed"],
        "failed_lines": parsed["failed"],
        "batches": parsed["batches"],
        "peak_rss_kb": hwm,
        "peak_threads": peak_threads,
        "threads_at_end": threads_end,
        "daemon_cpu_s": ticks / CLK_TCK,
        "daemon_cpu_per_renewal_ms": ticks / CLK_TCK / changed * 1000 if changed else None,
        "moto_cpu_s": (moto.ticks() - moto_ticks_before) / CLK_TCK,
        "keyring_cpu_s": (process_ticks(keyring) - keyring_ticks_before) / CLK_TCK
        if keyring else None,
        "exit_code": rc,
        "log": log_path,
    }
    if trace:
        res["opens"] = count_opens(trace, home)
    batch = f"{res['batch_s']:.3f}" if res["batch_s"] is not None else "?"
    every = f"{res['spawn_to_all_renewed_s']:.3f} s" if all_at else f"not within {timeout} s"
    log(f"{label}: spawn->written {res['spawn_to_written_s']:.3f} s, batch {batch} s, "
        f"first batch renewed {first['renewed']}/{n} with {first['cpu_s']:.2f} s CPU, "
        f"spawn->all renewed {every}, "
        f"STS calls {res['sts_calls']} ({res['sts_posts']} logged), "
        f"{res['credentials_writes']} credentials write(s), "
        f"{res['state_writes']} state write(s), {changed}/{n} keys changed, "
        f"{parsed['batches']} batch(es), log lines refreshed {parsed['refreshed']} + missed "
        f"{parsed['missed']}, failed {parsed['failed']}, peak RSS {hwm / 1024:.1f} MiB, "
        f"peak threads {peak_threads}, "
        f"CPU daemon {res['daemon_cpu_s']:.2f} s / moto {res['moto_cpu_s']:.2f} s"
        + (f" / keyring {res['keyring_cpu_s']:.2f} s" if keyring else "")
        + f", rc {rc} ({res['stop_s']:.1f} s after SIGTERM), "
        f"load {load}" + (f", opens {res['opens']}" if trace else ""))
    return res


# ------------------------------------------------------------------ boto3 for context
def cpu_self():
    """User+sys CPU seconds of this process (only its main thread runs boto3's calls)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def boto3_run(sts_url, n, moto):
    import boto3  # the venv's
    calls_before = moto.calls()
    ticks_before = moto.ticks()
    t0, c0 = time.monotonic(), cpu_self()
    client = boto3.session.Session().client(
        "sts", region_name="us-east-1", endpoint_url=sts_url,
        aws_access_key_id=SOURCE_KEY, aws_secret_access_key=SOURCE_SECRET)
    t1, c1 = time.monotonic(), cpu_self()
    for i in range(n):
        client.assume_role(RoleArn=role_arn(i), RoleSessionName="boto3-bench")
    t2, c2 = time.monotonic(), cpu_self()
    time.sleep(0.3)
    res = {"client_s": t1 - t0, "calls_s": t2 - t1, "client_cpu_s": c1 - c0, "calls_cpu_s": c2 - c1,
           "sts_calls": moto.calls_since(calls_before),
           "moto_cpu_s": (moto.ticks() - ticks_before) / CLK_TCK, "load": loadavg()}
    log(f"boto3: client {res['client_s']:.3f} s ({res['client_cpu_s']:.2f} s CPU), "
        f"{n} assume_role {res['calls_s']:.3f} s ({res['calls_cpu_s']:.2f} s CPU), "
        f"STS calls {res['sts_calls']}, moto CPU {res['moto_cpu_s']:.2f} s")
    return res


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    s = sorted(values)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "n": len(s)}


def sizes(text):
    """--sessions: one number or a comma-separated list (100,500,1000)."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or a list of numbers: {text!r}")
    if not values or min(values) < 1 or max(values) > 1000:
        raise argparse.ArgumentTypeError("sizes from 1 to 1000 (the role names have 3 digits)")
    return values


SUMMARY_KEYS = ("spawn_to_written_s", "batch_s", "first_batch_renewed", "first_batch_cpu_s",
                "spawn_to_all_renewed_s", "sts_posts", "credentials_writes", "state_writes",
                "sessions_changed", "failed_lines", "peak_rss_kb", "peak_threads", "daemon_cpu_s",
                "daemon_cpu_per_renewal_ms", "moto_cpu_s", "keyring_cpu_s", "missed_lines",
                "stop_s")


def bench_size(args, rk, n):
    """Everything for one number of sessions: its own moto and HOME, the runs, boto3."""
    workdir = tempfile.mkdtemp(prefix="rk-bench-refresh.")
    moto = Moto(workdir)
    result = {"binary": rk, "sessions": n, "keychain": args.keychain, "mfa": args.mfa,
              "drop_mfa_session": args.drop_mfa_session,
              "source": "static keys in ~/.aws/credentials", "moto_pid": moto.pid}
    try:
        home = make_home(workdir, n, args.mfa)
        env = daemon_env(home, moto.url, args.keychain)
        env["ROLEKEEPER_REFRESH_BEFORE"] = f"{DURATION - args.gap}s"
        env["ROLEKEEPER_LOG"] = args.log
        names = [f"s{i:03d}" for i in range(n)]
        log(f"{rk}: activating {n} sessions (keychain {args.keychain}, mfa {args.mfa}, "
            f"moto {moto.url}, load {loadavg()})")
        calls = moto.calls()
        t0 = time.monotonic()
        act_env = {k: v for k, v in env.items() if k != "ROLEKEEPER_REFRESH_BEFORE"}
        out = subprocess.run([rk, "activate", *names], env=act_env, capture_output=True,
                             text=True, stdin=subprocess.DEVNULL)
        if out.returncode != 0:
            raise RuntimeError(f"activate failed: {out.stderr[-3000:]}")
        result["activate"] = {"s": time.monotonic() - t0, "sts_calls": moto.calls_since(calls)}
        log(f"activate: {result['activate']['s']:.2f} s, STS calls "
            f"{result['activate']['sts_calls']} (one process, one write per session)")

        def next_batch(label, trace=None):
            wait = all_due_at(home, args.gap) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if args.drop_mfa_session:
                drop_mfa_session()
            return daemon_run(rk, home, env, moto, n, label, trace=trace,
                              timeout=max(120, args.gap * 2))

        result["runs"] = [next_batch(f"n={n} run {i + 1}/{args.runs}") for i in range(args.runs)]
        if args.strace:
            traced = next_batch(f"n={n} under strace", trace=os.path.join(workdir, "strace.txt"))
            result["strace_run"] = traced
            result["opens"] = traced["opens"]

        result["boto3"] = [boto3_run(moto.url, n, moto) for _ in range(args.boto3_runs)]
    finally:
        moto.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log(f"kept {workdir}")

    result["summary"] = {k: summary([r[k] for r in result["runs"]]) for k in SUMMARY_KEYS}
    actions = sorted({a for r in result["runs"] for a in r["sts_calls"]})
    for a in actions:
        result["summary"][f"calls_{a}"] = summary([r["sts_calls"].get(a, 0)
                                                   for r in result["runs"]])
    for key in ("calls_s", "calls_cpu_s", "client_s", "client_cpu_s"):
        result["summary"][f"boto3_{key}"] = summary([b[key] for b in result["boto3"]])
    result["actions"] = actions
    return result


def print_summary(result, args):
    s, n, rk = result["summary"], result["sessions"], result["binary"]

    def line(name, key, fmt="{:.3f}", unit="", scale=1.0):
        v = s[key]
        if v is None:
            return
        print(f"  {name:<48} median {fmt.format(v['median'] * scale)}{unit}  "
              f"(min {fmt.format(v['min'] * scale)}, max {fmt.format(v['max'] * scale)}, "
              f"n={v['n']})")

    print(f"\nrolekeeper daemon: {n} sessions refreshed at once against moto "
          f"(keychain: {args.keychain}{', MFA plan' if args.mfa else ''}"
          f"{', MFA session dropped before each run' if args.drop_mfa_session else ''}; {rk})")
    line("wall time, spawn -> credentials file written", "spawn_to_written_s", unit=" s")
    line("wall time, log 'refreshing' -> last 'refreshed'", "batch_s", unit=" s")
    line("sessions renewed by the first batch", "first_batch_renewed", "{:.0f}")
    line("daemon CPU time up to the first batch's write", "first_batch_cpu_s", unit=" s")
    line("renewals failed (log; retried in later batches)", "failed_lines", "{:.0f}")
    line("wall time, spawn -> every session renewed", "spawn_to_all_renewed_s", unit=" s")
    for a in result["actions"]:
        line(f"STS calls: {a}", f"calls_{a}", "{:.0f}")
    line("STS requests in moto's access log (cross-check)", "sts_posts", "{:.0f}")
    line("credentials-file writes", "credentials_writes", "{:.0f}")
    line("state.json writes", "state_writes", "{:.0f}")
    line("sessions whose key changed", "sessions_changed", "{:.0f}")
    line("peak RSS (VmHWM)", "peak_rss_kb", "{:.1f}", " MiB", 1 / 1024)
    line("peak threads", "peak_threads", "{:.0f}")
    line("daemon CPU time (user+sys), the whole run", "daemon_cpu_s", unit=" s")
    line("daemon CPU time per renewal", "daemon_cpu_per_renewal_ms", "{:.2f}", " ms")
    line("moto CPU time during the run", "moto_cpu_s", unit=" s")
    if s["keyring_cpu_s"]:
        line("gnome-keyring-daemon CPU time during the run", "keyring_cpu_s", unit=" s")
    line("'refreshed' log lines lost (event log fell behind)", "missed_lines", "{:.0f}")
    line("SIGTERM -> exit", "stop_s", unit=" s")
    if "opens" in result:
        print(f"  file opens in one batch (strace, a run of its own): {result['opens']}")
    if s["boto3_calls_s"]:
        line(f"boto3, {n} assume_role sequentially, one client", "boto3_calls_s", unit=" s")
        line("boto3's CPU time (user+sys) for those calls", "boto3_calls_cpu_s", unit=" s")
        ratio = s["boto3_calls_s"]["median"] / s["spawn_to_written_s"]["median"]
        print(f"  boto3 calls / rolekeeper spawn->written (medians): {ratio:.1f}x")
        ratio = s["boto3_calls_cpu_s"]["median"] / s["daemon_cpu_s"]["median"]
        print(f"  boto3 CPU / rolekeeper daemon CPU (medians): {ratio:.1f}x")


def print_table(results):
    """One line per size: what BENCHMARKS.md's tables hold."""
    def med(r, key, scale=1.0, fmt="{:.2f}"):
        v = r["summary"].get(key)
        return fmt.format(v["median"] * scale) if v else "-"

    print("\nsessions | first write s | renewed by it | all renewed s | daemon CPU s | "
          "CPU/renewal ms | peak RSS MiB | STS calls | boto3 wall s | boto3 CPU s | "
          "opens state/settings/sources/config/credentials")
    for r in results:
        calls = ", ".join(f"{a} {med(r, 'calls_' + a, fmt='{:.0f}')}" for a in r["actions"])
        opens = "/".join(str(r["opens"][k]) for k in WATCHED_FILES) if "opens" in r else "-"
        print(f"{r['sessions']} | {med(r, 'spawn_to_written_s')} | "
              f"{med(r, 'first_batch_renewed', fmt='{:.0f}')} | "
              f"{med(r, 'spawn_to_all_renewed_s')} | {med(r, 'daemon_cpu_s')} | "
              f"{med(r, 'daemon_cpu_per_renewal_ms')} | "
              f"{med(r, 'peak_rss_kb', 1 / 1024, '{:.1f}')} | "
              f"{calls} | {med(r, 'boto3_calls_s')} | {med(r, 'boto3_calls_cpu_s')} | {opens}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the rolekeeper binary (release)")
    ap.add_argument("--sessions", type=sizes, default=[500],
                    help="how many sessions, or a list of sizes run in turn (100,500,1000)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keychain", choices=("none", "session"), default="none")
    ap.add_argument("--mfa", action="store_true",
                    help="roles with mfa_serial and mfa_process (the MFA-session plan)")
    ap.add_argument("--drop-mfa-session", action="store_true",
                    help="with --mfa --keychain session: delete the cached MFA session before "
                    "each run (secret-tool), as when it expired while the sessions were due")
    ap.add_argument("--boto3-runs", type=int, default=3)
    ap.add_argument("--gap", type=int, default=GAP,
                    help="seconds from a renewal to the session being due again (and between runs)")
    ap.add_argument("--strace", action="store_true",
                    help="one more run under strace: opens of the files each renewal reads")
    ap.add_argument("--log", default="info",
                    help="ROLEKEEPER_LOG for the daemon, e.g. info,rolekeeper_core::mfa=debug")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, HOME)")
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()
    if args.drop_mfa_session and not (args.mfa and args.keychain == "session"):
        sys.exit("--drop-mfa-session goes with --mfa --keychain session")
    if args.strace and not shutil.which("strace"):
        sys.exit("--strace needs strace (apt-get install strace)")
    need_session_bus(args.keychain)
    rk = os.path.abspath(args.bin)
    results = []
    for n in args.sessions:
        results.append(bench_size(args, rk, n))
        print_summary(results[-1], args)
        if args.json:  # after each size: a later one that fails keeps these
            with open(args.json, "w") as f:
                json.dump(results[0] if len(args.sessions) == 1 else {"sizes": results}, f,
                          indent=1)
    if len(results) > 1:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
