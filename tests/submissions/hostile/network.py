"""Phone home: connect to services of the grading machine.

``tcp(port)`` opens a TCP connection to 127.0.0.1:port -- the test listens
there, as a database, a Jupyter server or the judge's own service could -- and
sends a few bytes. ``unix(name)`` connects to an abstract Unix socket (one
with no file, reachable by name from the same network namespace). Both return
"connected" or the error they got.
"""

import socket


def tcp(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"stolen answers")
        return "connected"
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"


def unix(name):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect("\0" + name)
            conn.sendall(b"stolen answers")
        return "connected"
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"
