"""Option words checked before Click reads them: a single-dash word that is not one of the
command's spellings is an error naming it and the nearest option, never a cluster of short
options (Click would read `-output` as `-o utput`, `-quiet` as `-q -u ...`). Only the short
flags a command documents cluster (`-vq`)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from elinkcli.errors import UsageError

# Typer's commands and groups (it carries its own Click): read by their attributes.
Command = Any


def _spellings(command: Command) -> tuple[dict[str, bool], set[str]]:
    """{spelling: takes a value} of the command's options, and its one-letter flags."""
    takes_value: dict[str, bool] = {}
    short_flags: set[str] = set()
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        flag = bool(param.is_flag or param.count)
        for spelling in (*param.opts, *param.secondary_opts):
            takes_value[spelling] = not flag
            if flag and len(spelling) == 2 and spelling[1] != "-":
                short_flags.add(spelling[1])
    takes_value.setdefault("--help", False)
    return takes_value, short_flags


def _nearest(word: str, spellings: Sequence[str]) -> str | None:
    """The command's option closest to `word` (`-output` → `--output`)."""
    bare = word.lstrip("-").replace("_", "-").lower()
    names = {s.lstrip("-").replace("_", "-").lower(): s for s in spellings if len(s) > 2}
    if bare in names:
        long_forms = [s for s in spellings if s.lstrip("-").replace("_", "-").lower() == bare]
        return next((s for s in long_forms if s.startswith("--")), long_forms[0])
    close = difflib.get_close_matches(bare, list(names), n=1, cutoff=0.75)
    return names[close[0]] if close else None


def check_words(group: Command, args: Sequence[str]) -> None:
    """Refuse a single-dash word no command of `args` spells (UsageError, exit 2)."""
    command = group
    path = ["elinkcli"]
    takes_value, short_flags = _spellings(command)
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            return
        name = word.split("=", 1)[0]
        if name in takes_value:
            if takes_value[name] and "=" not in word:
                i += 1  # its value, whatever it looks like
            continue
        if not word.startswith("-"):
            subcommands = getattr(command, "commands", None) or {}
            if word in subcommands:
                command = subcommands[word]
                path.append(word)
                takes_value, short_flags = _spellings(command)
            continue
        if word.startswith("--") or len(word) < 3 or not word[1].isalpha():
            continue  # a long option Click names itself, a short one, a negative number
        if all(letter in short_flags for letter in word[1:]):
            continue  # documented short flags together: -vq
        where = " ".join(path)
        nearest = _nearest(word, list(takes_value))
        hint = f": did you mean {nearest}?" if nearest else f" (see '{where} --help')"
        raise UsageError(f"no such option {word} for {where}{hint}")
