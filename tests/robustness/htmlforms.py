"""Find the forms on a rendered page, so the bad-input harness covers every form the app
shows without a list to keep up to date."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, date, number, select, radio, checkbox, file, hidden, ...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)
    multipart: bool = False


class _Parser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = Form(
                action=attrs.get("action") or self.page_url,
                method=(attrs.get("method") or "get").lower(),
                multipart="multipart" in (attrs.get("enctype") or ""),
            )
            return
        if self.form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            existing = self.form.fields.get(name)
            if kind in ("radio", "checkbox") and existing:
                existing.options.append(attrs.get("value", "on"))
                return
            self.form.fields[name] = Field(
                name=name,
                kind=kind,
                value=attrs.get("value", ""),
                options=[attrs.get("value", "on")] if kind in ("radio", "checkbox") else [],
            )
        elif tag == "textarea" and name:
            self.form.fields[name] = Field(name=name, kind="textarea")
        elif tag == "select" and name:
            multiple = "multiple" in attrs
            self.select = Field(name=name, kind="multiselect" if multiple else "select")
            self.form.fields[name] = self.select
        elif tag == "option" and self.select is not None:
            self.select.options.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms.append(self.form)
            self.form = None
        elif tag == "select":
            self.select = None


def forms_on(html: str, page_url: str) -> list[Form]:
    """The forms of a page, with their fields, options and default values."""
    parser = _Parser(page_url)
    parser.feed(html)
    return parser.forms
