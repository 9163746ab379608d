"""A Typer group whose commands are imported when they run, not when the CLI starts.

Each command or sub-app is named by ``module:attribute`` with its one-line help, so
``safer77 --help`` lists them without importing any of them, and ``safer77 stats ...`` imports
``safer77.cli.stats`` (and what it needs) only. Anything that asks for a command by name (running
it, ``safer77 stats --help``, the generated command reference) loads the real one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

try:  # recent Typer vendors Click
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click  # type: ignore[no-redef]


@dataclass(frozen=True)
class Lazy:
    """A command function or a Typer sub-app at ``module:attribute``, and its listing help."""

    target: str
    help: str

    def load(self, name: str) -> click.Command:
        module, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module), attribute)
        if isinstance(obj, typer.Typer):
            command: click.Command = typer.main.get_group(obj)
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(obj)
            command = typer.main.get_command(single)
        command.name = name
        return command


class LazyCommands(MutableMapping[str, click.Command]):
    """The group's commands: the lazy ones in their listed order, loaded on first access."""

    def __init__(self, lazy: Mapping[str, Lazy], loaded: Mapping[str, click.Command]) -> None:
        self.lazy = lazy
        self.loaded = dict(loaded)

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            self.loaded[name] = self.lazy[name].load(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self.lazy
        yield from (name for name in self.loaded if name not in self.lazy)

    def __len__(self) -> int:
        return len(self.lazy.keys() | self.loaded.keys())


class LazyGroup(TyperGroup):
    """Subclass it with ``lazy = {name: Lazy(...)}`` and pass it as ``typer.Typer(cls=...)``."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.lazy, self.commands)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        commands = self.commands
        assert isinstance(commands, LazyCommands)
        if self._listing and cmd_name not in commands.loaded and cmd_name in commands.lazy:
            # a stand-in carrying the listing's help: `safer77 --help` imports no command
            return TyperCommand(cmd_name, help=commands.lazy[cmd_name].help)
        return commands.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
