"""A static OParl 1.1 tree: ``tree`` (JSON and lists), ``objects`` (model to objects,
publication rules), ``write`` (the whole tree into a folder)."""
