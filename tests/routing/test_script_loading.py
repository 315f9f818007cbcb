"""Loading and reloading scripts: errors name file and line, the old script stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.routing.script import DEFAULT_SCRIPT, ScriptError, Scripts, compile_script, load_script

GOOD = "VERSION = {v}\n\ndef request_route(msg):\n    return None\n"


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_good_script_and_its_hooks(tmp_path: Path) -> None:
    path = write(tmp_path / "s.py", GOOD.format(v=1) + "def failure_route(msg):\n    pass\n")
    script = load_script(path, api="API", version=3)
    assert script.version == 3 and script.module.api == "API"
    assert script.failure_route is not None and script.reply_route is None


@pytest.mark.parametrize(("text", "line", "words"), [
    ("def request_route(msg):\n    return (\n", 2, "SyntaxError"),
    ("x = 1\nraise ValueError('boom')\ndef request_route(msg): pass\n", 2,
     "ValueError while loading: boom"),
    ("import no_such_module_here\n", 1, "ModuleNotFoundError"),
    ("def request_route():\n    pass\n", 1, "request_route must take one argument"),
    ("request_route = 5\n", 0, "request_route must be a function"),
    ("def reply_route(msg): pass\n", 0, "no request_route(msg) function"),
    ("def f():\n    raise KeyError('k')\nf()\n", 2, "KeyError while loading"),
])
def test_bad_scripts_say_file_and_line(tmp_path: Path, text: str, line: int,
                                       words: str) -> None:
    path = write(tmp_path / "bad.py", text)
    with pytest.raises(ScriptError) as err:
        load_script(path, api=None, version=1)
    assert err.value.line == line
    assert words in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read the script"):
        compile_script(str(tmp_path / "nope.py"))


def test_reload_keeps_the_old_script_on_error(tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    write(path, GOOD.format(v=1))
    scripts = Scripts(str(path), api=None)
    first = scripts.load()
    write(path, "def request_route(msg):\n  pass\n oops\n")
    with pytest.raises(ScriptError):
        scripts.reload()
    assert scripts.current is first and scripts.version == 0
    write(path, GOOD.format(v=2))
    assert scripts.reload() == (0, 1)
    assert scripts.current.module.VERSION == 2 and first.module.VERSION == 1


def test_the_default_script_loads() -> None:
    script = load_script(DEFAULT_SCRIPT, api=object(), version=0)
    assert script.request_route is not None
