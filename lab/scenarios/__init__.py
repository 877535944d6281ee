"""Scenario files, the recorder, the player, snapshot serialisation and the pytest plugin."""
