"""What the daemon benchmarks (benches/refresh.py, benches/idle.py) share: their own moto, a
throw-away HOME's environment, and a log line now and then."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from procstat import process_ticks

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
START_STS = os.path.join(ROOT, "scripts", "start-sts.sh")

ACCOUNT = "123456789012"
SOURCE_KEY = "AKIAIOSFODNN7EXAMPLE"
SOURCE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Moto:
    """A moto of this benchmark's own, on a free port, with its log under `workdir`, so no other
    test's requests are counted: benches/moto_counting.py (moto_server as scripts/start-sts.sh
    runs it, in the same venv, counting calls by action)."""

    def __init__(self, workdir):
        python = subprocess.run([START_STS, "python"], capture_output=True, text=True,
                                check=True).stdout.strip()
        self.port = subprocess.run([START_STS, "free-port"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        state = os.path.join(workdir, "sts")
        os.makedirs(state, exist_ok=True)
        self.log_path = os.path.join(state, f"moto-{self.port}.log")
        with open(self.log_path, "w") as logf:
            # moto may write files (moto_recording) into its working directory: keep it there.
            self.proc = subprocess.Popen([python, os.path.join(HERE, "moto_counting.py"),
                                          self.port], cwd=state, stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf)
        self.pid = self.proc.pid
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                self.calls()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    with open(self.log_path) as f:
                        raise RuntimeError(f"moto did not start:\n{f.read()[-2000:]}")
                time.sleep(0.2)

    def calls(self):
        """STS calls answered so far, by action."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url + "/__calls", timeout=5) as r:
            return json.load(r)

    def calls_since(self, before):
        after = self.calls()
        return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}

    def posts(self):
        """Requests werkzeug logged (one line per request): a cross-check of calls()."""
        with open(self.log_path, errors="replace") as f:
            return sum(1 for line in f if '"POST / HTTP/1.1"' in line)

    def ticks(self):
        return process_ticks(self.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Announcing:
    """A loopback test service that prints `WORD <port>` once it listens (tests' rk-sts-proxy,
    the fake Identity Center), its stderr logged to `log_path`; JSON controls over plain HTTP."""

    def __init__(self, argv, log_path, word):
        self.log_path = log_path
        with open(log_path, "w") as logf:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=logf, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != word:
            self.stop()
            raise RuntimeError(f"{os.path.basename(argv[0])} printed {line!r}, "
                               f"not {word} <port>")
        self.url = f"http://127.0.0.1:{line[1]}"
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with self.opener.open(req, timeout=5) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def leave_workdir(workdir, keep):
    """A benchmark's temp dir removed at its end, or kept (--keep) and named."""
    if keep:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def write_json(path, result):
    """Every number of a run, to the file --json names (none: nothing written)."""
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=1)


def write_static_source(home):
    """~/.aws/credentials with the long-term keys of the profile `static`, mode 0600."""
    os.makedirs(os.path.join(home, ".aws"), mode=0o700, exist_ok=True)
    cred = os.path.join(home, ".aws", "credentials")
    with open(cred, "w") as f:
        f.write(f"[static]\naws_access_key_id = {SOURCE_KEY}\n"
                f"aws_secret_access_key = {SOURCE_SECRET}\n")
    os.chmod(cred, 0o600)


def daemon_env(home, sts_url, keychain):
    """A clean environment for rolekeeper in `home`: none of the caller's AWS_* variables; the
    session bus only with keychain == "session" (else an empty XDG_RUNTIME_DIR: no keychain)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_STS": sts_url,
        "NO_PROXY": "127.0.0.1,localhost",
        "ROLEKEEPER_LOG": "info",
    }
    if keychain == "session":
        for var in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
            env[var] = os.environ[var]
    else:
        run = os.path.join(home, "run")  # no bus socket in it: the keychain is unavailable
        os.makedirs(run, mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = run
    return env


def need_session_bus(keychain):
    if keychain == "session" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        sys.exit("--keychain session needs a session bus with a Secret Service: run this inside "
                 "scripts/with-desktop-session.sh (scripts/bench.sh does)")
