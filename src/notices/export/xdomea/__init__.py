"""An xdomea 3.0.0 Aussonderung (0503): ``elements`` (metadata, documents, files) and
``message`` (the message, its zip)."""
