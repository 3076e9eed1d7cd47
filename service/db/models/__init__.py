"""ORM models; importing this package registers every table on ``Base.metadata``."""

from service.db.models.attempt import Attempt, QuestionInstance
from service.db.models.card import Card, CardTag, ContentState, Deck
from service.db.models.interview import MockInterview, MockInterviewItem, Remediation
from service.db.models.report import QuestionReport
from service.db.models.review import CardState, DeckProgress, IdempotencyKey, ReviewLog
from service.db.models.throttle import AuthThrottle
from service.db.models.user import AccessToken, SchedulerConfig, User, UserSettings

__all__ = [
    "AccessToken",
    "Attempt",
    "AuthThrottle",
    "Card",
    "CardState",
    "CardTag",
    "ContentState",
    "Deck",
    "DeckProgress",
    "IdempotencyKey",
    "MockInterview",
    "MockInterviewItem",
    "QuestionInstance",
    "QuestionReport",
    "Remediation",
    "ReviewLog",
    "SchedulerConfig",
    "User",
    "UserSettings",
]
