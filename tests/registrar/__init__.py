"""Registrar, location service, ul.* RPCs and kamctl ul tests."""
