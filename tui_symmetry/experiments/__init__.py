"""Experiments: the runs both front ends (the command line and the app) ask for, with no
UI of their own — the headless training loop, the lockstep comparison with its matching
and verdict, the sweep's grid, its execution and its fit.

This layer imports only the core (and numpy, scipy).  Nothing is re-exported here: the
runner imports ``experiments.lockstep`` before the app's first frame, and scipy must not
come with it.
"""
