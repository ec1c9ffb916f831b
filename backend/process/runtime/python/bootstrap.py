"""Placeholder for Portico's Python runtime client.

It reports an init error through the Runtime API and exits, so that a
python3.* function fails the way Lambda reports a broken runtime instead of
hanging. The real client replaces this file.
"""
import json
import os
import sys
import urllib.request


def main():
    api = os.environ["AWS_LAMBDA_RUNTIME_API"]
    body = json.dumps({
        "errorMessage": "python runtime client not built yet",
        "errorType": "Runtime.Unknown",
        "stackTrace": [],
    }).encode()
    req = urllib.request.Request(
        "http://%s/2018-06-01/runtime/init/error" % api,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": "Runtime.Unknown"},
    )
    urllib.request.urlopen(req).read()
    sys.exit(1)


if __name__ == "__main__":
    main()
