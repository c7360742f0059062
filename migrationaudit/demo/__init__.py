"""The built-in demo migration: the HTTP(S) scenario server that plays an old and a new
site from a site definition (also the test suite's fixture server)."""
