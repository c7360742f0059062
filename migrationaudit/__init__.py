"""migrationaudit: does every old URL still land where it should, in one clean hop, on a page
search engines will index?"""

__version__ = "0.1.0"
