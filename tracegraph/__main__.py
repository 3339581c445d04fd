"""`python -m tracegraph ...`: the same CLI as the `tracegraph` command (`python -m tracegraph.cli` would load cli.py
twice — once as __main__ — and the commands, which import tracegraph.cli, would meet a half-made module)."""

from tracegraph.cli import main

if __name__ == "__main__":
    main()
