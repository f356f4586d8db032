"""Demo data of the assessments app (synthetic)."""


def seed(context: dict) -> None:
    """Nothing yet."""
