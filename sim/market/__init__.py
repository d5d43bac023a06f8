"""The market around the engine: tables, events, operator agents and ``MarketModel``."""
