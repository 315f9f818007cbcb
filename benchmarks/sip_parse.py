"""Micro-benchmark of the SIP message layer: messages per second on one core.

Run: ``python benchmarks/sip_parse.py [--seconds 0.5]``. Not a test; each case runs for
about ``--seconds`` and prints how many messages per second it handled.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from proxy.sip import Request, Via, parse_message

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n"
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    b"Supported: replaces, timer\r\n"
    b"User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 232\r\n"
    b"\r\n"
    b"v=0\r\n"
    b"o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    b"s=Talk\r\n"
    b"c=IN IP4 192.0.2.10\r\n"
    b"t=0 0\r\n"
    b"m=audio 49170 RTP/AVP 0 8 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=sendrecv\r\n"
    b"a=ptime:20\r\n"
)

REGISTER = (
    b"REGISTER sip:example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK.8hGh5Yxr7;rport\r\n"
    b"From: <sip:alice@example.com>;tag=vXcY~2Aq1\r\n"
    b"To: sip:alice@example.com\r\n"
    b"CSeq: 20 REGISTER\r\n"
    b"Call-ID: 3Qm7ZwW9Aa\r\n"
    b"Max-Forwards: 70\r\n"
    b"Supported: replaces, outbound, gruu\r\n"
    b'Contact: <sip:alice@192.0.2.20;transport=udp>;expires=3600;+sip.instance='
    b'"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1\r\n'
    b"User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def split_only(data: bytes) -> None:
    parse_message(data)


def hot_path(data: bytes) -> None:
    msg = parse_message(data)
    msg.via  # noqa: B018
    msg.call_id  # noqa: B018
    msg.cseq  # noqa: B018


def full_read(data: bytes) -> None:
    msg = parse_message(data)
    msg.validate()
    msg.contacts  # noqa: B018


def proxy_forward(data: bytes) -> None:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    msg.validate()
    hops = msg.max_forwards
    msg.set_header("Max-Forwards", str((hops or 70) - 1))
    msg.prepend_via(Via("UDP", "192.0.2.1", 5060).with_param("branch", "z9hG4bKproxy1"))
    msg.serialize()


def measure(func: Callable[[bytes], None], data: bytes, seconds: float) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while True:
        for _ in range(200):
            func(data)
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per case")
    args = parser.parse_args()
    cases = [("split", split_only), ("via+call-id+cseq", hot_path),
             ("validate+contacts", full_read), ("forward (edit+serialize)", proxy_forward)]
    for label, data in (("INVITE+SDP", INVITE), ("REGISTER", REGISTER)):
        for name, func in cases:
            rate = measure(func, data, args.seconds)
            print(f"{label:11} {name:26} {rate:10,.0f} msg/s")


if __name__ == "__main__":
    main()
