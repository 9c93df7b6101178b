// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The admin HTTP API (docs/protocol.md "Admin HTTP API") with the bearer
// token. The server logs every read as an `admin.read` event.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Drops empty values: the API refuses unknown or empty filters.
export function queryString(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async fetch(path, params) {
    const response = await fetch(`/api/v1/${path}${queryString(params)}`, {
      headers: { Authorization: `Bearer ${this.token}` },
      cache: 'no-store',
      credentials: 'omit',
    });
    if (!response.ok) {
      let code = 'internal';
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = await response.json();
        if (body && body.error) ({ code, message } = body.error);
      } catch {
        // not JSON: keep the status line
      }
      throw new ApiError(response.status, code, message);
    }
    return response;
  }

  async json(path, params) {
    return (await this.fetch(path, params)).json();
  }

  async blob(path, params) {
    return (await this.fetch(path, params)).blob();
  }
}
