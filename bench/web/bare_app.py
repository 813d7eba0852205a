"""The baseline for bench/web_speed.py: a bare Starlette app under the same uvicorn settings as
`digest serve`, doing one SQLite write per POST and serving a static file.

    python bench/web/bare_app.py DATABASE STATIC_DIR PORT
"""

from __future__ import annotations

import sys

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from digest.storage.engine import connect


def make_app(database: str, static_dir: str) -> Starlette:
    engine = connect(url=f"sqlite:///{database}")  # the same engine set-up (WAL, busy timeout) as digest's

    def write(row_id: int) -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE subscribers SET status = 'unsubscribed' WHERE id = :id"), {"id": row_id})

    async def unsubscribe(request: Request) -> Response:
        await request.body()
        await run_in_threadpool(write, int(request.path_params["row"]))
        return PlainTextResponse("Unsubscribed.\n")

    return Starlette(
        routes=[
            Route("/u/{row:int}", unsubscribe, methods=["POST"]),
            Mount("/static", StaticFiles(directory=static_dir)),
        ]
    )


if __name__ == "__main__":
    database, static_dir, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    uvicorn.run(
        make_app(database, static_dir),
        host="127.0.0.1",
        port=port,
        access_log=False,
        server_header=False,
        lifespan="off",
        log_level="warning",
    )
