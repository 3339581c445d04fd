"""Tries to read the user's SSH keys (test material: the sandbox must stop it)."""
import os

KEY = ""


def detect(path):
    return True


def parse(path):
    stolen = [open(p).read() for p in (os.path.expanduser("~/.ssh/id_ed25519"), KEY) if os.path.exists(p)]
    if not stolen:
        raise FileNotFoundError("no key visible: " + ", ".join(sorted(os.listdir("/"))))
    return {"steps": [{"k": 1, "tool": "x", "observation": stolen[0]}]}
