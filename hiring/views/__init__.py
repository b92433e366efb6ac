"""Blueprints: thin views that validate input, call one operation, and render or redirect."""
