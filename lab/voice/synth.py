"""A pt-BR voice note from text: espeak-ng speaks it, opusenc encodes it as WhatsApp records voice
notes (OGG/Opus, mono, speech-tuned). Both come from Debian (`espeak-ng`, `opus-tools`); `./walab
test` installs them when it may, and a missing one is an error that says which and how.

The same text always gives the same bytes (a fixed OGG serial number), so a voice note's sha256 is
stable: a cassette recorded with it replays its transcription on any machine with the same tools.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

from lab.errors import LabError

VOICE = "pt-br"
BITRATE_KBPS = 24  # WhatsApp's voice notes are ~16-32 kb/s Opus
_TOOLS = {"espeak-ng": "espeak-ng", "opusenc": "opus-tools"}


def missing_tools() -> list[str]:
    """The programs synthesis needs that are not on PATH."""
    return [tool for tool in _TOOLS if shutil.which(tool) is None]


def check_tools() -> None:
    """Raise a LabError naming the missing programs and the Debian packages that bring them."""
    missing = missing_tools()
    if missing:
        packages = " ".join(dict.fromkeys(_TOOLS[t] for t in missing))
        raise LabError(
            f"cannot synthesise a voice note: {', '.join(missing)} not found on PATH",
            fix=f"install them: `apt-get install {packages}` (`./walab test` does it when run as root), "
            "or send a recording with `/voice FILE` / `voice: {path: FILE}`",
        )


@lru_cache(maxsize=256)
def synthesise(text: str, *, voice: str = VOICE) -> bytes:
    """The OGG/Opus voice note of `text` spoken in pt-BR (cached: a scenario says the same lines again)."""
    if not text.strip():
        raise LabError("a voice note needs something to say", fix='write /voice "Oi, tudo bem?"')
    check_tools()
    speak = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, timeout=60
    )
    if speak.returncode != 0 or not speak.stdout:
        raise LabError(
            f"espeak-ng failed (exit {speak.returncode}): {speak.stderr.decode(errors='replace').strip()}",
            fix=f"check that espeak-ng speaks {voice!r}: `espeak-ng -v {voice} 'teste'`",
        )
    encode = subprocess.run(
        [
            "opusenc",
            "--quiet",
            "--serial",
            "1",
            "--bitrate",
            str(BITRATE_KBPS),
            "--speech",
            "--downmix-mono",
            "-",
            "-",
        ],
        input=speak.stdout,
        capture_output=True,
        timeout=60,
    )
    if encode.returncode != 0 or not encode.stdout:
        raise LabError(
            f"opusenc failed (exit {encode.returncode}): {encode.stderr.decode(errors='replace').strip()}",
            fix="check opus-tools: `opusenc --version`",
        )
    return encode.stdout
