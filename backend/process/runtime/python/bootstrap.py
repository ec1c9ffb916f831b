"""Portico's runtime client for Python functions.

Portico starts it as `python3 bootstrap.py` with the environment Lambda
sets (AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...). It loads the
handler named by _HANDLER, then loops on the Lambda Runtime API: GET the
next event, call handler(event, context), POST the result or the error.

What a function can observe is made to match AWS's own Python runtime
client (awslambdaric), so code behaves here as it does on Lambda: the
context object's fields and types, the error documents and their types
(Runtime.ImportModuleError, Runtime.HandlerNotFound, ...), the log line
format of the `logging` module, _X_AMZN_TRACE_ID per invocation.

Standard library only, and Python 3.9 or later (Portico checks at start): it runs on whatever
interpreter the machine has, before any of the function's packages are on
the path. It is one file because it is embedded in Portico's binary and
run as a script.
"""

import importlib
import json
import logging
import os
import socket
import sys
import time

_API_PREFIX = b"/2018-06-01/runtime"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

# Error types, as awslambdaric names them (its FaultException).
_IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
_HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
_USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
_MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
_BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
_MARSHAL_ERROR = "Runtime.MarshalError"
_UNMARSHAL_ERROR = "Runtime.UnmarshalError"
_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

# awslambdaric writes a logged error as one line: its lines joined by a
# carriage return, the traceback's indentation made of no-break spaces, so
# that a line-based log keeps the whole error in one entry.
_ERROR_LINE_JOIN = "\r"
_ERROR_INDENT = "\u00a0"

# The request id of the invocation in progress, for log lines. Like
# awslambdaric, it keeps the last id between invocations.
_request_id = ""


class _Fault(Exception):
    """A failure the runtime itself diagnosed, with Lambda's error type."""

    def __init__(self, error_type, message, trace=None):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


# --- The Runtime API ---------------------------------------------------------


class _RuntimeAPI(object):
    """One persistent HTTP/1.1 connection to the instance's Runtime API.

    A few lines of HTTP rather than http.client: importing http.client
    (email, ssl) costs a cold start more than this whole runtime, and its
    header parsing is most of the runtime's time on a warm invocation. The
    server is Portico's own Runtime API, but responses are read by the rules
    of HTTP/1.1 all the same (Content-Length, chunked, or until close).
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.addr = (host.strip("[]"), int(port))
        self.host = address.encode("ascii")
        self.sock = None
        self.rfile = None

    def _connect(self):
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def _close(self):
        if self.sock is not None:
            self.rfile.close()
            self.sock.close()
        self.sock = self.rfile = None

    def request(self, method, path, body=b"", headers=()):
        """Sends one request and returns (status, headers, body), header
        names in lower case.

        The server closes a connection left idle for a while (the time a
        slow handler runs, say); a request that finds it closed before any
        answer is sent again once on a new connection. No timeout: GET /next
        may wait for its event as long as the instance lives.
        """
        head = [method.encode("ascii"), b" ", _API_PREFIX + path.encode("utf-8"), b" HTTP/1.1\r\nHost: ", self.host]
        for name, value in headers:
            # An error type is a class name, which may be any identifier.
            head += [b"\r\n", name.encode("latin-1"), b": ", value.encode("latin-1", "replace")]
        if method != "GET":
            head += [b"\r\nContent-Length: ", str(len(body)).encode("ascii")]
        head.append(b"\r\n\r\n")
        msg = b"".join(head)
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                if len(body) < 65536:
                    self.sock.sendall(msg + body)
                else:
                    self.sock.sendall(msg)
                    self.sock.sendall(body)
                status_line = self.rfile.readline(65537)
                if not status_line:
                    raise ConnectionResetError("connection closed before the response")
            except OSError:
                self._close()
                if attempt == 1:
                    raise
                continue
            return self._read_response(status_line)
        raise AssertionError("unreachable")

    def _read_response(self, status_line):
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise OSError("bad status line %r" % status_line[:100])
        status = int(parts[1])
        headers = {}
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        elif "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]))
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = self.rfile.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def _read_exactly(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise OSError("connection closed in the middle of a response")
        return data

    def _read_chunked(self):
        chunks = []
        while True:
            size = int(self.rfile.readline(65537).split(b";", 1)[0], 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self._read_exactly(size))
            self._read_exactly(2)

    def next(self):
        status, headers, body = self.request("GET", "/invocation/next")
        if status == 410:
            # The instance is being stopped: nothing more to do.
            sys.stdout.flush()
            os._exit(0)
        if status != 200:
            _die("GET /invocation/next answered %d: %r" % (status, body[:200]))
        return headers, body

    def post(self, path, body, headers):
        status, _, resp = self.request("POST", path, body, headers)
        if status != 202:
            # As AWS's clients do: a refused result (413, 400, 500) ends the
            # runtime, and the platform reports the invocation.
            _die("POST %s answered %d: %r" % (path, status, resp[:200]))

    def post_result(self, request_id, body, content_type):
        self.post("/invocation/%s/response" % request_id, body, (("Content-Type", content_type),))

    def post_error(self, request_id, error):
        self.post("/invocation/%s/error" % request_id, _error_body(error), _error_headers(error))

    def post_init_error(self, error):
        self.post("/init/error", _error_body(error), _error_headers(error))


def _error_body(error):
    return json.dumps(error).encode("utf-8")


def _error_headers(error):
    return (("Content-Type", "application/json"), (_ERROR_TYPE_HEADER, error["errorType"]))


def _die(message):
    sys.stdout.flush()
    sys.stderr.write("portico python runtime: %s\n" % message)
    sys.stderr.flush()
    os._exit(1)


# --- Loading the handler -----------------------------------------------------


def _load_handler(handler):
    """Imports the module of a handler setting and returns its function.

    `app.handler`, `pkg.mod.handler` and `src/app.handler` (a module in a
    folder) are all module path + "." + function name, as on Lambda.
    """
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault(_MALFORMED_HANDLER_NAME, "Bad handler '{}': {}".format(handler, e))
    if modname.split(".")[0] in sys.builtin_module_names:
        raise _Fault(_BUILT_IN_MODULE_CONFLICT, "Cannot use built-in module {} as a handler module".format(modname))
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise _Fault(_IMPORT_MODULE_ERROR, "Unable to import module '{}': {}".format(modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault(_USER_CODE_SYNTAX_ERROR, "Syntax error in module '{}': {}".format(modname, e), trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault(_HANDLER_NOT_FOUND, "Handler '{}' missing on module '{}'".format(fname, modname))


def _set_path(task_root):
    """Puts the function's code first on sys.path, as Lambda's /var/task is.

    Python put this script's own folder there; it holds nothing of the
    function's, and a module of the function might share a name with it.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and sys.path[0] == here and here != task_root:
        del sys.path[0]
    if task_root and task_root not in sys.path:
        sys.path.insert(0, task_root)


# --- The context object ------------------------------------------------------


class LambdaContext(object):
    """The handler's second argument, with awslambdaric's fields and types.

    memory_limit_in_mb is a string, as awslambdaric reads it from the
    environment; identity is always an object, its fields None unless the
    invocation carried a Cognito identity.
    """

    def __init__(self, request_id, deadline_ms, function_arn, client_context, cognito_identity, tenant_id):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = function_arn
        self.tenant_id = tenant_id
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        self.identity = _from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,function_name=%s,function_version=%s,invoked_function_arn=%s]" % (
            self.aws_request_id,
            self.function_name,
            self.function_version,
            self.invoked_function_arn,
        )


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]


def _from_dict(cls, d):
    if d is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, d.get(field))
    return obj


def _parse_json_header(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except Exception as e:
        raise _Fault(_CONTEXT_UNMARSHAL_ERROR, "Unable to parse {} JSON: {}".format(name, e))


# --- Results and errors ------------------------------------------------------


def _encode_default(obj):
    # boto3 gives DynamoDB numbers as Decimal; awslambdaric encodes them as
    # JSON numbers.
    import decimal

    if isinstance(obj, decimal.Decimal):
        if obj.is_nan():
            return float("nan")
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def _marshal(result):
    """Returns the result's bytes and content type, as awslambdaric does."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return json.dumps(result, default=_encode_default).encode("utf-8"), "application/json"
    except Exception as e:
        raise _Fault(_MARSHAL_ERROR, "Unable to marshal response: {}".format(e))


def _unmarshal(body, content_type):
    if content_type and content_type.split(";")[0].strip() != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as e:
        raise _Fault(_UNMARSHAL_ERROR, "Unable to unmarshal input: {}".format(e))


def _make_error(message, error_type, trace, request_id=""):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": trace or [],
    }


def _fault_error(fault, request_id=""):
    return _make_error(fault.message, fault.error_type, fault.trace, request_id)


def _exception_error(exc_info, request_id=""):
    """The error document of an exception raised by the function's code.

    The stack trace starts at the first frame outside this file, as
    awslambdaric's does, so that it shows the function's code only.
    """
    import traceback  # only when there is an error: it is slow to import

    etype, value, tb = exc_info
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame.filename:
            frames = frames[i:]
            break
    return _make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)


def _log_error(error):
    """Logs an error as awslambdaric does: `[ERROR] Type: message`, then the
    traceback, all in one line."""
    head = "[ERROR]"
    if error["errorType"]:
        head += " " + error["errorType"]
    if error["errorMessage"]:
        if error["errorType"]:
            head += ":"
        head += " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(_ERROR_INDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write(_ERROR_LINE_JOIN.join(lines) + "\n")
    sys.stdout.flush()


# --- Logging -----------------------------------------------------------------


class _RequestIDFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


class _StdoutHandler(logging.Handler):
    """Writes records to the current sys.stdout, as awslambdaric's sink."""

    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _setup_logging():
    """Gives the root logger Lambda's text format.

    `[LEVEL]\\t2024-01-02T03:04:05.678Z\\t<request id>\\t<message>`, in UTC.
    As on Lambda, the root logger keeps Python's WARNING level unless
    AWS_LAMBDA_LOG_LEVEL names another, so `logger.setLevel` is up to the
    function.
    """
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIDFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))


# --- The loop ----------------------------------------------------------------


def _invoke(api, handler, headers, body):
    """Runs one invocation and posts its outcome."""
    global _request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error = None
    try:
        try:
            deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0"))
        except ValueError:
            deadline_ms = 0
        context = LambdaContext(
            request_id,
            deadline_ms,
            headers.get("lambda-runtime-invoked-function-arn"),
            _parse_json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
            headers.get("lambda-runtime-aws-tenant-id"),
        )
        event = _unmarshal(body, headers.get("content-type"))
        result, content_type = _marshal(handler(event, context))
    except _Fault as f:
        error = _fault_error(f, request_id)
    except Exception:
        error = _exception_error(sys.exc_info(), request_id)

    # What the function printed reaches the log before its invocation ends,
    # so that it is attributed to this request.
    sys.stdout.flush()
    sys.stderr.flush()
    if error is not None:
        _log_error(error)
        api.post_error(request_id, error)
    else:
        api.post_result(request_id, result, content_type)


def main():
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        _die("AWS_LAMBDA_RUNTIME_API is not set")
    # Lines reach the log as they are printed, not when a buffer fills.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except AttributeError:
            pass
    api = _RuntimeAPI(address)
    _set_path(os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    _setup_logging()
    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except _Fault as f:
        error = _fault_error(f)
    except Exception:
        # The module raised while it was imported: its own error, as on Lambda.
        error = _exception_error(sys.exc_info())
    else:
        error = None
    if error is not None:
        sys.stdout.flush()
        _log_error(error)
        api.post_init_error(error)
        sys.exit(1)

    while True:
        headers, body = api.next()
        _invoke(api, handler, headers, body)


if __name__ == "__main__":
    main()
