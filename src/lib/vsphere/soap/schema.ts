// Wire types of the vim25 fields vk reads: which fields are numbers,
// booleans, dateTime, references, nested data objects or arrays, and each
// type's base. They are generated from govmomi's types (schema.generated.ts,
// `npm run schema`), for the types reachable from the roots the generator
// lists. A field not listed decodes by shape (text → string, typed text →
// reference, else object; repeated → array).

import { generatedSchema } from './schema.generated.js';

interface TypeSchema {
  base?: string;
  fields: Record<string, string>;
}

const MoRef = 'ManagedObjectReference';

const schema: Readonly<Record<string, TypeSchema>> = generatedSchema;

/** Element type of a vim25 `ArrayOfX` wrapper type. */
export function arrayElementType(type: string): string | undefined {
  if (!type.startsWith('ArrayOf')) return undefined;
  const item = type.slice('ArrayOf'.length);
  const primitive: Record<string, string> = {
    String: 'string',
    Int: 'int',
    Long: 'long',
    Short: 'short',
    Byte: 'byte',
    Boolean: 'boolean',
    Double: 'double',
    Float: 'float',
    DateTime: 'dateTime',
    AnyType: 'anyType',
    ManagedObjectReference: MoRef,
  };
  return primitive[item] ?? item;
}

/** Whether the schema lists `type` (else its fields decode by shape). */
export function isKnownType(type: string): boolean {
  return Object.hasOwn(schema, type);
}

/** The declared wire type of `type.field`, following base types. */
export function fieldType(type: string | undefined, field: string): string | undefined {
  for (let t = type; t; t = schema[t]?.base) {
    const spec = schema[t]?.fields[field];
    if (spec) return spec;
    if (!schema[t]) return undefined;
  }
  return undefined;
}
