"""Scrapy spiders and the download handler of the crawl (installed as migrationaudit.spiders)."""
