"""The embedded Kestra-compatible engine: runs flows/*.yml in-process behind Kestra's REST API."""
