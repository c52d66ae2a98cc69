// Response checks shared by every script: the status each endpoint must answer and the shape of
// its body (the rules live in lib/endpoints.ts, where the integration test also applies them).
import { check } from 'k6';
import type { RefinedResponse } from 'k6/http';
import { bodyProblems, statusProblem, type Endpoint } from './endpoints.ts';
import { callItem, call, type CallOptions } from './request.ts';
import type { MixItem } from './endpoints.ts';

type TextResponse = RefinedResponse<'text'>;

/** Checks status and body; returns true when both are right. */
export function checkResponse(res: TextResponse, e: Endpoint): boolean {
  return check(res, {
    [`${e.label}: status ${e.expectedStatus}`]: (r) => statusProblem(e, r.status) === undefined,
    [`${e.label}: body`]: (r) => bodyProblems(e, r.status, r.body).length === 0,
  });
}

/** Calls an endpoint and checks the answer. */
export function callAndCheck(e: Endpoint, options: CallOptions = {}): TextResponse {
  const res = call(e, options);
  checkResponse(res, e);
  return res;
}

/** Calls one item of a traffic mix and checks the answer. */
export function callItemAndCheck(item: MixItem, options: CallOptions = {}): TextResponse {
  const res = callItem(item, options);
  checkResponse(res, item.endpoint);
  return res;
}
