"""Tests of the SIP message layer (proxy.sip)."""
