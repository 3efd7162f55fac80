"""A fake AWS federation endpoint (signin.aws.amazon.com/federation) for the console tests: the
two GETs a console sign-in makes, as AWS documents them ("Enable custom identity broker access to
the AWS console").

GET /federation?Action=getSigninToken[&SessionDuration=N]&Session=<JSON>
    The Session must be JSON with exactly the keys sessionId, sessionKey and sessionToken, each a
    non-empty string; SessionDuration, when sent, a whole number from 900 to 43200. A request
    that breaks a rule answers 400 as AWS does for a session it refuses. Else 200
    {"SigninToken": "<new token>"}. The session id (an access key id) is recorded with whether
    a SessionDuration was sent, never the key or the token.
GET /federation?Action=login&Destination=<URL>&SigninToken=<token>
    A token this fake issued, used once: 200 with a small page; else 400. The destination is
    recorded.

It does not fake: checking the session with STS (any well-formed session gets a token), issuers,
the logout redirect, a token's 15-minute life, or regional sign-in hosts.

Usage: fake_federation.py [--port N]   prints `PORT <n>` once it listens.
Test controls, JSON in and out: POST /__fake/config (merge-set the keys of DEFAULTS),
GET /__fake/stats (counts per outcome, and every token request and login in order).
"""
import argparse
import itertools
import json
import secrets
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULTS = {
    "refuse_session_duration": False,  # a SessionDuration answers 400, as for a chained role
    "fail_next": 0,  # the next N token requests answer 500
}
SESSION_KEYS = {"sessionId", "sessionKey", "sessionToken"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.config = dict(DEFAULTS)
        self.counts = Counter()
        self.token_requests = []  # {"session_id", "session_duration"} per accepted request
        self.logins = []  # {"destination"} per accepted login
        self.issued = set()  # tokens issued and not yet used
        self.serial = itertools.count(1)

    def get_signin_token(self, query):
        """(status, JSON body, note) for one getSigninToken."""
        if self.config["fail_next"] > 0:
            self.config["fail_next"] -= 1
            self.counts["failed"] += 1
            return 500, {"message": "internal failure (injected)"}, "injected 500"
        sessions = query.get("Session", [])
        if len(sessions) != 1:
            return self.refuse("Session missing or repeated")
        try:
            session = json.loads(sessions[0])
        except ValueError:
            return self.refuse("Session is not JSON")
        if not isinstance(session, dict) or set(session) != SESSION_KEYS:
            keys = sorted(session) if isinstance(session, dict) else type(session).__name__
            return self.refuse(f"Session keys are {keys}")
        if not all(isinstance(v, str) and v for v in session.values()):
            return self.refuse("a Session value is empty or not a string")
        duration = query.get("SessionDuration")
        if duration is not None:
            if len(duration) != 1 or not duration[0].isdigit():
                return self.refuse("SessionDuration is not a number")
            if not 900 <= int(duration[0]) <= 43200:
                return self.refuse("SessionDuration is outside 900..43200")
            if self.config["refuse_session_duration"]:
                return self.refuse("SessionDuration with a chained role session")
            duration = int(duration[0])
        token = f"tok-{next(self.serial)}-{secrets.token_urlsafe(24)}"
        self.issued.add(token)
        self.token_requests.append({"session_id": session["sessionId"],
                                    "session_duration": duration})
        self.counts["tokens"] += 1
        return 200, {"SigninToken": token}, f"token for {session['sessionId']}"

    def refuse(self, why):
        self.counts["refused"] += 1
        # AWS answers a refused session with a bare 400 and this text.
        return 400, {"message": "Invalid credentials parameter"}, why

    def login(self, query):
        token = query.get("SigninToken", [""])[0]
        destination = query.get("Destination", [""])[0]
        if token not in self.issued:
            self.counts["logins_refused"] += 1
            return 400, {"message": "unknown or used SigninToken"}, "bad token"
        if not destination.startswith("https://"):
            self.counts["logins_refused"] += 1
            return 400, {"message": "Destination is not https"}, "bad destination"
        self.issued.discard(token)
        self.logins.append({"destination": destination})
        self.counts["logins"] += 1
        return 200, None, f"login to {destination}"

    def control(self, method, path, body):
        if method == "GET" and path == "/__fake/stats":
            return 200, {"counts": dict(self.counts), "token_requests": self.token_requests,
                         "logins": self.logins, "config": self.config}
        if method == "POST" and path == "/__fake/config":
            unknown = set(body) - set(DEFAULTS)
            if unknown:
                return 400, {"message": f"unknown settings {sorted(unknown)}"}
            self.config.update(body)
            return 200, self.config
        return 404, {"message": f"no control {method} {path}"}


class Handler(BaseHTTPRequestHandler):
    state = None
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        self.note = ""
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with self.state.lock:
            if parts.path.startswith("/__fake/"):
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    return self.send_json(400, {"message": "control body is not JSON"})
                status, answer = self.state.control(method, parts.path, body)
                return self.send_json(status, answer)
            if method != "GET" or parts.path != "/federation":
                return self.send_json(404, {"message": f"no {method} {parts.path}"})
            query = parse_qs(parts.query, keep_blank_values=True)
            action = query.get("Action", [""])[0]
            self.state.counts[f"action:{action}"] += 1
            if action == "getSigninToken":
                status, answer, self.note = self.state.get_signin_token(query)
            elif action == "login":
                status, answer, self.note = self.state.login(query)
                if status == 200:
                    return self.send_raw(200, "text/html", "<html><body>Console</body></html>")
            else:
                status, answer, self.note = 400, {"message": "unknown Action"}, action
        self.send_json(status, answer)

    def send_json(self, status, value):
        self.send_raw(status, "application/json", json.dumps(value))

    def send_raw(self, status, content_type, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        # The path without its query: the query carries a session's keys or a sign-in token.
        path = urlsplit(self.path).path
        sys.stderr.write(f"fake-federation {self.command} {path} {code} {self.note}".rstrip()
                         + "\n")
        sys.stderr.flush()

    def log_message(self, format, *args):
        sys.stderr.write("fake-federation " + (format % args) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    Handler.state = State()
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
