/**
 * Merge configuration layers (later wins) and remember which layer set each
 * value. Objects merge key by key; arrays and scalars are replaced whole.
 * A layer that switches `remote.type` replaces the whole `remote` section, so
 * fields of another kind of remote do not leak into it.
 */

export interface Layer {
  name: string;
  data: Record<string, unknown>;
}

export type Sources = Map<string, string>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, prefix: string, layer: string, sources: Sources): void {
  for (const [key, value] of Object.entries(src)) {
    if (value === undefined) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isPlainObject(value)) {
      const existing = target[key];
      const child = isPlainObject(existing) ? existing : {};
      target[key] = child;
      mergeInto(child, value, path, layer, sources);
    } else {
      target[key] = structuredClone(value);
      for (const k of [...sources.keys()]) if (k.startsWith(`${path}.`)) sources.delete(k);
      sources.set(path, layer);
    }
  }
}

function dropSection(target: Record<string, unknown>, section: string, sources: Sources): void {
  delete target[section];
  for (const k of [...sources.keys()]) if (k === section || k.startsWith(`${section}.`)) sources.delete(k);
}

export function mergeLayers(layers: Layer[]): { value: Record<string, unknown>; sources: Sources } {
  const value: Record<string, unknown> = {};
  const sources: Sources = new Map();
  for (const layer of layers) {
    const remote = layer.data.remote;
    const current = value.remote;
    if (isPlainObject(remote) && typeof remote.type === 'string' && isPlainObject(current) && current.type !== remote.type) {
      dropSection(value, 'remote', sources);
    }
    mergeInto(value, layer.data, '', layer.name, sources);
  }
  return { value, sources };
}
