"""botocore parsing the benchmark's credentials file (5,000 profiles + 20 managed sessions).

Usage: python benches/botocore_parse.py FILE [RUNS]
Prints the median and minimum of RUNS parses with botocore.configloader.raw_config_parse, which
is what botocore and the AWS CLI do to read the file (before any credential lookup).
"""
import statistics
import sys
import time

import botocore.configloader


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        profiles = botocore.configloader.raw_config_parse(path)
        times.append(time.perf_counter() - start)
    assert len(profiles) == 5020, len(profiles)
    print(f"botocore raw_config_parse: median {statistics.median(times) * 1000:.2f} ms, "
          f"min {min(times) * 1000:.2f} ms over {runs} runs ({len(profiles)} sections)")


if __name__ == "__main__":
    main()
