"""REGISTER processing and lookup (RFC 3261 10.3, RFC 3327), location in memory."""

from __future__ import annotations

import pytest

from tests.registrar.support import (
    Registrar,
    invite_to,
    received_from,
    register_request,
    run,
)


def memory(**cfg: object) -> Registrar:
    return Registrar(None, usrloc__db_mode=0, **cfg)


def test_register_then_lookup_and_the_200_lists_bindings() -> None:
    async def main() -> None:
        reg = await memory().start()
        result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"],
                                                     expires=3600))
        assert result and (result.code, result.reason) == (200, "OK")
        assert reg.replies.last.header("Contact") == ["<sip:alice@127.0.0.1:5099>;expires=3600"]
        reg.clock.now += 1
        second = register_request(["<sip:alice@127.0.0.1:5097>"], expires=120,
                                  call_id="reg-2@test")
        await reg.register(second, received_from(port=5097))
        # as Kamailio: every binding, the older one with its remaining time
        assert reg.replies.last.header("Contact") == [
            "<sip:alice@127.0.0.1:5099>;expires=3599, <sip:alice@127.0.0.1:5097>;expires=120"
        ]
        targets = await reg.registrar.lookup(invite_to("alice"))
        assert [t.uri for t in targets] == ["sip:alice@127.0.0.1:5097",
                                            "sip:alice@127.0.0.1:5099"]  # newest first
        assert await reg.registrar.lookup(invite_to("nobody")) == []
        assert await reg.registrar.registered(invite_to("alice"))
        assert reg.stat("registrar", "accepted_regs") == 2
        assert reg.stat("usrloc", "registered_users") == 1
        assert reg.stat("usrloc", "location-contacts") == 2
        await reg.close()

    run(main)


def test_fetch_bindings_without_contact() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        await reg.register(register_request([], call_id="fetch"))
        assert reg.replies.last.code == 200
        assert reg.replies.last.header("Contact") == ["<sip:alice@127.0.0.1:5099>;expires=3600"]
        await reg.close()

    run(main)


def test_expires_zero_and_star_remove_bindings() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>",
                                             "<sip:alice@127.0.0.1:5097>;expires=60"]))
        assert len(await reg.registrar.lookup(invite_to("alice"))) == 2
        await reg.register(register_request(["<sip:alice@127.0.0.1:5097>"], expires=0, cseq=2))
        assert reg.replies.last.header("Contact") == ["<sip:alice@127.0.0.1:5099>;expires=3600"]
        # * needs Expires: 0
        await reg.register(register_request(["*"], cseq=3))
        assert reg.replies.last.code == 400
        await reg.register(register_request(["*"], expires=0, cseq=3))
        assert reg.replies.last.code == 200 and reg.replies.last.header("Contact") == []
        assert await reg.registrar.lookup(invite_to("alice")) == []
        assert reg.stat("usrloc", "registered_users") == 0
        await reg.close()

    run(main)


def test_interval_too_brief_gets_423_with_min_expires() -> None:
    async def main() -> None:
        reg = await memory().start()
        result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"],
                                                     expires=30))
        assert (result.code, result.reason) == (423, "Interval Too Brief")
        assert reg.replies.last.header("Min-Expires") == ["60"]
        assert await reg.registrar.lookup(invite_to("alice")) == []
        assert reg.stat("registrar", "rejected_regs") == 1
        # Kamailio's way (min_expires_mode 0): raised to the minimum
        reg.params.set("registrar", "min_expires_mode", 0)
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=30))
        assert reg.replies.last.header("Contact") == ["<sip:alice@127.0.0.1:5099>;expires=60"]
        await reg.close()

    run(main)


def test_max_expires_cuts_and_default_applies() -> None:
    async def main() -> None:
        reg = await memory(registrar__max_expires=600, registrar__default_expires=300,
                           registrar__store_received=0).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>;expires=7200",
                                             "<sip:alice@127.0.0.1:5097>"]))
        assert reg.replies.last.header("Contact") == [
            "<sip:alice@127.0.0.1:5099>;expires=600, <sip:alice@127.0.0.1:5097>;expires=300"
        ]
        await reg.close()

    run(main)


def test_too_many_contacts_changes_nothing() -> None:
    async def main() -> None:
        reg = await memory(registrar__max_contacts=2).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5001>"]))
        result = await reg.register(register_request(
            ["<sip:alice@127.0.0.1:5002>", "<sip:alice@127.0.0.1:5003>"], cseq=2))
        assert result.code == 503
        assert [t.uri for t in await reg.registrar.lookup(invite_to("alice"))] == [
            "sip:alice@127.0.0.1:5001"]
        # refreshing what is there, and one more, fits
        result = await reg.register(register_request(
            ["<sip:alice@127.0.0.1:5001>", "<sip:alice@127.0.0.1:5002>"], cseq=3))
        assert result.code == 200
        await reg.close()

    run(main)


def test_out_of_order_cseq_is_refused() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], cseq=5))
        for cseq in (5, 4):
            result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"],
                                                         expires=0, cseq=cseq))
            assert result.code == 500 and "Out of Order" in result.reason
        assert len(await reg.registrar.lookup(invite_to("alice"))) == 1
        # another Call-ID (the phone restarted) may start again at 1
        result = await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"],
                                                     call_id="other", cseq=1))
        assert result.code == 200
        await reg.close()

    run(main)


def test_q_values_order_the_branches() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@10.0.0.1>;q=0.1",
                                             "<sip:alice@10.0.0.2>;q=0.9",
                                             "<sip:alice@10.0.0.3>"]))
        assert "q=0.9" in reg.replies.last.header("Contact")[0]
        targets = await reg.registrar.lookup(invite_to("alice"))
        assert [t.uri for t in targets] == ["sip:alice@10.0.0.2", "sip:alice@10.0.0.1",
                                            "sip:alice@10.0.0.3"]
        assert [t.q for t in targets] == [0.9, 0.1, -1.0]
        reg.params.set("registrar", "append_branches", 0)
        assert len(await reg.registrar.lookup(invite_to("alice"))) == 1
        await reg.close()

    run(main)


def test_nated_client_gets_received_and_lookup_sends_there() -> None:
    async def main() -> None:
        reg = await memory().start()
        # the Contact says 10.0.0.5:5060, the REGISTER came from 127.0.0.1:40000
        await reg.register(register_request(["<sip:alice@10.0.0.5>"]),
                           received_from(port=40000))
        assert reg.replies.last.header("Contact") == [
            '<sip:alice@10.0.0.5>;expires=3600;received="sip:127.0.0.1:40000"']
        (target,) = await reg.registrar.lookup(invite_to("alice"))
        assert (target.uri, target.dst_uri) == ("sip:alice@10.0.0.5", "sip:127.0.0.1:40000")
        assert target.socket == "udp:127.0.0.1:5060"
        # over TCP: the connection is remembered too
        await reg.register(register_request(["<sip:bob@10.0.0.6;transport=tcp>"], user="bob"),
                           received_from(port=40001, proto="tcp", conn_id=7))
        (bob,) = await reg.registrar.lookup(invite_to("bob"))
        assert bob.dst_uri == "sip:127.0.0.1:40001;transport=tcp"
        (contact,) = await reg.usrloc.get("bob@example.com")
        assert contact.tcpconn_id == 7
        # same address as the Contact: nothing stored
        await reg.register(register_request(["<sip:carol@127.0.0.1:5099>"], user="carol"))
        (carol,) = await reg.registrar.lookup(invite_to("carol"))
        assert carol.dst_uri is None
        await reg.close()

    run(main)


def test_path_is_stored_routed_and_echoed_when_supported() -> None:
    async def main() -> None:
        reg = await memory().start()
        path = [("Path", "<sip:edge1.example.net;lr>"), ("Path", "<sip:edge2.example.net;lr>"),
                ("Supported", "path")]
        await reg.register(register_request(["<sip:alice@10.0.0.5>"], extra=path))
        assert reg.replies.last.header("Path") == [
            "<sip:edge1.example.net;lr>, <sip:edge2.example.net;lr>"]
        (target,) = await reg.registrar.lookup(invite_to("alice"))
        assert target.path == ("<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>")
        assert target.dst_uri is None  # the path leads there
        # not supported by the client: stored, not echoed (path_mode 2) ...
        await reg.register(register_request(["<sip:bob@10.0.0.6>"], user="bob",
                                            extra=path[:1]))
        assert reg.replies.last.code == 200 and reg.replies.last.header("Path") == []
        # ... or refused with 420 (path_mode 1)
        reg.params.set("registrar", "path_mode", 1)
        await reg.register(register_request(["<sip:carol@10.0.0.7>"], user="carol",
                                            extra=path[:1]))
        assert reg.replies.last.code == 420
        assert reg.replies.last.header("Unsupported") == ["path"]
        await reg.close()

    run(main)


@pytest.mark.parametrize(
    ("contacts", "extra", "code"),
    [
        (["<sip:alice@127.0.0.1"], [], 400),  # unterminated
        (["<tel:+15551234>"], [], 400),  # not a SIP URI
        (["<sip:alice@127.0.0.1>;expires=soon"], [], 400),
        (["<sip:alice@127.0.0.1>;q=2"], [], 400),
        (["<sip:alice@127.0.0.1>"], [("Expires", "-1")], 400),
        (["<sip:alice@127.0.0.1>"], [("Expires", "abc")], 400),
        (["*", "<sip:alice@127.0.0.1>"], [("Expires", "0")], 400),
        ([f"<sip:{'a' * 600}@127.0.0.1>"], [], 400),
        (["<sip:alice@127.0.0.1>"], [("Path", "<sip:p;lr")], 400),
    ],
    ids=["syntax", "tel", "bad-expires-param", "bad-q", "negative-expires", "text-expires",
         "star-and-contact", "too-long", "bad-path"],
)
def test_bad_input_is_400_and_changes_nothing(contacts: list[str],
                                              extra: list[tuple[str, str]], code: int) -> None:
    async def main() -> None:
        reg = await memory().start()
        result = await reg.register(register_request(contacts, extra=extra))
        assert result.code == code, result
        assert reg.replies.last.code == code
        assert await reg.registrar.lookup(invite_to("alice")) == []
        await reg.close()

    run(main)


def test_to_without_user_is_refused() -> None:
    async def main() -> None:
        reg = await memory().start()
        req = register_request(["<sip:x@127.0.0.1>"])
        req.set_header("To", "<sip:example.com>")
        assert (await reg.register(req)).code == 400
        await reg.close()

    run(main)


def test_expired_contacts_disappear_on_time() -> None:
    async def main() -> None:
        reg = await memory().start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"], expires=60))
        reg.clock.now += 59
        assert await reg.registrar.lookup(invite_to("alice"))
        reg.clock.now += 2
        # gone for lookups at once, and from memory at the next timer run
        assert await reg.registrar.lookup(invite_to("alice")) == []
        assert reg.stat("usrloc", "location-contacts") == 1
        await reg.usrloc.tick()
        assert reg.stat("usrloc", "location-contacts") == 0
        assert reg.stat("usrloc", "location-expires") == 1
        assert reg.usrloc.records == {}
        await reg.close()

    run(main)


def test_use_domain_off_strips_the_domain() -> None:
    async def main() -> None:
        reg = await memory(usrloc__use_domain=0).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"]))
        assert list(reg.usrloc.records) == ["alice"]
        assert await reg.registrar.lookup(invite_to("alice", "other.example.org"))
        assert (await reg.rpc.lookup("location", "alice@example.com"))["AoR"] == "alice"
        await reg.close()

    run(main)


def test_method_filtering_uses_allow() -> None:
    async def main() -> None:
        reg = await memory(registrar__method_filtering=1).start()
        await reg.register(register_request(["<sip:alice@127.0.0.1:5099>"],
                                            extra=[("Allow", "INVITE, ACK, BYE")]))
        assert await reg.registrar.lookup(invite_to("alice"))
        assert await reg.registrar.lookup(invite_to("alice", method="MESSAGE")) == []
        await reg.close()

    run(main)
