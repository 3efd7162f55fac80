#!/usr/bin/env python3
"""SSO benchmark (BENCHMARKS.md, "IAM Identity Center (issue 12): an active SSO role served"):
`rolekeeper credential-process` of an active IAM Identity Center role beside an active
assume-role session, and, for context, a non-active SSO profile served from the keychain (kept)
and through the portal (first time).

  sso.py --bin RK [--runs 500] [--rounds 4] [--interleaved 2000] [--kept-runs 100]
         [--first-runs 60] [--strace] [--json OUT] [--keep]

Run with the venv's python (scripts/start-sts.sh python) inside scripts/with-desktop-session.sh
(gnome-keyring on a private bus: an SSO sign-in keeps its refresh token there); `scripts/bench.sh
sso` does both.

What it does, in a throw-away HOME:
  * its own moto (benches/moto_counting.py, STS calls counted by action) and the fake Identity
    Center (tests/support/fake_identity_center.py: SSO-OIDC and the portal on one loopback port,
    no added delay; calls counted at `GET /__fake/stats`);
  * ~/.aws/config: `dev` (sso_session corp, 111111111111 / Admin), `dev-kept` (the same role under
    another name, never activated), `role-p` (role_arn over `static`, long-term keys in
    ~/.aws/credentials: the active-session case of `scripts/bench.sh cli`), `[sso-session corp]`;
  * `rolekeeper sso login corp` through the scripted $BROWSER (tests/support/sso_browser.py,
    ROLEKEEPER_TEST_BROWSER_MODE=background: PKCE on loopback), `rolekeeper activate dev` and
    `rolekeeper activate role-p` (both file delivery, both one hour);
  * checks that both active ones are served with the portal, OIDC and STS on a closed port;
  * active: --rounds hyperfine -N invocations (--warmup 3 --runs N) of `credential-process dev`
    and `credential-process role-p` side by side, their order swapped each round; the fake's and
    moto's calls counted across them (they must be 0);
  * interleaved: --interleaved rounds of the same two and the assume-role one again (a control:
    the method's own noise), each round in a shuffled order, spawned and reaped here (wall time,
    and CPU from the child's rusage): hyperfine times each command in a block of its own, so a
    change in load between blocks reads as a difference; here each round pairs them. Reported:
    the median per-round difference, SSO - assume-role and again - assume-role, with a
    bootstrap 95% interval;
  * kept: `credential-process dev-kept` once (one GetRoleCredentials, kept in the keychain), then
    hyperfine of it (0 portal calls expected);
  * first: hyperfine --runs --first-runs of it with `--prepare "secret-tool clear ... username
    session:dev-kept"` (the kept session deleted before every run, not timed): one
    GetRoleCredentials per run expected;
  * --strace: one more run of each under `strace -f` (kept out of the times): syscalls, threads,
    files opened, sockets connected.
"""
import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from procstat import loadavg  # noqa: E402
from rkdaemon import ROOT, Announcing, Moto, daemon_env, log, need_session_bus  # noqa: E402
from rkdaemon import ACCOUNT, leave_workdir, write_json, write_static_source  # noqa: E402

SUPPORT = os.path.join(ROOT, "tests", "support")
CLOSED = "http://127.0.0.1:1"
CONFIG = f"""[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[profile dev-kept]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[profile role-p]
role_arn = arn:aws:iam::{ACCOUNT}:role/Bench
source_profile = static
region = us-east-1

[profile static]
region = us-east-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
"""
CASES = {
    "active SSO role (dev)": "dev",
    "active assume-role (role-p)": "role-p",
}
CONTROL = "active assume-role again (role-p)"  # the interleaved runs' noise floor
KEPT = "non-active SSO, kept (dev-kept)"
FIRST = "non-active SSO, first time (dev-kept)"


class FakeIdentityCenter(Announcing):
    """tests/support/fake_identity_center.py (the venv's python: this one), no delay added."""

    def __init__(self, workdir):
        super().__init__([sys.executable, os.path.join(SUPPORT, "fake_identity_center.py")],
                         os.path.join(workdir, "fake-idc.log"), "PORT")

    def stats(self):
        """Calls so far, by kind (the counters of GET /__fake/stats)."""
        stats = self.control("GET", "/__fake/stats")
        return {k: v for k, v in stats.items() if isinstance(v, int)}


def delta(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def run(cmd, env, check=True):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out


def summary(times, user, system):
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {"median_ms": statistics.median(ms), "p95_ms": p95, "min_ms": ms[0],
            "max_ms": ms[-1], "mean_ms": statistics.fmean(ms), "runs": len(ms),
            "cpu_ms": (user + system) * 1000}


def hyperfine(label, commands, env, workdir, runs, warmup=3, prepare=None):
    """One hyperfine -N invocation; {name: {"times", "user", "system"}}."""
    out = os.path.join(workdir, f"hyperfine-{label}.json")
    cmd = [shutil.which("hyperfine"), "-N", "--style", "basic", "--warmup", str(warmup),
           "--runs", str(runs), "--export-json", out]
    if prepare:
        cmd += ["--prepare", prepare]
    for name, argv in commands:
        cmd += ["-n", name, " ".join(argv)]
    subprocess.run(cmd, env=env, check=True, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    with open(out) as f:
        return {r["command"]: r for r in json.load(f)["results"]}


def interleaved(arms, env, rounds, warmup=20, seed=12):
    """Every arm once a round, in an order shuffled each round, so drift in the machine's load
    falls on all alike: posix_spawn (stdin, stdout and stderr on /dev/null), reaped with wait4;
    wall time from before the spawn to the reap, CPU time from the child's rusage.
    {name: {"wall": [s, ...], "cpu": [s, ...]}}, index i of every arm from the same round."""
    rng = random.Random(seed)
    devnull = os.open(os.devnull, os.O_RDWR)
    files = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
    out = {name: {"wall": [], "cpu": []} for name in arms}
    names = list(arms)
    try:
        for i in range(warmup + rounds):
            rng.shuffle(names)
            for name in names:
                argv = arms[name]
                start = time.perf_counter()
                pid = os.posix_spawn(argv[0], argv, env, file_actions=files)
                _, status, usage = os.wait4(pid, 0)
                wall = time.perf_counter() - start
                if status != 0:
                    raise RuntimeError(f"{' '.join(argv)} failed (wait status {status})")
                if i >= warmup:
                    out[name]["wall"].append(wall)
                    out[name]["cpu"].append(usage.ru_utime + usage.ru_stime)
    finally:
        os.close(devnull)
    return out


def paired(a, b, seed=12, resamples=2000):
    """The median of the per-round differences a[i] - b[i] in ms, with a bootstrap 95% interval."""
    diffs = [(x - y) * 1000 for x, y in zip(a, b)]
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(diffs, k=len(diffs)))
                     for _ in range(resamples))
    return {"median_diff_ms": statistics.median(diffs),
            "ci95_ms": [medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]]}


STRACE_LINE = re.compile(r"^(\w+)\((.*?)(?:\)\s+=\s+(-?\d+|\?)|\s*<unfinished \.\.\.>)")


def strace(argv, env, workdir, name):
    """One run under strace -ff (a file per thread, so no call is split across lines): syscalls,
    threads, files opened, sockets connected."""
    prefix = os.path.join(workdir, f"strace-{name}")
    subprocess.run(["strace", "-ff", "-qq", "-s", "200", "-o", prefix] + argv, env=env,
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    calls, opens, connects = 0, [], []
    files = [f for f in os.listdir(workdir) if f.startswith(f"strace-{name}.")]
    for path in files:
        with open(os.path.join(workdir, path), errors="replace") as f:
            for line in f:
                m = STRACE_LINE.match(line)
                if not m:
                    continue
                call, args, ret = m.groups()
                calls += 1
                if call in ("openat", "open"):
                    target = re.search(r'"([^"]*)"', args)
                    failed = ret is not None and ret.startswith("-")
                    opens.append((target.group(1) if target else args) +
                                 (" (failed)" if failed else ""))
                elif call == "connect":
                    target = re.search(r'sun_path="([^"]*)"|sin_port=htons\((\d+)\)', args)
                    connects.append(target.group(1) or f"127.0.0.1:{target.group(2)}"
                                    if target else args[:80])
    home, run = env["HOME"], env["XDG_RUNTIME_DIR"]
    ours = [o.replace(home, "~").replace(run, "$XDG_RUNTIME_DIR") for o in opens
            if not o.startswith(("/lib", "/usr/lib", "/etc/ld.so", "/proc", "/sys"))]
    return {"syscalls": calls, "threads": len(files), "opens": len(opens),
            "opens_outside_libs": ours,
            "connects": [c.replace(run, "$XDG_RUNTIME_DIR") for c in connects]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the rolekeeper binary (release)")
    ap.add_argument("--runs", type=int, default=500, help="runs per active case per round")
    ap.add_argument("--rounds", type=int, default=4,
                    help="hyperfine invocations of the active pair, order swapped each time")
    ap.add_argument("--interleaved", type=int, default=2000,
                    help="rounds of the active cases run one after the other in a shuffled "
                         "order, timed here (0: none)")
    ap.add_argument("--kept-runs", type=int, default=100)
    ap.add_argument("--first-runs", type=int, default=60)
    ap.add_argument("--strace", action="store_true", help="one traced run of each case")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (HOME, logs)")
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()
    need_session_bus("session")
    for tool in ("hyperfine", "secret-tool") + (("strace",) if args.strace else ()):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: scripts/install-deps.sh test")
    args.bin = os.path.abspath(args.bin)
    rk = args.bin
    workdir = tempfile.mkdtemp(prefix="rk-bench-sso.")
    moto = Moto(workdir)
    fake = None
    result = {"binary": args.bin, "runs": args.runs, "rounds": args.rounds,
              "load_start": loadavg()}
    try:
        fake = FakeIdentityCenter(workdir)
        home = os.path.join(workdir, "home")
        os.makedirs(os.path.join(home, ".aws"), mode=0o700)
        with open(os.path.join(home, ".aws", "config"), "w") as f:
            f.write(CONFIG)
        write_static_source(home)
        env = daemon_env(home, moto.url, "session")
        env.update({"AWS_ENDPOINT_URL_SSO": fake.url, "AWS_ENDPOINT_URL_SSO_OIDC": fake.url,
                    "BROWSER": os.path.join(SUPPORT, "sso_browser.py"),
                    "ROLEKEEPER_TEST_BROWSER_MODE": "background",
                    "ROLEKEEPER_TEST_BROWSER_LOG": os.path.join(workdir, "browser.log")})
        subprocess.run(["secret-tool", "clear", "service", "rolekeeper"], check=False)
        log(f"{rk}; fake Identity Center {fake.url}; moto {moto.url}; load {loadavg()}")
        run([rk, "sso", "login", "corp"], env)
        run([rk, "activate", "dev"], env)
        run([rk, "activate", "role-p"], env)
        result["setup_calls"] = {"fake": fake.stats(), "moto": moto.calls()}

        # The active ones must be served with every endpoint closed: the file path.
        closed = dict(env, AWS_ENDPOINT_URL_SSO=CLOSED, AWS_ENDPOINT_URL_SSO_OIDC=CLOSED,
                      AWS_ENDPOINT_URL_STS=CLOSED)
        keys = {}
        for name, profile in CASES.items():
            doc = json.loads(run([rk, "credential-process", profile], closed).stdout)
            keys[name] = doc["AccessKeyId"]
        log(f"served with the portal, OIDC and STS closed: {keys}")

        # Active: both side by side, the order swapped each round; nothing may reach the fake
        # or moto.
        fake_before, moto_before = fake.stats(), moto.calls()
        pooled = {name: {"times": [], "user": 0.0, "system": 0.0} for name in CASES}
        result["active_rounds"] = []
        for i in range(args.rounds):
            order = list(CASES.items())
            if i % 2:
                order.reverse()
            load = loadavg()
            res = hyperfine(f"active-{i}", [(n, [rk, "credential-process", p]) for n, p in order],
                            env, workdir, args.runs)
            rnd = {"order": [n for n, _ in order], "load": load}
            for name in CASES:
                r = res[name]
                rnd[name] = summary(r["times"], r["user"], r["system"])
                pooled[name]["times"] += r["times"]
                pooled[name]["user"] += r["user"] / args.rounds
                pooled[name]["system"] += r["system"] / args.rounds
            result["active_rounds"].append(rnd)
            log(f"round {i + 1}: " + "; ".join(
                f"{n} median {rnd[n]['median_ms']:.2f} ms" for n in CASES))
        result["active"] = {n: summary(**p) for n, p in pooled.items()}
        result["active_calls"] = {"fake": delta(fake.stats(), fake_before),
                                  "moto": moto.calls_since(moto_before)}
        for name, profile in CASES.items():
            doc = json.loads(run([rk, "credential-process", profile], env).stdout)
            result["active"][name]["same_key_as_before"] = doc["AccessKeyId"] == keys[name]

        # The same two, interleaved run by run, with the assume-role case twice (a control).
        if args.interleaved:
            fake_before, moto_before = fake.stats(), moto.calls()
            arms = {name: [rk, "credential-process", p] for name, p in CASES.items()}
            arms[CONTROL] = arms["active assume-role (role-p)"]
            load = loadavg()
            runs = interleaved(arms, env, args.interleaved)
            sso, role = CASES
            result["interleaved"] = {
                "rounds": args.interleaved, "load": load,
                **{name: dict(summary(r["wall"], 0, 0), cpu_ms=statistics.fmean(r["cpu"]) * 1000)
                   for name, r in runs.items()},
                "sso_minus_role": paired(runs[sso]["wall"], runs[role]["wall"]),
                "control_minus_role": paired(runs[CONTROL]["wall"], runs[role]["wall"]),
                "calls": {"fake": delta(fake.stats(), fake_before),
                          "moto": moto.calls_since(moto_before)}}
            log(f"interleaved: {result['interleaved']['sso_minus_role']}")

        # Kept: obtained once, then from the keychain.
        before = fake.stats()
        kept_key = json.loads(run([rk, "credential-process", "dev-kept"], env).stdout)
        kept_key = kept_key["AccessKeyId"]
        result["kept_warm_up_calls"] = delta(fake.stats(), before)
        kept_cmd = [rk, "credential-process", "dev-kept"]
        before = fake.stats()
        load = loadavg()
        r = hyperfine("kept", [(KEPT, kept_cmd)], env, workdir, args.kept_runs)[KEPT]
        result["kept"] = dict(summary(r["times"], r["user"], r["system"]), load=load,
                              calls=delta(fake.stats(), before))
        doc = json.loads(run(kept_cmd, env).stdout)
        result["kept"]["same_key_as_warm_up"] = doc["AccessKeyId"] == kept_key

        # First time: the kept session deleted before every run (untimed).
        clear = "secret-tool clear service rolekeeper username session:dev-kept"
        before = fake.stats()
        load = loadavg()
        r = hyperfine("first", [(FIRST, kept_cmd)], env, workdir, args.first_runs,
                      warmup=0, prepare=clear)[FIRST]
        result["first"] = dict(summary(r["times"], r["user"], r["system"]), load=load,
                               calls=delta(fake.stats(), before))

        if args.strace:
            result["strace"] = {}
            traced = [(n, p) for n, p in CASES.items()] + [(KEPT, "dev-kept")]
            for name, profile in traced:
                before = fake.stats()
                result["strace"][name] = strace([rk, "credential-process", profile], env,
                                                workdir, profile)
                result["strace"][name]["calls"] = delta(fake.stats(), before)
            subprocess.run(clear.split(), check=False)
            before = fake.stats()
            result["strace"][FIRST] = strace(kept_cmd, env, workdir, "first")
            result["strace"][FIRST]["calls"] = delta(fake.stats(), before)
        result["fake_calls"] = fake.stats()
        result["moto_calls"] = moto.calls()
        result["load_end"] = loadavg()
    finally:
        if fake:
            fake.stop()
        moto.stop()
        leave_workdir(workdir, args.keep)
    write_json(args.json, result)
    report(result, args)
    return 0


def report(result, args):
    print(f"\ncredential-process, {args.rounds} rounds x {args.runs} runs of each active case "
          f"(load {result['load_start']} -> {result['load_end']})")
    print("case | median ms | p95 | min | max | CPU ms (user+sys, mean) | runs | portal calls")
    rows = [(n, result["active"][n], result["active_calls"]["fake"].get("get_role_credentials", 0))
            for n in CASES]
    rows += [(KEPT, result["kept"], result["kept"]["calls"].get("get_role_credentials", 0)),
             (FIRST, result["first"], result["first"]["calls"].get("get_role_credentials", 0))]
    for name, s, calls in rows:
        print(f"{name} | {s['median_ms']:.2f} | {s['p95_ms']:.2f} | {s['min_ms']:.2f} | "
              f"{s['max_ms']:.2f} | {s['cpu_ms']:.2f} | {s['runs']} | {calls} GetRoleCredentials")
    for i, rnd in enumerate(result["active_rounds"]):
        print(f"round {i + 1} (load {rnd['load']}; first {rnd['order'][0]}): " + "; ".join(
            f"{n} {rnd[n]['median_ms']:.2f} / p95 {rnd[n]['p95_ms']:.2f} ms" for n in CASES))
    sso, role = (result["active"][n] for n in CASES)
    print(f"active SSO / active assume-role: median {sso['median_ms'] / role['median_ms']:.3f}x, "
          f"p95 {sso['p95_ms'] / role['p95_ms']:.3f}x, CPU {sso['cpu_ms'] / role['cpu_ms']:.3f}x")
    inter = result.get("interleaved")
    if inter:
        print(f"interleaved, {inter['rounds']} rounds (load {inter['load']}), timed here "
              "(posix_spawn .. wait4):")
        for name in list(CASES) + [CONTROL]:
            t = inter[name]
            print(f"  {name} | median {t['median_ms']:.2f} | p95 {t['p95_ms']:.2f} | min "
                  f"{t['min_ms']:.2f} | max {t['max_ms']:.2f} | CPU {t['cpu_ms']:.2f} ms")
        for label, key in (("SSO - assume-role", "sso_minus_role"),
                           ("assume-role again - assume-role", "control_minus_role")):
            d = inter[key]
            print(f"  {label}, per round: median {d['median_diff_ms']:+.3f} ms "
                  f"(95% interval {d['ci95_ms'][0]:+.3f} .. {d['ci95_ms'][1]:+.3f})")
        print(f"  calls during them: fake {inter['calls']['fake'] or 'none'}, "
              f"moto {inter['calls']['moto'] or 'none'}")
    print(f"calls during the active runs: fake {result['active_calls']['fake'] or 'none'}, "
          f"moto {result['active_calls']['moto'] or 'none'}")
    print(f"kept: warm-up {result['kept_warm_up_calls']}, runs {result['kept']['calls'] or 'none'}"
          f", same key as the warm-up: {result['kept']['same_key_as_warm_up']}; "
          f"first time: {result['first']['calls']}")
    for name, t in result.get("strace", {}).items():
        print(f"strace {name}: {t['syscalls']} syscalls, {t['threads']} threads, {t['opens']} "
              f"opens; outside libs: {', '.join(t['opens_outside_libs'])}; connects: "
              f"{', '.join(t['connects']) or 'none'}; portal calls {t['calls'] or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
