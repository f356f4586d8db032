"""Demo data of the messaging app (synthetic)."""


def seed(context: dict) -> None:
    """Nothing yet."""
