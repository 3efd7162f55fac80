"""A fake IAM Identity Center for the end-to-end tests: the SSO-OIDC API (`sso-oidc` 2019-06-10:
RegisterClient, StartDeviceAuthorization, CreateToken with the device-code, refresh-token and
authorization-code + PKCE grants, plus the /authorize and /device pages a browser visits) and the
SSO portal API (`sso` 2019-06-10: GetRoleCredentials, ListAccounts, ListAccountRoles, Logout), in
one loopback process, for botocore, the AWS CLI and the Rust SDK pointed at it.

It speaks rest-json as botocore and the Rust SDK parse it: errors carry `x-amzn-ErrorType`; OIDC
error bodies are `{"error", "error_description"}`, portal ones `{"message"}`. Every call is
unsigned, as in the service models. A "portal session" starts at each sign-in (a device code or an
authorization code exchanged for tokens; counted as `sign_ins`); its access and refresh tokens live
until it ends (a control, or Logout, which ends the session as the service's does). A refresh
token comes only with a registration that had scopes (the legacy/refreshable split), and is
spent by its use (rotation). A role not assigned answers 403 ForbiddenException "No access", as
the real service does, though the model does not list it.

It does not fake: signatures or CreateTokenWithIAM, id tokens, real users or a sign-in form (a GET
of the verification or authorize URL is the user's consent), scopes beyond "some or none", region
redirects, vanity start URLs, or any limit beyond what a test switches on.

Usage: fake_identity_center.py [--port N]   prints `PORT <n>` once it listens.
Test controls, JSON in and out: POST /__fake/config (merge-set the keys of DEFAULTS),
POST /__fake/approve {"userCode"[, "deny": true]}, POST /__fake/end_portal_session,
POST /__fake/expire_access_tokens, GET /__fake/stats (every request counted, failed ones too).
"""
import argparse
import base64
import hashlib
import itertools
import json
import re
import secrets
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULTS = {
    "access_token_ttl": 3600,
    "role_credentials_ttl": 3600,
    "device_interval": 1,
    "slow_down_polls": [],  # 1-based poll numbers, counted per device code
    "auto_approve": True,  # a GET of /device or /authorize is the user's consent
    "deny_authorize": False,
    "deny_device": False,  # a GET of /device denies instead of approving
    "expire_device_codes": False,
    "throttle_next": 0,  # the next N portal calls answer 429
    "page_size": 100,
    "accounts": [
        {"accountId": "111111111111", "accountName": "dev",
         "emailAddress": "dev@example.com", "roles": ["Admin", "ReadOnly"]},
        {"accountId": "222222222222", "accountName": "prod",
         "emailAddress": "prod@example.com", "roles": ["ReadOnly"]},
    ],
}
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_NAMES = {DEVICE_GRANT: "device_code", "refresh_token": "refresh_token",
               "authorization_code": "authorization_code"}
LOOPBACK_REDIRECT = re.compile(r"^http://127\.0\.0\.1:\d+/[^?#]*$")
NO_SESSION = "Session token not found or invalid"


class Problem(Exception):
    """An error answer: `name` without "Exception"; `code` is the OIDC snake code, None for the
    portal API (whose bodies carry a message only)."""

    def __init__(self, status, name, code, description):
        super().__init__(description)
        self.status, self.name, self.code, self.description = status, name, code, description


def oidc_error(name, code, description, status=400):
    return Problem(status, name, code, description)


def portal_error(status, name, message):
    return Problem(status, name, None, message)


def short(token):
    return (token[:4] + "…") if token else "-"


def new_token(prefix):
    return prefix + secrets.token_urlsafe(24)


class State:
    """Everything the fake knows; every handler holds `lock` while it reads or changes it."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.port = port
        self.config = json.loads(json.dumps(DEFAULTS))
        self.clients = {}  # clientId -> registration
        self.devices = {}  # deviceCode -> {clientId, userCode, expires, state, polls, used}
        self.user_codes = {}  # userCode -> deviceCode
        self.auth_codes = {}  # code -> {clientId, redirectUri, challenge, used}
        self.sessions = {}  # session id -> {"ended": bool}
        self.access = {}  # accessToken -> {session, expires, revoked}
        self.refresh = {}  # refreshToken -> {session, clientId, valid}
        self.stats = Counter()
        self.last_authorize_query = {}
        self.serial = itertools.count(1)

    # --- OIDC -------------------------------------------------------------------------------
    def client(self, body):
        found = self.clients.get(body.get("clientId"))
        if found is None or found["clientSecret"] != body.get("clientSecret"):
            raise oidc_error("InvalidClient", "invalid_client", "Invalid client", 401)
        if found["clientSecretExpiresAt"] <= time.time():
            raise oidc_error("InvalidClient", "invalid_client", "Client secret expired", 401)
        return found

    def register_client(self, body):
        self.stats["register_client"] += 1
        if body.get("clientType") != "public" or not body.get("clientName"):
            raise oidc_error("InvalidClientMetadata", "invalid_client_metadata",
                             "clientName and clientType=public are required")
        now = int(time.time())
        client_id = f"cid-{next(self.serial)}-{secrets.token_hex(4)}"
        self.clients[client_id] = {
            "clientId": client_id, "clientSecret": new_token("cs-"),
            "clientName": body["clientName"], "scopes": body.get("scopes") or [],
            "grantTypes": body.get("grantTypes") or [],
            "redirectUris": body.get("redirectUris") or [],
            "issuerUrl": body.get("issuerUrl"),
            "clientIdIssuedAt": now, "clientSecretExpiresAt": now + 90 * 86400,
        }
        reg = self.clients[client_id]
        return {k: reg[k] for k in
                ("clientId", "clientSecret", "clientIdIssuedAt", "clientSecretExpiresAt")}

    def start_device_authorization(self, body):
        self.stats["start_device_authorization"] += 1
        client = self.client(body)
        if not body.get("startUrl"):
            raise oidc_error("InvalidRequest", "invalid_request", "startUrl is required")
        device_code = new_token("dc-")
        letters = "BCDFGHJKLMNPQRSTVWXZ"
        user_code = "-".join("".join(secrets.choice(letters) for _ in range(4)) for _ in "12")
        self.devices[device_code] = {"clientId": client["clientId"], "userCode": user_code,
                                     "expires": time.time() + 600, "state": "pending",
                                     "polls": 0, "used": False}
        self.user_codes[user_code] = device_code
        base = f"http://127.0.0.1:{self.port}/device"
        return {"deviceCode": device_code, "userCode": user_code, "verificationUri": base,
                "verificationUriComplete": f"{base}?{urlencode({'user_code': user_code})}",
                "expiresIn": 600, "interval": self.config["device_interval"]}

    def decide_device(self, user_code, approve):
        device = self.devices.get(self.user_codes.get(user_code))
        if device is None or device["state"] != "pending":
            return False
        device["state"] = "approved" if approve else "denied"
        return True

    def create_token(self, body):
        grant = body.get("grantType")
        name = GRANT_NAMES.get(grant, grant)
        self.stats[f"create_token:{name}"] += 1
        try:
            client = self.client(body)
            if grant not in GRANT_NAMES:
                raise oidc_error("UnsupportedGrantType", "unsupported_grant_type",
                                 f"Unsupported grant type: {grant}")
            if client["grantTypes"] and grant not in client["grantTypes"]:
                raise oidc_error("UnauthorizedClient", "unauthorized_client",
                                 "The client is not registered for this grant type")
            return getattr(self, "grant_" + name)(client, body)
        except Problem as problem:
            self.stats[f"create_token_errors:{problem.code}"] += 1
            raise

    def grant_device_code(self, client, body):
        device = self.devices.get(body.get("deviceCode"))
        if device is None or device["clientId"] != client["clientId"] or device["used"]:
            raise oidc_error("InvalidGrant", "invalid_grant", "Invalid device code provided")
        device["polls"] += 1
        if self.config["expire_device_codes"] or device["expires"] <= time.time():
            raise oidc_error("ExpiredToken", "expired_token", "Device code has expired")
        if device["state"] == "denied":
            raise oidc_error("AccessDenied", "access_denied", "The user denied the request")
        if device["polls"] in self.config["slow_down_polls"]:
            raise oidc_error("SlowDown", "slow_down", "Client is polling too quickly")
        if device["state"] != "approved":
            raise oidc_error("AuthorizationPending", "authorization_pending",
                             "Authorization is still pending")
        device["used"] = True
        return self.sign_in(client)

    def grant_authorization_code(self, client, body):
        grant = self.auth_codes.get(body.get("code"))
        verifier = body.get("codeVerifier") or ""
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if (grant is None or grant["used"] or grant["clientId"] != client["clientId"]
                or grant["redirectUri"] != body.get("redirectUri")
                or grant["challenge"] != challenge):
            raise oidc_error("InvalidGrant", "invalid_grant", "Invalid authorization code")
        grant["used"] = True
        return self.sign_in(client)

    def grant_refresh_token(self, client, body):
        old = self.refresh.get(body.get("refreshToken"))
        if (old is None or not old["valid"] or old["clientId"] != client["clientId"]
                or self.sessions[old["session"]]["ended"]):
            raise oidc_error("InvalidGrant", "invalid_grant", "Invalid refresh token provided")
        old["valid"] = False  # rotated: the old refresh token is spent
        return self.issue(client, old["session"])

    def sign_in(self, client):
        self.stats["sign_ins"] += 1
        session = f"s{next(self.serial)}"
        self.sessions[session] = {"ended": False}
        return self.issue(client, session)

    def issue(self, client, session):
        ttl = self.config["access_token_ttl"]
        token = new_token("at-")
        self.access[token] = {"session": session, "expires": time.time() + ttl, "revoked": False}
        answer = {"accessToken": token, "tokenType": "Bearer", "expiresIn": ttl}
        if client["scopes"]:  # legacy registrations (no scopes) get no refresh token
            refresh = new_token("rt-")
            self.refresh[refresh] = {"session": session, "clientId": client["clientId"],
                                     "valid": True}
            answer["refreshToken"] = refresh
        return answer

    def authorize(self, query):
        """The answer to GET /authorize: (status, headers, body)."""
        self.stats["authorize"] += 1
        q = {k: v[-1] for k, v in parse_qs(query).items()}
        self.last_authorize_query = q
        redirect = q.get("redirect_uri", "")
        client = self.clients.get(q.get("client_id"))
        if client is None or not LOOPBACK_REDIRECT.match(redirect):
            return 400, {}, "unknown client_id or a redirect_uri not on http://127.0.0.1:PORT/"
        if (q.get("response_type") != "code" or q.get("code_challenge_method") != "S256"
                or not q.get("code_challenge")):
            return 400, {}, "response_type=code and an S256 code_challenge are required"
        back = {"state": q["state"]} if "state" in q else {}
        if self.config["deny_authorize"]:
            location = redirect + "?" + urlencode({"error": "access_denied", **back})
        elif client["grantTypes"] and "authorization_code" not in client["grantTypes"]:
            location = redirect + "?" + urlencode({"error": "unauthorized_client", **back})
        elif not self.config["auto_approve"]:
            return 200, {}, "<html><body>Sign in to continue (never finished).</body></html>"
        else:
            code = new_token("ac-")
            self.auth_codes[code] = {"clientId": client["clientId"], "redirectUri": redirect,
                                     "challenge": q["code_challenge"], "used": False}
            location = redirect + "?" + urlencode({"code": code, **back})
        return 302, {"Location": location}, ""

    # --- portal -----------------------------------------------------------------------------
    def portal_session(self, token):
        """The session of a live access token, or a 401."""
        if self.config["throttle_next"] > 0:
            self.config["throttle_next"] -= 1
            self.stats["throttled"] += 1
            raise portal_error(429, "TooManyRequests", "Rate exceeded")
        found = self.access.get(token or "")
        if (found is None or found["revoked"] or found["expires"] <= time.time()
                or self.sessions[found["session"]]["ended"]):
            raise portal_error(401, "Unauthorized", NO_SESSION)
        return found["session"]

    def account(self, account_id):
        for acct in self.config["accounts"]:
            if acct["accountId"] == account_id:
                return acct
        return None

    def page(self, query, items, key):
        start = query.get("next_token", "0")
        if not start.isdigit():
            raise portal_error(400, "InvalidRequest", "Invalid next token")
        start = int(start)
        size = self.config["page_size"]
        limit = query.get("max_result", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            raise portal_error(400, "InvalidRequest", "max_result must be 1 to 100")
        size = min(size, int(limit))
        answer = {key: items[start:start + size]}
        if start + size < len(items):
            answer["nextToken"] = str(start + size)
        return answer

    def get_role_credentials(self, token, query):
        self.stats["get_role_credentials"] += 1
        self.portal_session(token)
        acct = self.account(query.get("account_id"))
        if acct is None or query.get("role_name") not in acct["roles"]:
            # What the real service answers for a role not assigned (not in the model).
            raise portal_error(403, "Forbidden", "No access")
        n = next(self.serial)
        ttl = self.config["role_credentials_ttl"]
        return {"roleCredentials": {
            "accessKeyId": f"ASIA{n:016d}", "secretAccessKey": f"fake-secret-{n}-" + "s" * 24,
            "sessionToken": f"fake-session-{n}-" + secrets.token_urlsafe(48),
            "expiration": int((time.time() + ttl) * 1000)}}

    def list_accounts(self, token, query):
        self.stats["list_accounts"] += 1
        self.portal_session(token)
        items = [{k: a[k] for k in ("accountId", "accountName", "emailAddress")}
                 for a in self.config["accounts"]]
        return self.page(query, items, "accountList")

    def list_account_roles(self, token, query):
        self.stats["list_account_roles"] += 1
        self.portal_session(token)
        acct = self.account(query.get("account_id"))
        if acct is None:
            raise portal_error(404, "ResourceNotFound", "Account not found")
        items = [{"roleName": r, "accountId": acct["accountId"]} for r in acct["roles"]]
        return self.page(query, items, "roleList")

    def logout(self, token):
        """Ends the sign-in session of `token`, as the service's Logout does."""
        self.stats["logout"] += 1
        self.sessions[self.portal_session(token)]["ended"] = True
        return None

    # --- controls ---------------------------------------------------------------------------
    def control(self, method, path, body):
        if (method, path) == ("POST", "/__fake/config"):
            unknown = set(body) - set(DEFAULTS)
            if unknown:
                raise portal_error(400, "InvalidRequest", f"unknown settings {sorted(unknown)}")
            self.config.update(body)
            return self.config
        if (method, path) == ("POST", "/__fake/approve"):
            if not self.decide_device(body.get("userCode"), not body.get("deny", False)):
                raise portal_error(404, "ResourceNotFound", "no pending device code with that userCode")
            return {}
        if (method, path) == ("POST", "/__fake/end_portal_session"):
            for session in self.sessions.values():
                session["ended"] = True
            return {"ended": len(self.sessions)}
        if (method, path) == ("POST", "/__fake/expire_access_tokens"):
            for token in self.access.values():
                token["expires"] = min(token["expires"], time.time() - 1)
            return {"expired": len(self.access)}
        if (method, path) == ("GET", "/__fake/stats"):
            regs = [{k: c[k] for k in ("clientId", "clientName", "scopes", "grantTypes",
                                       "redirectUris", "issuerUrl")}
                    for c in self.clients.values()]
            return {**self.stats, "sign_ins": self.stats["sign_ins"],
                    "last_authorize_query": self.last_authorize_query, "registrations": regs}
        raise portal_error(404, "ResourceNotFound", f"no control {method} {path}")


def json_answer(value, status=200, headers=None):
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(value)


def error_answer(problem):
    if problem.code is None:
        body = {"message": problem.description}
    else:
        body = {"error": problem.code, "error_description": problem.description}
    return json_answer(body, problem.status, {"x-amzn-ErrorType": problem.name + "Exception"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set in main()
    note = ""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        # Read as is: `x-amz-sso_bearer_token` has an underscore, which some proxies drop.
        token = self.headers.get("x-amz-sso_bearer_token")
        self.note = f"token={short(token)}" if token is not None else ""
        try:
            body = json.loads(raw) if raw.strip() else {}
            with self.state.lock:
                answer = self.route(method, url.path, url.query, body, token)
        except json.JSONDecodeError:
            answer = error_answer(oidc_error("InvalidRequest", "invalid_request", "not JSON"))
        except Problem as problem:
            self.note = f"{self.note} {problem.name}Exception".strip()
            answer = error_answer(problem)
        except Exception as error:  # a bug here, or a test's bad setting: say so, keep serving
            self.log_message("internal error: %r", error)
            answer = error_answer(oidc_error("InternalServer", "server_error", repr(error), 500))
        self.send_raw(*answer)

    def route(self, method, path, query_string, body, token):
        """The answer, (status, headers, text), with the state's lock held."""
        state = self.state
        query = {k: v[-1] for k, v in parse_qs(query_string).items()}
        if path.startswith("/__fake/"):
            return json_answer(state.control(method, path, body))
        post = {"/client/register": state.register_client,
                "/device_authorization": state.start_device_authorization,
                "/token": state.create_token}
        get = {"/federation/credentials": state.get_role_credentials,
               "/assignment/accounts": state.list_accounts,
               "/assignment/roles": state.list_account_roles}
        if method == "POST" and path in post:
            return json_answer(post[path](body))
        if method == "GET" and path in get:
            return json_answer(get[path](token, query))
        if (method, path) == ("POST", "/logout"):
            state.logout(token)
            return 200, {}, ""
        if (method, path) == ("GET", "/authorize"):
            return state.authorize(query_string)
        if (method, path) == ("GET", "/device"):
            return self.device_page(query.get("user_code", ""))
        return 404, {}, f"no route {method} {path}"

    def device_page(self, user_code):
        config, acted = self.state.config, ""
        if config["auto_approve"]:
            approve = not config["deny_device"]
            if self.state.decide_device(user_code, approve):
                acted = "approved" if approve else "denied"
        self.note = f"user_code={user_code} {acted or 'no action'}"
        words = f"Request {acted}." if acted else "Nothing to do for this code."
        return 200, {"Content-Type": "text/html"}, f"<html><body><p>{words}</p></body></html>"

    def send_raw(self, status, headers, text):
        data = text.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request(self, code="-", size="-"):
        # The path without its query: a query can carry an authorization code.
        path = urlsplit(self.path).path
        sys.stderr.write(f"fake-idc {self.command} {path} {code} {self.note}\n".rstrip() + "\n")
        sys.stderr.flush()

    def log_message(self, format, *args):
        sys.stderr.write("fake-idc " + (format % args) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    Handler.state = State(server.server_address[1])
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
