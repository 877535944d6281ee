"""What a `KestraClient` deploys and reads besides executions, one resource per module.

`client.flows` (flows.py), `client.kv` (kv.py), `client.files` (namespace files, files.py) and
`client.results` (outputs and metrics, results.py) each hold the client's one
`KestraConnection`, as the official Kestra SDKs group their calls by resource.
"""
