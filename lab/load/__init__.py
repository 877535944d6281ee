"""Load testing: many simulated WhatsApp users against a flow, on the embedded engine or a real Kestra.

`walab load` (`cli`) compiles scenarios into conversation scripts (`plan`), opens a lab session
with the hub (`hub`: routes captured replies and ended executions to the worker that owns each
contact) and the fault wrappers (`faults`), and runs Locust (`locustfile`: the user classes;
`player`: one conversation; `inbox`: a worker's long poll on the hub; `progress`: the live line)
in a child process or on other machines (`run`). Turn records (`records`) become the report
(`report`, `html`). Locust and gevent are the `load` extra, imported only on the Locust side.
"""
