"""The real corpora replayed on a real nginx, chain by chain, against the prediction.

Each rule the host applies becomes a regex location in file order (nginx tries regex locations
in order and the first match wins: the hosts' "first match wins"), with the host's own source
pattern and its placeholders as named captures; a rule the host ignores answers 404 at its
source, as the live replays of these corpora showed; any other path is a page. Every legacy URL
the prediction audits is then requested hop by hop, and the chain (status and Location of every
hop) must equal the predicted one: chains, loops and temporary hops alike."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from migrationaudit.preflight.model import RuleFile
from migrationaudit.preflight.predict import _exact_rules, simulator
from migrationaudit.preflight.read import read_rule_file
from migrationaudit.preflight.simulate import Simulator
from tests.nginxserver import running_nginx

CORPORA = Path(__file__).resolve().parent / "corpora"
ENCODED_SOURCE = {
    "amplify-docs": "https://docs.amplify.aws/lib/project-setup/upgrade-guide/q/platform/%5Bplatform%5D/"
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _target(rule_target: str, fmt: str) -> str:
    """The rule's target with its placeholders as nginx variables."""
    if fmt == "amplify":
        out = rule_target.replace("<*>", "${splat}")
        return re.sub(r"<([^>*]+)>", lambda m: "${" + re.sub(r"\W", "_", m.group(1)) + "}", out)
    return re.sub(r":([A-Za-z]\w*)", lambda m: "${" + m.group(1) + "}", rule_target)


def replay_config(rf: RuleFile, hosts: list[str], port: int) -> str:
    lines = [f"server {{\n listen 127.0.0.1:{port};\n server_name {' '.join(hosts)};"]
    for rule in rf.rules:
        if rule.host is not None or rule.fallback:
            continue  # host rules are for other hosts; fallbacks never act on a page
        regex = "^" + rule.pattern.pattern.removesuffix(r"\Z") + "$"
        if rule.is_redirect:
            action = f"return {rule.status} {_quote(_target(rule.target, rf.fmt))};"
        else:
            action = f"return {rule.status} page;"  # a rewrite (200) or a not-found page
        for key, value in rule.query:
            if value[:1] not in ":<":
                action = f"if ($arg_{key} = {_quote(value)}) {{ {action} }}"
        lines.append(f" location ~ {_quote(regex)} {{ {action} }}")
    for item in rf.ignored:
        path = item.source.split("?", 1)[0]
        if item.by_host and path.startswith("/") and not re.search(r"[*:<#]", path):
            regex = "^" + re.escape(path.rstrip("/") or "/") + "/?$"
            lines.append(f" location ~ {_quote(regex)} {{ return 404; }}")
    lines.append(" location / { return 200 page; }\n}")
    return "\n".join(lines)


def chain(
    answer: Callable[[str], tuple[int, str | None]], url: str, sim: Simulator
) -> list[tuple[int, str | None]]:
    """The chain from ``url`` as ``answer`` gives it, followed while it stays on the site."""
    hops: list[tuple[int, str | None]] = []
    seen: set[str] = set()
    for _ in range(12):
        status, location = answer(url)
        hops.append((status, location))
        if location is None or not sim.on_site(location) or location in seen:
            return hops
        seen.add(url)
        url = location
    return hops


@pytest.mark.parametrize("name", ["kong-docs", "kgateway-docs", "amplify-docs"])
def test_the_prediction_equals_the_replay_chain_by_chain(tmp_path: Path, name: str) -> None:
    meta = json.loads((CORPORA / name / "corpus.json").read_text(encoding="utf-8"))
    base = f"https://{meta['self_hosts'][0]}/"
    rf = read_rule_file(CORPORA / name / meta["file"], meta["format"])
    sim = simulator(rf, base, meta["self_hosts"])
    rules, extra = _exact_rules(rf, base)
    urls = list(dict.fromkeys([r.source for r in rules] + [e.url for e in extra]))

    def predicted(url: str) -> tuple[int, str | None]:
        a = sim.answer(url)
        return a.status, a.target

    hosts = meta["self_hosts"]
    with running_nginx(tmp_path / "nginx", lambda port: replay_config(rf, hosts, port)) as port:

        def live(url: str) -> tuple[int, str | None]:
            parts = urlsplit(url)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", path, headers={"Host": parts.hostname or ""})
            resp = conn.getresponse()
            location = resp.getheader("Location")
            conn.close()
            if location is None or not 300 <= resp.status < 400:
                return resp.status, None
            # the replay speaks http on a port of its own: the site's own URL is https; the
            # fragment stays in the browser (a hop's target has none)
            location = re.sub(rf"^http://([^/:]+):{port}", r"https://\1", location)
            return resp.status, urldefrag(urljoin(url, location)).url

        differ = {}
        for url in urls:
            want, got = chain(predicted, url, sim), chain(live, url, sim)
            if want != got:
                differ[url] = (want, got)
    # One Amplify source is written percent-encoded (/…/%5Bplatform%5D/): nginx matches the
    # decoded path, the prediction the path as requested; Amplify does not document which.
    differ.pop(ENCODED_SOURCE.get(name, ""), None)
    shown = "\n".join(f"{u}: predicted {w} replayed {g}" for u, (w, g) in list(differ.items())[:10])
    assert not differ, f"{len(differ)} of {len(urls)} chains differ:\n{shown}"
    assert len(urls) == {"kong-docs": 570, "kgateway-docs": 950, "amplify-docs": 1934}[name]
