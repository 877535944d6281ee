"""The baseline of bench_load_generator.py: plain Locust FastHttpUser posting a webhook-sized body."""

from locust import FastHttpUser, constant, task

BODY = (
    b'{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":'
    b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":'
    b'"106540352242922"},"contacts":[{"profile":{"name":"Ana"},"wa_id":"5500100000001"}],"messages":[{"from":'
    b'"5500100000001","id":"wamid.HBgNNTUwMDEwMDAwMDAwMRUCABIYFjNFQjBCMEI2RkE1QjdCNEY2QjVGAA==","timestamp":'
    b'"1772452800","type":"text","text":{"body":"Mensagem 1"}}]},"field":"messages"}]}]}'
)
HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "facebookexternalua",
    "X-Hub-Signature-256": "sha256=" + "0" * 64,
}


class BarePostUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self) -> None:
        self.client.post("/bare", data=BODY, headers=HEADERS, name="bare post")
