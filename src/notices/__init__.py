"""Render the notices of a German city council as editable Word files and archival PDFs.

The library API is small: :func:`notices.workspace.open_workspace` finds a workspace,
:func:`notices.records.load_records` reads and validates its records, and
:func:`notices.build.build` renders them. The command line in :mod:`notices.cli`
is a thin layer over these.
"""

__version__ = "0.2.0"
