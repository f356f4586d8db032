"""No inline script or style anywhere in the templates or the HTML the code writes: the
Content-Security-Policy (script-src and style-src 'self') would block it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INLINE = [
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "a style= attribute"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an on...= handler"),
]
IN_TEMPLATES_ONLY = [(re.compile(r"""=\s*["']\s*javascript:""", re.I), "a javascript: URL")]


def sources():
    yield from (ROOT / "templates").rglob("*.html")
    for app in (
        "accounts",
        "assessments",
        "cases",
        "carecollab",
        "fhir_exchange",
        "medications",
        "messaging",
        "notifications",
        "referrals",
        "releases",
    ):
        yield from (ROOT / app).rglob("*.py")


def test_no_template_or_html_in_code_holds_inline_script_or_style():
    found = []
    for path in sources():
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        checks = INLINE + (IN_TEMPLATES_ONLY if path.suffix == ".html" else [])
        for pattern, what in checks:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
