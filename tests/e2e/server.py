"""The application served for real to the browser tests, in a process of its own.

``python -m tests.e2e.server`` reads its configuration from the ``REFERRAL_*`` environment
(like ``flask --app wsgi``), loads the demo data through the ``demo load`` command, then
serves on 127.0.0.1 at a port the system chooses and prints ``listening <port>`` once it
accepts connections.  A process of its own: the pages run as in production, outside
pytest's warning filters and module state (the clock, the rate limiter's storage).
"""

from __future__ import annotations

import os
import sys

from werkzeug.serving import make_server

from referral import create_app


def main() -> int:
    app = create_app()
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    if result.exit_code != 0:
        print(result.output, repr(result.exception), file=sys.stderr)
        return 2
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"listening {server.server_port}", flush=True)
    os.dup2(2, 1)  # nobody reads the pipe any more: whatever else is printed goes to the log
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
