"""Runtime parameters (Kamailio's cfg framework): declare, read live, change over RPC.

* :mod:`proxy.cfg.model` — :class:`Group` and :class:`Var` declarations and value checks;
* :mod:`proxy.cfg.params` — :class:`Params`, the live values (``params.get_int(...)``);
* :mod:`proxy.cfg.staging` — staged changes (cfg.set_delayed*, commit, rollback);
* :mod:`proxy.cfg.rpc` — the ``cfg.*`` RPC methods;
* :mod:`proxy.cfg.catalog` — every declared group; :mod:`proxy.cfg.startup` — start-up values;
* :mod:`proxy.cfg.persist` — the optional overrides file (cfg.save);
* :mod:`proxy.cfg.docs` — ``python -m proxy.cfg.docs`` writes docs/runtime-parameters.md.
"""

from proxy.cfg.model import CfgError, Flag, Group, Int, Str, Value, Var
from proxy.cfg.params import Params, Snapshot

__all__ = ["CfgError", "Flag", "Group", "Int", "Params", "Snapshot", "Str", "Value", "Var"]
