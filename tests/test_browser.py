"""The rendered book in a real browser: headless Chromium driven by Playwright.

Runs against ``_build/html`` as ``tests/test_book.py`` built it from this run's executed
chapters (or as ``make book`` built it), served on 127.0.0.1. Screenshots go to
``_build/screenshots``.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

from conftest import ROOT

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
#: Hosts a page may load from that this offline machine cannot reach: the Colab badge's
#: image. A reader online loads it; here requests to it are blocked and recorded, not
#: counted as errors. Any other outside request (MathJax's CDN included: the book serves
#: MathJax itself) fails a test.
OFFLINE_HOSTS = {"colab.research.google.com"}

#: Per page, in the browser: each math element and whether MathJax typeset it; the text
#: a reader sees outside code; every element wider than the content column or cut off
#: by its own box (a code cell, an output, a table: a horizontal scroll or a clip hides
#: its end; MathJax's inner parts, which it clips by design, aside), with its longest
#: line of text (the one that overflows); every figure shown
#: below half its width; the figures each code cell shows; and object reprs printed by
#: an output (``<matplotlib.legend.Legend at 0x...>``).
FACTS_JS = """() => {
  const main = document.querySelector('main');
  const article = main.querySelector('article') || main;
  const math = Array.from(main.querySelectorAll('.math')).map(
      m => [m.textContent.slice(0, 60), m.querySelector('mjx-container') !== null]);
  const prose = main.cloneNode(true);
  prose.querySelectorAll('pre, code, .cell_output, mjx-container, script').forEach(
      e => e.remove());
  const right = article.getBoundingClientRect().right + 1;
  const past = e => e.getBoundingClientRect().right > right;
  const mathParts = e => e.closest('span.math, mjx-container:not([display])')
      || (e.tagName.startsWith('MJX-') && e.tagName !== 'MJX-CONTAINER');
  const shown = Array.from(article.querySelectorAll('*')).filter(
      e => e.getClientRects().length && !mathParts(e));
  const beyond = shown.filter(
      e => past(e) && !(e.parentElement && past(e.parentElement)));
  const clipped = shown.filter(e => getComputedStyle(e).overflowX !== 'visible'
      && e.scrollWidth > e.clientWidth + 1);
  const overflowing = [...new Set([...beyond, ...clipped])].map(e => [
      e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '').split(' ')[0],
      e.scrollWidth, e.clientWidth,
      (e.innerText || '').split('\\n').reduce(
          (longest, l) => l.length > longest.length ? l : longest, '').slice(0, 120)]);
  const shrunk = Array.from(main.querySelectorAll('img')).filter(
      i => i.src.includes('/_images/') && i.clientWidth < i.naturalWidth / 2).map(
      i => [i.src.split('/').pop(), i.naturalWidth, i.clientWidth]);
  const figures = Array.from(article.querySelectorAll('div.cell')).map(c => Array.from(
      c.querySelectorAll('.cell_output img')).map(i => i.src.split('/').pop()));
  const repr = /<[A-Za-z_][\\w.]* (object )?at 0x[0-9a-f]+>/;
  const reprs = Array.from(article.querySelectorAll('.cell_output')).map(
      o => o.innerText).filter(t => repr.test(t));
  return {math, prose: prose.innerText, overflowing, shrunk, figures, reprs};
}"""


def _pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [chapter["file"] for chapter in part["chapters"]]
    return [f"{f}.html" for f in files]


PAGES = _pages()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip(
        "no Chromium on this machine: install Debian's `chromium` package "
        "(`make test` does so where it runs as root)"
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail(
            f"{HTML} has no built book: tests/test_book.py builds it (`make test`), "
            "or run `make book`"
        )
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def visits(site, browser) -> dict[str, dict]:
    """Open every page once; record console errors, blocked requests, DOM facts."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for page_path in PAGES:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, offline = [], []

        def route(route, request, offline=offline):
            host = urlparse(request.url).hostname
            if host in ("127.0.0.1", "localhost") or request.url.startswith("data:"):
                return route.continue_()
            offline.append(request.url)
            return route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m, errors=errors: m.type == "error" and errors.append(m.text),
        )
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        response = page.goto(urljoin(site, page_path), wait_until="networkidle")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(300)
        page.evaluate("() => window.MathJax?.startup?.promise")  # typesetting is done
        results[page_path] = {
            **page.evaluate(FACTS_JS),
            "status": response.status,
            "title": page.title(),
            "h1": page.locator("main h1").first.inner_text(),
            "images": page.evaluate(
                "Array.from(document.images).map(i => [i.src, i.complete, "
                "i.naturalWidth, i.naturalHeight])"
            ),
            "links": page.evaluate(
                "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
            ),
            "launch": page.evaluate(
                "Array.from(document.querySelectorAll('.dropdown-launch-buttons "
                "a[href]')).map(a => a.href)"
            ),
            "text": page.locator("main").inner_text(),
            "outputs": "\n".join(page.locator("main .cell_output").all_inner_texts()),
            "tracebacks": page.locator(
                "main .output.traceback, main .output.error, main .output.stderr"
            ).count(),
            "errors": errors,
            "offline": offline,
        }
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"{Path(page_path).stem}.png"), full_page=True)
        page.close()
    return results


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_with_title_and_no_console_errors(visits, page_path):
    visit = visits[page_path]
    assert visit["status"] == 200
    assert visit["h1"].strip() and visit["h1"].strip().rstrip("#") in visit["title"]
    own_errors = [e for e in visit["errors"] if "net::ERR_FAILED" not in e]
    assert own_errors == [], own_errors
    unexpected = [
        u for u in visit["offline"] if urlparse(u).hostname not in OFFLINE_HOSTS
    ]
    assert unexpected == [], f"the page loads resources from the internet: {unexpected}"


@pytest.mark.parametrize("page_path", PAGES)
def test_math_is_typeset_by_the_books_own_mathjax(visits, page_path):
    visit = visits[page_path]
    raw = [text for text, typeset in visit["math"] if not typeset]
    assert raw == [], f"MathJax left these formulas as raw TeX: {raw}"
    for marker in ("\\(", "\\[", "$$"):
        assert (
            marker not in visit["prose"]
        ), f"raw TeX {marker!r} in the text a reader sees"


def test_pages_with_math_exist():
    """The math check above is not vacuous: the chapters do use math."""
    with_math = [p for p in PAGES if 'class="math' in (HTML / p).read_text()]
    assert len(with_math) >= 3, with_math


@pytest.mark.parametrize("page_path", PAGES)
def test_everything_fits_the_column(visits, page_path):
    assert visits[page_path]["overflowing"] == [], (
        "wider than the column or cut off by its box (code, output, table): "
        "[element, scroll width, box width, a long line]"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_each_cell_shows_at_most_one_figure_and_no_object_reprs(visits, page_path):
    doubled = [names for names in visits[page_path]["figures"] if len(names) > 1]
    assert doubled == [], (
        "cells that show more than one figure (a figure returned as the cell's value "
        "is shown twice: end the cell with plt.show())"
    )
    assert visits[page_path]["reprs"] == [], (
        "an output prints an object's repr: end the cell with a statement, such as "
        "plt.show()"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_figures_are_not_shrunk_below_half_their_width(visits, page_path):
    assert visits[page_path]["shrunk"] == [], (
        "figures drawn too wide for the column [file, natural px, shown px]: draw them "
        "at about 7-8 in wide, panels stacked"
    )


@pytest.mark.parametrize("page_path", PAGES)
def test_every_image_has_loaded(visits, page_path):
    broken = [
        src
        for src, complete, width, height in visits[page_path]["images"]
        if not (complete and width > 0 and height > 0)
        and urlparse(src).hostname not in OFFLINE_HOSTS
    ]
    assert broken == [], broken


def _expected_errors(page_path: str) -> int:
    """How many code cells of the chapter behind ``page_path`` raise on purpose."""
    cells = json.loads((ROOT / page_path.replace(".html", ".ipynb")).read_text())[
        "cells"
    ]
    return sum(
        "raises-exception" in c.get("metadata", {}).get("tags", []) for c in cells
    )


CHAPTERS = [p for p in PAGES if (ROOT / p.replace(".html", ".ipynb")).is_file()]


@pytest.mark.parametrize("page_path", CHAPTERS)
def test_chapter_shows_figures_and_only_intended_errors(visits, page_path):
    """Figures are there; the only errors shown are those of raises-exception cells."""
    visit = visits[page_path]
    figures = [i for i in visit["images"] if "/_images/" in i[0]]
    assert len(figures) >= 1, "an executed chapter shows its figures"
    assert visit["tracebacks"] == _expected_errors(page_path)
    assert "|---" not in visit["outputs"], "a Markdown table is shown as raw text"
    if not _expected_errors(page_path):
        for marker in ("Traceback (most recent call last)", "AssertionError", "Error:"):
            assert marker not in visit["text"], f"{page_path} shows {marker!r}"


@pytest.mark.parametrize("page_path", PAGES)
def test_internal_links_resolve(visits, site, page_path):
    missing = []
    for link in visits[page_path]["links"]:
        if not link.startswith(site):
            continue
        target, fragment = urldefrag(link)
        path = HTML / urlparse(target).path.lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            missing.append(link)
        elif (
            fragment
            and path.suffix == ".html"
            and not re.search(
                rf'id="{re.escape(fragment)}"', path.read_text(errors="replace")
            )
        ):
            missing.append(link)
    assert missing == [], missing


@pytest.mark.parametrize("page_path", [p for p in PAGES if p.startswith("book/0")])
def test_colab_launch_link_opens_this_chapter(visits, page_path):
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    expected = (
        f"https://colab.research.google.com/github/{repository}/blob/"
        f"{CONFIG['repository']['branch']}/{page_path.removesuffix('.html')}.ipynb"
    )
    colab = {
        link
        for link in visits[page_path]["links"]
        if link.startswith("https://colab.research.google.com/")
    }
    assert colab == {expected}, colab  # the badge and the launch button, nothing else
    assert expected in visits[page_path]["launch"], "the rocket menu has no Colab link"
