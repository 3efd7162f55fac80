"""Another tool editing the credentials file: for the concurrency test.

Usage: other_writer.py CREDENTIALS_FILE SECONDS LOG
For SECONDS, every 0 to 40 ms (about 50 edits a second, far more than any real tool): read the
file, set `edits = N` in [other] (N counting up), write
it back the way careful tools do (temp file in the same directory, then rename). Before each
write it checks that its previous edit is still in the file it read: a lost edit makes it fail.
At the end it writes N of its last edit to LOG.
"""
import os
import random
import re
import sys
import tempfile
import time


def main():
    path, seconds, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        match = re.search(r"\nedits = (\d+)\n", text)
        if not match:
            print(f"[other] lost its edits line:\n{text}", file=sys.stderr)
            return 1
        seen = int(match.group(1))
        # Its own last edit may be crossed by RoleKeeper's write only if RoleKeeper lost it.
        if seen != n:
            print(f"edit {n} was lost: the file says {seen}", file=sys.stderr)
            return 1
        n += 1
        text = text[: match.start()] + f"\nedits = {n}\n" + text[match.end():]
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".other-writer-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        # Not faster: a writer that replaces the file more often than RoleKeeper can fsync a
        # temp file (about 3 ms here) would starve any optimistic writer, and no real tool does.
        time.sleep(random.random() * 0.04)
    with open(log, "w") as f:
        f.write(f"{n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
