"""Asks for more memory than allowed (test material: the sandbox must stop it)."""


def detect(path):
    return True


def parse(path):
    hoard = bytearray(16 << 30)
    return {"steps": [{"k": 1, "tool": "x", "observation": str(len(hoard))}]}
