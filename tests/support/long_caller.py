"""A long-running boto3 program with no refresh code of its own (the seed workflow).

    long_caller.py SECONDS INTERVAL [--probe]

Calls STS GetCallerIdentity every INTERVAL seconds for SECONDS, through whatever credential
provider the environment selects (credential_process, the container endpoint, ...). Prints one
JSON line per call: {"ok", "arn" or "error", "key", "secret", "token"} — the credentials botocore
held right after the call, so the test can count renewals and look for the secrets elsewhere.
With --probe, first asks the container endpoint without a token and with a wrong one and prints
{"probe": [status, status]}. Exits 0 only if every call succeeded.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

import boto3


def status_of(url, token):
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    seconds, interval = float(sys.argv[1]), float(sys.argv[2])
    if "--probe" in sys.argv[3:]:
        url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        print(json.dumps({"probe": [status_of(url, None), status_of(url, "0" * 64)]}), flush=True)
    session = boto3.Session()
    credentials = session.get_credentials()  # the object the client refreshes
    sts = session.client("sts")
    failures = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        line = {}
        try:
            line["arn"] = sts.get_caller_identity()["Arn"]
            line["ok"] = True
        except Exception as error:  # reported, counted, and the loop goes on
            line["error"] = str(error)
            line["ok"] = False
            failures += 1
        frozen = credentials.get_frozen_credentials()
        line.update(key=frozen.access_key, secret=frozen.secret_key, token=frozen.token)
        print(json.dumps(line), flush=True)
        time.sleep(interval)
    sys.exit(1 if failures else 0)


main()
