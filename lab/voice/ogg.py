"""What an audio file is, read from its bytes: OGG/Opus (a WhatsApp voice note) and its duration."""

from __future__ import annotations

import struct

OGG_OPUS = "audio/ogg; codecs=opus"
_OPUS_RATE = 48000  # Opus granule positions count 48 kHz samples whatever the input rate


def is_ogg_opus(data: bytes) -> bool:
    """Whether the bytes are an OGG stream whose first packet is an Opus header (a voice note)."""
    return data[:4] == b"OggS" and len(data) > 36 and data[28:36] == b"OpusHead"


def opus_channels(data: bytes) -> int | None:
    """The channel count an OGG/Opus stream declares (WhatsApp takes mono voice notes), or None."""
    return data[37] if is_ogg_opus(data) and len(data) > 37 else None


def ogg_opus_seconds(data: bytes) -> float | None:
    """The duration of an OGG/Opus stream (last page's granule position less the pre-skip), or None."""
    if not is_ogg_opus(data) or len(data) < 40:
        return None
    pre_skip = struct.unpack_from("<H", data, 38)[0]
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        return None
    granule = struct.unpack_from("<q", data, last + 6)[0]
    if granule < 0:
        return None
    return max(0.0, (granule - pre_skip) / _OPUS_RATE)


def player_time(seconds: float | None) -> str:
    """A voice note's length as WhatsApp's player shows it: `0:07`, `1:32` (`-:--` when unknown)."""
    if seconds is None:
        return "-:--"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def player_line(seconds: float | None) -> str:
    """The voice-note player a chat bubble shows: `▶ ━━━━━━━━━━ 0:07`."""
    return f"▶ {'━' * 12} {player_time(seconds)}"
