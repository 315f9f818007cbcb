"""domain: local domains (tables ``domain``, ``domain_attrs``); see docs/modules.md."""
