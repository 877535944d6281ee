"""Task types the embedded engine runs. Each module registers its classes in `base.REGISTRY`."""
