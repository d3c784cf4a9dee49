"""Fault drills against a real ``make run`` stack, each against RTO 15 s / RPO 3 s.

``python -m bench.drills`` runs them all (``make drills``) and prints one table;
``python -m bench.drills worker_kill`` runs one. Results: docs/RELIABILITY.md.
"""
