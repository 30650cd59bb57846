"""A Hub-compatible HTTP server on 127.0.0.1 for tests: the endpoints huggingface_hub 2.x calls to
create a repo, commit and tag files, read repo info and trees, and download files.

Test support, not product code: repos live in memory, every file is a plain git blob (upload mode
"regular", no LFS or Xet), and one token (if set) guards writes and private repos. Tests point
huggingface_hub at it with `endpoint=` / HF_ENDPOINT, seed it directly (create_repo, commit, tag)
or through the real client, and break it on purpose (stall, stop). free_port() gives a port that
refuses connections, for an unreachable endpoint.

Endpoints:
    POST /api/repos/create                           create_repo
    POST /api/validate-yaml                          create_commit, when it carries a README.md
    GET  /api/models/{repo}[/revision/{rev}]         repo_info, resolve_revision
    GET  /api/models/{repo}/tree/{rev}[/{path}]      list_repo_tree (snapshot_download)
    POST /api/models/{repo}/preupload/{rev}          create_commit: upload mode of each file
    POST /api/models/{repo}/commit/{rev}             create_commit: the NDJSON commit itself
    POST /api/models/{repo}/tag/{rev}                create_tag
    HEAD/GET /{repo}/resolve/{rev}/{path}            hf_hub_download (X-Repo-Commit, ETag)
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from huggingface_hub.utils.sha import git_hash

TOKEN = "hf_test_token"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (until someone binds it): connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubError(Exception):
    """An HTTP error answer, with the X-Error-Code huggingface_hub maps onto its exception types."""

    def __init__(self, status: int, code: str, message: str, **body: str):
        super().__init__(message)
        self.status, self.code, self.message, self.body = status, code, message, body


@dataclass
class Repo:
    private: bool = False
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # commit id -> path -> content
    refs: dict[str, str] = field(default_factory=dict)  # branch or tag -> commit id

    def resolve(self, revision: str) -> str:
        commit = self.refs.get(revision) or (revision if revision in self.commits else None)
        if commit is None:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return commit


class HubServer:
    """Start with `with HubServer() as hub:` (or start/stop); `hub.url` is its endpoint."""

    def __init__(self, token: str | None = TOKEN):
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.requests: list[str] = []  # "METHOD /path", in arrival order
        self.stall_downloads = False  # resolve requests then hang until stop(): a Hub that stops answering
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="hub-server", daemon=True
        )

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Seeding, as the real client would through create_repo / create_commit / create_tag.

    def create_repo(self, repo_id: str, private: bool = False) -> None:
        with self._lock:
            if repo_id in self.repos:
                raise HubError(409, "RepoExists", f"{repo_id} already exists")
            self.repos[repo_id] = Repo(private=private)

    def commit(
        self, repo_id: str, files: dict[str, bytes], branch: str = "main", deleted: tuple[str, ...] = ()
    ) -> str:
        """A new commit on `branch`: its parent's files, with `files` added or replaced and `deleted` gone."""
        with self._lock:
            repo = self.repos[repo_id]
            parent = repo.refs.get(branch)
            tree = {**(repo.commits[parent] if parent else {}), **files}
            for path in deleted:
                tree.pop(path, None)
            digest = hashlib.sha1(f"{parent}:{len(repo.commits)}".encode())
            for path in sorted(tree):
                digest.update(path.encode() + b"\0" + tree[path])
            commit = digest.hexdigest()
            repo.commits[commit] = tree
            repo.refs[branch] = commit
            return commit

    def tag(self, repo_id: str, tag: str, revision: str = "main") -> None:
        with self._lock:
            repo = self.repos[repo_id]
            if tag in repo.refs:
                raise HubError(409, "TagExists", f"tag {tag} already exists")
            repo.refs[tag] = repo.resolve(revision)

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        repo = self.repos[repo_id]
        return repo.commits[repo.resolve(revision)]

    # Request handling.

    def _repo(self, repo_id: str, authorization: str | None, write: bool = False) -> Repo:
        authorized = self.token is None or authorization == f"Bearer {self.token}"
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and not authorized):
            raise HubError(404, "RepoNotFound", f"Repository not found: {repo_id}")
        if write and not authorized:
            raise HubError(401, "Unauthorized", "Invalid credentials in Authorization header")
        return repo

    def _route(self, method: str, parts: list[str], auth: str | None, body: bytes) -> tuple[int, dict, bytes]:
        """(status, headers, body) of one request; raises HubError for error answers."""
        if parts == ["api", "repos", "create"] and method == "POST":
            return self._create(json.loads(body), auth)
        if parts == ["api", "validate-yaml"] and method == "POST":
            return _json({"errors": [], "warnings": []})
        if parts[:2] == ["api", "models"] and len(parts) >= 4:
            repo_id, rest = "/".join(parts[2:4]), parts[4:]
            repo = self._repo(repo_id, auth, write=method == "POST")
            if not rest or rest[0] == "revision":
                return self._info(repo_id, repo, rest[1] if rest else "main")
            if rest[0] == "tree" and method == "GET":
                return self._tree(repo, rest[1], "/".join(rest[2:]))
            if rest[0] == "preupload" and method == "POST":
                return self._preupload(repo, rest[1], json.loads(body))
            if rest[0] == "commit" and method == "POST":
                return self._commit(repo_id, rest[1], body)
            if rest[0] == "tag" and method == "POST":
                self.tag(repo_id, json.loads(body)["tag"], rest[1])
                return _json({})
        if len(parts) >= 5 and parts[2] == "resolve" and method in ("GET", "HEAD"):
            repo_id = "/".join(parts[:2])
            return self._resolve(self._repo(repo_id, auth), parts[3], "/".join(parts[4:]))
        raise HubError(404, "NotFound", f"no such endpoint: {method} /{'/'.join(parts)}")

    def _create(self, payload: dict, auth: str | None) -> tuple[int, dict, bytes]:
        if self.token is not None and auth != f"Bearer {self.token}":
            raise HubError(401, "Unauthorized", "Invalid credentials in Authorization header")
        repo_id = f"{payload['organization']}/{payload['name']}"
        url = f"{self.url}/{repo_id}"
        if repo_id in self.repos:  # like the Hub, name the existing repo: create_repo(exist_ok=True) reads it
            raise HubError(409, "RepoExists", "You already created this model repo", url=url)
        self.create_repo(repo_id, private=payload.get("visibility") == "private")
        return _json({"url": url, "name": repo_id})

    def _info(self, repo_id: str, repo: Repo, revision: str) -> tuple[int, dict, bytes]:
        commit = repo.resolve(revision)
        siblings = [{"rfilename": path} for path in sorted(repo.commits[commit])]
        return _json({"id": repo_id, "sha": commit, "private": repo.private, "siblings": siblings})

    def _tree(self, repo: Repo, revision: str, folder: str) -> tuple[int, dict, bytes]:
        prefix = f"{folder}/" if folder else ""
        files = repo.commits[repo.resolve(revision)]
        entries = [
            {"type": "file", "path": path, "size": len(content), "oid": git_hash(content)}
            for path, content in sorted(files.items())
            if path.startswith(prefix)
        ]
        return _json(entries)

    def _preupload(self, repo: Repo, revision: str, payload: dict) -> tuple[int, dict, bytes]:
        current = repo.commits[repo.refs[revision]] if revision in repo.refs else {}
        return _json({
            "files": [
                {
                    "path": f["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": git_hash(current[f["path"]]) if f["path"] in current else None,
                }
                for f in payload["files"]
            ]
        })

    def _commit(self, repo_id: str, branch: str, body: bytes) -> tuple[int, dict, bytes]:
        added: dict[str, bytes] = {}
        deleted: list[str] = []
        for line in body.splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                added[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            elif item["key"] == "deletedFile":
                deleted.append(item["value"]["path"])
            elif item["key"] != "header":
                raise HubError(400, "BadRequest", f"unsupported commit operation {item['key']}")
        commit = self.commit(repo_id, added, branch=branch, deleted=tuple(deleted))
        return _json({"commitUrl": f"{self.url}/{repo_id}/commit/{commit}", "commitOid": commit})

    def _resolve(self, repo: Repo, revision: str, path: str) -> tuple[int, dict, bytes]:
        commit = repo.resolve(revision)
        if self.stall_downloads:
            self._released.wait()
        content = repo.commits[commit].get(path)
        if content is None:
            raise HubError(404, "EntryNotFound", f"{path} does not exist at {commit}")
        headers = {
            "X-Repo-Commit": commit,
            "ETag": f'"{git_hash(content)}"',
            "Content-Type": "application/octet-stream",
        }
        return 200, headers, content


def _json(value: object) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(value).encode()


def _handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            hub.requests.append(f"{method} {url.path}")
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                status, headers, content = hub._route(method, parts, self.headers.get("Authorization"), body)
            except HubError as err:
                status, content = err.status, json.dumps({"error": err.message, **err.body}).encode()
                headers = {
                    "Content-Type": "application/json",
                    "X-Error-Code": err.code,
                    "X-Error-Message": err.message,
                }
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(content))}.items():
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(content)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: object) -> None:
            """Requests are recorded in hub.requests instead of printed."""

    return Handler
