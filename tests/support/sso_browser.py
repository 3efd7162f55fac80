#!/usr/bin/env python3
"""A scripted browser for the SSO tests, run as `$BROWSER URL` by RoleKeeper, Python's webbrowser
or the AWS CLI.

It appends the URL as one line to the file named by ROLEKEEPER_TEST_BROWSER_LOG (under an flock,
so concurrent invocations are all counted), then GETs the URL, following redirects: a GET of the
fake Identity Center's verification page approves a device code, and its /authorize answers with
a redirect to the app's loopback listener, which must receive that GET (PKCE).

ROLEKEEPER_TEST_BROWSER_MODE:
  (unset)      record, GET, exit 0 if the last answer is 2xx, else 1 with a message
  record-only  record and exit 0
  background   record, then GET in a detached child and exit 0 at once: for callers that wait
               for the browser to exit before they serve the redirect (errors go to stderr only)
"""
import fcntl
import os
import sys
import urllib.error
import urllib.request


def record(url):
    path = os.environ.get("ROLEKEEPER_TEST_BROWSER_LOG")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.write(url + "\n")
        log.flush()
        fcntl.flock(log, fcntl.LOCK_UN)


def visit(url):
    # Loopback only, never through a proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=30) as answer:
            answer.read()
            return 0
    except urllib.error.HTTPError as error:
        print(f"sso_browser: {error.code} from {error.url}: {error.read()[:300]!r}",
              file=sys.stderr)
    except (urllib.error.URLError, OSError) as error:
        print(f"sso_browser: GET {url}: {error}", file=sys.stderr)
    return 1


def main():
    if len(sys.argv) != 2:
        print("usage: sso_browser.py URL", file=sys.stderr)
        return 2
    url = sys.argv[1]
    record(url)
    mode = os.environ.get("ROLEKEEPER_TEST_BROWSER_MODE", "")
    if mode == "record-only":
        return 0
    if mode == "background":
        if os.fork() != 0:
            return 0
        os.setsid()
        os._exit(visit(url))
    if mode:
        print(f"sso_browser: unknown ROLEKEEPER_TEST_BROWSER_MODE {mode!r}", file=sys.stderr)
        return 2
    return visit(url)


if __name__ == "__main__":
    sys.exit(main())
