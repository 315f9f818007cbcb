"""Test routing script: every request goes statefully to [routing] target (SIPp's
built-in uac sends its ACK and BYE to the proxy without Route headers)."""

from typing import Any

api: Any = globals()["api"]


def request_route(msg):
    if msg.method == "CANCEL":
        return
    if msg.to_tag is None and msg.method == "INVITE":
        api.record_route(msg)
    if not api.loose_route(msg):
        api.set_dst(msg, api.config["target"])
    api.relay(msg)
