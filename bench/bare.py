"""The reference endpoint: bare Starlette under the same uvicorn settings as `hambastegi serve`
(`python -m bench.bare --port P`). POST reads the body and answers 202; GET answers a line."""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def accept(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = Starlette(
        routes=[
            Route("/inbox", accept, methods=["POST"]),
            Route("/.well-known/nodeinfo", hello),
            Route("/{path:path}", hello),
        ]
    )
    # The same settings as cli.main.uvicorn_config.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        server_header=False,
        log_level="warning",
        timeout_keep_alive=5,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
