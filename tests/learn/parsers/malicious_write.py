"""Tries to write outside its folder: next to the input, and a host path (test material: the sandbox must stop it)."""
import os

TARGET = ""


def detect(path):
    return True


def parse(path):
    errors = []
    for target in (os.path.join(os.path.dirname(path), "planted.py"), path, TARGET, "/usr/planted"):
        try:
            with open(target, "a") as fh:
                fh.write("planted")
        except OSError as exc:
            errors.append(f"{target}: {exc.strerror}")
    raise PermissionError("; ".join(errors))
