// The `./models` expose: every model spec this remote serves (named exports).
export { __ModelName__ } from './__modelName__.js';
