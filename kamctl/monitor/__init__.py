"""``kamctl monitor``: snapshots of a running proxy (snapshot.py), printed as text
(text.py) or drawn live with rich (live.py, the only module that imports rich)."""
