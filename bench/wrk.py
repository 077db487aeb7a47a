"""wrk runs for the benches: a page's rate, and posting through the real form."""

import re
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from servers import count_posts

WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(ms|s|m)")
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0}


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int,
            script: Path | None = None) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", url]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    return subprocess.run(command, capture_output=True, text=True, check=True,
                          timeout=seconds + 60).stdout


def wrk_rate(url: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    """Requests per second; any non-2xx/3xx answer or socket error stops the bench."""
    output = run_wrk(url, headers, seconds, connections)
    for bad in (WRK_BAD.search(output), WRK_ERRORS.search(output)):
        if bad and any(int(n) for n in bad.groups()):
            raise SystemExit(f"wrk on {url}: {bad.group(0)}\n{output}")
    return float(WRK_RATE.search(output).group(1))


POST_SCRIPT = """
threads = {%(threads)s}
counter = 0
request = function()
  counter = counter + 1
  local t = threads[(counter %% #threads) + 1]
  local body = "thread=" .. t .. "&csrf_token=%(token)s&body=bench+reply+" .. counter
  return wrk.format("POST", "/%(board)s/post", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json", ["Cookie"] = "%(cookie)s"}, body)
end
"""


def post_rate(server, board: str, threads: list[int], seconds: int, connections: int) -> dict:
    """Text replies through the form (no password typed: the site makes one) by
    `connections` concurrent clients; every acknowledged post must be stored."""
    reader = requests.Session()
    page = reader.get(f"{server.base}/{board}/", timeout=60).text
    cookie = "; ".join(f"{c.name}={c.value}" for c in reader.cookies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(POST_SCRIPT % {"threads": ",".join(map(str, threads)), "board": board,
                                    "token": CSRF_INPUT.search(page).group(1),
                                    "cookie": cookie})
    before = count_posts(server)
    output = run_wrk(server.base + "/", {}, seconds, connections, Path(script.name))
    time.sleep(1)  # answers wrk cut off at the end may still be stored
    stored = count_posts(server) - before
    Path(script.name).unlink()
    total = WRK_TOTAL.search(output)
    bad = WRK_BAD.search(output)
    refused = int(bad.group(1)) if bad else 0
    acknowledged = int(total.group(1)) - refused
    wall = float(total.group(2)) * UNIT_S[total.group(3)]
    return {"connections": connections, "acknowledged": acknowledged, "refused": refused,
            "stored": stored, "lost": max(0, acknowledged - stored),
            "per_second": round(acknowledged / wall, 1)}
