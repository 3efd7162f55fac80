#!/usr/bin/env python3
"""Write a large ~/.aws/config for `rolekeeper status` timings (BENCHMARKS.md, "status on large
configs"): role profiles of an organisation, each with a comment and a blank line, all sourced
from one `base` profile whose keys are in the credentials file written beside it.

    benches/large_config.py MEGABYTES DIR   # writes DIR/config and DIR/credentials
"""
import os
import sys


def main():
    megabytes, out = float(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    target = int(megabytes * 1024 * 1024)
    parts, size, i = ["[default]\nregion = eu-west-1\n"], 0, 0
    while size < target:
        block = (
            f"\n# team {i}\n[profile team-{i}]\n"
            f"role_arn = arn:aws:iam::{100000000000 + i}:role/Team{i}\n"
            "source_profile = base\nregion = eu-west-1\n"
        )
        parts.append(block)
        size += len(block)
        i += 1
    with open(os.path.join(out, "config"), "w") as f:
        f.write("".join(parts))
    with open(os.path.join(out, "credentials"), "w") as f:
        f.write("[base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\n"
                "aws_secret_access_key = " + "k" * 40 + "\n")
    os.chmod(os.path.join(out, "credentials"), 0o600)
    print(f"{out}/config: {i} profiles, {size + 30} bytes")


if __name__ == "__main__":
    main()
