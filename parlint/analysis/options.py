"""Configuration keys of the analysis (shared by every rule that reads the analysis)."""

from __future__ import annotations

from parlint.types import Option

ANALYSIS_OPTIONS: tuple[Option, ...] = ()
