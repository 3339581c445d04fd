"""Reading shell command lines and inline code: which simple commands run, and what each one does."""

from __future__ import annotations

import re

from tracegraph.semantics.programs import (
    INSTALLERS,
    INTERPRETERS,
    NOOPS,
    PATTERN_FIRST,
    PATTERN_OPTIONS,
    READERS,
    SEARCHERS,
    SERVICES,
    SOURCING,
    is_build,
    is_install,
    is_service_control,
    is_test,
    program_words,
)
from tracegraph.semantics.lexer import split_commands, split_stripped_commands, strip_heredocs
from tracegraph.semantics.activity import CHANGING, Act, Activity, Workspace, as_intent, is_test_path

_ENV_PROBES = {"which", "type", "whereis", "uname", "nproc", "free", "df", "lsb_release", "locale",
               "hostname", "whoami", "id", "arch", "lscpu", "ldd", "apt-cache", "apt-file", "lsmod"}
_VERSION_FLAGS = {"--version", "-V", "-v", "version", "--help", "-h", "help"}
_PKG_TOOLS = {"pip", "pip3", "npm", "conda", "gem", "dpkg", "apt", "brew", "rpm", "yum", "dnf", "apk"}
_PKG_QUERIES = {"list", "show", "freeze", "search", "policy", "info", "-l", "-L", "-s", "-Q", "-q", "check"}
_PROBES = {"curl", "wget", "nc", "ncat", "netcat", "ss", "netstat", "ps", "pgrep", "lsof", "ping", "telnet",
           "socat", "dig", "nslookup", "http", "redis-cli", "psql", "mysql", "jobs", "top", "openssl"}
_CONTAINERS = {"docker", "docker-compose", "podman", "kubectl"}
_CONTAINER_CHANGES = {"run", "start", "stop", "restart", "up", "down", "build", "rm", "kill", "create", "pull"}
_MUTATORS = {"useradd", "usermod", "userdel", "groupadd", "groupmod", "adduser", "chpasswd", "passwd", "ssh-keygen",
             "update-alternatives", "crontab", "ldconfig", "locale-gen", "a2enmod", "a2ensite", "ufw", "iptables",
             "sysctl", "mount", "umount", "mknod", "losetup", "mkfs", "mkswap", "htpasswd", "setcap", "visudo",
             "dd", "truncate", "ln", "install", "cpio", "git-lfs"}
"""Programs that change the system although they name no file to write (accounts, mounts); builds are
programs.is_build."""
_SHELL_WORDS = {"echo", "printf", "pwd", "cd", "export", "sleep", "test", "[", "[[", "true", "false", "set",
                "exit", "return", "unset", "alias", "wait", "clear", "date", "basename", "dirname",
                "for", "while", "until", "do", "done", "if", "then", "else", "elif", "fi", "case", "esac", "in",
                "function", "{", "}", "git", "cp", "mv", "rm", "mkdir", "touch", "chmod", "chown", "tar", "unzip",
                "zip", "gzip", "gunzip", "rmdir", "patch", "tee", "xargs", "seq", "yes", "vim", "vi", "nano"} | SOURCING
"""Shell builtins and file tools whose effects the step's deltas already hold."""
_REDIRECTS = {">", ">>", "<", ">&", "&>", ">|", "<<", "<<<", "<&", "&>>"}
_OUTPUT_OPTIONS = {"-o", "-O", "-out", "--output", "-keyout", "--out", "--outfile", "-outfile", "--output-file"}
PATTERN_CHARS = re.compile(r"[*?<>|$()\[\]{}^\\]")
"""Characters that make a word a pattern or expression, not a file path."""
_SQL_WRITES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|VACUUM)\b|^\s*\.(?:import|restore)",
                         re.IGNORECASE)
"""SQL that changes a database: sqlite3 running it is a change, running anything else a read."""
_TRIVIAL_STMT = re.compile(r"^(?:import [\w., ]+|from [\w.]+ import [\w., *()]+|[\d\s+\-*/%().]+|"
                           r"(?:print|sys\.std(?:out|err)\.write)\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))$")
"""Statements of a snippet that only checks the interpreter works: imports, prints of literals/versions, sums."""
_CALL = re.compile(r"(?<![\w.])(?!print\(|repr\(|str\(|len\()[A-Za-z_][\w.]*\(")
_CODE_WRITES = re.compile(r"open\([^)]*,\s*['\"][wax]b?\+?['\"]|\.write_(?:text|bytes)\(|\.to_(?:csv|json|parquet|"
                          r"pickle|excel|feather|sql)\(|json\.dump\(|\bsavefig\(|\.save(?:_model)?\(|"
                          r"os\.(?:makedirs|mkdir|remove|rename|replace)\(|shutil\.\w+\(")
"""Calls in inline code that write files: a snippet using them is a change, like a shell redirection."""
_CODE_PROBES = re.compile(r"\bsocket\.|urlopen\(|requests\.(?:get|post|head)\(|http\.client|"
                          r"websocket|create_connection\(")
"""Calls in inline code that ask a running service something."""


def _words(simple: list[str]) -> list[str]:
    """A simple command without redirections, assignments and wrappers (sudo, env, timeout 10, uv run ...)."""
    words: list[str] = []
    skip = False
    for i, w in enumerate(simple):
        if skip:
            skip = False
        elif w in _REDIRECTS:
            skip = True
        elif w.isdigit() and i + 1 < len(simple) and simple[i + 1] in _REDIRECTS:
            continue
        else:
            words.append(w)
    return program_words(words)


def _is_env_probe(prog: str, args: list[str]) -> bool:
    if prog in _ENV_PROBES:
        return True
    if len(args) == 1 and (args[0] == "--version" or args[0] in _VERSION_FLAGS and prog not in READERS | SEARCHERS):
        return True
    if prog in _PKG_TOOLS and args[:1] and args[0] in _PKG_QUERIES:
        return True
    return prog.startswith("python") and args[:2] == ["-m", "pip"] and args[2:3] != ["install"]


def _output_paths(args: list[str]) -> list[str]:
    out = []
    for i, a in enumerate(args):
        if a in _OUTPUT_OPTIONS and i + 1 < len(args):
            out.append(args[i + 1])
        elif a.startswith("--output=") or a.startswith("-out="):
            out.append(a.split("=", 1)[1])
    return out


def is_trivial_code(code: str) -> bool:
    """Inline code that only imports modules and prints literals, versions or sums: a check of the toolchain."""
    stmts = [s.strip() for s in re.split(r"[;\n]", code) if s.strip() and not s.strip().startswith("#")]
    if not stmts:
        return False
    for stmt in stmts:
        if not _TRIVIAL_STMT.match(stmt):
            return False
        inner = stmt.split("(", 1)[1] if "(" in stmt and not stmt.startswith(("import", "from")) else ""
        if _CALL.search(inner):
            return False  # print(passwd('x')) computes something; print(x.__version__) does not
    return True


def _simple_activity(words: list[str], bodies: list[str], ws: Workspace) -> Activity | None:
    prog, args = words[0].rsplit("/", 1)[-1], words[1:]
    head = " ".join(words[:3])
    if is_install(prog, args):
        return Activity(Act.install, " ".join(words[:4]))
    if is_test(prog, args):
        return Activity(Act.test, head)
    if _is_env_probe(prog, args):
        return Activity(Act.env_probe, head)
    if prog in INTERPRETERS or words[0].startswith("./") or (words[0].startswith("/") and "." in prog):
        return _run_activity(words, bodies, ws)
    if prog in _CONTAINERS:
        return Activity(Act.service if set(args[:2]) & _CONTAINER_CHANGES else Act.probe, head)
    if is_service_control(prog, args):
        return Activity(Act.service, head)
    if prog in _PROBES or prog in SERVICES:  # a service asked for its status
        outputs = _output_paths(args)
        if outputs:
            return Activity(Act.write, f"{prog} writes {outputs[0]}")
        return Activity(Act.probe, head)
    if prog in _MUTATORS or is_build(prog, args):
        return Activity(Act.write, head)
    if prog == "sqlite3":
        sql = " ".join(args[1:])
        act = Act.write if _SQL_WRITES.search(sql) else Act.read
        return Activity(act, f"sqlite3 {args[0] if args else ''}".strip(), tuple(args[:1]))
    if prog in READERS | SEARCHERS:
        return _read_activity(prog, args, ws)
    if prog in _SHELL_WORDS or prog in NOOPS:
        return None
    if _output_paths(args):
        return Activity(Act.write, f"{prog} writes {_output_paths(args)[0]}")
    return Activity(Act.unknown, prog)


def _read_activity(prog: str, args: list[str], ws: Workspace) -> Activity:
    operands = [a for a in args if not a.startswith("-")]
    if prog in PATTERN_FIRST and not any(a in PATTERN_OPTIONS for a in args):
        operands = operands[1:]  # their first operand is a pattern or script, not a file
    paths = [a for a in operands if ("/" in a or "." in a) and not PATTERN_CHARS.search(a)]
    own = [ws.owner_of(p) for p in paths if ws.owner_of(p)]
    if own:
        return Activity(Act.read_own, f"{prog} {own[0]}", tuple(p for p in own if p))
    if prog in SEARCHERS or (prog in {"grep", "rg", "ag", "egrep"} and ("-r" in args or "-R" in args)):
        return Activity(Act.search, f"{prog}")
    if paths or prog in {"ls", "tree", "du"}:
        return Activity(Act.read, f"{prog} {' '.join(paths[:1])}".strip(), tuple(paths))
    return Activity(Act.read, f"{prog} (filter)", ("|",))


def _run_activity(words: list[str], bodies: list[str], ws: Workspace) -> Activity:
    prog, args = words[0].rsplit("/", 1)[-1], words[1:]
    if prog not in INTERPRETERS:
        owner = ws.owner_of(words[0])
        return Activity(Act.run_own, words[0], (owner,)) if owner else Activity(Act.run, words[0])
    if "-m" in args:
        i = args.index("-m")
        module = args[i + 1].split(".")[0] if i + 1 < len(args) else ""
        own = (ws.stems[module],) if module in ws.stems else ()
        return Activity(Act.run_own if own else Act.run, f"{prog} -m {module}", own)
    flag = next((f for f in ("-c", "-e") if f in args), None)
    if flag or "-" in args or not args or bodies:
        inline = args[args.index(flag) + 1] if flag and args.index(flag) + 1 < len(args) else ""
        if prog in {"bash", "sh", "zsh"} and inline:
            inner = shell_activities(inline, ws)
            return max(inner, key=lambda a: a.act in CHANGING) if inner else Activity(Act.run, f"{prog} -c")
        return _code_activity(prog, inline + "\n" + "\n".join(bodies), ws)
    script = next((a for a in args if not a.startswith("-")), "")
    owner = ws.owner_of(script) if script else None
    if owner and is_test_path(owner):
        return Activity(Act.test, f"{prog} {script}", (owner,))
    return Activity(Act.run_own, f"{prog} {script}", (owner,)) if owner else Activity(Act.run, f"{prog} {script}")


def _code_activity(prog: str, code: str, ws: Workspace) -> Activity:
    """Inline code (-c, heredoc): what it calls decides, never its comments' wording."""
    own = ws.stems_named_in(code) + ws.paths_named_in(code)
    if _CODE_WRITES.search(code):
        return Activity(Act.write, f"{prog} inline code writes files")
    if own:
        return Activity(Act.run_own, f"{prog} inline code naming {own[0]}", tuple(own))
    if _CODE_PROBES.search(code):
        return Activity(Act.probe, f"{prog} inline code asks a service")
    if is_trivial_code(code):
        return Activity(Act.env_probe, f"{prog} toolchain check")
    return Activity(Act.run, f"{prog} inline code")


def shell_activities(command: str, ws: Workspace, background: bool = False) -> list[Activity]:
    """Activities of a shell command, one per simple command that does something readable.

    `background`: the tool was told to keep the command running (Claude Code's run_in_background).
    """
    text, bodies = strip_heredocs(command)
    acts: list[Activity] = []
    commands = split_stripped_commands(text)
    for i, (simple, bg) in enumerate(commands):
        background_cmd = bg or (background and i == len(commands) - 1)
        if simple[0] == "command" and simple[1:2] in (["-v"], ["-V"]):
            acts.append(Activity(Act.env_probe, " ".join(simple[:3])))
            continue
        words = _words(simple)
        if not words:
            if simple[0] in {"env", "printenv"}:
                acts.append(Activity(Act.read, "environment variables"))
            continue
        if words[0] in NOOPS and len(words) == 1:
            continue
        if words[0] == ":":
            # `: cmd` inside a longer line runs nothing either; cmd is what the agent meant to do.
            act = _simple_activity(_words(words[1:]) or words[1:], bodies, ws)
            if act is not None and act.act != Act.unknown:
                acts.append(as_intent(act))
            continue
        act = _simple_activity(words, bodies, ws)
        if background_cmd and act is not None and act.act in (Act.unknown, Act.run, Act.run_own):
            # `prog &` leaves a process running: the agent started a service.
            act = Activity(Act.service, f"{' '.join(words[:2])} &")
        if act is not None:
            acts.append(act)
    return acts


_FAMILY_NOISE = {"cd", "echo", "printf", "pwd", "export", "sleep", "test", "[", "[[", "true", "false", "set", "source",
                 ".", "exit", "return", "unset", "alias", "wait", "clear", "date", "basename", "dirname", "for",
                 "while", "until", "do", "done", "if", "then", "else", "elif", "fi", "case", "esac", "in", "function",
                 "{", "}", "seq", "yes", "xargs", "tee", "local", "read", "let", "eval", "break", "continue"}
"""Shell glue that says nothing about what a command line is for."""
_SUBCOMMANDED = INSTALLERS | _CONTAINERS | {"git", "go", "cargo", "systemctl", "service", "kubectl", "conda",
                                             "poetry", "uv", "dotnet", "gh", "pre-commit", "django-admin"}
"""Programs whose first word after the options names what they do (`git commit`, `pip install`)."""
_ALIASES = {"pip3": "pip", "py.test": "pytest", "apt-get": "apt", "python2": "python", "python3": "python",
            "pypy3": "python"}
_PROGRAM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,39}$")


def command_families(command: str) -> list[str]:
    """What kind of command each simple command of a line is, in a person's words: `pip install`, `pytest`,
    `git commit`, `sed -i`, `python -c`, `python script`; a `:`-prefixed one as `: pip install`. Shell glue
    (cd, echo, loops) and words that are not programs (prose pasted as a command) are left out; order kept."""
    out: list[str] = []
    for simple, _ in split_commands(command):
        words = _words(simple)
        prefix = ""
        if words and words[0] == ":":
            words, prefix = _words(words[1:]), ": "
        family = _family(words) if words else None
        if family and prefix + family not in out:
            out.append(prefix + family)
    return out


def _family(words: list[str]) -> str | None:
    prog = words[0].rsplit("/", 1)[-1] if words[0].startswith(("/", "./", "~/")) else words[0]
    if prog in _FAMILY_NOISE or not _PROGRAM.match(prog) or (prog[0].isupper() and prog not in INTERPRETERS | {"R"}):
        return None  # a capitalised word is prose pasted as a command (`You`, `I'll`), not a program
    prog = _ALIASES.get(prog, prog)
    if re.fullmatch(r"python\d(?:\.\d+)?", prog):
        prog = "python"
    args = words[1:]
    if prog == "python":
        if args[:1] == ["-m"] and len(args) > 1:
            module = args[1]
            return _family([module, *args[2:]]) if module in {"pip", "pytest"} else f"python -m {module}"
        if "-c" in args:
            return "python -c"
        return "python script" if any(not a.startswith("-") for a in args) else "python"
    if prog == "sed":
        return "sed -i" if any(a.startswith("-i") or a == "--in-place" for a in args) else "sed"
    if prog in _SUBCOMMANDED:
        sub = next((a for a in args if not a.startswith("-")), None)
        return f"{prog} {sub}" if sub and re.fullmatch(r"[a-z][a-z-]{1,20}", sub) else prog
    return prog
