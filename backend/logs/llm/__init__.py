"""The fallback tier: providers behind one protocol (Gemini, OpenAI-compatible, and by
default `NearestExampleProvider`, no LLM), plus the tier that budgets and caches them."""
