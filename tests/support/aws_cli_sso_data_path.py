#!/usr/bin/env python3
"""Points an AWS CLI that predates AWS_ENDPOINT_URL_SSO(_OIDC) (Debian's 2.9.19, the project's
oracle) at the fake Identity Center on 127.0.0.1:PORT.

Usage: aws_cli_sso_data_path.py PORT OUTDIR
Then run the CLI with AWS_DATA_PATH=OUTDIR.

OUTDIR gets sso-oidc/2019-06-10/endpoint-rule-set-1.json and sso/2019-06-10/endpoint-rule-set-1.json:
each the rule set the CLI ships (its parameters kept) with the rules replaced by one unconditional
endpoint, http://127.0.0.1:PORT. The CLI loads a service's files from the first AWS_DATA_PATH
directory that has them, so every other file still comes from its own data.

The CLI is ROLEKEEPER_TEST_AWS_CLI (default /usr/bin/aws); its data is found by asking the Python
in its #! line where its botocore lives (`awscli.botocore` in v2, `botocore` in v1).
"""
import json
import os
import subprocess
import sys

SERVICES = ("sso-oidc", "sso")
VERSION = "2019-06-10"
FIND_DATA = """
import os
try:
    import awscli.botocore as b
except ImportError:
    import botocore as b
print(os.path.join(os.path.dirname(b.__file__), "data"))
"""


def cli_data_dir():
    cli = os.environ.get("ROLEKEEPER_TEST_AWS_CLI") or "/usr/bin/aws"
    with open(cli, "rb") as script:
        first = script.readline().decode().strip()
    if not first.startswith("#!"):
        sys.exit(f"aws_cli_sso_data_path: {cli} has no #! line to find its Python by")
    interpreter = first[2:].split()
    found = subprocess.run(interpreter + ["-c", FIND_DATA], capture_output=True, text=True,
                           check=False)
    if found.returncode != 0:
        sys.exit(f"aws_cli_sso_data_path: cannot find the botocore of {cli}: {found.stderr}")
    return found.stdout.strip()


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        print("usage: aws_cli_sso_data_path.py PORT OUTDIR", file=sys.stderr)
        return 2
    port, outdir = sys.argv[1], sys.argv[2]
    data = cli_data_dir()
    for service in SERVICES:
        name = os.path.join(service, VERSION, "endpoint-rule-set-1.json")
        with open(os.path.join(data, name), encoding="utf-8") as shipped:
            rules = json.load(shipped)
        rules["rules"] = [{
            "conditions": [],
            "endpoint": {"url": f"http://127.0.0.1:{port}", "properties": {}, "headers": {}},
            "type": "endpoint",
        }]
        target = os.path.join(outdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as out:
            json.dump(rules, out, indent=1)
    print(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
