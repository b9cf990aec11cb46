"""Rendering: offscreen set-up, appearance, cameras, scenes and exports.

Render functions take *parts* (name → mesh), so whatever produced them — a
healthy model or one with conditions applied — renders the same way.
"""
