"""ORM models; importing this package registers every table on ``Base.metadata``."""

from service.db.models.card import Card, CardTag, ContentState, Deck

__all__ = ["Card", "CardTag", "ContentState", "Deck"]
