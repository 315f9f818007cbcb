"""The ul.* RPC methods against Kamailio 5.6.3's captured replies (byte-exact where the
values allow it, else key by key in order)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rpc.dispatch import Dispatcher
from rpc.registry import Registry
from tests.modules.support import capture, capture_request
from tests.registrar.support import Registrar, register_request, run


def dispatcher_for(reg: Registrar) -> Dispatcher:
    registry = Registry()
    reg.usrloc.register(registry)
    return Dispatcher(registry, pretty=True)


async def call(disp: Dispatcher, method: str, *params: Any) -> dict[str, Any]:
    doc = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    reply = await disp.handle(json.dumps(doc).encode())
    assert reply.body is not None
    result: dict[str, Any] = json.loads(reply.body)
    return result


def keys_in_order(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, keys_in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [keys_in_order(value[0])] if value else []
    return None


def memory() -> Registrar:
    return Registrar(None, usrloc__db_mode=0)


def sipsak_register() -> Any:
    """The REGISTER sipsak sent in transcripts/sip/01 (second, authorised attempt)."""
    return register_request(["sip:alice@127.0.0.1:5099"], expires=3600,
                            call_id="2052609189@127.0.0.1", cseq=2,
                            extra=[("User-Agent", "sipsak 0.9.8.1")])


def test_empty_dump_is_kamailios() -> None:
    async def main() -> None:
        reg = await memory().start()
        request = capture_request("17-ul.dump")
        reply = await dispatcher_for(reg).handle(request)
        doc = json.loads(reply.body or b"")
        # transcripts/kamctl/12-ul-show-empty.txt
        assert doc["result"] == {"Domains": [{"Domain": {
            "Domain": "location", "Size": 1024, "AoRs": [],
            "Stats": {"Records": 0, "Max-Slots": 0}}}]}
        await reg.close()

    run(main)


def test_dump_and_lookup_have_kamailios_shape_and_values() -> None:
    async def main() -> None:
        reg = await memory().start()
        req = sipsak_register()
        req.remove_header("User-Agent")
        req.add_header("User-Agent", "sipsak 0.9.8.1")
        await reg.register(req)
        disp = dispatcher_for(reg)
        dump = (await call(disp, "ul.dump"))["result"]
        want = json.loads(capture("17-ul.dump"))["result"]
        assert keys_in_order(dump) == keys_in_order(want)
        info, want_info = (d["Domains"][0]["Domain"]["AoRs"][0]["Info"] for d in (dump, want))
        assert (info["AoR"], info["HashID"]) == (want_info["AoR"], want_info["HashID"])
        got_c = info["Contacts"][0]["Contact"]
        want_c = want_info["Contacts"][0]["Contact"]
        same = ("Address", "Q", "Call-ID", "CSeq", "User-Agent", "Received", "Path", "Flags",
                "CFlags", "Methods", "Instance", "Reg-Id", "Server-Id", "Tcpconn-Id",
                "Keepalive", "KA-Roundtrip")
        assert {k: got_c[k] for k in same} == {k: want_c[k] for k in same}
        assert got_c["Socket"] == "udp:127.0.0.1:5060"  # ours; Kamailio's was on 5070
        assert got_c["Expires"] == 3600 and got_c["State"] == "CS_NEW"
        lookup = await call(disp, "ul.lookup", "location", "alice@example.com")
        want_lookup = json.loads(capture("18-ul.lookup"))["result"]
        assert keys_in_order(lookup["result"]) == keys_in_order(want_lookup)
        brief = (await call(disp, "ul.dump", "brief"))["result"]
        assert brief["Domains"][0]["Domain"]["AoRs"] == [{"AoR": "alice@example.com"}]
        await reg.close()

    run(main)


@pytest.mark.parametrize(
    ("capture_name", "params"),
    [
        ("19-ul.lookup-unknown", ["location", "nobody@example.com"]),
        ("35-err-params-missing-ul", ["location"]),
    ],
)
def test_lookup_faults_are_byte_exact(capture_name: str, params: list[str]) -> None:
    async def main() -> None:
        reg = await memory().start()
        request = capture_request(capture_name)
        reply = await dispatcher_for(reg).handle(request)
        assert (reply.body or b"").decode() == capture(capture_name)
        await reg.close()

    run(main)


@pytest.mark.parametrize(
    ("method", "params", "code", "message"),
    [
        ("ul.lookup", ["location", 1001], 500, "Domain missing in AOR"),
        ("ul.lookup", ["location", "alice"], 500, "Domain missing in AOR"),
        ("ul.lookup", ["aliases", "alice@example.com"], 500, "Domain table not found"),
        ("ul.lookup", [], 500, "Not enough parameters (table and AOR to lookup)"),
        ("ul.rm_contact", ["location", "nobody@example.com", "sip:x@y"], 404, "AOR not found"),
        ("ul.rm_contact", ["location", "alice@example.com", "sip:x@y"], 404,
         "Contact not found"),
        ("ul.add", ["location", "bob@example.com"], 500,
         "Not enough parameters or wrong format"),
        ("ul.add", ["location", "bob@example.com", "sip:b@h", "soon", 1.0, ".", 0, 0, 1], 500,
         "Not enough parameters or wrong format"),
    ],
)
def test_faults(method: str, params: list[Any], code: int, message: str) -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(sipsak_register())
        doc = await call(dispatcher_for(reg), method, *params)
        assert doc["error"] == {"code": code, "message": message}
        await reg.close()

    run(main)


def test_add_rm_contact_rm() -> None:
    async def main() -> None:
        reg = await memory().start()
        disp = dispatcher_for(reg)
        # as kamctl ul add sends it (numbers as JSON numbers)
        doc = await call(disp, "ul.add", "location", "bob@example.com", "sip:bob@10.0.0.2",
                         0, 1.0, ".", 0, 0, 4294967295)
        assert doc["result"] == {}
        doc = await call(disp, "ul.add", "location", "bob@example.com", "sip:bob@10.0.0.3",
                         "600", "0.5", "<sip:edge.example.net;lr>", "0", "0", "1",
                         "sip:192.0.2.7:5070", "udp:127.0.0.1:5060")
        assert doc["result"] == {}
        contacts = (await call(disp, "ul.lookup", "location", "bob@example.com"))["result"][
            "Contacts"]
        first, second = (c["Contact"] for c in contacts)
        assert (first["Expires"], first["Q"], first["Path"]) == ("permanent", 1, "[not set]")
        assert first["Call-ID"] == "dfjrewr12386fd6-343@kamailio.rpc"
        assert first["User-Agent"] == "kamailio SIP Router - RPC Server"
        assert (second["Expires"], second["Q"], second["Received"], second["Socket"]) == (
            600, 0.5, "sip:192.0.2.7:5070", "udp:127.0.0.1:5060")
        assert second["Path"] == "<sip:edge.example.net;lr>" and second["Methods"] == 1
        doc = await call(disp, "ul.add", "location", "bob@example.com", "not a uri", 0, 1.0,
                         ".", 0, 0, 1)
        assert doc["error"]["code"] == 500 and "not a SIP URI" in doc["error"]["message"]
        assert (await call(disp, "ul.rm_contact", "location", "bob@example.com",
                           "sip:bob@10.0.0.2"))["result"] == {}
        assert len((await call(disp, "ul.lookup", "location", "bob@example.com"))["result"][
            "Contacts"]) == 1
        assert (await call(disp, "ul.rm", "location", "bob@example.com"))["result"] == {}
        # as Kamailio: removing an AoR that is not there is no error
        assert (await call(disp, "ul.rm", "location", "bob@example.com"))["result"] == {}
        doc = await call(disp, "ul.lookup", "location", "bob@example.com")
        assert doc["error"]["message"] == "AOR not found in location table"
        await reg.close()

    run(main)


def test_expired_contact_shows_as_expired_until_the_timer() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=60))
        reg.clock.now += 61
        disp = dispatcher_for(reg)
        dump = (await call(disp, "ul.dump"))["result"]
        contact = dump["Domains"][0]["Domain"]["AoRs"][0]["Info"]["Contacts"][0]["Contact"]
        assert contact["Expires"] == "expired"
        doc = await call(disp, "ul.lookup", "location", "alice@example.com")
        assert doc["error"]["message"] == "AOR has no contacts"
        await reg.close()

    run(main)
