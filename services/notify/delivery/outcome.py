from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt went. `gone` means the receiver asked never to be called again."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    gone: bool = False
