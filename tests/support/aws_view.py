"""What botocore sees in the shared files: printed as JSON for the end-to-end suites.

Usage: python aws_view.py [PROFILE...]
Prints {"config": {...}, "credentials": {...}, "available": [...], "profiles": {...},
"keys": {PROFILE: access key}} where "config"/"credentials" are botocore's raw parse of each file
(sections -> keys -> values), "profiles" both files merged into profiles (names -> keys -> values),
and "keys" is the access key botocore's credential chain resolves for each PROFILE given.
A file botocore rejects is reported as {"error": "..."} with exit status 3.
"""
import json
import os
import sys

import botocore.configloader
import botocore.exceptions
import botocore.session


def raw(path):
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        return {}
    return botocore.configloader.raw_config_parse(path)


def main():
    config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    try:
        view = {"config": raw(config), "credentials": raw(credentials)}
        session = botocore.session.Session()
        view["available"] = sorted(session.available_profiles)
        # Both files merged, as botocore resolves profiles from them.
        view["profiles"] = session.full_config["profiles"]
        keys = {}
        for name in sys.argv[1:]:
            creds = botocore.session.Session(profile=name).get_credentials()
            keys[name] = creds.access_key if creds else None
        view["keys"] = keys
    except botocore.exceptions.BotoCoreError as e:
        print(json.dumps({"error": str(e)}))
        return 3
    print(json.dumps(view, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
