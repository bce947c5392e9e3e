import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type FailureKind } from '../app/errors.ts';

// The one place that turns failures into application/problem+json answers.

const STATUS: Record<FailureKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({ type: 'about:blank', title, status, detail, ...extra });
}

/** Describes zod issues as one sentence a user can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? `"${i.path.join('.')}"` : 'the body';
      if (i.code === 'unrecognized_keys')
        return `Remove the unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}.`;
      if (i.code === 'invalid_type' && i.input === undefined) return `Add the field ${where}.`;
      return `Fix ${where}: ${i.message}.`;
    })
    .join(' ');
}

/** Parses a request part with a zod schema, or fails with a 400 that says what to fix. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what = 'request body'): z.infer<T> {
  // reportInput lets describeIssues tell a missing field from a wrong type; inputs are never echoed.
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new AppError('invalid', `Invalid ${what}`, describeIssues(result.error));
  return result.data;
}

export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AppError) {
    if (error.kind === 'rate_limited' && typeof error.extra.retryAfterSeconds === 'number') {
      reply.header('Retry-After', String(error.extra.retryAfterSeconds));
    }
    const { retryAfterSeconds: _r, ...extra } = error.extra;
    return sendProblem(reply, STATUS[error.kind], error.title, error.detail, extra);
  }
  const fe = error as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(
        reply,
        415,
        'Unsupported content type',
        `This endpoint does not take ${request.headers['content-type'] ?? 'a body without a Content-Type'}; send application/json${request.url.includes('/imports') ? ', text/csv or multipart/form-data' : ''}.`,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(
        reply,
        413,
        'Body too large',
        'The request body is larger than this endpoint accepts; send a smaller body (CSV imports take at most 20,000 rows).',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, 400, 'Empty body', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendProblem(
        reply,
        400,
        'Malformed JSON',
        `The body is not valid JSON (${fe.message}); fix the syntax and send it again.`,
      );
  }
  if (error instanceof SyntaxError || fe.statusCode === 400) {
    return sendProblem(
      reply,
      400,
      'Bad request',
      `The request could not be read: ${fe.message}. Fix it and send it again.`,
    );
  }
  if (fe.statusCode === 429) {
    return sendProblem(
      reply,
      429,
      'Too many requests',
      'Too many requests in a short time; wait a minute and try again.',
    );
  }
  if (fe.statusCode && fe.statusCode < 500) {
    return sendProblem(reply, fe.statusCode, 'Request refused', fe.message);
  }
  // 5xx: log the details, show none of them.
  request.log.error({ err: error }, 'request failed');
  return sendProblem(
    reply,
    500,
    'Internal error',
    `Something went wrong on our side; nothing was changed by this request unless its result says so. Quote request id ${request.id} if you report it.`,
  );
}
