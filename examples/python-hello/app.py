"""hello answers with a greeting: "$GREETING, <name>!", where name comes
from the query string (?name=) and defaults to "world". The Python twin of
examples/hello: handler app.lambda_handler, an API Gateway 2.0 event in, a
2.0 proxy response out."""

import os


def lambda_handler(event, context):
    greeting = os.environ.get("GREETING") or "Hello"
    name = (event.get("queryStringParameters") or {}).get("name") or "world"
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain; charset=utf-8"},
        "body": "%s, %s!\n" % (greeting, name),
    }
