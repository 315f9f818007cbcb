"""The modules' RPC replies against Kamailio 5.6.3's captured ones, for the same data.

The captures (shared/reference/kamailio-5.6/transcripts/fifo/20-27) were taken from a
Kamailio whose tables held one dispatcher destination, one address and one domain;
given the same rows and the same request text, kamproxy's reply must be the same
bytes, except where Kamailio prints a hash bucket number we do not have.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from proxy.cfg.catalog import new_params
from proxy.modules.loader import ModuleSet
from rpc.dispatch import Dispatcher
from rpc.registry import Registry
from tests.modules.support import capture, capture_request, make_db, shape

#: the rows the captures were taken with (see the kamctl transcripts 16-27)
ROWS = {
    "dispatcher": [
        {
            "setid": 1,
            "destination": "sip:127.0.0.1:5080",
            "flags": 0,
            "priority": 0,
            "attrs": "",
            "description": "desc",
        }
    ],
    "address": [
        {"grp": 1, "ip_addr": "127.0.0.1", "mask": 32, "port": 0, "tag": "test"},
        {"grp": 1, "ip_addr": "not-an-ip", "mask": 32, "port": 0, "tag": "bad"},
    ],
    "domain": [{"domain": "example.com"}],
}


@pytest.fixture(scope="module")
def dispatcher(tmp_path_factory: pytest.TempPathFactory) -> Dispatcher:
    url = make_db(tmp_path_factory.mktemp("captures"), **ROWS)
    modules = ModuleSet(url, new_params())
    registry = Registry()
    modules.register(registry)

    async def load() -> None:
        await modules.start()
        await modules.close()  # stops the probing timer; the data stays

    asyncio.run(load())
    return Dispatcher(registry, pretty=True)


def answer(dispatcher: Dispatcher, case: str) -> str:
    reply = asyncio.run(dispatcher.handle(capture_request(case)))
    assert reply.body is not None
    return reply.body.decode()


@pytest.mark.parametrize(
    "case",
    [
        "20-dispatcher.list",
        "21-dispatcher.reload",
        "22-dispatcher.list-2",
        "23-permissions.addressReload",
        "26-domain.reload",
        "27-domain.dump",
    ],
)
def test_same_bytes_as_kamailio(dispatcher: Dispatcher, case: str) -> None:
    assert answer(dispatcher, case) == capture(case)


def test_address_dump_differs_only_in_the_bucket_number(dispatcher: Dispatcher) -> None:
    theirs = json.loads(capture("24-permissions.addressDump"))
    ours = json.loads(answer(dispatcher, "24-permissions.addressDump"))
    assert shape(ours) == shape(theirs)
    for doc in (theirs, ours):
        for entry in doc["result"]:
            entry.pop("table")
    assert ours == theirs


def test_domain_name_dump_entries_have_kamailios_keys(dispatcher: Dispatcher) -> None:
    theirs = json.loads(capture("25-permissions.domainDump"))["result"]
    ours = json.loads(answer(dispatcher, "25-permissions.domainDump"))["result"]
    # Kamailio repeats keys in one object for several names; we answer a list of them
    assert isinstance(ours, list) and shape(ours[0]) == shape(theirs)
    assert ours[0]["item"] == theirs["item"]


def test_the_capture_rows_are_what_the_kamctl_transcripts_inserted() -> None:
    """Guards ROWS: the kamctl transcripts show the tables the captures were taken with."""
    text = capture("20-dispatcher.list")  # skips when the transcripts are absent
    assert "sip:127.0.0.1:5080" in text
    kamctl = Path(__file__).resolve().parents[3] / "shared/reference/kamailio-5.6/transcripts"
    shown = (kamctl / "kamctl" / "21-address-show.txt.stdout").read_text()
    assert "1|1|127.0.0.1|32|0|test" in shown and "2|1|not-an-ip|32|0|bad" in shown
