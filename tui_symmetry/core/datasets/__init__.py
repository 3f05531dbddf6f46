"""The shipped tables' files (digits, wine, iris), read by core/tables.py; sources and
licences in LICENSES.md.  A package so that importlib.resources finds them installed."""
