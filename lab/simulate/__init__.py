"""Simulated users: personas that chat with the agent toward a goal, judged by a rubric."""
