"""moto_server as scripts/start-sts.sh runs it (werkzeug's run_simple, threaded, moto's request
handler), with every STS call counted by its Action: `GET /__calls` answers {"AssumeRole": n, ...}.

  python benches/moto_counting.py PORT      (the venv's python: scripts/start-sts.sh python)

The benchmarks' own moto (benches/rkdaemon.py), so that calls are counted at the server, by action,
without a proxy in between (tests' rk-sts-proxy opens a second connection per call, which 500
calls at once turn into failures of its own).
"""
import io
import json
import sys
import threading
from collections import Counter
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                           create_backend_app)
from werkzeug.serving import run_simple

calls = Counter()
lock = threading.Lock()


def counting(app):
    def wrapped(environ, start_response):
        if environ.get("PATH_INFO") == "/__calls":
            with lock:
                body = json.dumps(dict(calls)).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
            with lock:
                calls[action] += 1
        return app(environ, start_response)
    return wrapped


def main():
    port = int(sys.argv[1])
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple("127.0.0.1", port, counting(app), threaded=True, use_reloader=False,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
