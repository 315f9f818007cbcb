"""usrloc: the location service (registrations in memory and in the ``location`` table)
and the ``ul.*`` RPC methods; see :mod:`.module` and docs/registrar-auth.md. (Kept
empty so that the cfg catalog can import :mod:`.params` cheaply.)"""
