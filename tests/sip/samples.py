"""Real-world-looking SIP messages for the tests (CRLF line ends, exact bytes)."""

from __future__ import annotations


def crlf(text: str) -> bytes:
    """Turn a readable multi-line string into wire bytes: every "\\n" becomes CRLF."""
    return text.replace("\n", "\r\n").encode()


# sipsak 0.9.8.1 "sipsak -s sip:127.0.0.1:5070" (bare addr-spec From/To, rport;alias).
SIPSAK_OPTIONS = crlf(
    "OPTIONS sip:127.0.0.1:5070 SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:41471;branch=z9hG4bK.5c3a1e27;rport;alias\n"
    "From: sip:sipsak@127.0.0.1:41471;tag=3b4a7c21\n"
    "To: sip:127.0.0.1:5070\n"
    "Call-ID: 996458017@127.0.0.1\n"
    "CSeq: 1 OPTIONS\n"
    "Contact: sip:sipsak@127.0.0.1:41471\n"
    "Content-Length: 0\n"
    "Max-Forwards: 70\n"
    "User-Agent: sipsak 0.9.8.1\n"
    "Accept: text/plain\n"
    "\n"
)

# A softphone REGISTER (outbound/gruu style Contact with a quoted +sip.instance).
SOFTPHONE_REGISTER = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK.8hGh5Yxr7;rport\n"
    "From: <sip:alice@example.com>;tag=vXcY~2Aq1\n"
    "To: sip:alice@example.com\n"
    "CSeq: 20 REGISTER\n"
    "Call-ID: 3Qm7ZwW9Aa\n"
    "Max-Forwards: 70\n"
    "Supported: replaces, outbound, gruu\n"
    'Contact: <sip:alice@192.0.2.20;transport=udp>;expires=3600;+sip.instance='
    '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1;q=0.7\n'
    "Expires: 3600\n"
    "User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\n"
    "Content-Length: 0\n"
    "\n"
)

SDP = crlf(
    "v=0\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\n"
    "s=Talk\n"
    "c=IN IP4 192.0.2.10\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=sendrecv\n"
)

INVITE_SDP = crlf(
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101\n"
    "Via: SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bKa1b2, "
    "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK9\n"
    "Max-Forwards: 69\n"
    'From: "Alice, the \\"first\\" <one>" <sip:alice@atlanta.example.com>;tag=9fxced76sl\n'
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\n"
    "CSeq: 2 INVITE\n"
    "Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\n"
    "Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>\n"
    "Route: <sip:[2001:db8::1]:5070;lr;transport=udp>\n"
    "Route: <sip:p3.example.com;lr>\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\n"
    "Allow: REFER, NOTIFY\n"
    "Supported: timer,\n"
    " 100rel\n"
    "Content-Type: application/sdp\n"
    f"Content-Length: {len(SDP)}\n"
    "\n"
) + SDP

# The 200 OK Kamailio's registrar sent to sipsak (transcript 01-sipsak-register-alice).
KAMAILIO_200_REGISTER = crlf(
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP 127.0.0.1:41471;branch=z9hG4bK.322c6292;rport=51643;alias;"
    "received=127.0.0.1\n"
    "From: sip:alice@example.com;tag=7a5854a5\n"
    "To: sip:alice@example.com;tag=df673b98c9e0bd9172cfc0d849035098.239323f4\n"
    "Call-ID: 2052609189@127.0.0.1\n"
    "CSeq: 2 REGISTER\n"
    "Contact: <sip:alice@127.0.0.1:5099>;expires=3600\n"
    "Server: kamailio-reference-peer\n"
    "Content-Length: 0\n"
    "\n"
)

# The same MESSAGE the reference peer received in probe 12 (body "hello alice").
MESSAGE_TEXT = crlf(
    "MESSAGE sip:alice@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5098;branch=z9hG4bK7f80001160;rport\n"
    "From: <sip:bob@example.com>;tag=a50e4026\n"
    "To: <sip:alice@example.com>\n"
    "Call-ID: 4f13aac5a45fe8b0\n"
    "CSeq: 1 MESSAGE\n"
    "Max-Forwards: 70\n"
    "User-Agent: sip_probe\n"
    "Content-Type: text/plain\n"
    "Content-Length: 11\n"
    "\n"
) + b"hello alice"

# Compact forms everywhere (RFC 4475 style), with a tel: To.
COMPACT_INVITE = crlf(
    "INVITE sip:+12125551212@gw.example.com;user=phone SIP/2.0\n"
    "v: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKkdjuw\n"
    "f: Carol <sip:carol@chicago.example.com>;tag=8321234356\n"
    "t: <tel:+1-212-555-1212>\n"
    "i: 1j9FpLxk3uxtm8tn@192.0.2.7\n"
    "CSeq: 1 INVITE\n"
    "m: <sip:carol@192.0.2.7>\n"
    "k: 100rel\n"
    "s: Need more boxes\n"
    "o: presence\n"
    "x: 1800;refresher=uac\n"
    "c: text/plain\n"
    "l: 3\n"
    "\n"
    "abc"
)

ALL = {
    "sipsak-options": SIPSAK_OPTIONS,
    "softphone-register": SOFTPHONE_REGISTER,
    "invite-sdp": INVITE_SDP,
    "kamailio-200-register": KAMAILIO_200_REGISTER,
    "message-text": MESSAGE_TEXT,
    "compact-invite": COMPACT_INVITE,
}
