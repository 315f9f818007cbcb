"""What the checks share: the settings, the managed kamproxy, the RPC addresses to try,
and the answers already fetched (each address is probed once, each method called once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kamctl.managed import Endpoint, Managed, Probe, endpoints, probe
from kamctl.rpcviews import is_unknown_method

if TYPE_CHECKING:
    from kamctl.context import Settings


class Unavailable(Exception):
    """An RPC answer the check needs cannot be had (no such method, a fault, no answer)."""


@dataclass
class DoctorContext:
    settings: Settings
    managed: Managed
    timeout: float
    #: the RPC addresses to check, best first
    targets: list[Endpoint]
    #: where they came from ("-s flag", a config file, "default")
    target_source: str
    _probes: dict[str, Probe] = field(default_factory=dict)
    _answers: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @property
    def explicit(self) -> bool:
        """One address was configured (-s, environment, file), not kamproxy's defaults."""
        return self.target_source != "default"

    def probe(self, endpoint: Endpoint) -> Probe:
        key = str(endpoint)
        if key not in self._probes:
            self._probes[key] = probe(endpoint, "core.version", timeout=self.timeout)
        return self._probes[key]

    def answering(self) -> Endpoint | None:
        """The first target that answers RPC, if any."""
        for endpoint in self.targets:
            if self.probe(endpoint).ok:
                return endpoint
        return None

    def call(self, method: str, *params: Any) -> Any:
        """``method``'s result at the answering address, or Unavailable with the reason."""
        key = (method, *params)
        if key in self._answers:
            answer = self._answers[key]
        else:
            answer = self._answers[key] = self._fetch(method, *params)
        if isinstance(answer, Unavailable):
            raise answer
        return answer

    def _fetch(self, method: str, *params: Any) -> Any:
        from rpc.client import ClientOptions, connect
        from rpc.errors import RemoteError, RpcError

        endpoint = self.answering()
        if endpoint is None:
            return Unavailable("no RPC address answers")
        options = ClientOptions(
            timeout=self.timeout,
            connect_timeout=self.timeout,
            reply_dir=endpoint.reply_dir,
            token=endpoint.token,
            username=endpoint.username,
            password=endpoint.password,
        )
        try:
            with connect(endpoint.address, options) as client:
                return client.call(method, *params)
        except RemoteError as exc:
            if is_unknown_method(exc):
                return Unavailable(f"the proxy has no {method} method")
            return Unavailable(f"{method}: {exc.code} - {exc.message}")
        except RpcError as exc:
            return Unavailable(f"{method}: {exc}")


def make_context(
    settings: Settings, managed: Managed, timeout: float
) -> DoctorContext:
    """The addresses to check: the configured one, or every default of the managed kamproxy."""
    chosen = settings.target()
    if chosen.source == "default":
        targets = endpoints(managed)
    else:
        targets = [Endpoint(chosen.address, reply_dir=settings.config.reply_dir)]
    return DoctorContext(settings, managed, timeout, targets, chosen.source)
