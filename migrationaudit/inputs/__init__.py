"""Input readers: redirect maps and URL lists → RedirectRule / LegacyURL."""
