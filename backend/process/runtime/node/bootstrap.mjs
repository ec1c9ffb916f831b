// Portico's Node.js runtime client: runs a Lambda Node.js handler under the
// Lambda Runtime API, as AWS's own client (npm aws-lambda-ric) does, with no
// dependencies. Portico embeds it and starts `node bootstrap.mjs` with
// LAMBDA_TASK_ROOT (the code), _HANDLER (Lambda's handler setting, e.g.
// index.handler or src/app.handler) and AWS_LAMBDA_RUNTIME_API set.
//
// What it mirrors of AWS's client, because functions and their tests see it:
// the handler lookup (an extensionless file or .js through require, .js of a
// "type": "module" package and .mjs through import, then .cjs), the init
// errors (Runtime.ImportModuleError, Runtime.HandlerNotFound,
// Runtime.UserCodeSyntaxError, Runtime.MalformedHandlerName), the error
// document ({errorType, errorMessage, trace}), the log lines
// (TIMESTAMP\tREQUEST_ID\tLEVEL\tMESSAGE, newlines as \r so that one call is
// one line), async and callback handlers, and callbackWaitsForEmptyEventLoop:
// the response is posted at once, the next event is asked for once the event
// loop is empty (or at once when the handler set it to false).

import fs from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

const require = createRequire(import.meta.url);
const env = process.env;

// --- Runtime API ------------------------------------------------------------

const api = env.AWS_LAMBDA_RUNTIME_API || '';
const colon = api.lastIndexOf(':');
const apiHost = api.slice(0, colon);
const apiPort = Number(api.slice(colon + 1));
const prefix = '/2018-06-01/runtime';
// One kept-alive connection, spoken to by hand: the calls are strictly
// one after another, and node:http's client costs ~0.5 ms a call here,
// more than the function. The socket is unref'd while idle, so it never
// keeps the event loop alive (callbackWaitsForEmptyEventLoop depends on it).
let conn = null;
// pending is the call waiting for its response: its head once parsed, and
// the body's chunks, joined once when whole (joining on every read would
// copy a 6 MB event a hundred times).
let pending = null; // { resolve, reject, head, status, headers, length, chunks, got }

function connect() {
  conn = net.connect({ host: apiHost, port: apiPort });
  conn.setNoDelay(true);
  conn.unref();
  conn.on('data', (chunk) => {
    if (!pending) return;
    const res = takeChunk(pending, chunk);
    if (res) {
      const p = pending;
      pending = null;
      conn.unref();
      p.resolve(res);
    }
  });
  const lost = (err) => {
    conn = null;
    if (pending) {
      const p = pending;
      pending = null;
      p.reject(err || new Error('the Runtime API closed the connection'));
    }
  };
  conn.on('error', lost);
  conn.on('close', () => lost());
}

// takeChunk adds chunk to p's response and returns the response once it is
// whole: status, headers (lower-case names) and a Content-Length body
// (Portico's Runtime API always sends one), or null while more is to come.
function takeChunk(p, chunk) {
  if (p.status === undefined) {
    p.head = p.head.length ? Buffer.concat([p.head, chunk]) : chunk;
    const end = p.head.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const lines = p.head.toString('latin1', 0, end).split('\r\n');
    p.status = Number(lines[0].split(' ')[1]);
    p.headers = {};
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      if (c > 0) p.headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
    }
    p.length = Number(p.headers['content-length'] || 0);
    chunk = p.head.subarray(end + 4);
  }
  if (chunk.length) {
    p.chunks.push(chunk);
    p.got += chunk.length;
  }
  if (p.got < p.length) return null;
  const body = p.chunks.length === 1 ? p.chunks[0] : Buffer.concat(p.chunks);
  return { status: p.status, headers: p.headers, body: body.subarray(0, p.length) };
}

function call(method, route, body, headers) {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  let head = `${method} ${prefix}${route} HTTP/1.1\r\nHost: ${api}\r\nContent-Length: ${payload.length}\r\n`;
  for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
  const request = Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), payload]);
  const send = () => new Promise((resolve, reject) => {
    if (!conn) connect();
    pending = { resolve, reject, head: Buffer.alloc(0), chunks: [], got: 0 };
    conn.ref();
    conn.write(request);
  });
  // Portico closes a connection left idle past its idle timeout (a
  // handler that ran that long): the first call after it goes again on a
  // new connection.
  const reused = conn !== null;
  return send().catch((err) => (reused ? send() : Promise.reject(err)));
}

function postError(route, error) {
  const doc = toRapidResponse(error);
  return call('POST', route, JSON.stringify(doc), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': headerSafe(doc.errorType),
  });
}

// headerSafe keeps an error type a valid header value: it comes from user
// code (an error's name) and may hold anything.
function headerSafe(s) {
  return String(s).replace(/[^\x20-\x7e]/g, '');
}

// A failure to reach the Runtime API leaves nothing to report to: exit, and
// Portico reports the exit.
function fatal(err) {
  process.stderr.write(`portico runtime client: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}

// --- Errors, as AWS's client shapes them -------------------------------------

class ExtendedError extends Error {
  constructor(reason) {
    super(reason); // an Error reason reads as "Error: message", as on Lambda
    this.name = 'Runtime.' + this.constructor.name;
  }
}
class ImportModuleError extends ExtendedError {}
class HandlerNotFound extends ExtendedError {}
class MalformedHandlerName extends ExtendedError {}
class UserCodeSyntaxError extends ExtendedError {}
class UnhandledPromiseRejection extends ExtendedError {}

function isError(e) {
  return util.types.isNativeError(e) || (e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string');
}

const del = (s) => (typeof s === 'string' ? s.replace(/\x7F/g, '%7F') : s);

// toRapidResponse is the error document posted to the Runtime API.
function toRapidResponse(error) {
  try {
    if (isError(error)) {
      return { errorType: del(error.name), errorMessage: del(error.message), trace: del(error.stack).split('\n') };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// toFormatted is the error as logged: an Error's enumerable properties with
// its stack as "stack", anything else as its JSON.
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch (_) {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

function withEnumerableProperties(v) {
  if (v instanceof Error) {
    const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
    if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
    return out;
  }
  return v;
}

// --- Logging ----------------------------------------------------------------

// requestId is the invocation in progress; undefined during init, which
// AWS's client prints as "undefined".
let requestId;

function patchConsole() {
  const log = (level) => (...args) => {
    const msg = util.format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${msg}\n`);
  };
  console.trace = log('TRACE');
  console.debug = log('DEBUG');
  console.info = log('INFO');
  console.log = log('INFO');
  console.warn = log('WARN');
  console.error = log('ERROR');
  console.fatal = log('FATAL');
}

// --- Loading the handler ----------------------------------------------------

function tryRequire(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function tryImport(file) {
  return fs.existsSync(file) ? import(pathToFileURL(file).href) : undefined;
}

function packageTypeModule(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_) {
        return false;
      }
    }
    if (dir === path.dirname(dir)) return false;
  }
}

async function loadModule(appRoot, moduleRoot, module) {
  const base = path.resolve(appRoot, moduleRoot, module);
  const extensionless = tryRequire(base);
  if (extensionless) return extensionless;
  const esm = packageTypeModule(base);
  if (!esm) {
    const cjs = tryRequire(base + '.js');
    if (cjs) return cjs;
  }
  const found = (esm && (await tryImport(base + '.js'))) || (await tryImport(base + '.mjs')) || tryRequire(base + '.cjs');
  if (found) return found;
  // As Lambda: a module name that is no file may still be a package.
  return require(require.resolve(module, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(`'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const slash = fullHandler.lastIndexOf('/');
  const moduleRoot = fullHandler.slice(0, slash + 1);
  const m = /^([^.]*)\.(.*)$/.exec(fullHandler.slice(slash + 1));
  if (!m) throw new MalformedHandlerName('Bad handler');
  const [, module, handlerPath] = m;
  let app;
  try {
    app = await loadModule(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) throw new ImportModuleError(e);
    throw e;
  }
  const fn = handlerPath.split('.').reduce((o, key) => o && o[key], app);
  if (!fn) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return fn;
}

// --- Invocations ------------------------------------------------------------

// onUncaught reports an error no invocation caught: during init as the init
// error, during an invocation as its error; then the process exits, as on
// Lambda, and Portico starts a fresh one.
let onUncaught = (error, code) => {
  postError('/init/error', error).then(() => process.exit(code), fatal);
};

process.on('uncaughtException', (error) => {
  console.error('Uncaught Exception', toFormatted(error));
  onUncaught(error, 129);
});
process.on('unhandledRejection', (reason) => {
  const error = new UnhandledPromiseRejection(reason && reason.errorMessage !== undefined ? reason.errorMessage : reason);
  console.error('Unhandled Promise Rejection', toFormatted(error));
  onUncaught(error, 128);
});

// onEmptyLoop runs when the event loop has nothing left to do (Node's
// beforeExit): the process would otherwise end.
let onEmptyLoop = () => {};
process.on('beforeExit', () => onEmptyLoop());

function parseJSONHeader(v) {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch (_) {
    return undefined;
  }
}

function makeContext(id, headers, state) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return {
    get callbackWaitsForEmptyEventLoop() {
      return state.waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(v) {
      state.waitForEmptyEventLoop = v;
    },
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJSONHeader(headers['lambda-runtime-client-context']),
    identity: parseJSONHeader(headers['lambda-runtime-cognito-identity']),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: id,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

function serialize(result) {
  try {
    return JSON.stringify(result === undefined ? null : result) ?? 'null';
  } catch (_) {
    throw new Error('Unable to stringify response body');
  }
}

function next(handler) {
  call('GET', '/invocation/next').then((res) => {
    if (res.status !== 200) {
      // Portico is stopping this instance (410) or refuses it: nothing to run.
      process.exit(res.status === 410 ? 0 : 1);
    }
    invoke(handler, res);
  }, fatal);
}

function invoke(handler, res) {
  const id = res.headers['lambda-runtime-aws-request-id'];
  requestId = id;
  const trace = res.headers['lambda-runtime-trace-id'];
  if (trace) env._X_AMZN_TRACE_ID = trace;
  else delete env._X_AMZN_TRACE_ID;

  const state = { waitForEmptyEventLoop: true, done: false };
  const scheduleNext = () => {
    if (state.waitForEmptyEventLoop) {
      onEmptyLoop = () => {
        onEmptyLoop = () => {};
        setImmediate(() => next(handler));
      };
    } else {
      onEmptyLoop = () => {};
      next(handler);
    }
  };
  const post = (err, result) => {
    if (err !== undefined && err !== null) {
      console.error('Invoke Error', toFormatted(err));
      return postError(`/invocation/${id}/error`, err);
    }
    let body;
    try {
      body = serialize(result);
    } catch (e) {
      return post(e);
    }
    return call('POST', `/invocation/${id}/response`, body, { 'Content-Type': 'application/json' });
  };
  const callback = (err, result) => {
    if (state.done) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    state.done = true;
    post(err, result).then(scheduleNext, fatal);
  };
  onUncaught = (error, code) => {
    if (state.done) process.exit(code);
    state.done = true;
    postError(`/invocation/${id}/error`, error).then(() => process.exit(code), fatal);
  };

  // As on Lambda: a handler that leaves nothing to wait for without having
  // answered (a promise never settled, a callback never called) answers null.
  onEmptyLoop = () => callback(null, null);

  const context = makeContext(id, res.headers, state);
  context.done = callback;
  context.succeed = (result) => callback(null, result);
  context.fail = (err) => callback(err === undefined || err === null ? 'handled' : err);

  try {
    const event = JSON.parse(res.body.toString('utf8'));
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail);
    }
  } catch (e) {
    callback(e);
  }
}

// --- Start ------------------------------------------------------------------

patchConsole();
const appRoot = env.LAMBDA_TASK_ROOT || process.cwd();
let handler;
try {
  handler = await loadHandler(appRoot, env._HANDLER || '');
} catch (e) {
  console.error('Uncaught Exception', toFormatted(e));
  postError('/init/error', e).then(() => process.exit(129), fatal);
}
if (handler) next(handler);
