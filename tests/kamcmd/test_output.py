"""Output styles: kamcmd's text layout (checked against Kamailio's kamcmd byte for byte),
``-f FORMAT``, ``-F json`` and ``-F table``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kamctl.kamcmd import main
from kamctl.output import render
from kamctl.output.fmt import format_values, unescape
from kamctl.output.text import to_text
from tests.kamcmd.conftest import NESTED, PSX
from tests.kamcmd.support import RecordingServer

TRANSCRIPTS = Path(__file__).resolve().parents[3] / "shared/reference/kamailio-5.6/transcripts"

UPTIME = {
    "now": "Sat Nov 28 21:53:39 2026",
    "up_since": "Sat Nov 28 21:51:29 2026",
    "uptime": 130,
}
# kamcmd 23-core.uptime.txt.stdout
UPTIME_TEXT = (
    "{\n\tnow: Sat Nov 28 21:53:39 2026\n\tup_since: Sat Nov 28 21:51:29 2026\n\tuptime: 130\n}\n"
)
# kamcmd 27-dispatcher.list.txt.stdout
NESTED_TEXT = (
    "{\n\tNRSETS: 1\n\tRECORDS: {\n\t\tSET: {\n\t\t\tID: 1\n\t\t\tTARGETS: {\n"
    "\t\t\t\tDEST: {\n\t\t\t\t\tURI: sip:127.0.0.1:5080\n\t\t\t\t\tFLAGS: AX\n"
    "\t\t\t\t\tPRIORITY: 0\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n"
)
# htable.dump shape: a top-level array of structs holding an array of structs
HTABLE = [
    {"entry": 1, "size": 1, "slot": [{"name": "greeting", "value": "hello", "type": "str"}]},
    {"entry": 4, "size": 1, "slot": [{"name": "answer", "value": 42, "type": "int"}]},
]
HTABLE_TEXT = (
    "{\n\tentry: 1\n\tsize: 1\n\tslot: {\n\t\t{\n\t\t\tname: greeting\n\t\t\tvalue: hello\n"
    "\t\t\ttype: str\n\t\t}\n\t}\n}\n"
    "{\n\tentry: 4\n\tsize: 1\n\tslot: {\n\t\t{\n\t\t\tname: answer\n\t\t\tvalue: 42\n"
    "\t\t\ttype: int\n\t\t}\n\t}\n}\n"
)


@pytest.mark.parametrize(
    ("result", "text"),
    [
        (UPTIME, UPTIME_TEXT),
        (NESTED, NESTED_TEXT),
        (HTABLE, HTABLE_TEXT),
        ("kamailio 5.6.3 (x86_64/linux) ", "kamailio 5.6.3 (x86_64/linux) \n"),
        (2, "2\n"),
        (["a", 1, "b"], "a\n1\nb\n"),
        ({}, ""),
        ([], ""),
        (None, ""),
        (
            {"Q": -1, "Q2": 0.5, "W": 3.0, "B": True, "F": False, "N": None},
            "{\n\tQ: -1\n\tQ2: 0.500000\n\tW: 3\n\tB: 1\n\tF: 0\n\tN: <null string>\n}\n",
        ),
        (
            {"list": [1, "x"], "empty": {}, "none": []},
            "{\n\tlist: {\n\t\t1\n\t\tx\n\t}\n\tempty: {\n\t}\n\tnone: {\n\t}\n}\n",
        ),
        ([[1, 2], {"k": "v"}], "{\n\t1\n\t2\n}\n{\n\tk: v\n}\n"),
        ("multi\nline", "multi\nline\n"),
    ],
)
def test_text_layout(result: Any, text: str) -> None:
    assert to_text(result) == text


def _transcript(name: str) -> Path:
    path = TRANSCRIPTS / name
    if not path.exists():
        pytest.skip("Kamailio transcripts not present beside the checkout")
    return path


def _reply_result(name: str) -> Any:
    return json.loads(_transcript(f"dgram/{name}.reply").read_text())["result"]


def _replace(value: Any, changes: dict[str, Any]) -> Any:
    """Set members named in ``changes`` wherever they occur (binrpc vs JSON numbers)."""
    if isinstance(value, dict):
        return {k: changes.get(k, _replace(v, changes)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, changes) for v in value]
    return value


# (Kamailio's JSON-RPC reply, members to set to the values the binrpc capture shows,
#  Kamailio's kamcmd stdout for the same data)
CASES = [
    ("01-core.version", {}, "01-core.version"),
    ("09-cfg.get-1", {}, "02-cfg.get-before"),
    ("10-cfg.seti", {}, "03-cfg.seti-3"),
    ("07-system.methodHelp", {}, "21-help-core.uptime"),
    ("06-system.listMethods", {}, "20-ls"),
    ("20-dispatcher.list", {}, "27-dispatcher.list"),
    # binrpc sends 32-bit signed ints; JSON-RPC the unsigned value. Expires ticked on.
    ("17-ul.dump", {"HashID": -1374549035, "Methods": -1, "Expires": 3480}, "17-ul.dump"),
    ("18-ul.lookup", {"Methods": -1, "Expires": 3480}, "18-ul.lookup"),
    ("28-htable.dump", {}, "28-htable.dump"),
]


@pytest.mark.parametrize(("reply", "changes", "stdout"), CASES)
def test_text_matches_kamailios_kamcmd(
    reply: str,
    changes: dict[str, Any],
    stdout: str,
    recorder: RecordingServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same data through JSON-RPC prints exactly what kamcmd printed over binrpc."""
    result = _replace(_reply_result(reply), changes)
    if reply == "28-htable.dump":  # the probe entry was 7 when kamcmd ran, 5 before
        result[2]["slot"][0]["value"] = 7
    expected = _transcript(f"kamcmd/{stdout}.txt.stdout").read_text()
    recorder.table["test.result"] = result
    assert main(["-s", recorder.address, "test.result"]) == 0
    assert capsys.readouterr().out == expected


def test_statistics_list_matches_kamcmd(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = [s for s in _reply_result("15-stats.get_statistics") if s.startswith("usrloc:")]
    recorder.table["stats.get_statistics"] = stats
    assert main(["-s", recorder.address, "stats.get_statistics", "usrloc:"]) == 0
    expected = _transcript("kamcmd/29-stats.get_statistics.txt.stdout").read_text()
    assert capsys.readouterr().out == expected


def test_fault_line_matches_kamcmd_but_goes_to_stderr_with_exit_1(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    reply = json.loads(_transcript("dgram/19-ul.lookup-unknown.reply").read_text())
    from tests.kamcmd.support import Fault

    recorder.table["ul.lookup"] = Fault(reply["error"]["code"], reply["error"]["message"])
    assert main(["-s", recorder.address, "ul.lookup", "location", "nobody@example.com"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == _transcript("kamcmd/19-ul.lookup-unknown.txt.stdout").read_text()


# -- -f FORMAT --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "fmt", "text"),
    [
        ([101, "main", 102, "udp"], "%v\\t%v\\n", "101\tmain\n102\tudp\n"),
        ([101, "main", 102], "%v\\t%v\\n", "101\tmain\n102\t"),
        (
            PSX,
            "[%v] %v: %v\\n",
            "[0] 100: main process - attendant\n"
            "[1] 101: udp receiver child=0 sock=127.0.0.1:5060\n",
        ),
        (UPTIME, "%v|", "Sat Nov 28 21:53:39 2026|Sat Nov 28 21:51:29 2026|130|"),
        (NESTED, "%v,", "1,1,sip:127.0.0.1:5080,AX,0,"),
        ([1, 2], "100%% %v\\\\\\n", "100% 1\\\n100% 2\\\n"),
        ([1.5, True, None], "%v %v %v\\n", "1.500000 1 <null string>\n"),
        ("x", "no values\\n", "no values\n"),
        ({}, "%v\\n", ""),
        (None, "%v\\n", ""),
        (["a"], "%d %v %s\\q", "%d a %s\\q"),
    ],
)
def test_format(result: Any, fmt: str, text: str) -> None:
    assert format_values(result, fmt) == text


def test_unescape() -> None:
    assert unescape("a\\tb\\nc\\rd\\\\e\\x") == "a\tb\nc\rd\\e\\x"


def test_ps_alias_uses_kamcmds_format(
    recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-s", recorder.address, "ps"]) == 0
    assert capsys.readouterr().out == "100\tmain process - attendant\n101\tudp receiver\n"
    assert recorder.requests[-1].method == "core.ps"
    assert main(["-s", recorder.address, "-f", "%v=%v;", "ps"]) == 0  # -f wins
    assert capsys.readouterr().out == "100=main process - attendant;101=udp receiver;"


# -- -F json ------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [NESTED, PSX, HTABLE, "s", 3, 2.5, None, {}, [], True])
def test_json_output_parses_back(
    result: Any, recorder: RecordingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder.table["test.result"] = result
    assert main(["-s", recorder.address, "-F", "json", "test.result"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == result
    assert out.endswith("\n")


def test_json_output_is_stable() -> None:
    text = render({"b": 1, "a": ["é", {"z": None}]}, "json")
    assert text == '{\n  "b": 1,\n  "a": [\n    "é",\n    {\n      "z": null\n    }\n  ]\n}\n'


# -- -F table -----------------------------------------------------------------------------


def _rows(text: str) -> list[list[str]]:
    """Cells of a rich table, box characters stripped."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]
        if cells:
            rows.append(cells)
    return rows


def test_table_of_objects(recorder: RecordingServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-s", recorder.address, "-F", "table", "psx"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert rows == [
        ["IDX", "PID", "DSC"],
        ["0", "100", "main process - attendant"],
        ["1", "101", "udp receiver child=0 sock=127.0.0.1:5060"],
    ]


def test_table_unwraps_kamailio_struct_arrays() -> None:
    rows = _rows(render(NESTED, "table"))
    assert rows[0] == ["ID", "TARGETS"]
    assert rows[1][0] == "1"
    assert json.loads(rows[1][1]) == NESTED["RECORDS"][0]["SET"]["TARGETS"]  # type: ignore[index]


def test_table_of_an_object_and_of_scalars() -> None:
    assert _rows(render(UPTIME, "table")) == [
        ["name", "value"],
        ["now", "Sat Nov 28 21:53:39 2026"],
        ["up_since", "Sat Nov 28 21:51:29 2026"],
        ["uptime", "130"],
    ]
    assert _rows(render(["a", 2], "table")) == [["value"], ["a"], ["2"]]
    assert render("plain", "table") == "plain\n"
    assert render({}, "table") == ""


def test_table_does_not_read_markup() -> None:
    text = render([{"Received": "[not set]", "x": "[bold]y[/bold]"}], "table")
    assert "[not set]" in text and "[bold]y[/bold]" in text
