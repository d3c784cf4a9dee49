"""A stand-in feed server for the latency benchmark: PUT files at a steady rate.

Runs as its own process (``python -m bench.uploader MANIFEST OUT``) so its work
does not share the worker's interpreter lock, as the real feed server does not.
The manifest (JSON) names the endpoint, bucket, rate and files; OUT receives one
JSON line per upload with wall-clock PUT start and end (epoch seconds).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config


def main(manifest_path: str, out_path: str) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    manifest = json.loads(Path(manifest_path).read_text())
    s3 = boto3.session.Session(
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto's stand-in key
        region_name="us-east-1",
    ).client(
        "s3",
        endpoint_url=manifest["endpoint"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    bucket = manifest["bucket"]
    s3.head_bucket(Bucket=bucket)  # open the connection before the clock starts
    bodies = [
        (item["key"], Path(item["path"]).read_bytes(), item["content_type"])
        for item in manifest["files"]
    ]
    interval = 1.0 / float(manifest["rate"])
    start = time.monotonic() + 0.2
    with Path(out_path).open("w") as out:
        for n, (key, body, content_type) in enumerate(bodies):
            delay = start + n * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            put_start = time.time()
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
            put_end = time.time()
            out.write(json.dumps({"key": key, "put_start": put_start, "put_end": put_end}) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
