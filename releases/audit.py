"""Audit helpers: masking clinical text in the change log."""


def redact(value: str) -> str:
    """Replace clinical text in an audit diff; the diff still shows that it changed."""
    return "[redacted]" if value else value
