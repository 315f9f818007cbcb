"""Batch mode: stdin is not a terminal, one call per line, one process, one transport."""

from __future__ import annotations

from pathlib import Path

from tests.kamcmd.support import RecordingServer, run_kamcmd

SCRIPT = """core.version
# a comment, then a blank line

ps
core.echo 'a b' "c\\"d" 5 s:7 -1
help core.uptime
test.fault
cfg.seti core debug i:x
core.echo "unbalanced
-F json
quit
core.version
"""


def test_lines_answered_in_order_over_one_transport(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["-s", recorder.address], home, stdin=SCRIPT, merge=True)
    assert done.stdout == (
        "kamproxy-test 1.0 \n"
        "100\tmain process - attendant\n101\tudp receiver\n"
        'a b\nc"d\n5\n7\n-1\n'
        "help for core.uptime\n"
        "error: 500 - AOR not found in location table\n"
        "kamcmd: argument 3 ('i:x'): expected an integer after 'i:'\n"
        "kamcmd: cannot split the line: No closing quotation\n"
        "json\n"  # no options in a line: "-F" is a method (this server echoes)
    )
    assert done.returncode == 2  # the worst: a usage error beats a fault
    methods = [r.method for r in recorder.requests]
    assert methods == [
        "core.version",
        "core.ps",
        "core.echo",
        "system.methodHelp",
        "test.fault",
        "-F",
    ]
    assert recorder.requests[2].params == ["a b", 'c"d', 5, "7", -1]
    senders = {r.sender for r in recorder.requests}
    assert len(senders) == 1  # one reply socket: one transport for the whole batch


def test_output_options_apply_to_every_line(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["-s", recorder.address, "-f", "<%v>"], home, stdin="ver\nls\n")
    assert done.returncode == 0
    assert done.stdout.startswith("<kamproxy-test 1.0 ><cfg.get><cfg.list>")


def test_many_lines_one_process(recorder: RecordingServer, home: Path) -> None:
    lines = "".join(f"core.echo {i}\n" for i in range(300))
    done = run_kamcmd(["-s", recorder.address], home, stdin=lines)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "".join(f"{i}\n" for i in range(300))
    assert len({r.sender for r in recorder.requests}) == 1


def test_fault_only_exit_1(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["-s", recorder.address], home, stdin="test.fault\nver\n")
    assert done.returncode == 1
    assert done.stdout == "kamproxy-test 1.0 \n"


def test_empty_input(recorder: RecordingServer, home: Path) -> None:
    done = run_kamcmd(["-s", recorder.address], home, stdin="")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert recorder.requests == []


def test_unreachable_server_stops_the_batch(short_dir: Path, home: Path) -> None:
    stdin = "core.version\ncore.version\ncore.version\n"
    done = run_kamcmd(["-s", f"unix:{short_dir}/none.sock"], home, stdin=stdin)
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1  # one line, not one per remaining line


def test_undecodable_line_is_refused_and_the_batch_goes_on(
    recorder: RecordingServer, home: Path
) -> None:
    done = run_kamcmd(
        ["-s", recorder.address],
        home,
        stdin=b"core.echo bad\xff\nver\n",
        env={"LC_ALL": "en_US.UTF-8"},
    )
    assert done.returncode == 2
    assert done.stdout == "kamproxy-test 1.0 \n"
    assert done.stderr == "kamcmd: argument 1 (bad\\xff) is not valid UTF-8\n"
