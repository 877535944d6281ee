"""Prompt files and the prompt lab: scenarios across prompt variants and models, compared."""
