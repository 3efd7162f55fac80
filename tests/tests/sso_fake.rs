//! The fake Identity Center speaks the protocol real clients speak: botocore (the venv's, the
//! oracle) drives it through the device flow, a refresh, the end of a portal session and a
//! throttled pagination, and reads every answer and error as it would the service's.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, ChildStdout, Stdio};

use rolekeeper_tests::fake_sso::{browser_script, FakeIdentityCenter};
use rolekeeper_tests::{describe, require_env, AwsHome, ChildGuard};
use serde_json::{json, Value};

/// A botocore process with an `sso-oidc` and an `sso` client on the fake: it reads one request a
/// line, `{"service", "op", "args"}` (or `"paginate"` instead of `"op"`), and answers one line,
/// `{"ok": response}` or `{"error": {code, status, message, error, retries}}`.
const DRIVER: &str = r#"
import json, sys
import boto3, botocore.exceptions
session = boto3.Session(region_name="us-east-1")
clients = {name: session.client(name, endpoint_url=sys.argv[1]) for name in ("sso-oidc", "sso")}
def plain(answer):
    meta = answer.pop("ResponseMetadata", {})
    answer["retries"] = meta.get("RetryAttempts")
    return answer
for line in sys.stdin:
    req = json.loads(line)
    client = clients[req["service"]]
    try:
        if "paginate" in req:
            pages = client.get_paginator(req["paginate"]).paginate(**req["args"])
            out = {"ok": [plain(page) for page in pages]}
        else:
            out = {"ok": plain(getattr(client, req["op"])(**req["args"]))}
    except botocore.exceptions.ClientError as e:
        r = e.response
        out = {"error": {"code": r["Error"]["Code"], "message": r["Error"]["Message"],
                         "status": r["ResponseMetadata"]["HTTPStatusCode"],
                         "error": r.get("error"), "retries": r["ResponseMetadata"]["RetryAttempts"]}}
    print(json.dumps(out, default=str), flush=True)
"#;

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

struct Botocore {
    _child: ChildGuard,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _home: AwsHome,
}

impl Botocore {
    fn start(fake: &FakeIdentityCenter) -> Self {
        let home = AwsHome::new("", "");
        let mut child = ChildGuard(
            home.command(require_env("ROLEKEEPER_TEST_PYTHON"))
                .args(["-c", DRIVER, &fake.url()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start the botocore driver"),
        );
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            _child: child,
            stdin,
            stdout,
            _home: home,
        }
    }

    fn call(&mut self, request: Value) -> Result<Value, Value> {
        writeln!(self.stdin, "{request}").expect("send to the driver");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("driver answer");
        let mut answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("driver answered {line:?} to {request}: {e}"));
        match answer.get_mut("ok") {
            Some(ok) => Ok(ok.take()),
            None => Err(answer["error"].take()),
        }
    }

    fn ok(&mut self, service: &str, op: &str, args: Value) -> Value {
        let request = json!({"service": service, "op": op, "args": args});
        self.call(request.clone())
            .unwrap_or_else(|e| panic!("{request}: {e}"))
    }

    fn err(&mut self, service: &str, op: &str, args: Value) -> Value {
        let request = json!({"service": service, "op": op, "args": args});
        match self.call(request.clone()) {
            Ok(v) => panic!("{request} succeeded: {v}"),
            Err(e) => e,
        }
    }

    /// RegisterClient, with `sso:account:access` when `scopes` (a refreshable registration).
    fn register(&mut self, scopes: bool) -> Value {
        let mut args = json!({"clientName": "botocore-client-corp", "clientType": "public"});
        if scopes {
            args["scopes"] = json!(["sso:account:access"]);
        }
        self.ok("sso-oidc", "register_client", args)
    }

    fn start_device(&mut self, client: &Value) -> Value {
        self.ok(
            "sso-oidc",
            "start_device_authorization",
            json!({"clientId": client["clientId"], "clientSecret": client["clientSecret"],
                   "startUrl": START_URL}),
        )
    }

    fn poll(&mut self, client: &Value, device: &Value) -> Result<Value, Value> {
        self.call(
            json!({"service": "sso-oidc", "op": "create_token", "args": {
            "clientId": client["clientId"], "clientSecret": client["clientSecret"],
            "grantType": DEVICE_GRANT, "deviceCode": device["deviceCode"]}}),
        )
    }

    fn refresh(&mut self, client: &Value, refresh_token: &Value) -> Result<Value, Value> {
        self.call(
            json!({"service": "sso-oidc", "op": "create_token", "args": {
            "clientId": client["clientId"], "clientSecret": client["clientSecret"],
            "grantType": "refresh_token", "refreshToken": refresh_token}}),
        )
    }

    /// A whole device sign-in with a refreshable registration: (registration, token).
    fn sign_in(&mut self, fake: &FakeIdentityCenter) -> (Value, Value) {
        let client = self.register(true);
        let device = self.start_device(&client);
        fake.approve(device["userCode"].as_str().unwrap());
        let token = self.poll(&client, &device).expect("token after approval");
        (client, token)
    }
}

#[test]
fn device_flow_pending_then_approved_and_only_scoped_registrations_get_refresh_tokens() {
    let fake = FakeIdentityCenter::start();
    let mut boto = Botocore::start(&fake);

    let client = boto.register(true);
    let device = boto.start_device(&client);
    let user_code = device["userCode"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{device}");
    assert_eq!(
        device["verificationUriComplete"],
        format!("{}/device?user_code={user_code}", fake.url())
    );
    assert_eq!(device["interval"], 1);
    assert_eq!(device["expiresIn"], 600);

    let pending = boto.poll(&client, &device).unwrap_err();
    assert_eq!(
        pending["code"], "AuthorizationPendingException",
        "{pending}"
    );
    assert_eq!(pending["error"], "authorization_pending", "{pending}");
    assert_eq!(pending["status"], 400);

    fake.approve(user_code);
    let token = boto.poll(&client, &device).expect("token after approval");
    assert_eq!(token["tokenType"], "Bearer");
    assert_eq!(token["expiresIn"], 3600);
    assert!(token["refreshToken"].is_string(), "{token}");
    // A device code is exchanged once.
    let again = boto.poll(&client, &device).unwrap_err();
    assert_eq!(again["code"], "InvalidGrantException", "{again}");

    // Without scopes (the legacy shape): no refresh token. Approved by the scripted browser
    // opening verificationUriComplete, as botocore's login would.
    let legacy = boto.register(false);
    let device = boto.start_device(&legacy);
    let url = device["verificationUriComplete"].as_str().unwrap();
    let browser_log = tempfile::NamedTempFile::new().unwrap();
    let opened = std::process::Command::new(browser_script())
        .arg(url)
        .env("ROLEKEEPER_TEST_BROWSER_LOG", browser_log.path())
        .output()
        .expect("run sso_browser.py");
    assert!(opened.status.success(), "{}", describe(&opened));
    assert_eq!(
        std::fs::read_to_string(browser_log.path()).unwrap(),
        format!("{url}\n")
    );
    let token = boto.poll(&legacy, &device).expect("legacy token");
    assert!(token.get("refreshToken").is_none(), "{token}");

    let stats = fake.stats();
    assert_eq!(stats["sign_ins"], 2, "{stats}");
    assert_eq!(stats["create_token:device_code"], 4, "{stats}");
    assert_eq!(stats["create_token_errors:authorization_pending"], 1);
    assert_eq!(
        stats["registrations"][0]["scopes"],
        json!(["sso:account:access"])
    );
    assert_eq!(stats["registrations"][1]["scopes"], json!([]));
}

#[test]
fn refresh_rotates_the_refresh_token_until_the_portal_session_ends() {
    let fake = FakeIdentityCenter::start();
    let mut boto = Botocore::start(&fake);
    let (client, first) = boto.sign_in(&fake);

    let second = boto
        .refresh(&client, &first["refreshToken"])
        .expect("refresh");
    assert_ne!(second["accessToken"], first["accessToken"]);
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    let spent = boto.refresh(&client, &first["refreshToken"]).unwrap_err();
    assert_eq!(spent["code"], "InvalidGrantException", "{spent}");
    assert_eq!(spent["error"], "invalid_grant");

    // The refreshed token works on the portal until the session ends.
    let role = json!({"roleName": "Admin", "accountId": "111111111111",
                      "accessToken": second["accessToken"]});
    let creds = boto.ok("sso", "get_role_credentials", role.clone());
    let creds = &creds["roleCredentials"];
    assert!(creds["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let ms = creds["expiration"].as_u64().unwrap();
    assert!(ms > 1_700_000_000_000, "expiration is in epoch ms: {ms}");
    let not_assigned = boto.err(
        "sso",
        "get_role_credentials",
        json!({"roleName": "Admin", "accountId": "222222222222",
               "accessToken": second["accessToken"]}),
    );
    assert_eq!(not_assigned["code"], "ForbiddenException", "{not_assigned}");

    fake.end_portal_session();
    let ended = boto.refresh(&client, &second["refreshToken"]).unwrap_err();
    assert_eq!(ended["code"], "InvalidGrantException", "{ended}");
    let unauthorized = boto.err("sso", "get_role_credentials", role);
    assert_eq!(
        unauthorized["code"], "UnauthorizedException",
        "{unauthorized}"
    );
    assert_eq!(unauthorized["status"], 401);
    assert_eq!(
        unauthorized["message"],
        "Session token not found or invalid"
    );
    assert_eq!(fake.count("create_token_errors:invalid_grant"), 2);
}

#[test]
fn expired_access_tokens_are_refused_but_refresh_still_works() {
    let fake = FakeIdentityCenter::start();
    let mut boto = Botocore::start(&fake);
    let (client, token) = boto.sign_in(&fake);

    fake.expire_access_tokens();
    let expired = boto.err(
        "sso",
        "list_accounts",
        json!({"accessToken": token["accessToken"]}),
    );
    assert_eq!(expired["code"], "UnauthorizedException", "{expired}");
    let fresh = boto
        .refresh(&client, &token["refreshToken"])
        .expect("refresh");
    boto.ok(
        "sso",
        "list_accounts",
        json!({"accessToken": fresh["accessToken"]}),
    );
    // Logout ends the sign-in session, refresh token included.
    boto.ok(
        "sso",
        "logout",
        json!({"accessToken": fresh["accessToken"]}),
    );
    let after = boto.refresh(&client, &fresh["refreshToken"]).unwrap_err();
    assert_eq!(after["code"], "InvalidGrantException", "{after}");
}

#[test]
fn pagination_survives_an_injected_429() {
    let fake = FakeIdentityCenter::start();
    let mut boto = Botocore::start(&fake);
    let (_, token) = boto.sign_in(&fake);
    fake.config(json!({"page_size": 1, "throttle_next": 1}));

    let pages = boto
        .call(json!({"service": "sso", "paginate": "list_accounts",
                     "args": {"accessToken": token["accessToken"]}}))
        .expect("list_accounts pages");
    let pages = pages.as_array().unwrap();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(
        pages[0]["retries"], 1,
        "botocore retried the 429: {pages:?}"
    );
    assert_eq!(pages[0]["accountList"][0]["accountId"], "111111111111");
    assert_eq!(pages[1]["accountList"][0]["accountId"], "222222222222");
    assert!(pages[1].get("nextToken").is_none());

    let roles = boto
        .call(json!({"service": "sso", "paginate": "list_account_roles",
                     "args": {"accessToken": token["accessToken"], "accountId": "111111111111"}}))
        .expect("list_account_roles pages");
    let names: Vec<&str> = roles
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|page| page["roleList"].as_array().unwrap())
        .map(|role| role["roleName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Admin", "ReadOnly"]);

    let stats = fake.stats();
    assert_eq!(stats["throttled"], 1, "{stats}");
    assert_eq!(stats["list_accounts"], 3, "{stats}");
    assert_eq!(stats["list_account_roles"], 2, "{stats}");
}
