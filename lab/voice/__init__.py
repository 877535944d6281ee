"""Voice notes: reading OGG/Opus audio and synthesising pt-BR voice notes as WhatsApp records them."""
