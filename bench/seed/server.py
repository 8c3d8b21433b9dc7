"""Server (seed: port 5001): passes each task on to the process service and answers its answer."""

import aiohttp
from aiohttp import web

from common import HOST, PROCESS_URL, SERVER_PORT


async def on_startup(app):
    app["session"] = aiohttp.ClientSession()


async def on_cleanup(app):
    await app["session"].close()


async def index(request):
    task = await request.json()
    async with request.app["session"].post(PROCESS_URL, json=task) as response:
        return web.json_response(await response.json())


app = web.Application()
app.router.add_post("/", index)
app.on_startup.append(on_startup)
app.on_cleanup.append(on_cleanup)

if __name__ == "__main__":
    web.run_app(app, host=HOST, port=SERVER_PORT, print=None)
