/**
 * The HTTP events AWS hands a Lambda function, as far as microlib reads them, and
 * which one an invocation carries. Written from AWS's documentation of each front
 * door (no SDK types: they are a dependency for a few interfaces):
 *
 * - API Gateway REST APIs, and HTTP APIs with payload format 1.0: `httpMethod`,
 *   `path`, `multiValueHeaders`, `multiValueQueryStringParameters` (values decoded).
 * - HTTP APIs with payload format 2.0, and Lambda function URLs: `version: '2.0'`,
 *   `rawPath`, `rawQueryString`, `cookies`, `requestContext.http.method`.
 * - Application Load Balancers: `requestContext.elb`, with `headers` and
 *   `queryStringParameters`, or their `multiValue…` forms when the target group has
 *   multi-value headers on; query values arrive as the client sent them (not decoded).
 */

type Values<T> = Record<string, T | undefined> | null | undefined;

/** The fields API Gateway's payload 1.0 and an ALB's request share (AWS documents them alike). */
interface ProxyEventFields {
  httpMethod: string;
  path: string;
  headers?: Values<string>;
  multiValueHeaders?: Values<string[]>;
  queryStringParameters?: Values<string>;
  multiValueQueryStringParameters?: Values<string[]>;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** API Gateway REST API (no `version`), or an HTTP API sending payload format 1.0 (`version: '1.0'`). */
export interface ApiGatewayV1Event extends ProxyEventFields {
  version?: string;
  requestContext?: { stage?: string; requestId?: string; identity?: { sourceIp?: string } };
}

/** HTTP API payload format 2.0, and Lambda function URLs (the same shape). */
export interface ApiGatewayV2Event {
  version: '2.0';
  rawPath: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Values<string>;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: { stage?: string; requestId?: string; http: { method: string; sourceIp?: string } };
}

/** An Application Load Balancer's request to a Lambda target. */
export interface AlbEvent extends ProxyEventFields {
  requestContext: { elb: { targetGroupArn?: string } };
}

/** An invocation's event with the front door it came through. */
export type HttpEvent =
  | { kind: 'apigateway-v1'; event: ApiGatewayV1Event }
  | { kind: 'apigateway-v2'; event: ApiGatewayV2Event }
  /** `multiValue`: the target group sends (and expects back) multi-value headers. */
  | { kind: 'alb'; event: AlbEvent; multiValue: boolean };

/** An event none of the front doors above sends, nor a trigger (serverless/triggers): the invocation fails with this (a trigger wired to the wrong function). */
export class UnsupportedEventError extends Error {
  constructor(got: string) {
    super(
      'microlib/serverless: the event is not an HTTP request it knows: expected an API Gateway REST or HTTP API payload 1.0 event (httpMethod, path), ' +
        "an HTTP API payload 2.0 or Lambda function URL event (version '2.0', rawPath, requestContext.http.method) " +
        'or an Application Load Balancer event (requestContext.elb, httpMethod, path), ' +
        "or a trigger's messages (SQS, SNS, Kinesis or DynamoDB Streams Records, Kafka records of eventSource 'aws:kafka' or 'SelfManagedKafka'); " +
        `got ${got}`,
    );
    this.name = 'UnsupportedEventError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Tells the front door from the event's own fields; throws {@link UnsupportedEventError} for anything else. */
export function detectEvent(event: unknown): HttpEvent {
  if (!isObject(event)) throw new UnsupportedEventError(event === null ? 'null' : Array.isArray(event) ? 'an array' : `a ${typeof event}`);
  const context = isObject(event['requestContext']) ? event['requestContext'] : undefined;
  const v1Shaped = typeof event['httpMethod'] === 'string' && typeof event['path'] === 'string';
  if (context && isObject(context['elb']) && v1Shaped) {
    return { kind: 'alb', event: event as unknown as AlbEvent, multiValue: isObject(event['multiValueHeaders']) };
  }
  if (event['version'] === '2.0' && typeof event['rawPath'] === 'string' && context && isObject(context['http']) && typeof context['http']['method'] === 'string') {
    return { kind: 'apigateway-v2', event: event as unknown as ApiGatewayV2Event };
  }
  if (v1Shaped) return { kind: 'apigateway-v1', event: event as unknown as ApiGatewayV1Event };
  const keys = Object.keys(event).slice(0, 12);
  throw new UnsupportedEventError(keys.length === 0 ? 'an empty object' : `an object with ${keys.join(', ')}`);
}
