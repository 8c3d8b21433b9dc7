"""Settings shared by the four services of the seed replica (see README.md here).

The seed hard-coded 127.0.0.1:5000-5003; the replica reads the ports from the environment so the
bench can put it on free ports (defaults: the seed's).
"""

import os

HOST = "127.0.0.1"
CLIENT_PORT = int(os.environ.get("SEED_CLIENT_PORT", "5000"))
SERVER_PORT = int(os.environ.get("SEED_SERVER_PORT", "5001"))
PROCESS_PORT = int(os.environ.get("SEED_PROCESS_PORT", "5002"))
SAVE_PORT = int(os.environ.get("SEED_SAVE_PORT", "5003"))
OUTPUT_DIR = os.environ.get("SEED_OUTPUT_DIR", ".")

SERVER_URL = f"http://{HOST}:{SERVER_PORT}/"
PROCESS_URL = f"http://{HOST}:{PROCESS_PORT}/"
SAVE_URL = f"http://{HOST}:{SAVE_PORT}/"
