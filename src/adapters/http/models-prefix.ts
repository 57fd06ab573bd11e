/**
 * Where the generated API is served: `/microlib/api/models/<endpoint>`. Its own
 * module so that the OpenAPI builder, the server and the composition root can
 * name it without loading the model router.
 */
export const MODELS_PREFIX = '/microlib/api/models/';
