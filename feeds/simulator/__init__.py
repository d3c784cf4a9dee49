"""A simulated feed server: realistic Actant and TT files, deterministic for a seed.

Pure generators, no I/O: ``Simulator(seed=..., now=...).tick()`` returns the
files due at ``now()`` with their S3 keys; ``manage.py simulate_feed`` uploads
them. See ``simulator.py`` for the cadence and ``feeds.feed_keys`` for keys
and the trading date.
"""

from feeds.simulator.simulator import Layout, SimulatedFile, Simulator, SimulatorConfig

__all__ = ["Layout", "SimulatedFile", "Simulator", "SimulatorConfig"]
