/**
 * A ready-made Lambda handler: set the function's handler to
 * `node_modules/microlib/dist/src/serverless/lambda.handler` and configure it
 * with environment variables alone. The host starts on the first invocation.
 */
import { createLambdaHandler } from './lambda-handler.js';

export const handler = createLambdaHandler();
