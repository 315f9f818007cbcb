"""The routing layer (layer 6): loads and reloads the routing script, and the API the
script calls (replies, relays, record-routing, header edits, the modules' functions).

Public API (docs/routing.md is the script writer's reference):

- :class:`Router`: built by proxy.app with the core, tm and the modules; ``start()``
  loads the script and takes the traffic; ``scripts`` (:class:`Scripts`: ``current``,
  ``reload()``, ``version``), ``api``;
- :class:`RoutingApi`, :class:`SipMsg`, :class:`RoutingError`: what the script uses;
- :class:`Script`, :class:`ScriptError`, :func:`load_script`, :func:`compile_script`,
  :data:`DEFAULT_SCRIPT`;
- :func:`register`: the app_python.* RPC methods.
"""

from proxy.routing.api import RoutingApi
from proxy.routing.message import RoutingError, RoutingState, SipMsg
from proxy.routing.router import Router
from proxy.routing.rpc import register
from proxy.routing.script import (
    DEFAULT_SCRIPT,
    Script,
    ScriptError,
    Scripts,
    compile_script,
    load_script,
)

__all__ = [
    "DEFAULT_SCRIPT",
    "Router",
    "RoutingApi",
    "RoutingError",
    "RoutingState",
    "Script",
    "ScriptError",
    "Scripts",
    "SipMsg",
    "compile_script",
    "load_script",
    "register",
]
