"""A small client of Procedura's REST API, for the command line and the tests."""
from __future__ import annotations

from typing import IO

import requests


class ApiError(Exception):
    def __init__(self, response: requests.Response):
        self.status = response.status_code
        try:
            self.error = response.json()["error"]
        except (ValueError, KeyError):
            self.error = {"code": "http", "message": response.text[:300], "details": {}}
        super().__init__(f"{self.status} {self.error['code']}: {self.error['message']}")


class Client:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.timeout = timeout
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @classmethod
    def login(cls, base_url: str, username: str, password: str) -> "Client":
        client = cls(base_url)
        token = client.post("/api/auth/token", {"username": username,
                                                "password": password})["access_token"]
        client.session.headers["Authorization"] = f"Bearer {token}"
        return client

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path,
                                    timeout=kwargs.pop("timeout", self.timeout), **kwargs)

    def _json(self, response: requests.Response):
        if response.status_code >= 400:
            raise ApiError(response)
        return response.json()

    def get(self, path: str, **params):
        return self._json(self.request("GET", path, params=params))

    def post(self, path: str, body: dict | None = None):
        return self._json(self.request("POST", path, json=body or {}))

    def upload(self, document_id: str, filename: str, content: bytes | IO[bytes],
               change_summary: str = "", media_type: str = "application/octet-stream",
               **note: str):
        """Upload a version; `note` may name the component_revised and how_revised."""
        return self._json(self.request(
            "POST", f"/api/documents/{document_id}/versions",
            files={"file": (filename, content, media_type)},
            data={"change_summary": change_summary, **note}))

    def act(self, version_id: str, action: str, comment: str = ""):
        return self.post(f"/api/versions/{version_id}/{action}", {"comment": comment})
