"""Tries to send the input to a server (test material: the sandbox must stop it)."""
import socket

PORT = 0


def detect(path):
    return True


def parse(path):
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as conn:
        conn.sendall(open(path, "rb").read())
    return {"steps": [{"k": 1, "tool": "x"}]}
