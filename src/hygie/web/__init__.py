"""The web platform (Django): catalogue, feasibility, and later the guichet, register and forms.

Core logic lives outside this package (`hygie.cohorts`, `hygie.catalogue`, `hygie.sdc`, ...); the
apps here hold the models, views and templates that put it in front of people.
"""
