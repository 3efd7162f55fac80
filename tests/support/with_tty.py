"""Run a command with a pseudo-terminal as its controlling terminal (/dev/tty), and type one line
on that terminal when the command's prompt appears there.

Usage: python with_tty.py PROGRAM [ARG...]   (the line to type comes on this script's stdin)

The prompt waited for is "Enter MFA code", or WITH_TTY_PROMPT when set.

The command's stdin, stdout and stderr stay this script's own (stdin: /dev/null), so a caller can
read its stdout and stderr apart; only /dev/tty is the pty. What is typed is never printed. Exits
with the command's exit status.
"""
import os
import select
import subprocess
import sys
import time

PROMPT = os.environ.get("WITH_TTY_PROMPT", "Enter MFA code").encode()


def main():
    line = sys.stdin.readline().strip()
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)

    def become_tty_owner():
        # A new session has no controlling terminal; the first terminal it opens becomes it.
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))

    child = subprocess.Popen(
        sys.argv[1:],
        stdin=subprocess.DEVNULL,
        preexec_fn=become_tty_owner,
    )
    # Keep the slave open here until the command is done: with no process holding it, reading
    # the master fails (EIO), e.g. before the command has opened /dev/tty.
    seen = b""
    typed = False
    deadline = time.monotonic() + 60
    while child.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        seen += os.read(master, 4096)
        if not typed and PROMPT in seen:
            os.write(master, line.encode() + b"\n")
            typed = True
    os.close(slave)
    try:
        status = child.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        child.kill()
        sys.stderr.write("with_tty.py: the command did not finish in 60 s\n")
        return 124
    if not typed:
        sys.stderr.write("with_tty.py: no prompt seen on the terminal\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
