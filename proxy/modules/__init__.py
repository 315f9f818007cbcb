"""kamproxy's modules (domain, permissions, dispatcher) and how the proxy loads them.

:class:`~proxy.modules.loader.ModuleSet` builds every module when the
:class:`~proxy.app.Proxy` is made (so their RPC methods are registered, listed and
documented even before start), loads their data at start, and stops their timers at
close. The routing layer reaches them
as ``proxy.module_set.domain``, ``.permissions`` and ``.dispatcher``.

Modules always load; they read the database of ``--db`` / ``[core] db_url``, else the
embedded default (:func:`proxy.storage.url.default_url`). kamproxy never creates or
changes that database (kamctl does, when it first writes). At start, one check opens
it: when it is missing (an SQLite file not made yet) kamproxy logs one warning, when
it cannot be used (a PostgreSQL server that is down, a bad URL, a missing driver) one
error, and the modules start empty; RPC, SIP and everything else start as usual, and
a reload RPC (``kamctl domain reload``, ...) loads the data once the database is there.

Import what you use from its module (nothing is imported here): ``proxy.modules.loader``
(ModuleSet), ``proxy.modules.base`` (Module, Loaded, LoadError),
``proxy.modules.domain.module``, ``proxy.modules.permissions.module``,
``proxy.modules.dispatcher.module`` and ``proxy.modules.dispatcher.select``
(MessageKeys).
"""
