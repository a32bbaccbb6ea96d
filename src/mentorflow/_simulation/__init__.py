"""Layer 5: scenarios, simulation and Monte Carlo forecasts.

A scenario's script is a list of dated commands run on a real programme on a manual clock:
no second implementation of the rules. Imports: `mentorflow._core` and the layers below.
"""
