"""The boto3 way RoleKeeper replaces: print `export` lines for a profile's credentials.

    boto3_export.py PROFILE
"""

import sys

import boto3

credentials = boto3.Session(profile_name=sys.argv[1]).get_credentials().get_frozen_credentials()
print(f"export AWS_ACCESS_KEY_ID={credentials.access_key}")
print(f"export AWS_SECRET_ACCESS_KEY={credentials.secret_key}")
if credentials.token:
    print(f"export AWS_SESSION_TOKEN={credentials.token}")
