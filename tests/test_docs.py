"""The documentation site (mkdocs.yml, docs/) and the README's links into it.

- The generated pages (command reference, rule catalogue) match the code:
  ``scripts/update_docs.py --check``.
- The site builds with ``mkdocs build --strict``: mkdocs.yml turns a broken link, a missing
  anchor, a page left out of the navigation and a missing included file into warnings, and
  --strict turns any warning into a failed build.
- Every relative link of the README points at a file, and a ``#fragment`` of a link into
  docs/ at an id of the built page.
- Every ``migrationaudit ...`` command shown in the README or on a docs page parses with the
  real command line (options, their values and types), and every ``--option`` named in inline
  code is an option of some command.
"""

from __future__ import annotations

import html.parser
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from migrationaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- the generated pages and the strict build ----------------------------------------------


def test_generated_pages_are_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "update_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner is not a warning of ours
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    warnings = [line for line in proc.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert proc.returncode == 0 and not warnings, "\n".join(warnings) or proc.stderr[-3000:]
    return out


def test_site_builds_strict_and_offline(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "rules" / "index.html").is_file()
    assert (site / "reference" / "cli" / "index.html").is_file()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # No web font, no script or stylesheet from elsewhere: the site works offline.
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, page
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', text), page


def test_every_rule_and_command_has_its_entry(site: Path) -> None:
    from migrationaudit.checks import rule_infos

    rules = ids_of(site / "rules" / "index.html")
    assert {r.rule_id for r in rule_infos()} <= rules
    commands = ids_of(site / "reference" / "cli" / "index.html")
    assert set(main.commands) <= commands


class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k in ("id", "name") and v)


def ids_of(page: Path) -> set[str]:
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.ids


# --- the README's links ------------------------------------------------------------------

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)\)")


def without_code(text: str) -> str:
    """The Markdown text without fenced blocks and inline code (links there are not links)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def github_slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_readme_links_resolve(site: Path) -> None:
    text = README.read_text(encoding="utf-8")
    own = {github_slug(h) for h in re.findall(r"^#+ (.+)$", without_code(text), flags=re.M)}
    bad = []
    links = LINK.findall(without_code(text))
    assert any(t.startswith("docs/") for t in links)
    for target in links:
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked here (no test touches the internet)
        path, _, fragment = target.partition("#")
        if not path:
            if fragment not in own:
                bad.append(f"{target}: no such heading in README.md")
            continue
        file = (ROOT / path).resolve()
        if not file.exists():
            bad.append(f"{target}: {path} does not exist")
            continue
        if fragment:
            if file.suffix != ".md" or DOCS not in file.parents:
                bad.append(f"{target}: anchors are only checked into docs/*.md")
                continue
            page = file.relative_to(DOCS).with_suffix("")  # mkdocs' directory URLs
            built = site / (page.parent if page.name == "index" else page) / "index.html"
            if fragment not in ids_of(built):
                bad.append(f"{target}: {path} has no anchor #{fragment}")
    assert not bad, "\n".join(bad)


# --- the commands shown ------------------------------------------------------------------

SHELL_LANGS = {"sh", "bash", "shell", "console"}
# Values the documentation's shell variables stand for, so that the commands can be parsed.
PLACEHOLDERS = {
    "STAGING_PASSWORD": "s3cret",
    "STAGING_AUTH": "preview:s3cret",
}
OPERATORS = {"|", "||", "&&", ";", "&"}
REDIRECTS = {">", ">>", "<", "2>"}


def fenced_blocks(text: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line number of the first line, language, lines) of each fenced code block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+)\s*([\w+-]*)", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        body, start = [], i + 2
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        yield start, lang.lower(), body


def logical_lines(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """Lines with their ``\\`` continuations joined, with the number of their first line."""
    buf, first = "", start
    for n, line in enumerate(lines, start):
        if not buf:
            first = n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        yield first, buf + line
        buf = ""
    if buf:
        yield first, buf


def expand(token: str, where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        assert name in PLACEHOLDERS, f"{where}: add ${name} to PLACEHOLDERS in test_docs.py"
        return PLACEHOLDERS[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, token)


def commands_in(line: str, where: str) -> Iterator[list[str]]:
    """The argument lists of the ``migrationaudit`` invocations of one shell line."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    tokens = list(lex)
    current: list[str] = []
    skip_next = False
    for token in [*tokens, ";"]:
        if skip_next:
            skip_next = False
            continue
        if token in REDIRECTS:
            skip_next = True
            continue
        if token not in OPERATORS:
            current.append(token)
            continue
        words = list(current)
        current = []
        while words and re.match(r"^[A-Za-z_]\w*=", words[0]):  # VAR=value before a command
            words.pop(0)
        if words and (words[0] == "migrationaudit" or words[0].endswith("/migrationaudit")):
            yield [expand(w, where) for w in words[1:]]


def shown_commands() -> list[tuple[str, list[str]]]:
    """(file:line, arguments) of every ``migrationaudit`` command shown in a code block."""
    found = []
    for path in doc_files():
        for start, lang, body in fenced_blocks(path.read_text(encoding="utf-8")):
            for n, line in logical_lines(body, start):
                where = f"{rel(path)}:{n}"
                stripped = line.strip()
                if lang in SHELL_LANGS:
                    shell = stripped.removeprefix("$ ")
                elif lang in ("text", "") and stripped.startswith("$ "):
                    shell = stripped[2:]  # a session: the prompt line is the command
                elif lang == "text" and stripped.startswith("migrationaudit "):
                    shell = stripped  # an example inside --help (the generated reference)
                else:
                    continue
                found.extend((where, args) for args in commands_in(shell, where))
    return found


def placeholders_for(cmd: click.Command, ctx: click.Context, args: list[str], cwd: Path) -> None:
    """Create the files and folders that the command's path parameters name (empty ones: an
    empty config file is a valid one), so that parsing checks the command, not the machine."""
    own = click.Context(cmd, parent=ctx, **cmd.context_settings)  # e.g. ignore_unknown_options
    opts, _, _ = cmd.make_parser(own).parse_args(args=list(args))
    for param in cmd.params:
        ptype = param.type
        if not isinstance(ptype, click.Path) or param.name not in opts:
            continue
        values = opts[param.name]
        for value in values if isinstance(values, (list, tuple)) else [values]:
            if not isinstance(value, str) or value == "-" or os.path.isabs(value):
                continue
            target = cwd / value
            if target.exists():
                continue
            if not ptype.file_okay:
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.touch()


def parse(args: list[str], cwd: Path) -> None:
    """Parse a command line as ``migrationaudit`` would, without running it."""
    if not args or args[0].startswith("-"):  # the group's own options: --version, --help
        main.make_context("migrationaudit", list(args))
        return
    name, *rest = args
    with click.Context(main, info_name="migrationaudit") as ctx:
        cmd = main.get_command(ctx, name)
        if cmd is None:
            raise click.UsageError(f"no such command {name!r}")
        placeholders_for(cmd, ctx, rest, cwd)
        with cmd.make_context(name, list(rest), parent=ctx) as sub:
            forwarded = sub.params.get("args")
            if name == "config" and forwarded:  # config parses them as --for's options
                parse([sub.params["for_command"], *forwarded], cwd)


COMMANDS = shown_commands()


def test_the_docs_show_commands() -> None:
    places = {where.split(":")[0] for where, _ in COMMANDS}
    assert "README.md" in places and "docs/recipes.md" in places
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize(("where", "args"), COMMANDS, ids=[w for w, _ in COMMANDS])
def test_shown_command_parses(
    where: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("MIGRATIONAUDIT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    try:
        parse(args, tmp_path)
    except click.exceptions.Exit as e:  # --version, --help
        assert e.exit_code == 0
    except click.ClickException as e:
        pytest.fail(f"{where}: migrationaudit {shlex.join(args)}\n  {e.format_message()}")


# Options named alone in inline code (`--strict`) that belong to other tools; a span that
# starts with another program (`mkdocs build --strict`) is not checked.
FOREIGN_OPTIONS = {
    "--strict",
    "--check",
    "--offline",
    "--no-deps",
    "--no-build-isolation",
    "--extra",
    "--upgrade-strategy",
    "--require-hashes",
    "--generate-hashes",
}


def all_options() -> set[str]:
    names = {"--help"}
    for cmd in [main, *main.commands.values()]:
        for param in cmd.params:
            names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    return names


def test_inline_options_exist() -> None:
    known = all_options()
    bad = []
    for path in doc_files():
        text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
        for span in re.findall(r"`([^`\n]+)`", text):
            if not span.startswith(("--", "migrationaudit ")):
                continue
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", span):
                if option not in known and option not in FOREIGN_OPTIONS:
                    bad.append(f"{rel(path)}: `{span}`: {option}")
    assert not bad, "options that no migrationaudit command has:\n" + "\n".join(bad)
