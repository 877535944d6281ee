"""The palette's Screenshot saves into the project, also where ~/Downloads does not exist."""

from __future__ import annotations

from pathlib import Path

from .conftest import opened, settle


async def test_screenshot_saves_into_the_project_without_a_downloads_folder(
    project: Path, make_fake_app, tmp_path: Path, monkeypatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()  # no Downloads in it
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    app = make_fake_app()
    saved: list[str] = []
    async with app.run_test() as pilot:
        await opened(pilot)
        app.notify = lambda message, **kw: saved.append(str(message))  # type: ignore[method-assign]
        app.deliver_screenshot(filename="chat.svg")
        for _ in range(50):
            await settle(pilot)
            if saved:
                break
    shot = project / "out" / "screenshots" / "chat.svg"
    assert shot.is_file() and shot.read_text(encoding="utf-8").startswith("<svg"), saved
    assert saved and "Saved screenshot" in saved[0] and str(shot.parent) in saved[0]
