// A small wrapper around fetch for the JSON API under /api/v1.
//
// Every request is same-origin with credentials (the session cookie); bodies
// are JSON with Content-Type: application/json. State-changing requests carry
// X-CSRF-Token with the token of the last /me or login reply. Failures throw
// an ApiError with the stable error code, the field (if any), the server's
// message and the HTTP status ("network" when the server could not be reached).
// A 401 "unauthenticated" (the session ended) also sends the "sk:signedout"
// event on document, so the navigation stops looking signed in (session.js).

const BASE = '/api/v1';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message, field = null, retryAfter = null) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/** The CSRF token from the last /me or login reply (null before either). */
export function getCsrfToken() {
  return csrfToken;
}

export function setCsrfToken(token) {
  csrfToken = typeof token === 'string' && token !== '' ? token : null;
}

/**
 * Sends one request; resolves to the parsed JSON body (null for 204).
 * body is sent as JSON unless opts.raw is given: then opts.raw (a Blob or
 * File) is the body as it is, with Content-Type opts.contentType.
 * opts.headers adds headers.
 */
export async function request(method, path, body, opts = {}) {
  method = method.toUpperCase();
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', e && e.message ? e.message : '');
  }

  let data = null;
  if (res.status !== 204) {
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }

  if (!res.ok) {
    const err = data && typeof data.error === 'object' && data.error ? data.error : {};
    const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    if (res.status === 401 && err.code === 'unauthenticated') {
      csrfToken = null;
      document.dispatchEvent(new CustomEvent('sk:signedout'));
    }
    throw new ApiError(
      res.status,
      typeof err.code === 'string' && err.code ? err.code : 'unknown',
      typeof err.message === 'string' ? err.message : res.statusText,
      typeof err.field === 'string' ? err.field : null,
      Number.isFinite(retry) ? retry : null,
    );
  }
  if (data && typeof data.csrf_token === 'string') setCsrfToken(data.csrf_token);
  return data;
}

/**
 * Uploads file as the raw body (like api.upload) with XMLHttpRequest, since
 * fetch reports no upload progress. Returns { promise, abort }: promise
 * resolves to the parsed JSON body or rejects with an ApiError (status 0 and
 * code "network" when the connection failed, code "aborted" after abort()).
 * onProgress(loaded, total) is called as the body goes out.
 */
export function uploadWithProgress(path, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', BASE + path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('X-Filename', encodeURIComponent(file.name || ''));
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    if (onProgress) {
      xhr.upload.onprogress = (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    }
    xhr.onerror = () => reject(new ApiError(0, 'network', ''));
    xhr.ontimeout = () => reject(new ApiError(0, 'network', 'timeout'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', ''));
    xhr.onload = () => {
      let data = null;
      if (xhr.status !== 204 && xhr.responseText) {
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = null;
        }
      }
      if (xhr.status < 200 || xhr.status > 299) {
        const err = data && typeof data.error === 'object' && data.error ? data.error : {};
        const retry = Number.parseInt(xhr.getResponseHeader('Retry-After') || '', 10);
        if (xhr.status === 401 && err.code === 'unauthenticated') {
          csrfToken = null;
          document.dispatchEvent(new CustomEvent('sk:signedout'));
        }
        reject(new ApiError(
          xhr.status,
          typeof err.code === 'string' && err.code ? err.code : 'unknown',
          typeof err.message === 'string' ? err.message : xhr.statusText,
          typeof err.field === 'string' ? err.field : null,
          Number.isFinite(retry) ? retry : null,
        ));
        return;
      }
      if (data && typeof data.csrf_token === 'string') setCsrfToken(data.csrf_token);
      resolve(data);
    };
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/** The URL of an API path, for links (downloads) rather than fetch. */
export function apiUrl(path) {
  return BASE + path;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
  /** POST without a body (the server refuses bodies on such actions). */
  action: (path) => request('POST', path),
  patch: (path, body) => request('PATCH', path, body === undefined ? {} : body),
  put: (path, body) => request('PUT', path, body === undefined ? {} : body),
  del: (path, body) => request('DELETE', path, body),
  /** Sends file as the raw body (its own Content-Type), its name in X-Filename (percent-encoded UTF-8). */
  upload: (path, file) => request('POST', path, undefined, {
    raw: file,
    contentType: file.type,
    headers: { 'X-Filename': encodeURIComponent(file.name || '') },
  }),
};
