from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt went. `final` means no retry; `disable` (a reason) ends the
    subscription as well — the receiver asked never to be called again, or the credential
    that made the subscription is gone."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    final: bool = False
    disable: str | None = None
