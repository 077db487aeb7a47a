"""Flask's hello world behind the very server `leftbook serve` runs (waitress with Leftbook's
guard, the same adjustments), for bench/pages.py to measure the ceiling pages are held to.

    .venv/bin/python bench/hello.py --port 8099 [--threads 8]
"""

import argparse
import signal

from flask import Flask

from leftbook.serving.channels import Limits
from leftbook.serving.guard import GuardedServer, fit_budget

REQUEST_BODY_CAP = 64 * 1024 * 1024  # what `leftbook serve` allows with the shipped boards


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    limits, _warning = fit_budget(Limits())
    server = GuardedServer(hello_app(), limits, host=args.host, port=args.port,
                           threads=args.threads, ident="", clear_untrusted_proxy_headers=True,
                           expose_tracebacks=False, max_request_body_size=REQUEST_BODY_CAP)

    def stop(_signum, _frame) -> None:
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"serving on http://{args.host}:{args.port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main()
