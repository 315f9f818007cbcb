"""Pure SIP message code for kamproxy (layer 1: no sockets, no asyncio).

Public API, re-exported here so that later layers import from ``proxy.sip``:

- errors: :class:`SipParseError` (``can_reply``, ``request``, ``status``),
  :class:`SipFramingError`;
- URIs: :class:`Uri`, :func:`parse_uri`, :func:`uri_equal`;
- header values: :class:`Params`, :class:`NameAddr`, :class:`Via`, :class:`CSeq` and their
  ``parse_*`` functions; names: :func:`header_key`, :func:`canonical_name`,
  :func:`is_list_header`, :data:`COMPACT_FORMS`;
- messages: :class:`Message`, :class:`Request`, :class:`Response`, :func:`parse_message`,
  :func:`make_response`, :func:`reason_phrase`;
- stream framing: :class:`StreamFramer`, :data:`PING`, :data:`PONG`, :func:`is_keepalive`.
"""

from proxy.sip.errors import SipFramingError, SipParseError
from proxy.sip.framing import PING, PONG, StreamFramer, is_keepalive
from proxy.sip.headers import (
    COMPACT_FORMS,
    LIST_HEADERS,
    CSeq,
    NameAddr,
    Via,
    canonical_name,
    header_key,
    is_list_header,
    parse_cseq,
    parse_name_addr,
    parse_name_addr_list,
    parse_via,
    parse_via_list,
)
from proxy.sip.message import (
    SIP_VERSION,
    Message,
    Request,
    Response,
    make_response,
    parse_message,
)
from proxy.sip.reasons import reason_phrase
from proxy.sip.syntax import Params, quote, split_commas, unquote
from proxy.sip.uri import Uri, parse_uri, uri_equal

__all__ = [
    "COMPACT_FORMS",
    "LIST_HEADERS",
    "PING",
    "PONG",
    "SIP_VERSION",
    "CSeq",
    "Message",
    "NameAddr",
    "Params",
    "Request",
    "Response",
    "SipFramingError",
    "SipParseError",
    "StreamFramer",
    "Uri",
    "Via",
    "canonical_name",
    "header_key",
    "is_keepalive",
    "is_list_header",
    "make_response",
    "parse_cseq",
    "parse_message",
    "parse_name_addr",
    "parse_name_addr_list",
    "parse_uri",
    "parse_via",
    "parse_via_list",
    "quote",
    "reason_phrase",
    "split_commas",
    "unquote",
    "uri_equal",
]
