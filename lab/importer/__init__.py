"""Production conversations become regression scenarios: `walab import --kestra URL`.

Kestra keeps what every execution received (the webhook's body and headers) and what each task
returned. `fetch` reads executions through Kestra's REST API (1.3, or 2.0 with its separate
outputs endpoints), `conversations` turns their webhooks into user acts grouped per contact and
time, `tasks` says which task runs reached the outside world (their outputs become fixtures, the
model's answers a cassette), `replay` plays each conversation on the embedded engine through the
recorder (the scenario writer `walab record` uses) and `drift` says where the replay differs from
production.
"""
