/**
 * AWS HTTP events as each front door sends them, from AWS's documentation of the
 * payloads (API Gateway REST proxy integration, HTTP API payload formats 1.0 and
 * 2.0, Lambda function URLs, ALB Lambda targets with and without multi-value
 * headers), built from one description of the client's request.
 */
export type EventShape = 'rest' | 'http-v1' | 'http-v2' | 'function-url' | 'alb-single' | 'alb-multi';

export const ALL_SHAPES: readonly EventShape[] = ['rest', 'http-v1', 'http-v2', 'function-url', 'alb-single', 'alb-multi'];

export interface ClientRequest {
  method?: string;
  /** The path the client asked for, under the API's root. */
  path: string;
  /** Decoded query parameters, in order (a name may repeat). */
  query?: Array<[string, string]>;
  /** Header lines in the client's order (a name may repeat); names lower-case. */
  headers?: Array<[string, string]>;
  /** The body's bytes, sent base64-encoded (as binary media types and HTTP APIs do). */
  body?: Buffer | string;
  /** Send a string body as is rather than base64-encoded. */
  plainBody?: boolean;
  sourceIp?: string;
}

const STAGE = 'prod';

function grouped(pairs: Array<[string, string]>): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const [name, value] of pairs) (groups[name] ??= []).push(value);
  return groups;
}

function lastOf(groups: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(groups).map(([name, values]) => [name, values[values.length - 1]!]));
}

function bodyFields(request: ClientRequest): { body: string | null; isBase64Encoded: boolean } {
  if (request.body === undefined) return { body: null, isBase64Encoded: false };
  if (request.plainBody && typeof request.body === 'string') return { body: request.body, isBase64Encoded: false };
  return { body: Buffer.from(request.body).toString('base64'), isBase64Encoded: true };
}

/** The event `shape`'s front door sends for `request`. */
export function eventFor(shape: EventShape, request: ClientRequest): Record<string, unknown> {
  const method = request.method ?? 'GET';
  const query = request.query ?? [];
  const sourceIp = request.sourceIp ?? '198.51.100.7';
  const headerPairs: Array<[string, string]> = [['host', 'api.example.com'], ['x-forwarded-for', sourceIp], ...(request.headers ?? [])];
  const headers = grouped(headerPairs);
  const encodedQuery = query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  const { body, isBase64Encoded } = bodyFields(request);
  switch (shape) {
    case 'rest':
    case 'http-v1': {
      const decoded = grouped(query);
      return {
        ...(shape === 'http-v1' ? { version: '1.0' } : {}),
        resource: '/{proxy+}',
        // REST: the stage is not in `path` (it is in requestContext.path); an HTTP API puts a named stage in front.
        path: shape === 'rest' ? request.path : `/${STAGE}${request.path}`,
        httpMethod: method,
        headers: lastOf(headers),
        multiValueHeaders: headers,
        queryStringParameters: query.length === 0 ? null : lastOf(decoded),
        multiValueQueryStringParameters: query.length === 0 ? null : decoded,
        pathParameters: { proxy: request.path.slice(1) },
        stageVariables: null,
        requestContext: { stage: STAGE, path: `/${STAGE}${request.path}`, requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', httpMethod: method, identity: { sourceIp } },
        body,
        isBase64Encoded,
      };
    }
    case 'http-v2':
    case 'function-url': {
      const stage = shape === 'http-v2' ? STAGE : '$default';
      const rawPath = shape === 'http-v2' ? `/${STAGE}${request.path}` : request.path;
      const cookies = headers['cookie']?.flatMap((line) => line.split(/;\s*/)) ?? [];
      const joined = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'cookie').map(([name, values]) => [name, values.join(',')]));
      const decoded = grouped(query);
      return {
        version: '2.0',
        routeKey: '$default',
        rawPath,
        rawQueryString: encodedQuery,
        ...(cookies.length > 0 ? { cookies } : {}),
        headers: joined,
        ...(query.length > 0 ? { queryStringParameters: Object.fromEntries(Object.entries(decoded).map(([name, values]) => [name, values.join(',')])) } : {}),
        requestContext: {
          accountId: '123456789012',
          apiId: 'api-id',
          domainName: shape === 'function-url' ? 'abcdefghij.lambda-url.us-east-1.on.aws' : 'api-id.execute-api.us-east-1.amazonaws.com',
          http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp, userAgent: 'test' },
          requestId: 'JKJaXmPLvHcESHA=',
          routeKey: '$default',
          stage,
          timeEpoch: 1_583_348_638_390,
        },
        body: body ?? undefined,
        isBase64Encoded,
      };
    }
    case 'alb-single':
    case 'alb-multi': {
      // An ALB passes query names and values as the client encoded them.
      const raw = query.map(([name, value]) => [encodeURIComponent(name), encodeURIComponent(value)] as [string, string]);
      const common = { requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda/abc' } }, httpMethod: method, path: request.path, body: body ?? '', isBase64Encoded };
      if (shape === 'alb-single') return { ...common, queryStringParameters: lastOf(grouped(raw)), headers: lastOf(headers) };
      return { ...common, multiValueQueryStringParameters: grouped(raw), multiValueHeaders: headers };
    }
  }
}

/** A Lambda context with `remainingMs` left. */
export function lambdaContext(remainingMs = 30_000, awsRequestId = 'a7f6b0c2-0000-4000-8000-000000000001'): { awsRequestId: string; getRemainingTimeInMillis(): number } {
  const deadline = Date.now() + remainingMs;
  return { awsRequestId, getRemainingTimeInMillis: () => deadline - Date.now() };
}

export interface Result {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

/** A header of a result, read where the front door `shape` reads it. */
export function headerOf(shape: EventShape, result: Result, name: string): string | undefined {
  if (shape === 'alb-multi') return result.multiValueHeaders?.[name]?.join(', ');
  return result.headers?.[name];
}

/** The body's bytes. */
export function bodyBytes(result: Result): Buffer {
  return Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
}
