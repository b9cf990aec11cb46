"""Conditions: the validated state vocabulary and the models it builds."""

from .state import FIELDS, State, StateError, cli_flags

__all__ = ["FIELDS", "State", "StateError", "cli_flags"]
