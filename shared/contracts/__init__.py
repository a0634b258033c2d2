"""What crosses a service boundary, as models both sides import.

The producing service answers with these models and the consuming service parses into
them, so that a renamed or retyped field is a type error (mypy strict with the pydantic
plugin) on both sides at once — never a `KeyError` at run time:

- `capacity`: what the capacity service answers other services — availability items with
  their facility summary, holds asked for and given, and what they read of a facility or
  an organisation.
- `matching`: what triage answers for a referral's matches.
"""
