"""LLM tier: providers behind one protocol, plus the tier that budgets and caches them."""
