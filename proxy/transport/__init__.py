"""Bytes in and out: UDP, TCP framing, listeners, connection reuse."""
