"""ORM models; importing this package registers every table on ``Base.metadata``."""

from service.db.models.attempt import Attempt, QuestionInstance
from service.db.models.card import Card, CardTag, ContentState, Deck

__all__ = ["Attempt", "Card", "CardTag", "ContentState", "Deck", "QuestionInstance"]
