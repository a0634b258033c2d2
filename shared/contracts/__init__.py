"""What crosses a service boundary, as models both sides import.

The producing service answers with these models and the consuming service parses into
them, so that a renamed or retyped field is a type error (mypy strict with the pydantic
plugin) on both sides at once — never a `KeyError` at run time:

- `capacity`: what the capacity service answers — availability items with their facility
  summary, the regional summary and history, holds asked for and given, a location's
  capacity, and facilities and organisations (in full, and the part other services read).
- `matching`: what triage answers for a referral's matches.
- `referrals`, `reservations`, `stats`: what triage answers about referrals (with their
  timeline, the queue and the triagists of a region), reservations and key figures.
- `session`: who a token stands for, and the development sign-in's demo users.

The web pages read every answer through one client (`services.web.core.api`) that parses
into these models.
"""
