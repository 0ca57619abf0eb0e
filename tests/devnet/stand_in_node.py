"""A stand-in for ``ordo node`` in supervision tests: it answers eth_blockNumber on --rpc-port.

The supervisor's behaviour (restart, stop, manifest) does not depend on what the node does, and a
real node takes seconds to import py-evm; this one starts in milliseconds and can be told to
misbehave (ignore SIGTERM, exit at once) through environment variables.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"),
                           "result": hex(int(time.time()) % 1000)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rpc-port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    arguments, _ = parser.parse_known_args()
    # The devnet tests check the command line each node was given.
    with open(os.path.join(arguments.data_dir, "stand-in-argv.json"), "w") as record:
        json.dump(sys.argv[1:], record)
    if os.environ.get("STAND_IN_EXIT_CODE"):
        print("stand-in: exiting as told", file=sys.stderr)
        sys.exit(int(os.environ["STAND_IN_EXIT_CODE"]))
    if os.environ.get("STAND_IN_IGNORE_SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", arguments.rpc_port), Handler)
    print(f"stand-in: serving on {arguments.rpc_port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
