"""What a host does with the query string of a request its redirect rule answers.

- **Netlify** (``_redirects`` and ``netlify.toml``;
  https://docs.netlify.com/routing/redirects/redirect-options/#query-parameters): the host
  "automatically passes on all query string parameters to destination paths for redirects with
  200, 301, and 302 HTTP status". For a rule with query conditions (``/store id=:id /blog/:id``)
  the documented example shows the matched parameter used in the target: a request carrying
  only the conditioned parameters gets the target as written. What the host does with other
  parameters on such a rule, with a 303/307/308 rule, or with a target that has its own query
  string, is not documented: not simulated.
- **Cloudflare Pages** (https://developers.cloudflare.com/pages/configuration/redirects/): the
  documentation lists query parameters as unsupported for matching and does not say whether
  the request's query string reaches the target: not simulated.
- **Vercel** (``vercel.json``;
  https://vercel.com/guides/how-do-i-perform-vercel-redirects-based-on-query-strings): "all
  query strings that are found in the source path will be passed to the destination path";
  with a target that has its own query they are appended (``/?baz=10`` to ``/lol/?path=foo``
  gives ``/lol/?path=foo&baz=10``).

Other formats keep their own handling (the simulators of nginx and Apache, the Bulk Redirects
``preserve_query_string`` column, Amplify's target as written).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from migrationaudit.preflight.model import HostRule

NETLIFY_PASSES = {301, 302}  # 200 passes too, but a rewrite sends no Location


def with_query(fmt: str, rule: HostRule, target: str, query: str) -> tuple[str, str | None]:
    """The Location ``rule`` of ``fmt`` sends for a request with ``query`` (non-empty), and
    why it is not predicted (None when it is)."""
    if fmt == "vercel":
        return target + ("&" if "?" in target else "?") + query, None
    if fmt == "cloudflare":
        return target, (
            "Cloudflare Pages does not document whether a redirect keeps the request's query string"
        )
    if fmt != "netlify":
        return target, None
    if rule.query:
        asked = {key for key, _ in rule.query}
        if {key for key, _ in parse_qsl(query, keep_blank_values=True)} <= asked:
            return target, None
        return target, (
            "Netlify does not document what happens to query parameters other than a rule's "
            "query conditions"
        )
    if rule.status not in NETLIFY_PASSES:
        return target, (
            f"Netlify documents query string pass-through for 301 and 302 only (this rule: "
            f"{rule.status})"
        )
    if "?" in target:
        return target, (
            "Netlify does not document how the request's query string joins a target's own query"
        )
    return f"{target}?{query}", None
