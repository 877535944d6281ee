"""Media the bot uploads (and media users send): ids, bytes, MIME type, hashes, size limits.

Reference §6: upload answers `{"id": ...}`; `GET /{media_id}` gives a short-lived URL, the MIME
type, the SHA-256 and the size; the URL is downloaded with the bearer token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lab.voice.ogg import is_ogg_opus, opus_channels
from lab.whatsapp.errors import GraphError
from lab.whatsapp.ids import IdFactory, sha256_b64

MB = 1024 * 1024
# MIME type -> (kind, max bytes); Meta's supported media table.
SUPPORTED: dict[str, tuple[str, int]] = {
    "audio/aac": ("audio", 16 * MB),
    "audio/amr": ("audio", 16 * MB),
    "audio/mpeg": ("audio", 16 * MB),
    "audio/mp4": ("audio", 16 * MB),
    "audio/ogg": ("audio", 16 * MB),
    "text/plain": ("document", 100 * MB),
    "application/pdf": ("document", 100 * MB),
    "application/vnd.ms-powerpoint": ("document", 100 * MB),
    "application/msword": ("document", 100 * MB),
    "application/vnd.ms-excel": ("document", 100 * MB),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "document",
        100 * MB,
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "document",
        100 * MB,
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 100 * MB),
    "image/jpeg": ("image", 5 * MB),
    "image/png": ("image", 5 * MB),
    "image/webp": ("sticker", 500 * 1024),
    "video/mp4": ("video", 16 * MB),
    "video/3gpp": ("video", 16 * MB),
}


@dataclass(slots=True)
class MediaItem:
    """One stored media file."""

    id: str
    data: bytes
    mime_type: str
    phone_number_id: str | None  # the uploading business number; None for user media
    filename: str | None = None
    sha256_hex: str = field(init=False)
    sha256_b64: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256_hex = hashlib.sha256(self.data).hexdigest()
        self.sha256_b64 = sha256_b64(self.data)

    @property
    def kind(self) -> str:
        return SUPPORTED.get(self.base_mime, ("document", 0))[0]

    @property
    def base_mime(self) -> str:
        return self.mime_type.split(";")[0].strip().lower()

    @property
    def download_path(self) -> str:
        """Where the Graph API serves the bytes (with the bearer token), below its base URL; the URL
        `GET /{media_id}` answers and media webhooks carry."""
        return f"/media/download/{self.id}?ext={self.kind}&hash={self.sha256_hex[:16]}"


class MediaStore:
    """Media by id, in memory."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._items: dict[str, MediaItem] = {}

    def upload(
        self, data: bytes, mime_type: str, phone_number_id: str | None, filename: str | None = None
    ) -> MediaItem:
        """Store bytes the business uploads; Meta's type and size rules apply (131053)."""
        base = mime_type.split(";")[0].strip().lower()
        if base not in SUPPORTED:
            raise GraphError(
                131053,
                f"Param file must be a file with one of the following types: "
                f"{', '.join(sorted(SUPPORTED))}. Received file of type '{mime_type}'.",
            )
        if base == "audio/ogg" and not (is_ogg_opus(data) and opus_channels(data) == 1):
            raise GraphError(
                131053,
                "Param file of type audio/ogg must be OPUS-encoded mono audio "
                "(WhatsApp takes OGG with the OPUS codec only, one channel).",
            )
        kind, limit = SUPPORTED[base]
        if len(data) > limit:
            raise GraphError(
                131053,
                f"{kind} file size {len(data)} bytes exceeds the {limit // 1024} KB limit for {base}.",
            )
        return self.put(data, mime_type, phone_number_id, filename)

    def put(
        self,
        data: bytes,
        mime_type: str,
        phone_number_id: str | None = None,
        filename: str | None = None,
    ) -> MediaItem:
        """Store media without Meta's upload checks (media a simulated user sends)."""
        item = MediaItem(self._ids.media_id(), data, mime_type, phone_number_id, filename)
        self._items[item.id] = item
        return item

    def get(self, media_id: str) -> MediaItem | None:
        return self._items.get(media_id)

    def delete(self, media_id: str) -> bool:
        return self._items.pop(media_id, None) is not None

    def __len__(self) -> int:
        return len(self._items)
