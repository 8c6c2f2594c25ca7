/**
 * The built-in Arxos symbol schema (JSON Schema draft-07): what one file
 * under `symbols/` must look like. `arx validate-symbols --schema FILE` can
 * use another schema instead.
 */

/** The systems a symbol may belong to. */
export const SYMBOL_SYSTEMS = [
  'electrical',
  'mechanical',
  'plumbing',
  'fire_alarm',
  'security',
  'hvac',
  'network',
  'building_controls',
  'av',
  'other',
] as const;

export const SYMBOL_ID_PATTERN = '^[a-z0-9_]+$';

export const SYMBOL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://arxos.dev/schemas/arx/symbol.schema.json',
  title: 'Arxos symbol',
  type: 'object',
  required: ['id', 'name', 'system', 'svg'],
  properties: {
    id: { type: 'string', pattern: SYMBOL_ID_PATTERN },
    name: { type: 'string' },
    system: { type: 'string', enum: [...SYMBOL_SYSTEMS] },
    description: { type: 'string' },
    category: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    svg: {
      type: 'object',
      required: ['content'],
      properties: {
        content: { type: 'string', minLength: 1 },
        viewBox: { type: 'string' },
        width: { type: 'number' },
        height: { type: 'number' },
      },
      additionalProperties: true,
    },
    properties: { type: 'object', additionalProperties: true },
    connections: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'type', 'x', 'y'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string' },
          x: { type: 'number' },
          y: { type: 'number' },
          label: { type: 'string' },
          direction: { type: 'string' },
        },
        additionalProperties: false,
      },
      uniqueItems: true,
    },
    metadata: { type: 'object', additionalProperties: true },
    version: { type: 'string' },
  },
  additionalProperties: false,
} as const;
