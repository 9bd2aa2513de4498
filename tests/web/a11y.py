"""Accessibility checks run in the browser on a rendered page (used by the Playwright tests).

The accessible names come from chromium's own accessibility tree (CDP
`Accessibility.getFullAXTree`), not from a re-implementation of the naming rules."""

from __future__ import annotations

CONTROL_ROLES = {
    "textbox", "combobox", "listbox", "checkbox", "radio", "spinbutton", "slider",
    "searchbox", "button", "link", "switch", "menuitem", "progressbar",
}  # fmt: skip

PAGE_FACTS = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const heads = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
    .filter(h => h.getClientRects().length)
    .map(h => [Number(h.tagName[1]), h.textContent.trim()]);
  const refs = [...document.querySelectorAll('[aria-describedby],[aria-labelledby],label[for]')]
    .flatMap(e => ((e.getAttribute('aria-describedby') || '') + ' ' +
      (e.getAttribute('aria-labelledby') || '') + ' ' + (e.getAttribute('for') || ''))
      .split(/\\s+/).filter(Boolean));
  return {
    lang: document.documentElement.lang,
    title: document.title,
    h1: document.querySelectorAll('h1').length,
    headings: heads,
    duplicate_ids: ids.filter((x, i) => ids.indexOf(x) !== i),
    dangling_refs: refs.filter(r => !document.getElementById(r)),
    scroll_width: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  };
}"""


FIELD_ROLES = {"textbox", "combobox", "listbox", "spinbutton", "searchbox", "slider"}


def controls(page) -> list[tuple[str, str]]:
    """(role, accessible name) of every control chromium exposes on the page."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    out = []
    for n in nodes:
        role = (n.get("role") or {}).get("value")
        if role in CONTROL_ROLES and not n.get("ignored"):
            out.append((role, " ".join(((n.get("name") or {}).get("value") or "").split())))
    return out


def page_problems(page) -> list[str]:
    """What breaks the basics on this page: language, one h1, heading levels that skip,
    duplicate or dangling ids, unnamed controls, form fields sharing a name, a page wider
    than the window."""
    f = page.evaluate(PAGE_FACTS)
    problems = []
    if not f["lang"]:
        problems.append("no lang attribute on <html>")
    if not f["title"].strip():
        problems.append("no <title>")
    if f["h1"] != 1:
        problems.append(f"{f['h1']} h1 elements (want one)")
    last = 0
    for level, text in f["headings"]:
        if level > last + 1:
            problems.append(f"heading h{level} {text[:40]!r} skips a level after h{last}")
        last = level
    problems += [f"duplicate id {i!r}" for i in sorted(set(f["duplicate_ids"]))]
    problems += [f"reference to missing id {i!r}" for i in sorted(set(f["dangling_refs"]))]
    found = controls(page)
    problems += [f"unnamed {role}" for role, name in found if not name]
    fields = [name for role, name in found if role in FIELD_ROLES and name]
    problems += [
        f"two fields named {n!r}" for n in sorted({n for n in fields if fields.count(n) > 1})
    ]
    if f["scroll_width"] > f["viewport"]:
        problems.append(f"page {f['scroll_width']} px wide in a {f['viewport']} px window")
    return problems


FOCUS = """() => { const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').slice(0, 30),
          outline: s.outlineStyle, width: s.outlineWidth}; }"""


def tab_stops(page, n: int) -> list[dict]:
    """The first `n` focus stops of the Tab key from the top of the page."""
    stops = []
    for _ in range(n):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUS)
        if now["tag"] == "BODY":
            break
        stops.append(now)
    return stops
