"""Client (seed: port 5000). GET /?connection_count=10&connection_value=10&delay_range=5

Opens connection_count connections to the server; each sends connection_value tasks one after the
other and waits for each answer. Answers once every task is acknowledged, as the seed's did.
Added to the seed: a run id and a seq number (send order across the run) in every task, so the
save service can put the file in send order, and the run id in the answer.
"""

import asyncio
import itertools
import time
import uuid

import aiohttp
from aiohttp import web

from common import CLIENT_PORT, HOST, SERVER_URL


async def send_connection(run, conn, connection_value, seqs):
    async with aiohttp.ClientSession() as session:
        for idx in range(1, connection_value + 1):
            task = {
                "runId": run["runId"],
                "seq": next(seqs),
                "total": run["total"],
                "conn": conn,
                "idx": idx,
                "value": idx,
                "sentAt": time.time() * 1000,
                "delayRange": run["delayRange"],
            }
            async with session.post(SERVER_URL, json=task) as response:
                await response.json()


async def index(request):
    connection_count = int(request.query.get("connection_count", 10))
    connection_value = int(request.query.get("connection_value", 10))
    delay_range = float(request.query.get("delay_range", 5))
    started = time.time()
    run = {
        "runId": uuid.uuid4().hex,
        "total": connection_count * connection_value,
        "delayRange": delay_range,
    }
    seqs = itertools.count(1)
    await asyncio.gather(
        *(
            send_connection(run, conn, connection_value, seqs)
            for conn in range(1, connection_count + 1)
        )
    )
    return web.json_response({**run, "ackedMs": (time.time() - started) * 1000})


app = web.Application()
app.router.add_get("/", index)

if __name__ == "__main__":
    web.run_app(app, host=HOST, port=CLIENT_PORT, print=None)
