"""Photos uploaded by the app's users (随手拍, 处置后照片): stored by the app under MEDIA_DIR,
named by their SHA-256, and referred to from cases as `media:<name>` (never their bytes).

Photos are personal data: a file is served to whoever uploaded it and to district staff, and
to nobody else (404, so its existence is not told either)."""

import hashlib
import json
import os
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import CurrentUser
from api.errors import responses
from config import get_settings
from domain.limits import MAX_MEDIA_BYTES
from domain.roles import DISTRICT_STAFF, SERVICE

router = APIRouter(tags=["media"])

# Magic bytes of the formats a phone camera or a browser produces.
KINDS = {b"\xff\xd8\xff": ("jpg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("png", "image/png")}
NAME = Path(pattern=r"^[0-9a-f]{64}\.(jpg|png|webp)$", max_length=69)
TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class MediaOut(BaseModel):
    ref: str = Field(description="`media:<sha256>.<ext>`, for a case's `photos`")


def _kind(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((ext for magic, (ext, _) in KINDS.items() if data.startswith(magic)), None)


def _folder() -> FsPath:
    folder = FsPath(get_settings().media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _owners(path: FsPath) -> list[str]:
    side = path.with_name(path.name + ".json")
    return json.loads(side.read_text())["uploaders"] if side.exists() else []


@router.post("/media", status_code=status.HTTP_201_CREATED, response_model=MediaOut,
             responses=responses(401, 403, 413, 422))
async def upload(user: CurrentUser, file: Annotated[UploadFile, File(
        description=f"one JPEG, PNG or WebP image, at most {MAX_MEDIA_BYTES} bytes")]) -> MediaOut:
    """Store one photo; the same bytes again give the same reference."""
    if user.role == SERVICE:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "machine accounts send photo URLs")
    data = await file.read(MAX_MEDIA_BYTES + 1)
    if len(data) > MAX_MEDIA_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"a photo is at most {MAX_MEDIA_BYTES} bytes")
    ext = _kind(data)
    if ext is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "照片须为 JPEG、PNG 或 WebP 图片 (not an image)")
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    path = _folder() / name
    if not path.exists():
        tmp = path.with_name(name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # never a half-written photo under its final name
    owners = _owners(path)
    if user.username not in owners:
        path.with_name(name + ".json").write_text(json.dumps({"uploaders": owners +
                                                              [user.username]}))
    return MediaOut(ref=f"media:{name}")


@router.get("/media/{name}", response_class=FileResponse, responses={
    200: {"content": {t: {} for t in TYPES.values()}}} | responses(401, 404, 422))
def download(user: CurrentUser, name: str = NAME) -> FileResponse:
    """The photo, to whoever uploaded it and to district staff; 404 to anyone else."""
    path = _folder() / name
    if not path.exists() or (user.role not in DISTRICT_STAFF
                             and user.username not in _owners(path)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such photo")
    return FileResponse(path, media_type=TYPES[name.rsplit(".", 1)[1]],
                        headers={"Cache-Control": "private, max-age=3600"})
