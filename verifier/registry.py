"""The one place that knows which generators exist.

Concept modules call :func:`register` on import; :mod:`verifier.concepts` imports every module in its
package, so adding a concept file is all it takes to add its generators, and no list is kept by hand.
"""

from __future__ import annotations

from verifier.generator import Generator

_GENERATORS: dict[str, Generator] = {}


class UnknownGeneratorError(KeyError):
    """Raised by :func:`get` for an id that no generator registered."""

    def __str__(self) -> str:
        return f"unknown generator id: {self.args[0]!r}"


def register(generator: Generator) -> Generator:
    """Add ``generator`` to the catalog; a second generator with the same id is a programming error."""
    if generator.id in _GENERATORS:
        raise ValueError(f"duplicate generator id: {generator.id!r}")
    _GENERATORS[generator.id] = generator
    return generator


def generators() -> tuple[Generator, ...]:
    """Every registered generator, sorted by id."""
    return tuple(_GENERATORS[key] for key in sorted(_GENERATORS))


def get(generator_id: str) -> Generator:
    """The generator with this id, or UnknownGeneratorError naming it."""
    try:
        return _GENERATORS[generator_id]
    except KeyError:
        raise UnknownGeneratorError(generator_id) from None
