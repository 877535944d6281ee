"""A lab session: everything the TUI, the CLI and the scenario player drive.

`Lab` assembles the fake Graph API (sandbox), the LLM gateway, the target (the embedded engine
or a real Kestra, always through `KestraClient`), the lab server, the phone (contacts, threads,
virtual clock) and the conversation engine. It is the one headless entry point: the TUI renders
what it reports, and tests reach everything through it.

CONTRACT (filled in by the conversation engine; the TUI and scenarios code against these names):

    async with Lab.open(settings, serve=False) as lab:   # serve=True listens on settings.host:port
        turn = await lab.send_text("5511987654321", "Olá")
        turn = await lab.tap(wa_id, "Ver planos")          # reply button or list row, by its title
        turn = await lab.send_media(wa_id, kind, path, caption=None)
        turn = await lab.send_location(wa_id, lat, lon, name=None, address=None)
        turn = await lab.send_contacts(wa_id, [{"name": ..., "phone": ...}])
        turn = await lab.react(wa_id, emoji, to_wamid=None)   # None = the last business message
        turn = await lab.reply_to(wa_id, wamid, text)
        lab.advance(timedelta(hours=25))                    # virtual clock
        lab.read(wa_id)                                     # the user opens the chat -> read statuses
        lab.contacts / lab.add_contact(name, wa_id=None) / lab.restart(wa_id, new_user=False)
        lab.transcript                                      # Transcript of every turn so far
        lab.thread(wa_id)                                   # list[ThreadItem] for the chat pane
        lab.subscribe(callback)                             # LabEvent callbacks (sync, cheap)
        lab.describe_target()                               # "embedded (Kestra 1.3 API)" or URL + version
        await lab.apply_prompt(prompt_id)                   # deploy a prompt variant as the flow's prompt

LabEvent kinds (dataclasses in `lab.conversation.events`): TurnStarted, ExecutionUpdated,
LogReceived, ReplyCaptured, StatusChanged, LLMCallMetered, TurnFinished, LabErrorRaised.
"""
