"""Digest authentication (Kamailio's auth and auth_db): :mod:`.module` has the functions
the routing script calls; see docs/registrar-auth.md. (Kept empty so that the cfg
catalog can import :mod:`.params` cheaply.)"""
