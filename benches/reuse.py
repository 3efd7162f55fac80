#!/usr/bin/env python3
"""Reuse benchmark (BENCHMARKS.md, "Engine renovation (issue 11)"): `credential-process` of a role
that another process obtained a minute earlier, with STS 100 ms away; the AWS CLI v2 beside it.

  reuse.py --bin RK --proxy RK_STS_PROXY [--aws /usr/bin/aws] [--runs 30] [--delay-ms 100]
           [--age 60] [--keychain none|session] [--daemon no,yes] [--json OUT]

Run with the venv's python (scripts/start-sts.sh python); `scripts/bench.sh reuse` does, once
without and once with a Secret Service (inside scripts/with-desktop-session.sh).

What it does:
  * its own moto (benches/moto_counting.py) behind tests' rk-sts-proxy, which delays every STS
    call by --delay-ms (its `delay` fault) and counts calls by action;
  * one row per --daemon value, each in a throw-away HOME of its own: a profile `static` with
    long-term keys in ~/.aws/credentials and one role profile (`role_arn`, `source_profile =
    static`), never activated in RoleKeeper. The AWS CLI 2.9 knows no AWS_ENDPOINT_URL_STS, so
    the HOME also holds ~/.aws/models/sts/2011-06-15/endpoint-rule-set-1.json, an endpoint rule
    set that sends every STS call to the proxy (botocore reads ~/.aws/models before its own);
  * daemon yes: `rolekeeper daemon` runs in the background in that HOME for the whole row;
  * "a minute earlier, another process": one `rolekeeper credential-process NAME` and one
    `aws configure export-credentials --profile NAME` (which caches the session in
    ~/.aws/cli/cache), then --age seconds of nothing;
  * then `hyperfine -N --runs N` of each command on its own, with the AssumeRole calls the proxy
    saw during those runs, and one more run of each to see whether it still hands out the
    session of the warm-up (same access key).

--keychain none: no session bus (every keychain call fails at once; a server). --keychain
session: the Secret Service of the session this runs in; its rolekeeper items are deleted before
each row, so a row never sees what the one before it kept.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from procstat import CLK_TCK, loadavg, process_ticks  # noqa: E402
from rkdaemon import ACCOUNT, Announcing, Moto, daemon_env, log, need_session_bus  # noqa: E402
from rkdaemon import leave_workdir, write_json, write_static_source  # noqa: E402

# An endpoint rule set with the parameters of STS's own (2011-06-15) and one rule: this URL.
RULE_SET_PARAMETERS = {
    "Region": {"builtIn": "AWS::Region", "required": False, "type": "String"},
    "UseDualStack": {"builtIn": "AWS::UseDualStack", "required": True, "default": False,
                     "type": "Boolean"},
    "UseFIPS": {"builtIn": "AWS::UseFIPS", "required": True, "default": False,
                "type": "Boolean"},
    "Endpoint": {"builtIn": "SDK::Endpoint", "required": False, "type": "String"},
    "UseGlobalEndpoint": {"builtIn": "AWS::STS::UseGlobalEndpoint", "required": True,
                          "default": False, "type": "Boolean"},
}


class Proxy(Announcing):
    """tests' rk-sts-proxy in front of `upstream`, with its control API."""

    def __init__(self, binary, upstream, workdir):
        super().__init__([binary, upstream], os.path.join(workdir, "proxy.log"), "LISTENING")

    def calls(self, action):
        return self.control("GET", "/__calls")["calls"].get(action, 0)


def make_home(workdir, name, proxy_url):
    home = os.path.join(workdir, f"home-{name}")
    os.makedirs(os.path.join(home, ".aws"), mode=0o700)
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write("[profile static]\nregion = us-east-1\n\n"
                f"[profile {name}]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Reuse\n"
                "source_profile = static\nregion = us-east-1\n")
    write_static_source(home)
    models = os.path.join(home, ".aws", "models", "sts", "2011-06-15")
    os.makedirs(models)
    rule_set = {"version": "1.0", "parameters": RULE_SET_PARAMETERS,
                "rules": [{"conditions": [], "type": "endpoint",
                           "endpoint": {"url": proxy_url, "properties": {}, "headers": {}}}]}
    with open(os.path.join(models, "endpoint-rule-set-1.json"), "w") as f:
        json.dump(rule_set, f)
    return home


def access_key(cmd, env):
    """Run once; the access key it printed (both print the credential_process document)."""
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)["AccessKeyId"]


def hyperfine(name, cmd, env, runs, workdir):
    out = os.path.join(workdir, f"hyperfine-{name}.json")
    subprocess.run([shutil.which("hyperfine"), "-N", "--style", "basic", "--warmup", "0",
                    "--runs", str(runs), "--export-json", out, "-n", name, " ".join(cmd)],
                   env=env, check=True, stdin=subprocess.DEVNULL, stdout=sys.stderr)
    with open(out) as f:
        r = json.load(f)["results"][0]
    times = sorted(r["times"])
    return {"median_ms": r["median"] * 1000, "min_ms": times[0] * 1000,
            "max_ms": times[-1] * 1000, "mean_ms": r["mean"] * 1000,
            "cpu_ms": (r["user"] + r["system"]) * 1000, "runs": len(times)}


def start_daemon(rk, env, log_path):
    """`rolekeeper daemon` in the background, once it has logged that it started."""
    with open(log_path, "w") as logf:
        daemon = subprocess.Popen([rk, "daemon"], env=env, stdin=subprocess.DEVNULL,
                                  stdout=logf, stderr=logf)
    deadline = time.monotonic() + 10
    while True:
        with open(log_path) as f:
            text = f.read()
        if "daemon started" in text:
            return daemon
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            raise RuntimeError(f"the daemon did not start: {text[-2000:]}")
        time.sleep(0.05)


def row(args, proxy, workdir, keychain, with_daemon):
    name = "reuse-daemon" if with_daemon else "reuse"
    home = make_home(workdir, name, proxy.url)
    env = daemon_env(home, proxy.url, keychain)
    if keychain == "session":
        subprocess.run(["secret-tool", "clear", "service", "rolekeeper"], check=False)
    tools = {"rolekeeper credential-process": [args.bin, "credential-process", name],
             "aws configure export-credentials": [args.aws, "configure", "export-credentials",
                                                  "--profile", name, "--format", "process"]}
    result = {"keychain": keychain, "daemon": with_daemon, "profile": name, "load": loadavg()}
    daemon = start_daemon(args.bin, env, os.path.join(home, "daemon.log")) if with_daemon else None
    try:
        warm = {}
        for tool, cmd in tools.items():
            before = proxy.calls("AssumeRole")
            t0 = time.monotonic()
            key = access_key(cmd, env)
            warm[tool] = {"key": key, "ms": (time.monotonic() - t0) * 1000,
                          "assume_role": proxy.calls("AssumeRole") - before}
            log(f"{name}: warm-up {tool}: {warm[tool]['ms']:.0f} ms, "
                f"{warm[tool]['assume_role']} AssumeRole")
        log(f"{name}: waiting {args.age} s")
        time.sleep(args.age)
        for tool, cmd in tools.items():
            before = proxy.calls("AssumeRole")
            ticks = process_ticks(daemon.pid) if daemon else 0
            res = hyperfine(tool, cmd, env, args.runs, workdir)
            res["assume_role"] = proxy.calls("AssumeRole") - before
            if daemon:
                res["daemon_cpu_ms"] = (process_ticks(daemon.pid) - ticks) / CLK_TCK * 1000
            res["same_key_as_warm_up"] = access_key(cmd, env) == warm[tool]["key"]
            res["warm_up"] = warm[tool]
            result[tool] = res
            log(f"{name}: {tool}: median {res['median_ms']:.1f} ms, {res['assume_role']} "
                f"AssumeRole in {res['runs']} runs, same key as the warm-up: "
                f"{res['same_key_as_warm_up']}")
    finally:
        if daemon:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="the rolekeeper binary (release)")
    ap.add_argument("--proxy", required=True, help="tests' rk-sts-proxy binary")
    ap.add_argument("--aws", default=os.environ.get("ROLEKEEPER_TEST_AWS_CLI", "/usr/bin/aws"),
                    help="the AWS CLI v2")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--delay-ms", type=int, default=100, help="added to every STS call")
    ap.add_argument("--age", type=float, default=60,
                    help="seconds between the warm-up and the measured runs")
    ap.add_argument("--keychain", choices=("none", "session"), default="none")
    ap.add_argument("--daemon", default="no,yes",
                    help="rows: without (no) and with (yes) a running `rolekeeper daemon`")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (HOMEs, logs)")
    ap.add_argument("--json", help="also write every number here")
    args = ap.parse_args()
    need_session_bus(args.keychain)
    if not shutil.which("hyperfine"):
        sys.exit("hyperfine not found: scripts/install-deps.sh test (or apt-get install hyperfine)")
    daemons = [{"no": False, "yes": True}[d] for d in args.daemon.split(",")]
    args.bin = os.path.abspath(args.bin)
    workdir = tempfile.mkdtemp(prefix="rk-bench-reuse.")
    moto = Moto(workdir)
    proxy = None
    result = {"binary": args.bin, "aws": args.aws, "runs": args.runs, "delay_ms": args.delay_ms,
              "age_s": args.age, "keychain": args.keychain, "rows": []}
    try:
        proxy = Proxy(args.proxy, moto.url, workdir)
        proxy.control("POST", "/__faults", {"fault": "delay", "ms": args.delay_ms})
        aws_version = subprocess.run([args.aws, "--version"], capture_output=True, text=True)
        result["aws_version"] = aws_version.stdout.strip()
        log(f"{args.bin}; {result['aws_version']}; STS {proxy.url} (+{args.delay_ms} ms) -> "
            f"moto {moto.url}; keychain {args.keychain}; load {loadavg()}")
        for with_daemon in daemons:
            result["rows"].append(row(args, proxy, workdir, args.keychain, with_daemon))
        result["moto_calls"] = moto.calls()
        result["proxy_calls"] = proxy.control("GET", "/__calls")["calls"]
    finally:
        if proxy:
            proxy.stop()
        moto.stop()
        leave_workdir(workdir, args.keep)
    write_json(args.json, result)

    print(f"\ncredential-process of a role obtained {args.age:.0f} s earlier by another process, "
          f"STS +{args.delay_ms} ms (keychain: {args.keychain}; {args.runs} runs each)")
    print("daemon | command | median ms | min | max | CPU ms (user+sys, mean) | "
          "AssumeRole in the runs | same key as the warm-up")
    for r in result["rows"]:
        for tool in ("rolekeeper credential-process", "aws configure export-credentials"):
            t = r[tool]
            print(f"{'yes' if r['daemon'] else 'no'} | {tool} | {t['median_ms']:.1f} | "
                  f"{t['min_ms']:.1f} | {t['max_ms']:.1f} | {t['cpu_ms']:.1f} | "
                  f"{t['assume_role']} of {t['runs']} | {t['same_key_as_warm_up']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
