"""IAM users and keys in moto, as the key rotation suite sets them up and checks them.

    moto_iam.py create-user USER        a user with one key: {"id": .., "secret": ..}
    moto_iam.py create-key USER         one more key for USER: {"id": .., "secret": ..}
    moto_iam.py list-keys USER          [{"id": .., "status": "Active"|"Inactive"}], oldest first
    moto_iam.py whoami                  GetCallerIdentity with AWS_ACCESS_KEY_ID/SECRET: {"arn": ..}

moto is at ROLEKEEPER_TEST_STS_URL (one server for every service). The user and key calls are
signed with dummy keys (moto does not check them); `whoami` with the keys in the environment.
"""

import json
import os
import sys

import boto3


def client(service, keys=None):
    url = os.environ["ROLEKEEPER_TEST_STS_URL"]
    if keys is None:
        keys = ("AKIAIOSFODNN7HARNESS", "harness-secret")
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
    )


def key(answer):
    k = answer["AccessKey"]
    return {"id": k["AccessKeyId"], "secret": k["SecretAccessKey"]}


def main(argv):
    command = argv[1]
    if command == "create-user":
        iam = client("iam")
        iam.create_user(UserName=argv[2])
        out = key(iam.create_access_key(UserName=argv[2]))
    elif command == "create-key":
        out = key(client("iam").create_access_key(UserName=argv[2]))
    elif command == "list-keys":
        listed = client("iam").list_access_keys(UserName=argv[2])["AccessKeyMetadata"]
        listed.sort(key=lambda k: k["CreateDate"])
        out = [{"id": k["AccessKeyId"], "status": k["Status"]} for k in listed]
    elif command == "whoami":
        keys = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        out = {"arn": client("sts", keys).get_caller_identity()["Arn"]}
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
