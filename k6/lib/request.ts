// The only place the k6 scripts make HTTP requests: every call goes to an endpoint from
// lib/endpoints.ts, tagged with its route (`name`) and latency class, so thresholds can filter
// and the endpoint test knows every URL the scripts can call.
import http from 'k6/http';
import type { Params, RefinedResponse } from 'k6/http';
import { ADMIN_TOKEN, BASE_URL, MANAGER_URL } from './config.ts';
import { pathWithQuery, requestBody, type Endpoint, type MixItem } from './endpoints.ts';

export interface CallOptions {
  /** Replaces the endpoint's query (same route, other values). */
  query?: Readonly<Record<string, string>>;
  /** Extra tags on every metric of this request. */
  tags?: Record<string, string>;
  /** Request timeout, e.g. '10s' (k6 default: 60s). */
  timeout?: string;
}

export function originOf(e: Endpoint): string {
  if (e.target === 'api') return BASE_URL;
  if (MANAGER_URL === undefined) {
    throw new Error(`${e.label} needs the manager endpoint, but MANAGER_URL=off`);
  }
  return MANAGER_URL;
}

export function call(e: Endpoint, options: CallOptions = {}): RefinedResponse<'text'> {
  const headers: Record<string, string> = {};
  if (e.response === 'json') headers.Accept = 'application/json';
  const body = requestBody(e);
  if (body !== null) headers['Content-Type'] = 'application/json';
  if (e.auth === true) headers.Authorization = `Bearer ${ADMIN_TOKEN}`;
  const params: Params & { responseType: 'text' } = {
    headers,
    responseType: 'text',
    timeout: options.timeout ?? '30s',
    tags: { name: e.name, expected_latency: e.latency, target: e.target, ...options.tags },
  };
  // Deliberate errors (400, 404) are the expected answer: they must not count in
  // http_req_failed, which is the availability SLO.
  if (e.expectedStatus >= 400) params.responseCallback = http.expectedStatuses(e.expectedStatus);
  return http.request(e.method, originOf(e) + pathWithQuery(e, options.query), body, params);
}

/** Calls one item of a traffic mix. */
export function callItem(item: MixItem, options: CallOptions = {}): RefinedResponse<'text'> {
  return call(
    item.endpoint,
    item.query === undefined ? options : { ...options, query: item.query },
  );
}
