"""Demo data of the medications app (synthetic)."""


def seed(context: dict) -> None:
    """Nothing yet."""
