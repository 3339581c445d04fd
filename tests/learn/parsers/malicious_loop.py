"""Never returns (test material: the sandbox must stop it)."""


def detect(path):
    return True


def parse(path):
    n = 0
    while True:
        n += 1
