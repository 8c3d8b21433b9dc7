"""Process (seed: port 5002): answers {"asyncAnswer": "Ok"} at once, then, after a random delay of
[0, delay_range] seconds, posts the result to the save service."""

import asyncio
import os
import random
import socket
import time

import aiohttp
from aiohttp import web

from common import HOST, PROCESS_PORT, SAVE_URL

PROCESSOR = f"{socket.gethostname()}:{os.getpid()}"
background = set()


async def on_startup(app):
    app["session"] = aiohttp.ClientSession()


async def on_cleanup(app):
    await app["session"].close()


async def process(session, task):
    delay = random.uniform(0, task["delayRange"])
    await asyncio.sleep(delay)
    result = {
        **task,
        "processedAt": time.time() * 1000,
        "delayMs": round(delay * 1000),
        "processor": PROCESSOR,
    }
    async with session.post(SAVE_URL, json=result) as response:
        await response.read()


async def index(request):
    task = await request.json()
    job = asyncio.create_task(process(request.app["session"], task))
    background.add(job)
    job.add_done_callback(background.discard)
    return web.json_response({"asyncAnswer": "Ok"})


app = web.Application()
app.router.add_post("/", index)
app.on_startup.append(on_startup)
app.on_cleanup.append(on_cleanup)

if __name__ == "__main__":
    web.run_app(app, host=HOST, port=PROCESS_PORT, print=None)
