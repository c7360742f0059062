/* report.html tables: search, filters, sorting and pages over the embedded JSON.
   Vanilla JS, no network, no eval, no HTML parsing of data: every crawled string is
   written with textContent, and an href is only set from a string the report vetted as http(s).
   Without JavaScript the first page rendered by the template stays readable. */
(function () {
  "use strict";
  var node = document.getElementById("report-data");
  if (!node) {
    return;
  }
  var D = JSON.parse(node.textContent);
  var S = D.s;
  var H = D.h;

  function positions(names) {
    var out = {};
    names.forEach(function (name, i) {
      out[name] = i;
    });
    return out;
  }
  var V = positions(D.fields.V);
  var F = positions(D.fields.F);
  // A capped report lists only the first D.vn verdict rows; the rest are there for the
  // findings table (value, curl command, verdict filter) and are not listed themselves.
  var LISTED = typeof D.vn === "number" ? D.vn : D.V.length;

  // --- cells -----------------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = text;
    }
    return e;
  }
  function str(i) {
    return i === null || i === undefined || i < 0 ? "" : S[i];
  }
  function link(i) {
    if (i === null || i < 0 || S[i] === "") {
      return null;
    }
    if (H.charAt(i) === "1") {
      var a = el("a", null, S[i]);
      a.href = S[i];
      a.rel = "noopener noreferrer nofollow";
      a.target = "_blank";
      return a;
    }
    return el("span", "nolink", S[i]);
  }
  function add(parent, child) {
    if (child) {
      parent.appendChild(child);
    }
    return parent;
  }
  function text(parent, value) {
    parent.appendChild(document.createTextNode(value));
    return parent;
  }
  function badge(cls, label) {
    return el("b", "badge " + cls, label);
  }
  function path(ci) {
    var span = el("span", "path");
    if (ci === null || ci < 0) {
      return span;
    }
    var rec = D.chains[ci];
    for (var k = 2; k < rec.length; k++) {
      var step = rec[k];
      span.appendChild(add(el("span", "hop"), link(step[0])));
      if (step[1]) {
        text(span, " ");
        var arrow = text(el("span", "arrow"), "--");
        arrow.appendChild(badge(step[2], step[1]));
        if (step[3]) {
          var change = badge("hostchg", "new host");
          change.title = "this hop changes host";
          arrow.appendChild(change);
        }
        text(arrow, "-->");
        span.appendChild(arrow);
        text(span, " ");
      }
    }
    if (rec[0] >= 0) {
      text(span, " ");
      span.appendChild(badge("end " + rec[1], "[" + S[rec[0]] + "]"));
    }
    return span;
  }
  function plural(n, word) {
    return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s");
  }
  function valueLabel(vi) {
    if (vi === null || vi < 0) {
      return "";
    }
    var v = D.values[vi];
    var parts = [];
    if (v[0]) {
      parts.push(plural(v[0], "ref. domain"));
    }
    if (v[2]) {
      parts.push(plural(v[2], "click"));
    }
    if (v[4]) {
      parts.push(plural(v[4], "visit"));
    }
    if (!parts.length && v[1]) {
      parts.push(plural(v[1], "backlink"));
    }
    if (!parts.length && v[3]) {
      parts.push(plural(v[3], "impression"));
    }
    return parts.join(" \u00b7 ") || "\u2014";
  }
  function td(cls, content) {
    var cell = el("td", cls || null);
    if (typeof content === "string") {
      cell.textContent = content;
    } else {
      add(cell, content);
    }
    return cell;
  }
  function urlHeader(i) {
    var th = el("th", "u");
    th.scope = "row";
    return add(th, link(i));
  }
  function verdictBadge(code) {
    var name = D.verdictOrder[code];
    return el("span", "badge v-" + name, name);
  }
  function rulesCell(codes) {
    var cell = el("td");
    codes.forEach(function (c, n) {
      var a = el("a");
      a.href = "#" + D.rules[c].anchor;
      a.appendChild(el("code", null, D.rules[c].id));
      if (n) {
        text(cell, " ");
      }
      cell.appendChild(a);
    });
    return cell;
  }
  function curlCell(i) {
    var cell = el("td", "repro");
    if (i !== null && i >= 0) {
      var details = el("details", "curl");
      details.appendChild(el("summary", null, "curl"));
      details.appendChild(el("code", "cmd", S[i]));
      text(details, " ");
      var button = el("button", "copy", "Copy");
      button.type = "button";
      details.appendChild(button);
      cell.appendChild(details);
    }
    return cell;
  }
  var TRI = { "-1": "", 0: "no", 1: "yes" };

  // --- the three tables ----------------------------------------------------------------------
  function verdictOf(row) {
    return D.verdictOrder[row[V.verdict]];
  }
  function valueRank(vi) {
    return vi >= 0 ? D.values[vi][5] : D.values.length;
  }
  function statusSort(row, fieldPos) {
    var key = D.statuses[row[fieldPos]] || "";
    return /^\d+$/.test(key) ? Number(key) : 1000 + key.charCodeAt(0);
  }
  function chainText(ci) {
    if (ci === null || ci < 0) {
      return "";
    }
    var rec = D.chains[ci];
    var parts = [str(rec[0])];
    for (var k = 2; k < rec.length; k++) {
      parts.push(str(rec[k][0]), rec[k][1]);
    }
    return parts.join(" ");
  }
  var priority = D.values.length > 0;

  var SPECS = {
    verdicts: {
      rows: D.V,
      order: function () {
        var rows = [];
        for (var i = 0; i < LISTED; i++) {
          rows.push(i);
        }
        return rows;
      },
      filters: {
        verdict: function (row, value) {
          return verdictOf(row) === value;
        },
        rule: function (row, value) {
          return row[V.rules].indexOf(Number(value)) !== -1;
        },
        host: function (row, value) {
          return row[V.host] === Number(value);
        },
        status: function (row, value) {
          return row[V.status_key] === Number(value);
        }
      },
      haystack: function (row) {
        return [str(row[V.url]), verdictOf(row), str(row[V.final]), str(row[V.expected]),
          str(row[V.canonical]), str(row[V.origin]), chainText(row[V.chain]),
          row[V.rules].map(function (c) { return D.rules[c].id; }).join(" ")].join(" ");
      },
      sort: {
        url: function (row) { return str(row[V.url]); },
        value: function (row) { return valueRank(row[V.value]); },
        verdict: function (row) { return -row[V.verdict]; },
        hops: function (row) { return row[V.hops]; },
        status: function (row) { return statusSort(row, V.status_key); },
        final: function (row) { return str(row[V.final]); },
        expected: function (row) { return str(row[V.expected]); },
        rules: function (row) {
          return row[V.rules].map(function (c) { return D.rules[c].id; }).join(" ");
        },
        // tri-state columns: unknown (-1) first, then no (0), then yes (1)
        self_canonical: function (row) { return row[V.self_canonical]; },
        in_sitemap: function (row) { return row[V.in_sitemap]; },
        robots_allowed: function (row) { return row[V.robots_allowed]; },
        origin: function (row) { return str(row[V.origin]); }
      },
      render: function (row) {
        var tr = el("tr");
        tr.setAttribute("data-row", "");
        tr.setAttribute("data-verdict", verdictOf(row));
        tr.appendChild(urlHeader(row[V.url]));
        if (priority) {
          tr.appendChild(td("value", valueLabel(row[V.value])));
        }
        tr.appendChild(td(null, verdictBadge(row[V.verdict])));
        var chain = row[V.chain] >= 0 && D.chains[row[V.chain]].length > 2;
        tr.appendChild(td("u", chain ? path(row[V.chain]) : el("span", "muted", str(row[V.outcome]))));
        tr.appendChild(td("num", String(row[V.hops])));
        tr.appendChild(td("num", row[V.status] === null ? "" : String(row[V.status])));
        tr.appendChild(td("u", link(row[V.final])));
        tr.appendChild(td("u", link(row[V.expected])));
        tr.appendChild(td(null, TRI[row[V.match]]));
        tr.appendChild(td(null, TRI[row[V.indexable]]));
        tr.appendChild(td(null, TRI[row[V.self_canonical]]));
        tr.appendChild(td(null, TRI[row[V.in_sitemap]]));
        tr.appendChild(td(null, TRI[row[V.robots_allowed]]));
        tr.appendChild(td("u", link(row[V.canonical])));
        tr.appendChild(rulesCell(row[V.rules]));
        tr.appendChild(td("origin", el("code", null, str(row[V.origin]))));
        return tr;
      }
    },
    findings: {
      rows: D.F,
      order: function () {
        return D.F.map(function (_, i) {
          return i;
        });
      },
      filters: {
        rule: function (row, value) {
          return row[F.rule] === Number(value);
        },
        severity: function (row, value) {
          return D.severityOrder[row[F.severity]] === value;
        },
        verdict: function (row, value) {
          return row[F.verdict_row] >= 0 && verdictOf(D.V[row[F.verdict_row]]) === value;
        },
        host: function (row, value) {
          return row[F.host] === Number(value);
        },
        status: function (row, value) {
          return row[F.status_key] === Number(value);
        }
      },
      haystack: function (row) {
        return [D.severityOrder[row[F.severity]], D.rules[row[F.rule]].id, str(row[F.url]),
          str(row[F.message]), str(row[F.fix]), str(row[F.final]), str(row[F.expected]),
          str(row[F.origin]), chainText(row[F.chain])].join(" ");
      },
      sort: {
        severity: function (row) { return -row[F.severity]; },
        rule: function (row) { return D.rules[row[F.rule]].id; },
        url: function (row) { return str(row[F.url]); },
        value: function (row) {
          return row[F.verdict_row] >= 0 ? valueRank(D.V[row[F.verdict_row]][V.value]) : D.values.length;
        },
        message: function (row) { return str(row[F.message]); },
        origin: function (row) { return str(row[F.origin]); }
      },
      render: function (row) {
        var tr = el("tr");
        var sev = D.severityOrder[row[F.severity]];
        var vrow = row[F.verdict_row] >= 0 ? D.V[row[F.verdict_row]] : null;
        tr.setAttribute("data-row", "");
        tr.setAttribute("data-severity", sev);
        tr.appendChild(td(null, el("span", "badge sev-" + sev, sev)));
        var rule = D.rules[row[F.rule]];
        var a = el("a");
        a.href = "#" + rule.anchor;
        a.appendChild(el("code", null, rule.id));
        tr.appendChild(td(null, a));
        tr.appendChild(urlHeader(row[F.url]));
        if (priority) {
          tr.appendChild(td("value", vrow ? valueLabel(vrow[V.value]) : ""));
        }
        tr.appendChild(td("u", path(row[F.chain])));
        tr.appendChild(td("txt", str(row[F.message])));
        tr.appendChild(td("txt", str(row[F.fix])));
        tr.appendChild(td("origin", el("code", null, str(row[F.origin]))));
        tr.appendChild(curlCell(vrow ? vrow[V.curl] : -1));
        return tr;
      }
    },
    failures: {
      rows: D.V,
      order: function () {
        var rows = [];
        for (var i = 0; i < LISTED; i++) {
          var v = verdictOf(D.V[i]);
          if (v === "error" || v === "warning") {
            rows.push(i);
          }
        }
        rows.sort(function (a, b) {
          var ra = priority ? valueRank(D.V[a][V.value]) : 0;
          var rb = priority ? valueRank(D.V[b][V.value]) : 0;
          return ra - rb || D.V[b][V.verdict] - D.V[a][V.verdict] || a - b;
        });
        return rows;
      },
      filters: null, // the verdict table's filters (set below)
      haystack: null,
      sort: {
        url: function (row) { return str(row[V.url]); },
        value: function (row) { return valueRank(row[V.value]); },
        verdict: function (row) { return -row[V.verdict]; },
        rules: function (row) {
          return row[V.rules].map(function (c) { return D.rules[c].id; }).join(" ");
        }
      },
      render: function (row, position) {
        var tr = el("tr");
        tr.setAttribute("data-row", "");
        tr.setAttribute("data-verdict", verdictOf(row));
        tr.appendChild(td("num", String(position)));
        tr.appendChild(urlHeader(row[V.url]));
        if (priority) {
          tr.appendChild(td("value", valueLabel(row[V.value])));
        }
        tr.appendChild(td(null, verdictBadge(row[V.verdict])));
        tr.appendChild(rulesCell(row[V.rules]));
        tr.appendChild(td("u", path(row[V.chain])));
        tr.appendChild(curlCell(row[V.curl]));
        return tr;
      }
    }
  };
  SPECS.failures.filters = SPECS.verdicts.filters;
  SPECS.failures.haystack = SPECS.verdicts.haystack;

  // --- the table engine ----------------------------------------------------------------------
  function Table(block, spec) {
    this.block = block;
    this.spec = spec;
    this.tbody = block.querySelector("tbody");
    this.toolbar = block.querySelector("[data-toolbar]");
    this.pager = block.querySelector("[data-pager]");
    this.count = this.toolbar.querySelector(".count");
    this.status = this.pager.querySelector(".page-status");
    this.sizeSelect = this.pager.querySelector("[data-page-size]");
    this.base = spec.order();
    this.view = this.base;
    this.texts = null; // lower-case search text per row, built on the first search
    this.page = 0;
    this.sortKey = null;
    this.sortDir = 0;
    this.headers = Array.prototype.slice.call(block.querySelectorAll("thead th[data-col]"));
    this.wire();
  }
  Table.prototype.size = function () {
    return Number(this.sizeSelect.value) || 50;
  };
  Table.prototype.wire = function () {
    var self = this;
    this.toolbar.querySelectorAll("[data-filter]").forEach(function (input) {
      input.addEventListener(input.tagName === "SELECT" ? "change" : "input", function () {
        self.apply();
      });
    });
    this.pager.querySelectorAll("[data-page]").forEach(function (button) {
      button.addEventListener("click", function () {
        var last = Math.max(Math.ceil(self.view.length / self.size()) - 1, 0);
        var to = { first: 0, prev: self.page - 1, next: self.page + 1, last: last };
        self.page = Math.min(Math.max(to[button.getAttribute("data-page")], 0), last);
        self.draw();
      });
    });
    this.sizeSelect.addEventListener("change", function () {
      self.page = 0;
      self.draw();
    });
    this.headers.forEach(function (th) {
      var key = th.getAttribute("data-col");
      if (!self.spec.sort[key]) {
        return;
      }
      var button = el("button", "sort", th.textContent);
      button.type = "button";
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        self.sortBy(key);
      });
    });
    this.toolbar.hidden = false;
    this.pager.hidden = false;
    var note = this.block.querySelector(".nojs-note");
    if (note) {
      note.hidden = true;
    }
  };
  Table.prototype.filterValues = function () {
    var values = {};
    this.toolbar.querySelectorAll("[data-filter]").forEach(function (input) {
      values[input.getAttribute("data-filter")] = input.value;
    });
    return values;
  };
  Table.prototype.setFilter = function (name, value) {
    var input = this.toolbar.querySelector('[data-filter="' + name + '"]');
    if (input) {
      input.value = value;
      this.apply();
    }
  };
  Table.prototype.apply = function () {
    var spec = this.spec;
    var rows = spec.rows;
    var values = this.filterValues();
    var terms = (values.q || "").toLowerCase().split(/\s+/).filter(Boolean);
    var active = Object.keys(spec.filters).filter(function (name) {
      return values[name];
    });
    if (terms.length && !this.texts) {
      this.texts = rows.map(function (row) {
        return spec.haystack(row).toLowerCase();
      });
    }
    var texts = this.texts;
    this.view = this.sorted(this.base).filter(function (i) {
      var row = rows[i];
      for (var k = 0; k < active.length; k++) {
        if (!spec.filters[active[k]](row, values[active[k]])) {
          return false;
        }
      }
      for (var t = 0; t < terms.length; t++) {
        if (texts[i].indexOf(terms[t]) === -1) {
          return false;
        }
      }
      return true;
    });
    this.filtered = active.length > 0 || terms.length > 0;
    this.page = 0;
    this.draw();
  };
  Table.prototype.sorted = function (indices) {
    if (!this.sortKey) {
      return indices;
    }
    var rows = this.spec.rows;
    var key = this.spec.sort[this.sortKey];
    var dir = this.sortDir;
    var keys = {};
    indices.forEach(function (i) {
      keys[i] = key(rows[i]);
    });
    return indices.slice().sort(function (a, b) {
      var ka = keys[a];
      var kb = keys[b];
      if (ka < kb) {
        return -dir;
      }
      if (ka > kb) {
        return dir;
      }
      return a - b;
    });
  };
  Table.prototype.sortBy = function (key) {
    // ascending → descending → the report's own order
    if (this.sortKey !== key) {
      this.sortKey = key;
      this.sortDir = 1;
    } else if (this.sortDir === 1) {
      this.sortDir = -1;
    } else {
      this.sortKey = null;
      this.sortDir = 0;
    }
    var self = this;
    this.headers.forEach(function (th) {
      if (th.hasAttribute("aria-sort")) {
        var on = th.getAttribute("data-col") === self.sortKey;
        th.setAttribute("aria-sort", on ? (self.sortDir === 1 ? "ascending" : "descending") : "none");
      }
    });
    this.apply();
  };
  Table.prototype.draw = function () {
    var size = this.size();
    var total = this.view.length;
    var pages = Math.max(Math.ceil(total / size), 1);
    var start = this.page * size;
    var end = Math.min(start + size, total);
    var spec = this.spec;
    var rows = spec.rows;
    var frag = document.createDocumentFragment();
    for (var n = start; n < end; n++) {
      frag.appendChild(spec.render(rows[this.view[n]], n + 1));
    }
    this.tbody.replaceChildren(frag);
    var all = this.base.length.toLocaleString("en-US");
    this.count.textContent = this.filtered
      ? total.toLocaleString("en-US") + " of " + all + " rows match"
      : "";
    this.status.textContent = total
      ? "Rows " + (start + 1).toLocaleString("en-US") + "\u2013" + end.toLocaleString("en-US") +
        " of " + total.toLocaleString("en-US") + " \u00b7 page " +
        (this.page + 1).toLocaleString("en-US") + " of " + pages.toLocaleString("en-US")
      : "No row matches";
    var buttons = this.pager.querySelectorAll("[data-page]");
    buttons.forEach(function (b) {
      var kind = b.getAttribute("data-page");
      b.disabled = (kind === "first" || kind === "prev") ? start === 0 : end >= total;
    });
  };

  var tables = {};
  document.querySelectorAll("[data-table]").forEach(function (block) {
    var name = block.getAttribute("data-table");
    if (SPECS[name] && block.querySelector("tbody") && block.querySelector("[data-toolbar]")) {
      tables[name] = new Table(block, SPECS[name]);
      tables[name].apply();
    }
  });

  // "Show all N in the findings table" under each rule's explanation
  document.querySelectorAll("button.show-rule").forEach(function (button) {
    if (!tables.findings) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var findings = tables.findings;
      findings.toolbar.querySelector('[data-filter="q"]').value = "";
      findings.setFilter("rule", button.getAttribute("data-rule"));
      findings.block.scrollIntoView();
      findings.toolbar.querySelector('[data-filter="rule"]').focus();
    });
  });

  // Copy a curl command: the clipboard API where allowed, else a selection + copy command.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) {
      return;
    }
    var code = button.parentNode.querySelector("code.cmd");
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () {
        button.textContent = "Copy";
      }, 1500);
    };
    var fallback = function () {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try {
        document.execCommand("copy");
      } catch (e) {
        /* the command stays selected for Ctrl+C */
      }
      done();
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(code.textContent).then(done, fallback);
    } else {
      fallback();
    }
  });
})();
