"""Runtime parameters at start: defaults, the config file, the overrides file, -d.

Used by ``kamproxy -c`` too, so every bad ``[cfg.*]`` value is reported before start.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.cfg.catalog import new_params
from proxy.cfg.model import CfgError
from proxy.cfg.params import Params
from proxy.cfg.persist import Overrides, OverridesError, read_overrides
from proxy.config import ConfigError, ProxyConfig


@dataclass
class CfgSetup:
    params: Params
    overrides: Overrides | None  #: None: cfg.save is off


def load(config: ProxyConfig) -> CfgSetup:
    """The start-up parameters for ``config``; ConfigError names the file and the value."""
    params = new_params()
    try:
        params.load(config.cfg)
    except CfgError as exc:
        raise ConfigError(f"{config.source}: {exc}") from None
    _apply_flags(params, config)
    overrides = None
    if config.cfg_overrides is not None:
        overrides = Overrides(config.cfg_overrides, params.snapshot())
        try:
            params.load(read_overrides(config.cfg_overrides))
        except OverridesError as exc:
            raise ConfigError(str(exc)) from None
        except CfgError as exc:
            raise ConfigError(f"{config.cfg_overrides}: {exc}") from None
        _apply_flags(params, config)  # command-line flags win over saved values
    params.mark_startup()
    return CfgSetup(params, overrides)


def _apply_flags(params: Params, config: ProxyConfig) -> None:
    if config.debug is not None:
        try:
            params.set("core", "debug", config.debug, source="-d")
        except CfgError as exc:
            raise ConfigError(f"-d: {exc}") from None
