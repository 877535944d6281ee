"""walab: a terminal lab for WhatsApp AI agents built as Kestra flows."""

__version__ = "0.1.0"
