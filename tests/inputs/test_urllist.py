"""URL lists: comments, blanks, stdin, validation."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from migrationaudit.errors import InputError
from migrationaudit.inputs.urllist import read_url_list


def test_list_with_comments_and_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "urls.txt"
    p.write_text("# legacy\nhttps://a.example/x\n\n  /y  \n", encoding="utf-8")
    items = read_url_list(p, "https://a.example")
    assert [(i.url, i.origin.line, i.rule) for i in items] == [
        ("https://a.example/x", 2, None),
        ("https://a.example/y", 4, None),
    ]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"https://a.example/\n")))
    (item,) = read_url_list("-")
    assert item.url == "https://a.example/" and item.origin.file == "<stdin>"


def test_bad_url_names_line(tmp_path: Path) -> None:
    p = tmp_path / "urls.txt"
    p.write_text("https://a.example/\nmailto:x@y.example\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"urls.txt:2: .*scheme 'mailto'"):
        read_url_list(p)
