"""The one shell lexer: heredoc bodies, tokens (as shlex would make them), and simple commands of a line.

Both what a command does to files (shell.py) and what a step was doing (commands.py) read commands through it.
"""

from __future__ import annotations

import re

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


def strip_heredocs(command: str) -> tuple[str, list[str]]:
    """Remove heredoc bodies from a command; return the command and the bodies."""
    if "<<" not in command:
        return command, []  # every heredoc starts with <<; a long script without one is returned as it is
    lines = command.split("\n")
    out: list[str] = []
    bodies: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        ends = [m.group(2) for m in _HEREDOC.finditer(line)]
        i += 1
        for end in ends:
            body: list[str] = []
            while i < len(lines) and lines[i].strip() != end:
                body.append(lines[i])
                i += 1
            i += 1
            bodies.append("\n".join(body))
    return "\n".join(out), bodies


def _token_pattern(whitespace: str) -> re.Pattern[str]:
    ws = re.escape(whitespace)
    return re.compile(
        rf"(?P<ws>[{ws}]+)|(?P<punct>[;&|()<>]+)|(?P<comment>#[^\n]*\n?)|(?P<word>[^{ws};&|()<>'\"\\#]+)"
        rf"|'(?P<sq>[^']*)'|\"(?P<dq>(?:[^\"\\]|\\.)*)\"|\\(?P<esc>.)",
        re.DOTALL,
    )


_TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {}
_DQ_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _dq_unescape(m: re.Match[str]) -> str:
    return m.group(1) if m.group(1) in "\"\\" else m.group(0)


def shell_tokens(text: str, whitespace: str = " \t\r\n") -> list[str]:
    """The tokens of `shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")` with `whitespace_split` on.

    The same words, quotes removed, escapes applied, runs of ;&|()<> as one token, `#` to the end of the line a
    comment, and ValueError on an unclosed quote or a trailing backslash, but by regular expression (shlex reads
    a character at a time in Python, which made it most of the parse time of a step).
    """
    pattern = _TOKEN_PATTERNS.get(whitespace)
    if pattern is None:
        pattern = _TOKEN_PATTERNS[whitespace] = _token_pattern(whitespace)
    tokens: list[str] = []
    word: list[str] = []
    in_word = False
    pos, end = 0, len(text)
    while pos < end:
        m = pattern.match(text, pos)
        if m is None:  # an unclosed quote or a backslash at the very end
            raise ValueError("No closing quotation" if text[pos] in "'\"" else "No escaped character")
        pos = m.end()
        kind = m.lastgroup
        if kind == "word" or kind == "sq" or kind == "esc":
            word.append(m.group(kind))
            in_word = True
        elif kind == "dq":
            body = m.group("dq")
            word.append(_DQ_ESCAPE.sub(_dq_unescape, body) if "\\" in body else body)
            in_word = True
        else:
            if in_word:
                tokens.append("".join(word))
                word, in_word = [], False
            if kind == "punct":
                tokens.append(m.group("punct"))
    if in_word:
        tokens.append("".join(word))
    return tokens


MAX_COMMAND_CHARS = 8000
"""Characters of a command line read (a bound on huge inline scripts; ingest clips commands earlier)."""
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "|&", ";;"}
_QUOTED_OR_NEWLINE = re.compile(r"""\\.|'[^']*'?|"(?:[^"\\]|\\.?)*"?|\n""", re.DOTALL)
"""A backslash escape, a quoted span (to its closing quote or the end of the text), or a bare newline."""


def _newlines_to_separators(text: str) -> str:
    """Turn newlines outside quotes into `;`, keeping multi-line quoted code (python -c "...") in one word."""
    if "\n" not in text:
        return text
    return _QUOTED_OR_NEWLINE.sub(_separator_for, text)


def _separator_for(span: re.Match[str]) -> str:
    # Quoted spans and escapes stay as they are; only a newline outside quotes ends a command, and an escaped
    # newline outside quotes only continues the line.
    text = span.group()
    if text == "\n":
        return " ; "
    return " " if text == "\\\n" else text


def split_commands(command: str) -> list[tuple[list[str], bool]]:
    """Simple commands of a shell line as (words, run in the background with `&`), heredoc bodies removed."""
    text, _ = strip_heredocs(command)
    return split_stripped_commands(text)


SPLITS_KEPT = 1024
"""Lines whose split is kept: a step's command is split as the run is parsed (its effects, whether it is a no-op) and
again as its tree is built (its activities), and a worker parses and builds one unit's runs at a time."""
_splits: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {}


def split_stripped_commands(text: str) -> list[tuple[list[str], bool]]:
    """split_commands of a line whose heredoc bodies strip_heredocs already took out."""
    text = text[:MAX_COMMAND_CHARS]
    split = _splits.get(text)
    if split is None:
        if len(_splits) >= SPLITS_KEPT:
            _splits.clear()
        split = _splits[text] = tuple((tuple(words), background) for words, background in _split(text))
    return [(list(words), background) for words, background in split]


def _split(text: str) -> list[tuple[list[str], bool]]:
    # Stored commands may be cut mid-quote (ingest clips long ones): closing the quote keeps the words readable.
    for attempt in (text, text + '"', text + "'"):
        try:
            return _lex(_newlines_to_separators(attempt))
        except ValueError:
            continue
    return [(line.split(), False) for line in re.split(r"[;&|\n]+", text) if line.split()]


def _lex(text: str) -> list[tuple[list[str], bool]]:
    commands: list[tuple[list[str], bool]] = []
    current: list[str] = []
    for tok in shell_tokens(text):
        if tok in _SEPARATORS:
            if current:
                commands.append((current, tok == "&"))
            current = []
        else:
            current.append(tok)
    if current:
        commands.append((current, False))
    return commands


def split_simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command of a shell line (split_commands without the background flags)."""
    return [words for words, _ in split_commands(command)]
