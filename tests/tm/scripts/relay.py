"""Test routing script: relay everything statefully, record-route dialogs, and fail
over to the URI in an X-Failover header when every branch failed (serial forking).
X-Fork adds a parallel branch, X-Drop-Branch names one branch_route drops. Relayed
replies get X-Reply-Route (183 is dropped); each branch gets X-Branch."""

from typing import Any

api: Any = globals()["api"]


def request_route(msg):
    if msg.method == "OPTIONS" and msg.ruri_user is None and api.is_myself(msg.ruri):
        api.reply(msg, 200, "OK")
        return
    if msg.to_tag is not None:
        if api.loose_route(msg):
            api.relay(msg)
            return
        if msg.method == "ACK":
            return
        api.reply(msg, 404, "Not here")
        return
    if msg.method in ("INVITE", "SUBSCRIBE"):
        api.record_route(msg)
    failover = msg.get_header("X-Failover")
    if failover:
        msg.vars["failover"] = failover
    fork = msg.get_header("X-Fork")
    if fork:
        api.append_branch(msg, fork)
    api.relay(msg)


def branch_route(msg):
    if msg.get_header("X-Drop-Branch") == str(msg.branch_index):
        api.drop(msg)
        return
    msg.add_header("X-Branch", str(msg.branch_index))


def reply_route(msg):
    if msg.status == 183:
        api.drop(msg)
        return
    msg.add_header("X-Reply-Route", str(msg.status))


def failure_route(msg):
    failover = msg.vars.pop("failover", None)
    if failover and not msg.canceled:
        msg.vars["failed_with"] = msg.reply.status
        api.set_ruri(msg, failover)
        api.relay(msg)
