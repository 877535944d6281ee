"""The WhatsApp Cloud API, both directions: inbound webhook builders and signing, and the fake Graph API."""
