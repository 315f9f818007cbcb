"""kamproxy's and kamctl's database layer: Kamailio 5.6's schema on SQLite, PostgreSQL, MySQL.

* :mod:`~proxy.storage.url` — Kamailio-style URLs and the embedded default database;
* :mod:`~proxy.storage.schema` — the tables as data; :mod:`~proxy.storage.dialect` —
  per-engine SQL and DDL; :mod:`~proxy.storage.engines` — drivers, imported on use;
* :mod:`~proxy.storage.database` — the synchronous table-access API;
  :mod:`~proxy.storage.aio` — the same for asyncio, in a worker thread;
* :mod:`~proxy.storage.admin` — create/drop/version; :mod:`~proxy.storage.backup`;
* :mod:`~proxy.storage.subscribers`, :mod:`~proxy.storage.accounts`,
  :mod:`~proxy.storage.ha1` — subscribers and their credentials;
* :mod:`~proxy.storage.errors` — the one exception tree.

Importing this package loads nothing (not even the submodules): import what you use,
e.g. ``from proxy.storage.database import Database``. Drivers load only when a URL
needs them.
"""
