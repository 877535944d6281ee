"""Kestra: one async client for a real Kestra's REST API, and the embedded Kestra-compatible engine."""
