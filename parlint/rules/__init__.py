"""One module per rule; see `parlint.registry`."""
