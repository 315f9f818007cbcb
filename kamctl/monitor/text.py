"""A snapshot as lines of text: ``kamctl monitor --once`` and the rows of the live view.

Each section is one ``(label, value)`` pair; a section the proxy could not give reads
``n/a`` with the reason.
"""

from __future__ import annotations

from typing import Any

from kamctl.commands.core import duration

NA = "n/a"


def size(value: Any) -> str:
    """Bytes as ``12.3 MiB``."""
    if not isinstance(value, int):
        return NA
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return NA  # pragma: no cover - the loop always returns


def rate(value: Any) -> str:
    return f"{value:.2f}/s" if isinstance(value, (int, float)) else f"rate {NA}"


def count(value: Any) -> str:
    return NA if value is None else str(value)


def _na(data: dict[str, Any], section: str) -> str:
    reason = data.get("unavailable", {}).get(section)
    return f"{NA} ({reason})" if reason else NA


def _uptime(data: dict[str, Any]) -> str:
    up = data.get("uptime")
    if not up:
        return _na(data, "uptime")
    return f"{duration(up.get('seconds'))} (since {up.get('since')})"


def _requests(data: dict[str, Any]) -> str:
    req = data.get("requests")
    if not req:
        return _na(data, "requests")
    return (
        f"{count(req['received'])} received ({rate(req['rate'])}), "
        f"{count(req['forwarded'])} forwarded, {count(req['dropped'])} dropped, "
        f"{count(req['errors'])} errors"
    )


def _replies(data: dict[str, Any]) -> str:
    rpl = data.get("replies")
    if not rpl:
        return _na(data, "replies")
    text = (
        f"{count(rpl['received'])} received ({rate(rpl['received_rate'])}), "
        f"{count(rpl['forwarded'])} forwarded"
    )
    if rpl.get("sent") is not None:
        text += (
            f", {rpl['sent']} sent ({rate(rpl['sent_rate'])}), "
            f"{count(rpl['sent_errors'])} sent errors"
        )
    return text


def _transactions(data: dict[str, Any]) -> str:
    tm = data.get("transactions")
    if not tm:
        return _na(data, "transactions")
    classes = " ".join(f"{k}:{count(tm.get(k))}" for k in ("2xx", "3xx", "4xx", "5xx", "6xx"))
    return (
        f"{count(tm.get('current'))} current, {count(tm.get('waiting'))} waiting, "
        f"{count(tm.get('total'))} total ({rate(tm.get('rate'))}); {classes}"
    )


def _registrations(data: dict[str, Any]) -> str:
    reg = data.get("registrations")
    if not reg:
        return _na(data, "registrations")
    return (
        f"{count(reg['users'])} users, {count(reg['contacts'])} contacts; "
        f"{count(reg['accepted'])} accepted, {count(reg['rejected'])} rejected"
    )


def _memory(data: dict[str, Any]) -> str:
    mem = data.get("memory")
    if not mem:
        return _na(data, "memory")
    percent = mem.get("used_percent")
    shown = f" ({percent}%)" if percent is not None else ""
    return (
        f"{size(mem.get('real_used'))} used of {size(mem.get('total'))}{shown}, "
        f"peak {size(mem.get('max_used'))}"
    )


def _debug(data: dict[str, Any]) -> str:
    dbg = data.get("debug")
    if not dbg:
        return _na(data, "debug")
    return f"{dbg['level']} ({dbg['name']})" if dbg.get("name") else str(dbg["level"])


def rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for each section, in display order."""
    return [
        ("uptime", _uptime(data)),
        ("requests", _requests(data)),
        ("replies", _replies(data)),
        ("transactions", _transactions(data)),
        ("registrations", _registrations(data)),
        ("memory", _memory(data)),
        ("debug level", _debug(data)),
    ]


def heading(data: dict[str, Any]) -> str:
    server = data.get("server") or "proxy"
    return f"{server} at {data.get('address')}  {data.get('time')}"


def footer(data: dict[str, Any]) -> str:
    basis = data.get("rate_basis")
    return f"rates: {basis}" if basis else "rates: n/a"


def to_text(data: dict[str, Any]) -> str:
    """The whole snapshot, one section per line, ending in a newline."""
    width = max(len(label) for label, _ in rows(data))
    lines = [heading(data)]
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows(data)]
    lines.append(footer(data))
    return "\n".join(lines) + "\n"
