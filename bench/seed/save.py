"""Save (seed: port 5003): appends each result to the run's file.

Added to the seed, which appended results as they came: results wait in a dict until every
earlier seq has arrived (the file is in send order), one file per run, and GET /status?runId=
answering how many lines the file holds (the bench's "fully saved" signal).
"""

import json
import os

from aiohttp import web

from common import HOST, OUTPUT_DIR, SAVE_PORT

runs = {}


async def index(request):
    result = await request.json()
    run = runs.setdefault(result["runId"], {"next": 1, "waiting": {}})
    run["waiting"][result["seq"]] = result
    lines = []
    while run["next"] in run["waiting"]:
        lines.append(json.dumps(run["waiting"].pop(run["next"])) + "\n")
        run["next"] += 1
    if lines:
        with open(os.path.join(OUTPUT_DIR, f"{result['runId']}.jsonl"), "a") as file:
            file.writelines(lines)
    return web.json_response({"saved": True})


async def status(request):
    run = runs.get(request.query["runId"])
    return web.json_response({"written": run["next"] - 1 if run else 0})


app = web.Application()
app.router.add_post("/", index)
app.router.add_get("/status", status)

if __name__ == "__main__":
    web.run_app(app, host=HOST, port=SAVE_PORT, print=None)
