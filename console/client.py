"""The console's only way to data: the JSON API itself, called in-process with the signed-in
user's bearer token. So every page is authorised exactly like the API (it cannot bypass a
rule, because it has no other door), and a refusal comes back as the API's own 403/409/422."""

from typing import Any

import httpx
from fastapi import Request

INTERNAL = "http://console.internal"  # never resolved: ASGITransport hands requests to the app


class ApiError(Exception):
    """A 4xx/5xx answer: its status and the API's `detail` (a text, or FastAPI's list)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail

    @property
    def message(self) -> str:
        """One line for a person: a text detail as is, a validation list joined."""
        if isinstance(self.detail, list):
            return "；".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e)
                            for e in self.detail)
        return str(self.detail)

    def field_errors(self) -> dict[str, str]:
        """A 422's messages by the field they name (`data.department` -> `department`)."""
        found: dict[str, str] = {}
        if isinstance(self.detail, list):
            for e in self.detail:
                loc = [str(p) for p in e.get("loc", []) if p not in ("body", "query", "path")]
                if loc and loc[0] == "data":
                    loc = loc[1:]
                if loc:
                    found.setdefault(".".join(loc), str(e.get("msg", "")))
        return found


class Api:
    def __init__(self, request: Request, token: str | None) -> None:
        self._app = request.app
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                   json: Any = None, data: dict[str, Any] | None = None,
                   files: Any = None, headers: dict[str, str] | None = None,
                   raw: bool = False) -> Any:
        transport = httpx.ASGITransport(app=self._app)
        async with httpx.AsyncClient(transport=transport, base_url=INTERNAL,
                                     timeout=60) as client:
            clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
            response = await client.request(method, path, params=clean, json=json, data=data,
                                            files=files,
                                            headers=self._headers | (headers or {}))
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail)
        if raw:
            return response
        if not response.content:
            return None
        return response.json() if "json" in response.headers.get("content-type", "") \
            else response.text

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return await self.call("POST", path, json=json, **kw)
