from shared.contracts.matching import Matches, MatchItem, Scope, ScoreComponents

__all__ = ["MatchItem", "Matches", "Scope", "ScoreComponents"]
