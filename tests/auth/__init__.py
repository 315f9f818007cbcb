"""Digest authentication tests."""
