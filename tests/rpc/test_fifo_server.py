"""FifoServer against raw clients: framing, reply targets, bounds, life cycle.

Each test talks to a real server on a real FIFO in tmp_path, writing bytes the way
kamctl, kamcli or a careless shell user would, and reading real reply FIFOs.
"""

from __future__ import annotations

import json
import logging
import os
import select
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rpc.dispatch import Dispatcher, Reply
from rpc.server.endpoint import EndpointInUse, FileAccess
from rpc.server.fifo import Document, FifoServer, JsonFramer, Oversized, salvage
from tests.support.loop import BackgroundLoop
from tests.support.methods import VERSION, make_dispatcher, make_registry

REPLY_TIMEOUT = 0.8
MAX_REQUEST = 2048
PARTIAL_TIMEOUT = 0.3


# -- raw client helpers ---------------------------------------------------------------


class ReplyFifo:
    """A reply FIFO made by a raw client, open for reading unless told otherwise."""

    def __init__(self, path: Path, *, open_reader: bool = True) -> None:
        self.path = path
        os.mkfifo(path, 0o600)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK) if open_reader else -1

    def read(self, timeout: float = 5.0) -> bytes:
        """Everything the server writes, up to its close (POLLHUP)."""
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        data = b""
        while time.monotonic() < deadline:
            events = poller.poll(50)
            if not events:
                continue
            chunk = os.read(self.fd, 65536)
            data += chunk
            if not chunk and events[0][1] & select.POLLHUP:
                return data
        raise AssertionError(f"no complete reply in {self.path} within {timeout} s: {data!r}")

    def read_json(self, timeout: float = 5.0) -> Any:
        return json.loads(self.read(timeout))

    def silent(self, wait: float = 0.2) -> bool:
        """True if no writer came (no data, no hang-up) within ``wait``."""
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        return not poller.poll(int(wait * 1000))

    def hung_up(self, timeout: float) -> bool:
        """True once the server has closed its end (without reading the data)."""
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while time.monotonic() < deadline:
            for _fd, mask in poller.poll(50):
                if mask & select.POLLHUP:
                    return True
        return False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def send(path: str, data: bytes) -> None:
    """Write ``data`` into the server FIFO, waiting (bounded) while it is full."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + 5
        view = memoryview(data)
        while view:
            assert time.monotonic() < deadline, "server FIFO stayed full"
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                select.select([], [fd], [], 0.05)
    finally:
        os.close(fd)


def request(
    method: str,
    params: list[Any] | None = None,
    *,
    reply_name: str | None = None,
    request_id: Any = 1,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        doc["params"] = params
    if reply_name is not None:
        doc["reply_name"] = reply_name
    if request_id is not None:
        doc["id"] = request_id
    return doc


def raw(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def wait_for_log(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in record.getMessage() for record in caplog.records):
            return
        time.sleep(0.02)
    raise AssertionError(f"no log line containing {text!r}: {caplog.messages}")


# -- the harness ------------------------------------------------------------------------


class Harness:
    """A running FifoServer and the directories around it."""

    def __init__(
        self, bg: BackgroundLoop, tmp_path: Path, dispatcher: Dispatcher, **options: Any
    ) -> None:
        self.bg = bg
        self.tmp = tmp_path
        self.reply_dir = tmp_path / "replies"
        self.reply_dir.mkdir(exist_ok=True)
        self.path = str(tmp_path / "kamailio_rpc.fifo")
        settings: dict[str, Any] = {
            "reply_dir": str(self.reply_dir) + "/",
            "max_request": MAX_REQUEST,
            "reply_timeout": REPLY_TIMEOUT,
            "partial_timeout": PARTIAL_TIMEOUT,
        }
        settings.update(options)
        self.server = FifoServer(self.path, dispatcher, **settings)
        self._fifos: list[ReplyFifo] = []
        bg.run(self.server.start())

    def reply_fifo(self, name: str, *, open_reader: bool = True) -> ReplyFifo:
        fifo = ReplyFifo(self.reply_dir / name, open_reader=open_reader)
        self._fifos.append(fifo)
        return fifo

    def call(
        self, method: str, params: list[Any] | None = None, name: str = "probe", request_id: Any = 7
    ) -> Any:
        """A kamctl-style call; returns the parsed reply document."""
        fifo = self.reply_fifo(name)
        try:
            send(
                self.path,
                raw(request(method, params, reply_name=name, request_id=request_id)) + b"\n",
            )
            return fifo.read_json()
        finally:
            fifo.close()
            os.unlink(fifo.path)

    def assert_serving(self) -> None:
        reply = self.call("core.version", name="after_check")
        assert reply == {"jsonrpc": "2.0", "result": VERSION, "id": 7}

    def close(self) -> None:
        for fifo in self._fifos:
            fifo.close()
        self.bg.run(self.server.close())


@pytest.fixture
def harness(bg_loop: BackgroundLoop, tmp_path: Path) -> Iterator[Harness]:
    h = Harness(bg_loop, tmp_path, make_dispatcher())
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def rpc_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="rpc")
    return caplog


# -- framing ---------------------------------------------------------------------------


def test_kamctl_style_request_gets_a_pretty_reply_without_newline(harness: Harness) -> None:
    fifo = harness.reply_fifo("kamailio_receiver_4242")
    send(
        harness.path,
        b'{"jsonrpc": "2.0", "method": "core.version", '
        b'"reply_name": "kamailio_receiver_4242", "id": 4242}\n',
    )
    body = fifo.read()
    assert (
        body
        == b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t"' + VERSION.encode() + b'",\n\t"id":\t4242\n}'
    )


def test_two_documents_in_one_write(harness: Harness) -> None:
    first, second = harness.reply_fifo("reply_a"), harness.reply_fifo("reply_b")
    send(
        harness.path,
        raw(request("core.version", reply_name="reply_a", request_id=701))
        + raw(request("test.echo", [1, "x"], reply_name="reply_b", request_id=702)),
    )
    assert first.read_json() == {"jsonrpc": "2.0", "result": VERSION, "id": 701}
    assert second.read_json() == {"jsonrpc": "2.0", "result": [1, "x"], "id": 702}


def test_document_split_over_writes_with_pauses(harness: Harness) -> None:
    fifo = harness.reply_fifo("split")
    text = raw(request("test.echo", ['a\\"{', "}]"], reply_name="split", request_id=3))
    cuts = [0, 5, text.index(b"\\") + 1, text.index(b"}]") + 1, len(text) - 1, len(text)]
    for start, end in zip(cuts, cuts[1:], strict=False):
        send(harness.path, text[start:end])
        time.sleep(0.05)
    assert fifo.read_json() == {"jsonrpc": "2.0", "result": ['a\\"{', "}]"], "id": 3}


def test_batch_is_answered_as_a_batch(harness: Harness) -> None:
    fifo = harness.reply_fifo("reply_batch")
    send(
        harness.path,
        raw(
            [
                request("core.version", reply_name="reply_batch", request_id=705),
                request("test.echo", [2], reply_name="reply_batch", request_id=706),
            ]
        )
        + b"\n",
    )
    assert fifo.read_json() == [
        {"jsonrpc": "2.0", "result": VERSION, "id": 705},
        {"jsonrpc": "2.0", "result": [2], "id": 706},
    ]
    harness.assert_serving()


def test_notification_writes_nothing(harness: Harness) -> None:
    quiet = harness.reply_fifo("quiet")
    send(harness.path, raw(request("test.echo", [1], reply_name="quiet", request_id=None)))
    harness.assert_serving()
    assert quiet.silent()


def test_leading_garbage_is_skipped_and_logged_once(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    fifo = harness.reply_fifo("reply_garbage")
    send(harness.path, b"xyz ")
    send(
        harness.path,
        b'}]"\n  junk '
        + raw(request("core.version", reply_name="reply_garbage", request_id=703))
        + b"\n",
    )
    assert fifo.read_json()["id"] == 703
    stray = [m for m in rpc_log.messages if "stray bytes" in m]
    assert len(stray) == 1, rpc_log.messages


def test_escapes_and_braces_inside_strings(harness: Harness) -> None:
    """Kamailio loses its place after "back\\\\" (transcripts 72-75); we must not."""
    values = ["back\\", 'q"}', "][", '\\\\"', '{"reply_name": "evil"}', "{"]
    first, second = harness.reply_fifo("reply_backslash"), harness.reply_fifo("after")
    send(
        harness.path,
        raw(request("test.echo", values, reply_name="reply_backslash", request_id=711))
        + b"\n"
        + raw(request("core.version", reply_name="after", request_id=712))
        + b"\n",
    )
    assert first.read_json() == {"jsonrpc": "2.0", "result": values, "id": 711}
    assert second.read_json()["id"] == 712


def test_kamailio_backslash_transcript_is_served(harness: Harness) -> None:
    """Transcripts 72-75 byte for byte: Kamailio answered only the last one."""
    names = ["reply_backslash", "reply_after_backslash", "reply_resync2"]
    fifos = [harness.reply_fifo(name) for name in names]
    send(
        harness.path,
        b'{"jsonrpc": "2.0", "method": "test.echo", "params": ["back\\\\"], '
        b'"id": 711, "reply_name": "reply_backslash"}\n',
    )
    send(
        harness.path,
        b'{"jsonrpc": "2.0", "method": "core.version", "id": 712, '
        b'"reply_name": "reply_after_backslash"}\n',
    )
    send(harness.path, b'"}\n')
    send(
        harness.path,
        b'{"jsonrpc": "2.0", "method": "core.version", "id": 713, "reply_name": "reply_resync2"}\n',
    )
    assert fifos[0].read_json()["result"] == ["back\\"]
    assert [fifo.read_json()["id"] for fifo in fifos[1:]] == [712, 713]


def test_oversized_document_is_refused_and_the_next_is_served(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    big, good = harness.reply_fifo("big"), harness.reply_fifo("good")
    # reply_name after the params, as our client and kamctl put it
    text = raw(request("test.echo", ["}" * 5000, "{[" * 1000], reply_name="big", request_id=1))
    assert len(text) > MAX_REQUEST
    for start in range(0, len(text), 3000):  # several writes
        send(harness.path, text[start : start + 3000])
    send(harness.path, b"\n" + raw(request("core.version", reply_name="good", request_id=2)))
    assert good.read_json() == {"jsonrpc": "2.0", "result": VERSION, "id": 2}
    error = big.read_json()["error"]
    assert error["code"] == -32600 and str(MAX_REQUEST) in error["message"]
    assert any("larger than" in m for m in rpc_log.messages)


def test_framer_memory_is_bounded_for_a_document_that_never_ends() -> None:
    framer = JsonFramer(1000)
    assert framer.feed(b'{"a": "') == []
    for _ in range(100):
        assert framer.feed(b"x" * 10000) == []
        assert framer.buffered <= 1000
    assert framer.pending
    assert framer.feed(b'"}{"b":1}') == [Oversized(1000007 + 2, None), Document(b'{"b":1}')]


def test_framer_gives_the_same_documents_whatever_the_chunking() -> None:
    stream = (
        b' \n{"a": "\\\\", "b": "\\"}"}garbage[1, [2, {"c": "]"}]]\n'
        b'{"d": {"e": ["{", "\\u007b"]}}  {"f": "\\\\\\""}'
    )
    expected = [
        Document(b'{"a": "\\\\", "b": "\\"}"}'),
        Document(b'[1, [2, {"c": "]"}]]'),
        Document(b'{"d": {"e": ["{", "\\u007b"]}}'),
        Document(b'{"f": "\\\\\\""}'),
    ]
    assert JsonFramer(4096).feed(stream) == expected
    for size in (1, 2, 3, 7):
        framer = JsonFramer(4096)
        events = []
        for start in range(0, len(stream), size):
            events += framer.feed(stream[start : start + size])
        assert events == expected, size
        assert not framer.pending


def test_incomplete_document_is_dropped_after_silence(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    """kamctl does not escape quotes: a stray one must not kill the FIFO for good."""
    broken = harness.reply_fifo("reply_broken")
    send(
        harness.path,
        b'{"jsonrpc": "2.0", "method": "test.echo", "params": ["a"b"], '
        b'"reply_name": "reply_broken", "id": 1}\n',
    )
    assert broken.read_json()["error"]["code"] == -32700  # after PARTIAL_TIMEOUT
    wait_for_log(rpc_log, "incomplete request")
    harness.assert_serving()


def test_requests_glued_onto_an_unfinished_one_are_recovered(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    """An unclosed document swallows the next requests; they are framed again."""
    broken = harness.reply_fifo("reply_head")
    victim = harness.reply_fifo("reply_victim")
    send(harness.path, b'{"jsonrpc": "2.0", "method": "core.version", "reply_name": "reply_head"\n')
    send(
        harness.path,
        raw(request("test.echo", ["x"], reply_name="reply_victim", request_id=9)) + b"\n",
    )
    assert victim.read_json() == {"jsonrpc": "2.0", "result": ["x"], "id": 9}
    assert broken.read_json()["error"]["code"] == -32700
    wait_for_log(rpc_log, "recovered a request")
    harness.assert_serving()


def test_salvage_without_a_line_start_keeps_everything() -> None:
    assert salvage(b'{"a": 1, "b": {"c": 2}', 1000) == (b'{"a": 1, "b": {"c": 2}', [])


def test_request_without_reply_name_is_logged_and_dropped(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    send(harness.path, raw(request("core.version", request_id=5)) + b"\n")
    harness.assert_serving()
    wait_for_log(rpc_log, "without reply_name")


def test_unparseable_document_with_reply_name_gets_a_parse_error(harness: Harness) -> None:
    fifo = harness.reply_fifo("reply_bad")
    send(harness.path, b'{"jsonrpc": "2.0", "method": , "reply_name": "reply_bad", "id": 1}')
    assert fifo.read_json()["error"]["code"] == -32700


class _ExplodingDispatcher(Dispatcher):
    async def handle(self, data: bytes, *, source: str = "rpc") -> Reply:
        if b"boom" in data:
            raise RuntimeError("boom")
        return await super().handle(data, source=source)


def test_an_exception_while_serving_does_not_stop_the_reader(
    bg_loop: BackgroundLoop, tmp_path: Path, rpc_log: pytest.LogCaptureFixture
) -> None:
    h = Harness(bg_loop, tmp_path, _ExplodingDispatcher(make_registry()))
    try:
        send(h.path, raw(request("boom", reply_name="x")))
        wait_for_log(rpc_log, "failed to serve")
        h.assert_serving()
    finally:
        h.close()


# -- reply targets -------------------------------------------------------------------


def test_dot_in_reply_name_is_answered(harness: Harness) -> None:
    """kamcli's default reply name, which Kamailio 5.6 refuses."""
    assert harness.call("core.version", name="kamailio_rpc_reply.fifo")["result"] == VERSION


def _outside_fifo(tmp_path: Path, name: str) -> ReplyFifo:
    """A FIFO outside the reply directory, with a reader, that must stay untouched."""
    return ReplyFifo(tmp_path / name)


@pytest.mark.parametrize("reply_name", ["../outside", "ABSOLUTE", ".", "..", "a\x00b", "n" * 256])
def test_reply_names_that_are_not_plain_file_names_are_refused(
    harness: Harness, rpc_log: pytest.LogCaptureFixture, reply_name: str
) -> None:
    trap = _outside_fifo(harness.tmp, "outside")
    if reply_name == "ABSOLUTE":
        reply_name = str(trap.path)
    try:
        send(harness.path, raw(request("core.version", reply_name=reply_name)))
        wait_for_log(rpc_log, "refused reply_name")
        harness.assert_serving()
        assert trap.silent()
    finally:
        trap.close()


def test_symlink_reply_target_is_refused(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    trap = _outside_fifo(harness.tmp, "victim")
    os.symlink(trap.path, harness.reply_dir / "link")
    try:
        send(harness.path, raw(request("core.version", reply_name="link")))
        wait_for_log(rpc_log, "symbolic link")
        harness.assert_serving()
        assert trap.silent()
    finally:
        trap.close()


def test_hard_linked_reply_target_is_refused(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    trap = _outside_fifo(harness.tmp, "victim")
    os.link(trap.path, harness.reply_dir / "hard")
    try:
        send(harness.path, raw(request("core.version", reply_name="hard")))
        wait_for_log(rpc_log, "hard links")
        harness.assert_serving()
        assert trap.silent()
    finally:
        trap.close()


def test_regular_file_reply_target_is_left_alone(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    plain = harness.reply_dir / "plain"
    plain.write_bytes(b"keep me")
    send(harness.path, raw(request("core.version", reply_name="plain")))
    wait_for_log(rpc_log, "not a FIFO")
    harness.assert_serving()
    assert plain.read_bytes() == b"keep me"


def test_missing_reply_fifo_is_logged(harness: Harness, rpc_log: pytest.LogCaptureFixture) -> None:
    send(harness.path, raw(request("core.version", reply_name="nobody_made_me")))
    wait_for_log(rpc_log, "does not exist")
    harness.assert_serving()
    assert not (harness.reply_dir / "nobody_made_me").exists()


def test_unread_reply_fifos_do_not_delay_other_clients(
    harness: Harness, rpc_log: pytest.LogCaptureFixture
) -> None:
    harness.reply_fifo("never_opened", open_reader=False)
    stuck = harness.reply_fifo("opened_never_read")
    send(
        harness.path,
        raw(request("core.version", reply_name="never_opened"))
        + raw(request("test.big", [400_000], reply_name="opened_never_read")),
    )
    started = time.monotonic()
    harness.assert_serving()
    assert time.monotonic() - started < REPLY_TIMEOUT + 2.0
    # The big reply is dropped after reply_timeout: the server closes its end.
    assert stuck.hung_up(REPLY_TIMEOUT + 2.0)
    wait_for_log(rpc_log, "not read within")
    wait_for_log(rpc_log, "no client reads it")


# -- life cycle ----------------------------------------------------------------------


def test_fifo_mode_is_0660_even_with_umask_0(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        h = Harness(bg_loop, tmp_path, make_dispatcher())
    finally:
        os.umask(old)
    try:
        st = os.stat(h.path)
        assert stat.S_ISFIFO(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660
    finally:
        h.close()


def test_fifo_mode_follows_access(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    h = Harness(bg_loop, tmp_path, make_dispatcher(), access=FileAccess(mode=0o600))
    try:
        assert stat.S_IMODE(os.stat(h.path).st_mode) == 0o600
        h.assert_serving()
    finally:
        h.close()


def test_unknown_group_is_a_clear_error_and_leaves_nothing(
    bg_loop: BackgroundLoop, tmp_path: Path
) -> None:
    path = tmp_path / "kamailio_rpc.fifo"
    access = FileAccess(group="no-such-group-kamctl")
    server = FifoServer(str(path), make_dispatcher(), reply_dir=str(tmp_path), access=access)
    with pytest.raises(OSError, match="no-such-group-kamctl"):
        bg_loop.run(server.start())
    assert not path.exists()


def test_stale_fifo_is_replaced(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    stale = tmp_path / "kamailio_rpc.fifo"
    os.mkfifo(stale)
    os.link(stale, tmp_path / "keep")  # so that the inode number cannot be reused
    stale_inode = os.stat(stale).st_ino
    h = Harness(bg_loop, tmp_path, make_dispatcher())
    try:
        assert os.stat(stale).st_ino != stale_inode
        h.assert_serving()
    finally:
        h.close()


def test_live_fifo_is_not_taken_over(harness: Harness) -> None:
    other = FifoServer(harness.path, make_dispatcher(), reply_dir=str(harness.reply_dir))
    with pytest.raises(EndpointInUse):
        harness.bg.run(other.start())
    harness.bg.run(other.close())
    assert os.path.exists(harness.path)
    harness.assert_serving()


def test_regular_file_at_fifo_path_is_not_removed(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    path = tmp_path / "kamailio_rpc.fifo"
    path.write_text("precious")
    server = FifoServer(str(path), make_dispatcher(), reply_dir=str(tmp_path))
    with pytest.raises(EndpointInUse):
        bg_loop.run(server.start())
    assert path.read_text() == "precious"


def test_close_removes_the_fifo(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    h = Harness(bg_loop, tmp_path, make_dispatcher())
    h.close()
    assert not os.path.exists(h.path)
    h.close()  # idempotent


def test_close_leaves_a_fifo_that_is_no_longer_ours(
    bg_loop: BackgroundLoop, tmp_path: Path
) -> None:
    h = Harness(bg_loop, tmp_path, make_dispatcher())
    os.unlink(h.path)
    os.mkfifo(h.path)
    h.close()
    assert stat.S_ISFIFO(os.stat(h.path).st_mode)


def test_close_does_not_wait_for_a_slow_method(bg_loop: BackgroundLoop, tmp_path: Path) -> None:
    h = Harness(bg_loop, tmp_path, make_dispatcher())
    h.reply_fifo("slow")
    send(h.path, raw(request("test.sleep", [30], reply_name="slow")))
    time.sleep(0.1)
    started = time.monotonic()
    h.close()
    assert time.monotonic() - started < 3.0
    assert not os.path.exists(h.path)
