"""Every ``guanxi`` subcommand answers ``--help``."""

from __future__ import annotations

import pytest

from core.cli import COMMANDS, build_parser, main


def test_expected_commands_exist():
    build_parser()
    assert {"serve", "migrate", "demo", "plugins", "revision"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(build_parser() and COMMANDS))
def test_subcommand_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert "usage: guanxi" in capsys.readouterr().out
