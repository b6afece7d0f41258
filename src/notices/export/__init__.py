"""Exports: the public papers as OParl 1.1, the records for the archive as xdomea 3.0.0.

``collect`` reads the workspace into the neutral ``model`` (with ``current`` deciding
which outputs may be taken and ``files`` describing them); ``oparl`` and ``xdomea``
write it, each enforcing its own confidentiality rule; ``sync`` brings a folder to
the written tree, touching only what changed; ``run`` is the entry point of
``notices export``.
"""
