"""dispatcher: destination sets (table ``dispatcher``), selection, failover and keepalive
probing; see docs/modules.md."""
