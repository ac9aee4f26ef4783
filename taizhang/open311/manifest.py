"""What open311 registers: nothing of its own.

Its keys are service accounts (``accounts``) holding the demands functions on their
organization, its records are demands: the functions, scope policies, metrics and
to-dos are those of ``demands``. The module only adds the GeoReport v2 endpoints.
"""
