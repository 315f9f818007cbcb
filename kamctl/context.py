"""What every kamctl command may use: the RPC target and a client made on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kamctl import target

if TYPE_CHECKING:
    from rpc.client import Client


@dataclass
class Settings:
    """Global options of kamctl, resolved lazily."""

    server: str | None = None  #: -s ADDRESS
    db_url: str | None = None  #: --db URL
    timeout: float | None = None
    _client: Client | None = field(default=None, repr=False)

    def target(self) -> target.Target:
        return target.resolve(self.server)

    def client(self) -> Client:
        """A client for the RPC target (made once, on first use)."""
        if self._client is None:
            from rpc.client import ClientOptions, connect

            options = (
                ClientOptions() if self.timeout is None else ClientOptions(timeout=self.timeout)
            )
            self._client = connect(self.target().address, options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
