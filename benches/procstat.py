"""What the benchmarks read from /proc: process trees, memory, CPU time and context switches.

Shared by benches/desktop.py (the tray app) and benches/idle.py / benches/refresh.py (the daemon).
Standard library only: it runs under Debian's python3 and under the venv's.

CPU time is utime+stime in clock ticks (`CLK_TCK`, 10 ms here). A wake-up is a context switch:
a thread that sleeps and is woken counts one voluntary switch; one preempted counts an
involuntary one. Counts are per thread (/proc/PID/task/TID/status), so a thread that ends takes its
count with it: `threads()` keeps them by thread id, and `thread_delta()` reports threads that
started or ended between two samples instead of summing them into a misleading total.
"""
import os
import re

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(path):
    """The fields after "pid (comm)" of a stat file: comm may hold spaces and ')'."""
    with open(path) as f:
        return f.read().rsplit(")", 1)[1].split()


def descendants(pid):
    """pid and every process below it, from the ppid field of /proc/*/stat."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(f"/proc/{entry}/stat")[1])
        except (OSError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, i = [pid], 0
    while i < len(tree):
        tree.extend(children.get(tree[i], []))
        i += 1
    return tree


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def status_kb(pid, key):
    """A kB value of /proc/PID/status (VmHWM: peak RSS, VmRSS), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rollup(pid):
    """{'Rss': kB, 'Pss': kB, 'Uss': kB} of one process, from smaps_rollup."""
    out = {"Rss": 0, "Pss": 0, "Uss": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    out[key] = int(rest.split()[0])
                elif key in ("Private_Clean", "Private_Dirty"):
                    out["Uss"] += int(rest.split()[0])
    except OSError:
        pass
    return out


def memory(pid):
    """Whole-tree memory: totals in kB and one row per process."""
    rows = []
    for p in descendants(pid):
        r = rollup(p)
        rows.append({"pid": p, "comm": comm(p), **r})
    total = {k: sum(r[k] for r in rows) for k in ("Rss", "Pss", "Uss")}
    return {"total_kb": total, "processes": rows}


MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def top_mappings(pid, n=12):
    """The n biggest PSS contributors of one process, grouped by mapped file (or [heap], [anon])."""
    by_name = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = MAPPING.match(line)
            if m:
                path = m.group(1).strip()
                name = os.path.basename(path) if path.startswith("/") else (path or "[anon]")
            elif line.startswith("Pss:"):
                by_name[name] = by_name.get(name, 0) + int(line.split()[1])
    return sorted(by_name.items(), key=lambda kv: -kv[1])[:n]


def threads(pid):
    """{(pid, tid): {'comm', 'ticks', 'voluntary', 'involuntary'}} for every thread of the tree."""
    out = {}
    for p in descendants(pid):
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            base = f"/proc/{p}/task/{tid}"
            try:
                fields = _stat_fields(f"{base}/stat")
                row = {"comm": comm(f"{p}/task/{tid}"),
                       "ticks": int(fields[11]) + int(fields[12]),  # utime, stime (14, 15)
                       "voluntary": 0, "involuntary": 0}
                with open(f"{base}/status") as f:
                    for line in f:
                        if line.startswith("voluntary_ctxt_switches:"):
                            row["voluntary"] = int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches:"):
                            row["involuntary"] = int(line.split()[1])
            except (OSError, IndexError):
                continue  # a thread that ended while we read
            out[(p, int(tid))] = row
    return out


def process_ticks(pid):
    """utime+stime of every process of the tree, from /proc/PID/stat: this includes the time of
    threads that already ended (the kernel adds it to the process when a thread exits)."""
    ticks = 0
    for p in descendants(pid):
        try:
            fields = _stat_fields(f"/proc/{p}/stat")
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue
    return ticks


def cpu_sample(pid):
    """(CPU ticks utime+stime, voluntary ctx switches, involuntary ctx switches, threads) of the tree."""
    rows = threads(pid)
    return (process_ticks(pid),
            sum(r["voluntary"] for r in rows.values()),
            sum(r["involuntary"] for r in rows.values()),
            len(rows))


COUNTERS = ("ticks", "voluntary", "involuntary")


def thread_delta(before, after):
    """What each thread did between two `threads()` samples.

    Returns {'rows': [...], 'ticks', 'voluntary', 'involuntary', 'started', 'ended'}: one row per
    thread that ran (or started, or ended) in between; sums over threads alive at both samples
    plus everything a thread that started in between did. A thread that ended in between is
    listed with what it had done before (its last moments are not counted: the kernel drops its
    counters)."""
    rows = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b and a:
            d = {k: a[k] - b[k] for k in COUNTERS}
            state = "alive"
        elif a:
            d = {k: a[k] for k in COUNTERS}
            state = "started"
        else:
            d = {k: 0 for k in COUNTERS}
            state = "ended"
        rows.append({"pid": key[0], "tid": key[1], "comm": (a or b)["comm"], "state": state, **d})
    return {
        "rows": [r for r in rows if r["state"] != "alive" or r["voluntary"] or r["involuntary"]
                 or r["ticks"]],
        "ticks": sum(r["ticks"] for r in rows),
        "voluntary": sum(r["voluntary"] for r in rows),
        "involuntary": sum(r["involuntary"] for r in rows),
        "started": sum(r["state"] == "started" for r in rows),
        "ended": sum(r["state"] == "ended" for r in rows),
        "threads": [len(before), len(after)],
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
