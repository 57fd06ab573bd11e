export { applyMixins, type Mixin } from './mixin.js';
export { freezeProperties, requireProperties, updateProperties, validateProperties, type PropertyCheck } from './properties.js';
