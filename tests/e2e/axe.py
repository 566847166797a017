"""axe-core (WCAG 2.1 A and AA rules) on every page the browser tests visit.

How it covers every page: an init script of each browser context runs axe in every top-level document
once it has loaded, whatever brought it there (`page.goto`, a link, a form, a redirect by script), and
hands the result to Python through a binding. A route holds every main-frame navigation until the
document being left has reported, so a test that clicks on quickly never leaves a page unchecked; when
the test ends, the pages' last documents are waited for too. The findings fail the test at teardown,
each with the page, the rule, its help and every element's selector and HTML.

Why not `page.evaluate` after each load: event handlers and routes of the sync API may not evaluate
while a navigation is pending (the call waits for the new document), and a check started from the test
races its next click. In-page runs report through a binding instead, which never blocks.

axe-core is vendored (tests/e2e/vendor/axe.min.js, from the npm package `axe-core`); an init script is
not subject to the page's Content-Security-Policy, so no CDN and no inline script tag are involved.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WAIT_SECONDS = 20
# What the route sees: pages, not the stylesheets, scripts and images (each routed request costs a turn in Python).
PAGES = re.compile(r"^(?!.*/(static|bootstrap)/)(?!.*[.](css|js|map|ico|png|jpe?g|gif|svg|woff2?)([?#]|$)).*$")

# The result of one run, kept small enough to cross the binding.
_RUN = """(tags) => window.axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], iframes: false,
  }).then((result) => ({
    url: location.href, title: document.title, lang: document.documentElement.lang,
    violations: result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary})),
    })),
  }))"""

# Every top-level http(s) document announces itself, runs axe after `load` and reports (or its error).
_INIT = """
(() => {
  if (window.top !== window || !/^https?:$/.test(location.protocol) || !window.__axeStarted) { return; }
  const doc = Math.random().toString(36).slice(2) + Date.now().toString(36);
  window.__axeStarted(doc);
  const run = %s;
  let started = false;
  const check = () => {
    if (started) { return; }
    started = true;
    // A synchronous throw (axe missing, say) becomes a reported error, never a silent hang.
    setTimeout(() => Promise.resolve().then(() => run(%s)).then(
      (result) => window.__axeReport(doc, result),
      (error) => window.__axeReport(doc, {url: location.href, error: String(error)}),
    ), 0);
  };
  if (document.readyState === 'complete') { check(); } else {
    window.addEventListener('load', check, {once: true});
    // A page whose load never ends (a slow image, a request held up) is checked once its HTML is in.
    document.addEventListener('DOMContentLoaded', () => setTimeout(check, 3000), {once: true});
  }
})();
"""


@dataclass
class Finding:
    url: str
    title: str
    lang: str
    violations: list[dict]

    def __str__(self) -> str:
        lines = [f"{self.url} [lang={self.lang}] «{self.title}»"]
        for v in self.violations:
            lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:10]:
                lines.append(f"    at {node['target']}")
                lines.append(f"       {node['html'][:300]}")
                for detail in (node["summary"] or "").splitlines()[1:4]:
                    lines.append(f"       - {detail.strip()}")
            if len(v["nodes"]) > 10:
                lines.append(f"    … and {len(v['nodes']) - 10} more elements")
        return "\n".join(lines)


def report(findings: list[Finding]) -> str:
    count = sum(len(v["nodes"]) for f in findings for v in f.violations)
    header = f"axe-core found {count} WCAG 2.1 A/AA violation(s) on {len(findings)} page(s):"
    return "\n".join([header, *map(str, findings)])


def check(page) -> Finding | None:
    """Run axe on the page's current document now (from the test, never from an event handler)."""
    if not page.url.startswith("http"):
        return None
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE + "\n;0")  # an evaluation through the browser's protocol: no CSP applies
    result = page.evaluate(_RUN, TAGS)
    return Finding(result["url"], result["title"], result["lang"], result["violations"])


def assert_accessible(page) -> None:
    """Check the current document and fail right away on any violation (for tests that crawl pages)."""
    finding = check(page)
    assert finding is None or not finding.violations, report([finding])


@dataclass
class Watch:
    """Collects the axe results of every document the pages of the watched contexts load."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: int = 0
    urls: set = field(default_factory=set)  # the addresses of the documents checked
    unchecked: list = field(default_factory=list)  # pages left before axe could report (rare; printed)
    contexts: list = field(default_factory=list)
    _latest: dict = field(default_factory=dict)  # page -> id of its latest document
    _done: set = field(default_factory=set)
    _seen: set = field(default_factory=set)

    def attach(self, context) -> None:
        self.contexts.append(context)
        context.expose_binding("__axeStarted", self._started)
        context.expose_binding("__axeReport", self._reported)
        context.add_init_script(AXE_SOURCE + "\n;" + _INIT % (_RUN, list(TAGS)))
        context.route(PAGES, self._on_route)

    def _started(self, source, doc) -> None:
        self._latest[source["page"]] = doc

    def _reported(self, source, doc, result) -> None:
        self._done.add(doc)
        self.checked += 1
        self.urls.add(result["url"])
        if "error" in result:
            self.errors.append(f"{result['url']}: {result['error']}")
            return
        finding = Finding(result["url"], result["title"], result["lang"], result["violations"])
        key = (finding.url, tuple((v["id"], n["target"]) for v in finding.violations for n in v["nodes"]))
        if finding.violations and key not in self._seen:
            self._seen.add(key)
            self.findings.append(finding)

    def _on_route(self, route) -> None:
        request = route.request
        try:
            if request.resource_type == "document" and request.is_navigation_request():
                frame = request.frame
                if frame.parent_frame is None and not self._wait_for(frame.page, frame.page.context):
                    self._note_unchecked(frame.page)
        except Exception:  # the page or its browser closed meanwhile: nothing left to check
            pass
        try:
            route.fallback()
        except Exception:  # closed as above
            pass

    def _pending(self, page) -> bool:
        doc = self._latest.get(page)
        return doc is not None and doc not in self._done and not page.is_closed()

    def _wait_for(self, page, context, seconds=WAIT_SECONDS) -> bool:
        """Let the event loop deliver the page's report (each protocol call hands it a turn); False if none came.
        A page axe could not finish on in time is noted in `unchecked`, not failed: it is no violation."""
        deadline = time.monotonic() + seconds
        while self._pending(page) and time.monotonic() < deadline:
            context.cookies()
            time.sleep(0.01)
        return not self._pending(page)

    def _note_unchecked(self, page) -> None:
        self.unchecked.append(page.url)
        print(f"axe-core: no result for {page.url} within {WAIT_SECONDS} s; not checked")

    def finish(self, contexts) -> list[Finding]:
        """Wait for the documents the contexts' open pages end on (before they close); all findings so far."""
        for context in contexts:
            try:
                for page in context.pages:
                    if self._wait_for(page, context, seconds=5):
                        continue
                    # No navigation is pending now, so the test may run axe itself.
                    finding = check(page)
                    self.checked += 1
                    if finding is not None:
                        self.urls.add(finding.url)
                        if finding.violations:
                            self.findings.append(finding)
            except Exception as error:  # a context the test closed itself
                self.errors.append(str(error))
        return self.findings
