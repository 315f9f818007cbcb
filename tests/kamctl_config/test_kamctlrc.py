"""The kamctlrc reader: shell quoting without running a shell."""

from __future__ import annotations

import pytest

from kamctl.config.kamctlrc import KamctlrcSyntaxError, parse


def values(text: str, env: dict[str, str] | None = None) -> dict[str, str]:
    assignments, _notices = parse(text, (env or {}).get, "/home/op")
    return {a.name: a.value for a in assignments}


def notices(text: str) -> list[tuple[int, str]]:
    return [(n.line, n.message) for n in parse(text, None, "/home/op")[1]]


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("X=plain", "plain"),
        ('X="double quoted"', "double quoted"),
        ("X='single quoted'", "single quoted"),
        ("X='it''s'", "its"),
        ('X="it\'s"', "it's"),
        ("X='say \"hi\"'", 'say "hi"'),
        ('X="a\\"b\\\\c\\$d"', 'a"b\\c$d'),
        ('X="keep \\n"', "keep \\n"),
        ("X=a\\ b", "a b"),
        ("X='$HOME'", "$HOME"),
        ("X=", ""),
        ('X=""', ""),
        ("X=mixed'quo'\"ting\"", "mixedquoting"),
        ("X=value # a comment", "value"),
        ("X=a#b", "a#b"),
        ("export X=exported", "exported"),
        ("X=1; Y=2", "1"),
        ("X=~/kamailio.db", "/home/op/kamailio.db"),
        ("X='~/kamailio.db'", "~/kamailio.db"),
        ("X=$", "$"),
        ("X=a=b", "a=b"),
    ],
)
def test_quoting_forms(line: str, value: str) -> None:
    assert values(line)["X"] == value


def test_comments_blank_lines_and_line_numbers() -> None:
    text = "# SIP_DOMAIN=commented\n\n  # indented comment\nSIP_DOMAIN=example.org\n"
    assignments, found = parse(text)
    assert [(a.name, a.value, a.line) for a in assignments] == [("SIP_DOMAIN", "example.org", 4)]
    assert found == []


def test_several_assignments_and_export_forms() -> None:
    text = "A=1 B=2\nexport C=3 D\nexport E\nF=6; G=7\n"
    assert values(text) == {"A": "1", "B": "2", "C": "3", "F": "6", "G": "7"}
    assert notices(text) == []


def test_quotes_and_continuations_spanning_lines() -> None:
    text = 'MODS="a b\n  c"\nNEXT=x\\\ny\nLAST=z\n'
    assignments, _ = parse(text)
    assert [(a.name, a.value, a.line) for a in assignments] == [
        ("MODS", "a b\n  c", 1),
        ("NEXT", "xy", 3),
        ("LAST", "z", 5),
    ]


def test_expansion_from_earlier_assignments_then_the_environment() -> None:
    text = 'BASE=/var/lib\nDB_PATH="$BASE/kamailio.db"\nOTHER=${ETC}/x\nNONE=$UNSET/y\n'
    got = values(text, {"ETC": "/etc/kamailio", "BASE": "/not/this"})
    assert got["DB_PATH"] == "/var/lib/kamailio.db"
    assert got["OTHER"] == "/etc/kamailio/x"
    assert got["NONE"] == "/y"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("X=$(hostname)", "X: command substitution $(...) is not supported; assignment ignored"),
        ("X=`date`", "X: command substitution `...` is not supported; assignment ignored"),
        ('X="$(id -u)"', "X: command substitution $(...) is not supported; assignment ignored"),
        ("X=${Y:-def}", "X: parameter expansion ${Y:-def} is not supported; assignment ignored"),
        ("X=$((1+2))", "X: arithmetic $((...)) is not supported; assignment ignored"),
        ("X=$1", "X: special parameter $1 is not supported; assignment ignored"),
        ("echo hello", "'echo' is a shell command; kamctl runs no commands (line ignored)"),
        ("X=1 cmd", "'cmd' is a shell command; kamctl runs no commands (line ignored)"),
        (". /etc/other", "'.' (including another file) is not followed; line ignored"),
        ("source /etc/x", "'source' (including another file) is not followed; line ignored"),
        ("X=1 | tee", "shell operator '|' is not supported; line ignored"),
        ("[ -f x ] && X=1", "shell operator '&&' is not supported; line ignored"),
    ],
)
def test_unsupported_constructs_are_skipped_with_a_notice(text: str, message: str) -> None:
    text = f"BEFORE=1\n{text}\nAFTER=2\n"
    assert notices(text) == [(2, message)]
    got = values(text)
    assert got["BEFORE"] == "1" and got["AFTER"] == "2" and "X" not in got


def test_blocks_are_not_evaluated() -> None:
    text = (
        "A=1\n"
        "if [ -f /etc/x ]; then\n"
        "  B=2\n"
        "fi\n"
        "case $X in\n"
        "  a) C=3 ;;\n"
        "esac\n"
        "setup() {\n"
        "  D=4\n"
        "}\n"
        "if true; then E=5; fi\n"
        "F=6\n"
    )
    assert values(text) == {"A": "1", "F": "6"}
    assert notices(text) == [
        (2, "shell 'if' block (lines 2-4) is not evaluated; assignments in it are ignored"),
        (5, "shell 'case' block (lines 5-7) is not evaluated; assignments in it are ignored"),
        (8, "shell function 'setup' (lines 8-10) is not evaluated; assignments in it are ignored"),
        (11, "shell 'if' block (line 11) is not evaluated; assignments in it are ignored"),
    ]


def test_an_unclosed_block_ignores_the_rest() -> None:
    assert values("A=1\nif true; then\nB=2\n") == {"A": "1"}
    assert notices("A=1\nif true; then\nB=2\n") == [
        (2, "shell 'if' block is never closed; the rest of the file is ignored")
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('A=1\nB="open\n\n', 2, "unterminated double quote"),
        ("A=1\n\nC='open\n", 3, "unterminated single quote"),
        ("D=$(echo\n", 1, "unterminated $("),
        ("E=${NAME\n", 1, "unterminated ${"),
        ("F=`date\n", 1, "unterminated backquote"),
    ],
)
def test_syntax_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(KamctlrcSyntaxError) as caught:
        parse(text)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_kamailio_shipped_kamctlrc_has_nothing_set() -> None:
    shipped = (
        "## the SIP domain\n# SIP_DOMAIN=kamailio.org\n"
        '## database type\n# DBENGINE=MYSQL\n# STANDARD_MODULES="standard acc lcr\n'
        '#                   alias_db uri_db"\n# STARTOPTIONS=\n'
    )
    assert parse(shipped) == ([], [])
